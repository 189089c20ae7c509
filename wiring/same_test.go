package wiring_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hypercerts/app"
	"hypercerts/connectors/apogee"
	cassim "hypercerts/connectors/cas/sim"
	"hypercerts/doctor"
	"hypercerts/internal/smtptest"
)

// The app and doctor read one configuration through this package, so doctor's probes
// reach what the product will use: the same web-service paths and namespaces, the
// same SMTP relay with the same EHLO name, the same CAS endpoint. Each outside system
// is a server on loopback that records what it is sent; the app's connectors and
// doctor's probes must leave the same traces, the configured (non-default) ones.
func TestAppAndDoctorReachTheSameServersWithTheSameSettings(t *testing.T) {
	ws := &recorder{}
	wsSrv := httptest.NewServer(ws)
	t.Cleanup(wsSrv.Close)
	relay := smtptest.Start(t, false)
	casSim := cassim.New([]cassim.User{{ID: "gest", Password: "secret"}})
	casURL, err := casSim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { casSim.Close() })

	dir := t.TempDir()
	host, port, _ := net.SplitHostPort(relay.Addr)
	cfgPath := filepath.Join(dir, "application.yaml")
	if err := os.WriteFile(cfgPath, []byte(`university:
  name: "Université de Test"
  city: "Besançon"
apogee:
  ws:
    base_url: `+wsSrv.URL+`/apo
    timeout: 5s
    services:
      etudiant: {path: /site/etu, namespace: "urn:site:etudiant"}
      offre_formation: {path: /site/of, namespace: "urn:site:of"}
      pedagogique: {path: /site/peda, namespace: "urn:site:peda"}
      referentiel: {path: /site/ref, namespace: "urn:site:ref"}
  db:
    dsn_env: HYPERCERTS_WIRING_DSN
  signer:
    code: PRES
delivery:
  mode: mail
mail:
  smtp:
    host: `+host+`
    port: `+port+`
    security: none
    helo: hypercerts.univ-test.fr
    timeout: 5s
  from: "Scolarité <scolarite@univ-test.fr>"
store:
  path: `+filepath.Join(dir, "hypercerts.db")+`
cas:
  url: `+casURL+`
  service: https://hypercerts.univ-test.fr/
  timeout: 5s
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HYPERCERTS_WIRING_DSN", "oracle://u:p@127.0.0.1:1/nothing") // Apogée's database down: tolerated
	t.Setenv("HYPERCERTS_SIGNER_KEY", "0123456789abcdef")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The app: its web services, its mailer, its CAS sign-in.
	a, err := app.Open(ctx, app.Options{ConfigPath: cfgPath})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, s := range apogee.Services {
		_ = a.Apogee.WS.Probe(ctx, s)
	}
	checker, ok := a.Engine.Deps().Mailer.(interface{ Check(context.Context) error })
	if !ok {
		t.Fatalf("the app's mailer %T has no Check", a.Engine.Deps().Mailer)
	}
	if err := checker.Check(ctx); err != nil {
		t.Fatalf("the app's mailer: %v", err)
	}
	login, err := a.LoginFunc()
	if err != nil || login == nil {
		t.Fatalf("login: %v", err)
	}
	_, _ = login(ctx, "gest", "secret") // signed in by the CAS; Apogée, down, then refuses
	appWS, appHELO, appCAS := ws.take(), relay.Helos(), casSim.Count("validate")

	// doctor, on the same configuration.
	doctor.Run(ctx, a.Config, doctor.Options{Timeout: 10 * time.Second})
	docWS, docHELO, docCAS := ws.take(), relay.Helos()[len(appHELO):], casSim.Count("validate")-appCAS

	want := []string{"/apo/site/etu urn:site:etudiant", "/apo/site/of urn:site:of", "/apo/site/peda urn:site:peda", "/apo/site/ref urn:site:ref"}
	if !slices.Equal(appWS, want) {
		t.Errorf("the app's web-service calls: %q, want %q", appWS, want)
	}
	if !slices.Equal(docWS, appWS) {
		t.Errorf("doctor's web-service probes %q differ from the app's %q", docWS, appWS)
	}
	if !slices.Equal(appHELO, []string{"hypercerts.univ-test.fr"}) || !slices.Equal(docHELO, appHELO) {
		t.Errorf("EHLO names: app %q, doctor %q, want the configured hypercerts.univ-test.fr", appHELO, docHELO)
	}
	if appCAS != 1 || docCAS != 1 {
		t.Errorf("CAS serviceValidate: reached %d times by the app's sign-in, %d times by doctor, want once each", appCAS, docCAS)
	}
}

// recorder answers every call with an HTTP 500 and keeps "path namespace" of each
// SOAP request (the namespace of the body's wrapper element).
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	ns := ""
	if _, after, ok := strings.Cut(string(b), "<soap:Body>"); ok || strings.Contains(string(b), "Body>") {
		if !ok {
			_, after, _ = strings.Cut(string(b), "Body>")
		}
		if _, v, ok := strings.Cut(after, `xmlns`); ok {
			if _, v, ok = strings.Cut(v, `"`); ok {
				ns, _, _ = strings.Cut(v, `"`)
			}
		}
	}
	r.mu.Lock()
	r.seen = append(r.seen, req.URL.Path+" "+ns)
	r.mu.Unlock()
	http.Error(w, "enregistré", http.StatusInternalServerError)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	slices.Sort(out)
	return slices.Compact(out)
}
