package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"hypercerts/attest"
	"hypercerts/verify/web"
)

// proxyServer serves the page on loopback, one check a minute per client, trusting
// the given proxies' X-Forwarded-For.
func proxyServer(t *testing.T, trusted ...string) *httptest.Server {
	t.Helper()
	key, err := attest.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	pubs := attest.PublicKeys{{ID: key.ID, Key: key.Public(), Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	var prefixes []netip.Prefix
	for _, s := range trusted {
		prefixes = append(prefixes, netip.MustParsePrefix(s))
	}
	srv := httptest.NewServer(web.Handler(web.Options{University: "Université de Démo",
		Keys:          func() (attest.PublicKeys, error) { return pubs, nil },
		RatePerMinute: 1, TrustedProxies: prefixes}))
	t.Cleanup(srv.Close)
	return srv
}

// status reads the key list (limited like a check) with the given X-Forwarded-For
// lines, as the reverse proxy (or a visitor) would send them.
func status(t *testing.T, srv *httptest.Server, xff ...string) int {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+attest.WellKnownPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Behind a trusted reverse proxy (the test's loopback peer), each visitor named by
// X-Forwarded-For has its own bucket, not one for the whole world.
func TestTrustedProxyTwoVisitorsTwoBuckets(t *testing.T) {
	srv := proxyServer(t, "127.0.0.0/8", "::1/128")
	if c := status(t, srv, "203.0.113.5"); c != 200 {
		t.Fatalf("visitor A's first check: %d", c)
	}
	if c := status(t, srv, "203.0.113.5"); c != 429 {
		t.Fatalf("visitor A's second check in a minute: %d, want 429", c)
	}
	if c := status(t, srv, "203.0.113.6"); c != 200 {
		t.Fatalf("visitor B limited by visitor A's checks: %d", c)
	}
	// IPv6 visitors still count per /64 behind the proxy.
	if c := status(t, srv, "2001:db8:1:2::1"); c != 200 {
		t.Fatalf("IPv6 visitor: %d", c)
	}
	if c := status(t, srv, "2001:db8:1:2::9"); c != 429 {
		t.Fatalf("same /64 is another client: %d", c)
	}
	// Nothing forwarded: the proxy itself is the client.
	if c := status(t, srv); c != 200 {
		t.Fatalf("the proxy's own request: %d", c)
	}
}

// A peer that is not a trusted proxy cannot escape the limit by writing
// X-Forwarded-For: its forged addresses are ignored, it is one client.
func TestUntrustedPeerForgingXForwardedForIsOneClient(t *testing.T) {
	for name, trusted := range map[string][]string{"no proxy trusted": nil, "another proxy trusted": {"192.0.2.10/32"}} {
		t.Run(name, func(t *testing.T) {
			srv := proxyServer(t, trusted...)
			if c := status(t, srv, "203.0.113.5"); c != 200 {
				t.Fatalf("first check: %d", c)
			}
			if c := status(t, srv, "203.0.113.6"); c != 429 {
				t.Fatalf("a forged X-Forwarded-For escaped the limit: %d", c)
			}
			if c := status(t, srv, "192.0.2.10, 198.51.100.1"); c != 429 {
				t.Fatalf("a forged chain escaped the limit: %d", c)
			}
		})
	}
}

// A chain of trusted proxies (a load balancer, then the HTTPS proxy): the client is
// the right-most address that is not a trusted proxy; what the visitor wrote to its
// left does not make a new client.
func TestChainOfTrustedProxiesRightMostUntrusted(t *testing.T) {
	srv := proxyServer(t, "127.0.0.0/8", "::1/128", "10.0.0.0/8")
	if c := status(t, srv, "203.0.113.5, 10.1.1.1, 10.2.2.2"); c != 200 {
		t.Fatalf("first check: %d", c)
	}
	// The visitor forges an address on the left: still 203.0.113.5.
	if c := status(t, srv, "198.51.100.1, 203.0.113.5, 10.1.1.1, 10.2.2.2"); c != 429 {
		t.Fatalf("a forged left-hand address made a new client: %d", c)
	}
	// Several header lines are one list: still 203.0.113.5.
	if c := status(t, srv, "198.51.100.2", "203.0.113.5, 10.1.1.1"); c != 429 {
		t.Fatalf("split header lines made a new client: %d", c)
	}
	if c := status(t, srv, "203.0.113.6, 10.1.1.1"); c != 200 {
		t.Fatalf("another visitor through the same chain: %d", c)
	}
	// An address with a port (some proxies add one) is the same client.
	if c := status(t, srv, "203.0.113.6:4711, 10.1.1.1"); c != 429 {
		t.Fatalf("a port made a new client: %d", c)
	}
}

// A malformed X-Forwarded-For from a trusted proxy is not believed: the peer (the
// proxy) is the client, whatever the garbage says.
func TestMalformedXForwardedForFallsBackToPeer(t *testing.T) {
	srv := proxyServer(t, "127.0.0.0/8", "::1/128", "10.0.0.0/8")
	if c := status(t, srv, "pas-une-adresse"); c != 200 {
		t.Fatalf("first check: %d", c)
	}
	for _, bad := range []string{"autre-chose", "203.0.113.5, 10.1.1.1,", "203.0.113.7, 999.1.1.1", "unknown"} {
		if c := status(t, srv, bad); c != 429 {
			t.Errorf("malformed %q made a new client: %d", bad, c)
		}
	}
	// Garbage left of the right-most untrusted address is the visitor's own: ignored.
	if c := status(t, srv, "n'importe quoi, 203.0.113.8, 10.1.1.1"); c != 200 {
		t.Fatalf("a visitor's garbage on the left cost it its check: %d", c)
	}
}
