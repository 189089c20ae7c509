package apogee

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris must resolve on a machine without /usr/share/zoneinfo
)

// paris is the zone Apogée stores its dates in: a DATE column holds midnight, Paris time.
var paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is embedded: cannot happen
	}
	return loc
}

// ParisDay reads a date as Apogée's web services send it and returns the calendar day it
// means, as midnight UTC (the domain's convention for a date without time).
//
// Axis 1 serialises java.util.Date and Calendar as xsd:dateTime in GMT
// (CalendarSerializer: "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", zone GMT): a birth date stored as
// 14 May 1999 00:00 in Paris arrives as 1999-05-13T22:00:00.000Z. Keeping the UTC day
// would print 13 May. A value with a zone is therefore converted to Europe/Paris before
// its day is taken; a value without a zone (xsd:date, or a dateTime written in local
// time) is taken as written. An empty value gives the zero time.
func ParisDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if !strings.Contains(s, "T") {
		// xsd:date, with or without a zone: a day, not an instant.
		if len(s) >= 10 {
			if t, err := time.Parse("2006-01-02", s[:10]); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("date %q illisible", s)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.In(paris)
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	// No zone: local time of the server, which is Paris; the day is the one written.
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	return time.Time{}, fmt.Errorf("date %q illisible", s)
}
