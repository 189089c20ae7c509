package daemon

import (
	"fmt"
	"testing"
	"time"
)

func TestR01_LoginAttemptsLimitedPerAddressAndPerAccount(t *testing.T) {
	l := newLimiter(4, 2, time.Minute)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	// Per account: 2 tries, from any address.
	for i, addr := range []string{"10.0.0.1", "10.0.0.2"} {
		if _, _, ok := l.reserve(addr, "gest", t0); !ok {
			t.Fatalf("try %d refused", i+1)
		}
	}
	if _, wait, ok := l.reserve("10.0.0.3", "GEST", t0.Add(time.Second)); ok || wait != 59*time.Second {
		t.Fatalf("3rd try on the account from a 3rd address: ok=%v wait=%v; want refused for 59 s", ok, wait)
	}
	// Per address: 4 tries, whatever the accounts (an office behind one NAT).
	for i := range 2 {
		if _, _, ok := l.reserve("10.0.0.1", fmt.Sprintf("u%d", i), t0); !ok {
			t.Fatalf("address try %d refused", i+2)
		}
	}
	if _, _, ok := l.reserve("10.0.0.1", "u9", t0); !ok {
		t.Fatal("4th try from the address refused, limit is 4")
	}
	if _, _, ok := l.reserve("10.0.0.1", "u10", t0); ok {
		t.Fatal("5th try from the address accepted")
	}
	// A successful login gives its attempt back.
	a, _, ok := l.reserve("10.0.0.5", "ok", t0)
	if !ok {
		t.Fatal("refused")
	}
	l.release(a)
	if n := len(l.acc["OK"]) + len(l.addr["10.0.0.5"]); n != 0 {
		t.Fatalf("released attempt still counted (%d)", n)
	}
	// After the window everything is allowed again, and old entries are forgotten.
	if _, _, ok := l.reserve("10.0.0.1", "gest", t0.Add(2*time.Minute)); !ok {
		t.Fatal("still blocked after the window")
	}
	for i := range 1000 {
		l.reserve(fmt.Sprintf("192.0.2.%d", i), fmt.Sprint(i), t0.Add(2*time.Minute))
	}
	l.reserve("10.0.0.9", "x", t0.Add(time.Hour))
	if len(l.addr) != 1 || len(l.acc) != 1 {
		t.Fatalf("%d addresses, %d accounts remembered; want 1 each", len(l.addr), len(l.acc))
	}
}

func TestASCIIFoldsFrenchForOpenSSHPrompts(t *testing.T) {
	got := ascii("Essai refusé : « compte verrouillé » — réessayez")
	for _, r := range got {
		if r >= 0x80 {
			t.Fatalf("non-ASCII left in %q", got)
		}
	}
	if got != `Essai refuse : " compte verrouille " - reessayez` {
		t.Fatalf("got %q", got)
	}
}
