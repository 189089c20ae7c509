package web_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/verify"
	"hypercerts/verify/web"

	"hypercerts/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the screenshot docs/verify-page.png")

type fixture struct {
	srv     *httptest.Server
	key     *attest.PrivateKey
	token   string
	revoked *domain.Revocation
	// revokedErr: the base fails when asked about revocation.
	revokedErr error
	logs       bytes.Buffer
}

func newFixture(t *testing.T, rate int) *fixture {
	t.Helper()
	f := &fixture{}
	var err error
	if f.key, err = attest.NewKey(); err != nil {
		t.Fatal(err)
	}
	f.token, err = attest.Sign(f.key, attest.Claims{Reference: domain.CampaignReference("C1", "21900042"),
		Name: "Élodie Marie-Hélène N'DIAYE", BirthDate: "2001-03-01",
		Label: "Licence Sciences, technologies, santé mention Mathématiques parcours Mathématiques fondamentales",
		Year:  "2024-2025", Mention: "Assez bien", ECTS: "180", Issued: "2026-11-23", Issuer: "Université de Démo", Student: "21900042"})
	if err != nil {
		t.Fatal(err)
	}
	pubs := attest.PublicKeys{{ID: f.key.ID, Key: f.key.Public(), Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	h := web.Handler(web.Options{University: "Université de Démo",
		Keys:          func() (attest.PublicKeys, error) { return pubs, nil },
		Checker:       verify.Checker{Revoked: func(string) (*domain.Revocation, error) { return f.revoked, f.revokedErr }},
		RatePerMinute: rate, Log: slog.New(slog.NewTextHandler(&f.logs, nil))})
	f.srv = httptest.NewServer(h) // loopback
	t.Cleanup(f.srv.Close)
	return f
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestPageSaysAuthenticRevokedOrInvalid(t *testing.T) {
	f := newFixture(t, 100)
	url := attest.URL(f.srv.URL, f.token)
	code, hdr, body := get(t, url)
	if code != 200 || !strings.Contains(body, "Attestation authentique") || !strings.Contains(body, "Élodie Marie-Hélène N&#39;DIAYE") {
		t.Fatalf("authentic: %d\n%s", code, body)
	}
	if hdr.Get("Referrer-Policy") != "no-referrer" || hdr.Get("Cache-Control") != "no-store" || !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("headers: %v", hdr)
	}
	if !strings.Contains(body, `lang="fr"`) || !strings.Contains(body, `name="viewport"`) || !strings.Contains(body, `role="status"`) {
		t.Error("page not marked French, phone-ready and accessible")
	}
	// No personal data in the logs: the reference and the verdict only.
	if logs := f.logs.String(); strings.Contains(logs, "DIAYE") || strings.Contains(logs, "2001") || !strings.Contains(logs, domain.CampaignReference("C1", "21900042")) {
		t.Errorf("logs: %s", logs)
	}

	f.revoked = &domain.Revocation{Reference: "x", At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), By: "gest", Reason: "note corrigée par le jury"}
	if _, _, body := get(t, url); !strings.Contains(body, "Attestation révoquée") || !strings.Contains(body, "01/12/2026") || !strings.Contains(body, "note corrigée par le jury") {
		t.Errorf("revoked:\n%s", body)
	}
	if _, _, body := get(t, f.srv.URL+"/a/not-a-token"); !strings.Contains(body, "QR code invalide") {
		t.Errorf("invalid:\n%s", body)
	}
	other, _ := attest.NewKey()
	forged, _ := attest.Sign(other, attest.Claims{Reference: "R", Name: "X", Label: "L", Issued: "2026-01-01", Issuer: "Université de Démo"})
	if _, _, body := get(t, attest.URL(f.srv.URL, forged)); !strings.Contains(body, "Signature inconnue") {
		t.Errorf("unknown key:\n%s", body)
	}
	// No listing, no search.
	for _, path := range []string{"/a/", "/search?q=DIAYE", "/list"} {
		if code, _, body := get(t, f.srv.URL+path); code != 404 || strings.Contains(body, "DIAYE") {
			t.Errorf("%s: %d", path, code)
		}
	}
}

func TestKeyListAtWellKnownURL(t *testing.T) {
	f := newFixture(t, 100)
	code, hdr, body := get(t, f.srv.URL+attest.WellKnownPath)
	if code != 200 || hdr.Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("%d %v", code, hdr)
	}
	pubs, err := attest.ParseJWKS([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := attest.Verify(f.token, pubs); err != nil { // offline verification with the published list
		t.Fatal(err)
	}
	var set map[string]any
	if json.Unmarshal([]byte(body), &set) != nil {
		t.Fatal("not JSON")
	}
}

func TestRateLimited(t *testing.T) {
	f := newFixture(t, 3)
	url := attest.URL(f.srv.URL, f.token)
	for i := 0; i < 3; i++ {
		if code, _, _ := get(t, url); code != 200 {
			t.Fatalf("check %d: %d", i+1, code)
		}
	}
	code, hdr, body := get(t, url)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(body, "Trop de vérifications") {
		t.Fatalf("4th check in a minute: %d\n%s", code, body)
	}
}

// A real browser at phone width: headless Chromium loads the page; the test reads what
// it rendered (the DOM after layout) and keeps a screenshot for the docs.
func TestPageInChromiumAtPhoneWidth(t *testing.T) {
	bin, err := exec.LookPath("chromium-browser") // Ubuntu's name; Debian's below
	if err != nil {
		bin = testenv.Tool(t, "chromium", "chromium")
	}
	f := newFixture(t, 100)
	url := attest.URL(f.srv.URL, f.token)
	dir := t.TempDir()
	shot := filepath.Join(dir, "page.png")
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=390,1100", "--force-device-scale-factor=1"}
	out, err := exec.Command(bin, append(args, "--dump-dom", url)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	dom := string(out)
	for _, want := range []string{"Attestation authentique", "Élodie Marie-Hélène N'DIAYE", "Licence Sciences, technologies, santé",
		"Assez bien", "Référence"} {
		if !strings.Contains(dom, want) {
			t.Errorf("Chromium shows no %q:\n%s", want, dom)
		}
	}
	if o, err := exec.Command(bin, append(args, "--screenshot="+shot, url)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, o)
	}
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("no screenshot: %v", err)
	}
	if *update {
		if err := os.WriteFile("../../docs/verify-page.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
