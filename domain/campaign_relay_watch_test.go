package domain

import (
	"errors"
	"testing"
)

// R17: a mail acknowledged after others failed, but sent before they did, does not
// clear the failing streak: those students are given back at suspension (not spent).
func TestR17_LateSuccessDoesNotClearTheStreak(t *testing.T) {
	t.Parallel()
	w := newRelayWatch()
	down := errors.New("421 queue unavailable")
	a, b, c := &Entry{}, &Entry{}, &Entry{}
	inFlight := w.mark() // sent while the relay still answered
	w.failed(a, down, 2)
	w.ok(inFlight) // acknowledged after a's failure
	w.failed(b, down, 2)
	suspended, streak, _ := w.outcome()
	if !suspended || len(streak) != 2 || streak[0] != a || streak[1] != b {
		t.Fatalf("suspended %v, streak %v: want both failures given back", suspended, streak)
	}

	// A send begun after a failure that succeeds shows the relay works: streak cleared.
	w = newRelayWatch()
	w.failed(a, down, 2)
	after := w.mark()
	w.ok(after)
	w.failed(c, down, 2)
	if suspended, streak, _ := w.outcome(); suspended || len(streak) != 1 || streak[0] != c {
		t.Fatalf("suspended %v, streak %v: want only the failure after the success", suspended, streak)
	}
}
