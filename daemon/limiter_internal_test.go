package daemon

import (
	"fmt"
	"testing"
	"time"
)

func TestR01_FailedLoginsRateLimitedPerAddress(t *testing.T) {
	l := &limiter{max: 3, window: time.Minute, fails: map[string][]time.Time{}}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if l.blocked("10.0.0.1", t0) {
			t.Fatalf("blocked after %d failures, want 3", i)
		}
		l.fail("10.0.0.1", t0)
	}
	if !l.blocked("10.0.0.1", t0.Add(time.Second)) {
		t.Fatal("a 4th try within the window is not blocked")
	}
	if l.blocked("10.0.0.2", t0) {
		t.Fatal("another address is blocked too")
	}
	if l.blocked("10.0.0.1", t0.Add(2*time.Minute)) {
		t.Fatal("still blocked after the window")
	}
	// Failures from many addresses are forgotten once old: the map does not grow forever.
	for i := range 1000 {
		l.fail(fmt.Sprintf("192.0.2.%d", i), t0)
	}
	l.fail("10.0.0.9", t0.Add(time.Hour))
	if len(l.fails) != 1 {
		t.Fatalf("%d addresses remembered, want 1", len(l.fails))
	}
}
