package web_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"hypercerts/attest"
)

// What a stranger may send the public page: other methods, path tricks, query strings,
// garbage and oversized tokens, very long URLs. Each gets the right status, a French
// page (or none for HEAD), the security headers, and nothing of the attestation.
func TestHostileRequestsGetTheRightStatus(t *testing.T) {
	f := newFixture(t, 1000)
	good := attest.URL(f.srv.URL, f.token)
	huge := strings.Repeat("A", attest.MaxToken+1)
	for _, c := range []struct {
		method, url string
		code        int
		want        string // in the body ("" for HEAD)
	}{
		{"GET", good + "?utm_source=x&a;b", 200, "Attestation authentique"},
		{"GET", good + "#fragment", 200, "Attestation authentique"},
		{"HEAD", good, 200, ""},
		{"HEAD", f.srv.URL + "/", 200, ""},
		{"POST", good, 405, "Méthode non autorisée"},
		{"PUT", f.srv.URL + attest.WellKnownPath, 405, "Méthode non autorisée"},
		{"DELETE", f.srv.URL + "/", 405, "Méthode non autorisée"},
		{"OPTIONS", good, 405, "Méthode non autorisée"},
		{"GET", good + "/extra", 404, "Page introuvable"},
		{"GET", f.srv.URL + "/A/" + f.token, 404, "Page introuvable"},
		{"GET", f.srv.URL + "/a/" + f.token[:40] + "%2Fa%2F" + f.token[40:], 400, "QR code invalide"},
		{"GET", f.srv.URL + "/a/%00%ff%3Cscript%3E", 400, "QR code invalide"},
		{"GET", f.srv.URL + "/a/" + "ABC+DEF=", 400, "QR code invalide"},
		{"GET", f.srv.URL + "/a/not-a-token", 400, "QR code invalide"},
		{"GET", f.srv.URL + "/a/" + huge, 400, "QR code invalide"},
		{"GET", f.srv.URL + "/.well-known/", 404, "Page introuvable"},
		{"GET", f.srv.URL + "/.git/config", 404, "Page introuvable"},
	} {
		req, _ := http.NewRequest(c.method, c.url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %.80s: %v", c.method, c.url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		name := c.method + " " + strings.TrimPrefix(c.url, f.srv.URL)
		if len(name) > 90 {
			name = name[:90] + "…"
		}
		if resp.StatusCode != c.code {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, c.code)
			continue
		}
		if c.method == "HEAD" && len(body) != 0 {
			t.Errorf("%s: a body on HEAD", name)
		}
		if c.want != "" && !strings.Contains(string(body), c.want) {
			t.Errorf("%s: no %q in\n%s", name, c.want, body)
		}
		if c.code != 200 && strings.Contains(string(body), "DIAYE") {
			t.Errorf("%s: shows the attestation", name)
		}
		if c.code == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: Allow %q", name, resp.Header.Get("Allow"))
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", name, h, got, want)
			}
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", name, resp.Header.Get("Content-Security-Policy"))
		}
	}
	// A stranger's token may put anything where the reference goes: the log has none of it.
	other, _ := attest.NewKey()
	forged, _ := attest.Sign(other, attest.Claims{Reference: "Jean MARTIN né le 02/03/2001", Name: "Jean MARTIN", Label: "L", Issued: "2026-01-01", Issuer: "U"})
	if code, _, body := get(t, attest.URL(f.srv.URL, forged)); code != 200 || !strings.Contains(body, "Signature inconnue") {
		t.Errorf("forged: %d\n%s", code, body)
	}
	if logs := f.logs.String(); strings.Contains(logs, "MARTIN") || strings.Contains(logs, "%00") || strings.Contains(logs, "127.0.0.1") {
		t.Errorf("logs hold what a stranger sent or the client's address:\n%s", logs)
	}
}

// The revoked page is not kept by a cache (a revocation must show at once); the key
// list is cacheable and may be fetched by another site's page.
func TestRevokedNotCachedKeysCacheable(t *testing.T) {
	f := newFixture(t, 100)
	_, hdr, _ := get(t, f.srv.URL+attest.WellKnownPath)
	if !strings.Contains(hdr.Get("Cache-Control"), "max-age") || hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("keys: %v", hdr)
	}
	_, hdr, _ = get(t, attest.URL(f.srv.URL, f.token))
	if hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("check page Cache-Control %q", hdr.Get("Cache-Control"))
	}
}

// When the base cannot say whether the attestation was revoked, the page says so in its
// title, not only in small print.
func TestPageSaysWhenRevocationUnchecked(t *testing.T) {
	f := newFixture(t, 100)
	f.revokedErr = errors.New("base indisponible")
	code, _, body := get(t, attest.URL(f.srv.URL, f.token))
	if code != 200 || !strings.Contains(body, "<title>Attestation authentique, révocation non vérifiée") ||
		!strings.Contains(body, "n&#39;a pas pu être vérifié") {
		t.Errorf("%d\n%s", code, body)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "base indisponible") {
		t.Errorf("the operator is not told:\n%s", logs)
	}
}
