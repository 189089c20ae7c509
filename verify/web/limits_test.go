package web

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The limiter really limits each client, forgets idle ones, and stays bounded in memory
// when a flood comes from ever new addresses (IPv6 counts per /64).
func TestRateLimiterPerClientAndBoundedMemory(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	l := newLimiter(3, 100, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if !l.allow("192.0.2.1") {
			t.Fatalf("check %d refused", i+1)
		}
	}
	if l.allow("192.0.2.1") {
		t.Fatal("4th check in a minute allowed")
	}
	if !l.allow("192.0.2.2") {
		t.Fatal("another client refused")
	}
	now = now.Add(20 * time.Second) // one check back (3 a minute)
	if !l.allow("192.0.2.1") || l.allow("192.0.2.1") {
		t.Fatal("refill is not 3 a minute")
	}
	// A flood from 20 000 addresses: memory stays bounded, the newcomers share one bucket.
	allowed := 0
	for i := 0; i < 20000; i++ {
		if l.allow(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)) {
			allowed++
		}
	}
	if n := l.clients(); n > 100 {
		t.Errorf("%d clients remembered, bound 100", n)
	}
	if allowed > 100+3 {
		t.Errorf("%d checks of the flood allowed in the same instant", allowed)
	}
	now = now.Add(2 * time.Minute) // idle clients are forgotten
	l.allow("192.0.2.9")
	if n := l.clients(); n != 1 {
		t.Errorf("%d clients remembered after two idle minutes", n)
	}

	for _, c := range []struct{ a, b string }{
		{"[2001:db8:1:2::1]:5000", "[2001:db8:1:2:ffff::7]:6000"},
		{"192.0.2.1:5000", "[::ffff:192.0.2.1]:6000"},
	} {
		ra, rb := httptest.NewRequest("GET", "/", nil), httptest.NewRequest("GET", "/", nil)
		ra.RemoteAddr, rb.RemoteAddr = c.a, c.b
		if clientKey(ra, nil) != clientKey(rb, nil) {
			t.Errorf("%s and %s are two clients: %s, %s", c.a, c.b, clientKey(ra, nil), clientKey(rb, nil))
		}
	}
	ra, rb := httptest.NewRequest("GET", "/", nil), httptest.NewRequest("GET", "/", nil)
	ra.RemoteAddr, rb.RemoteAddr = "[2001:db8:1:2::1]:1", "[2001:db8:1:3::1]:1"
	if clientKey(ra, nil) == clientKey(rb, nil) {
		t.Error("two /64 are one client")
	}
}

// Slowloris: a client that never finishes its headers is cut off by ReadHeaderTimeout,
// and one that stays idle by IdleTimeout; the server's timeouts are all set.
func TestSlowClientsAreCutOff(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes == 0 {
		t.Fatalf("a timeout or bound is unset: %+v", srv)
	}
	old := readHeaderTimeout
	readHeaderTimeout = 300 * time.Millisecond
	t.Cleanup(func() { readHeaderTimeout = old })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv = newServer(http.NotFoundHandler())
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	// A URL past maxHeaderBytes: net/http's 431, not a token decoded.
	resp, err := http.Get("http://" + ln.Addr().String() + "/a/" + strings.Repeat("A", 2*maxHeaderBytes))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("very long URL: %d", resp.StatusCode)
	}
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /a/x HTTP/1.1\r\nHost: x\r\nX-Slow: ") // never ends
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	// net/http closes the connection (possibly after a 408): never a hang until our deadline.
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a slow client's connection open")
	}
	if line != "" && !strings.Contains(line, "408") {
		t.Errorf("answer to a slow client: %q", line)
	}
}
