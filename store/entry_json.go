package store

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"hypercerts/domain"
)

// Encoding entries.
//
// An entry is written at launch and again at every state change of a campaign run
// (two per mailed student), and encoding/json's reflection was 15 % of the run's CPU.
// appendEntry writes the same bytes as json.Marshal(&entry) — the stored format does
// not change, and json.Unmarshal still reads entries — field by field, without
// reflection. TestAppendEntryIsJSONMarshal compares both on random entries whose every
// field, found by reflection, is set: a field added to Entry (or to what it holds)
// without being added here fails that test.

// encodeEntry is json.Marshal(e), faster.
func encodeEntry(e *domain.Entry) ([]byte, error) {
	if b, ok := appendEntry(make([]byte, 0, 768), e); ok {
		return b, nil
	}
	return json.Marshal(e) // a time encoding/json refuses: its error, word for word
}

// appendEntry appends json.Marshal(e)'s bytes to b; ok is false when a time cannot be
// written in RFC 3339 (a year outside 0–9999), which json.Marshal refuses.
func appendEntry(b []byte, e *domain.Entry) (_ []byte, ok bool) {
	s := &e.Student
	b = appendField(b, `{"Student":{"Code":`, s.Code)
	b = appendField(b, `,"IndividualCode":`, s.IndividualCode)
	b = appendField(b, `,"INE":`, s.INE)
	b = appendField(b, `,"Email":`, s.Email)
	b = appendField(b, `,"LastName":`, s.LastName)
	b = appendField(b, `,"FirstName1":`, s.FirstName1)
	b = appendField(b, `,"FirstName2":`, s.FirstName2)
	if b, ok = appendTime(append(b, `,"BirthDate":`...), s.BirthDate); !ok {
		return b, false
	}
	b = appendField(b, `,"BirthPlace":`, s.BirthPlace)
	b = appendField(b, `,"Sex":`, s.Sex)
	b = appendStrings(append(b, `},"VETs":`...), e.VETs)
	b = strconv.AppendInt(append(b, `,"Verdict":`...), int64(e.Verdict), 10)
	b = strconv.AppendInt(append(b, `,"Session":`...), int64(e.Session), 10)
	b = appendField(b, `,"Result":`, e.Result)
	b = appendField(b, `,"Mention":{"Code":`, e.Mention.Code)
	b = appendField(b, `,"Label":`, e.Mention.Label)
	b = appendField(b, `},"ECTS":`, e.ECTS)
	b = strconv.AppendBool(append(b, `,"Delivery":`...), e.Delivery)
	b = append(b, `,"Blockings":`...)
	if e.Blockings == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, bl := range e.Blockings {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendField(b, `{"Code":`, bl.Code)
			b = appendField(b, `,"Label":`, bl.Label)
			b = appendField(b, `,"TypeCode":`, bl.TypeCode)
			b = appendField(b, `,"TypeLabel":`, bl.TypeLabel)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if e.RuleEligible { // `json:",omitempty"`
		b = append(b, `,"RuleEligible":true`...)
	}
	b = strconv.AppendBool(append(b, `,"Eligible":`...), e.Eligible)
	b = appendStrings(append(b, `,"Reasons":`...), e.Reasons)
	b = appendField(b, `,"Recipient":`, e.Recipient)
	b = appendField(b, `,"RealRecipient":`, e.RealRecipient)
	b = appendField(b, `,"Err":`, e.Err)
	b = appendField(b, `,"Reference":`, e.Reference)
	b = appendField(b, `,"State":`, string(e.State))
	b = strconv.AppendInt(append(b, `,"Attempts":`...), int64(e.Attempts), 10)
	b = appendField(b, `,"LastError":`, e.LastError)
	b = strconv.AppendBool(append(b, `,"Retryable":`...), e.Retryable)
	b = appendField(b, `,"Batch":`, e.Batch)
	if b, ok = appendTime(append(b, `,"UpdatedAt":`...), e.UpdatedAt); !ok {
		return b, false
	}
	return append(b, '}'), true
}

func appendField(b []byte, name, s string) []byte { return appendString(append(b, name...), s) }

// appendStrings is a []string as encoding/json writes it: null when nil.
func appendStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendTime is time.Time.MarshalJSON without its allocation.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	b = append(b, '"')
	b, err := t.AppendText(b) // MarshalJSON's strict RFC 3339, quoted
	if err != nil {
		return b, false
	}
	return append(b, '"'), true
}

// appendString quotes s as encoding/json does by default (Go's encoding/json
// appendString with escapeHTML, encode.go): `"` and `\` escaped, \b \f \n \r \t,
// other control bytes and < > & as \u00XX, invalid UTF-8 as \ufffd, U+2028 and
// U+2029 escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
