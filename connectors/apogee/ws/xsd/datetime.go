package xsd

import (
	"fmt"
	"strings"
	"time"
)

// DateTime is an xsd:dateTime as the server wrote it ("1999-04-12T00:00:00.000+02:00").
// It replaces gowsdl's soap.XSDDateTime so the generated packages need no gowsdl runtime.
type DateTime string

// Date is an xsd:date ("1999-04-12", possibly with a zone).
type Date string

// Time is an xsd:time ("10:30:00").
type Time string

var dateTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
}

var dateLayouts = []string{"2006-01-02", "2006-01-02Z07:00", "2006-01-02Z0700"}

// Time parses the value; an empty value gives the zero time and no error.
func (d DateTime) Time() (time.Time, error) {
	return parse(string(d), dateTimeLayouts, "xsd:dateTime")
}

// Time parses the value; an empty value gives the zero time and no error.
func (d Date) Time() (time.Time, error) {
	return parse(string(d), dateLayouts, "xsd:date")
}

func parse(s string, layouts []string, kind string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s invalide : %q", kind, s)
}
