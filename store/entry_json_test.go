package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"hypercerts/domain"
)

// appendEntry writes exactly json.Marshal's bytes for any entry: every field of
// domain.Entry (found by reflection, so a field added later is covered) set at
// random, strings full of what encoding/json escapes.
func TestAppendEntryIsJSONMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 1))
	for i := range 3000 {
		var e domain.Entry
		fill(rng, reflect.ValueOf(&e).Elem(), i%4 == 0)
		want, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeEntry(&e)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("entry %d:\nencodeEntry  %s\njson.Marshal %s\n(a field of domain.Entry not written by appendEntry?)", i, got, want)
		}
	}
}

// A time json.Marshal refuses is refused the same way, not written.
func TestEncodeEntryRefusesWhatJSONRefuses(t *testing.T) {
	e := domain.Entry{UpdatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, want := json.Marshal(&e)
	_, err := encodeEntry(&e)
	if want == nil || err == nil || err.Error() != want.Error() {
		t.Fatalf("encodeEntry error %v, json.Marshal error %v", err, want)
	}
}

// fill sets v to random values; sparse leaves about half the fields zero (nil
// slices, empty strings, zero times, false) to cover what omitempty and null depend on.
func fill(rng *rand.Rand, v reflect.Value, sparse bool) {
	if sparse && rng.IntN(2) == 0 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(randString(rng))
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(rng.Int64N(2000) - 1000)
	case reflect.Slice:
		n := rng.IntN(4) // 0: an empty, non-nil slice
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(rng, s.Index(i), false)
		}
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			zones := []*time.Location{time.UTC, time.FixedZone("", 2*3600), time.FixedZone("", -9*3600-30*60)}
			at := time.Unix(rng.Int64N(4e9)-1e9, rng.Int64N(2)*rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
			v.Set(reflect.ValueOf(at))
			return
		}
		for i := range v.NumField() {
			fill(rng, v.Field(i), sparse)
		}
	default:
		panic("fill: kind " + v.Kind().String() + " of " + v.Type().String() + " not handled: teach fill and appendEntry")
	}
}

func randString(rng *rand.Rand) string {
	parts := []string{"a", "Zoé", "É", " ", `"`, `\`, "<", ">", "&", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"\u2028", "\u2029", "\xff", "\xe2\x80", "日本", "😀", "é", "ADM", "mail_failed", "/", "'"}
	var b []byte
	for range rng.IntN(8) {
		b = append(b, parts[rng.IntN(len(parts))]...)
	}
	return string(b)
}
