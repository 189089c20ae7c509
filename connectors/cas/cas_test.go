package cas_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hypercerts/config"
	"hypercerts/connectors/cas"
	"hypercerts/connectors/cas/sim"
)

const service = "https://hypercerts.univ-demo.fr/"

var users = []sim.User{
	{ID: "jdupont", Password: "s3cret-Jdupont!", Attributes: map[string]sim.Values{
		"mail":                 {"jean.dupont@univ-demo.fr"},
		"supannEmpId":          {"12345"},
		"eduPersonAffiliation": {"staff", "employee"},
	}},
	{ID: "mmartin", Password: "Verrou-2024", Locked: true},
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, configure func(*sim.Server)) (*sim.Server, string) {
	t.Helper()
	s := sim.New(users)
	if configure != nil {
		configure(s)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, base
}

func client(t *testing.T, c cas.Config) *cas.Client {
	t.Helper()
	if c.Service == "" {
		c.Service = service
	}
	if c.Timeout == 0 {
		c.Timeout = 3 * time.Second
	}
	cl, err := cas.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// kinds checks err is of kind want and of no other kind.
func kinds(t *testing.T, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", want)
	}
	for _, k := range []error{cas.ErrBadCredentials, cas.ErrLocked, cas.ErrUnreachable, cas.ErrValidation} {
		if got := errors.Is(err, k); got != (k == want) {
			t.Fatalf("errors.Is(%v, %v) = %v", err, k, got)
		}
	}
	var ce *cas.Error
	if !errors.As(err, &ce) || ce.Hint() == "" {
		t.Fatalf("%v: not a *cas.Error with a hint", err)
	}
}

func TestR01_LoginSuccessWithAttributesAndLogout(t *testing.T) {
	s, base := start(t, nil)
	id, err := client(t, cas.Config{URL: base}).Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	if err != nil {
		t.Fatal(err)
	}
	if id.User != "jdupont" || id.Attribute("mail") != "jean.dupont@univ-demo.fr" {
		t.Fatalf("identity %+v", id)
	}
	if got := id.Attributes["eduPersonAffiliation"]; len(got) != 2 || got[0] != "staff" || got[1] != "employee" {
		t.Fatalf("multi-valued attribute: %q", got)
	}
	if s.Sessions() != 0 || s.Count("delete") != 1 {
		t.Fatalf("TGT left behind: sessions %d, deletes %d", s.Sessions(), s.Count("delete"))
	}
	// the caller maps the CAS identity to the Apogée user code
	m := config.UserMapping{Attribute: "supannEmpId"}
	if code := m.Map(id.User, id.Flat()); code != "12345" {
		t.Fatalf("mapped code %q", code)
	}
	m = config.UserMapping{Case: "upper"}
	if code := m.Map(id.User, id.Flat()); code != "JDUPONT" {
		t.Fatalf("mapped code %q", code)
	}
}

func TestR01_WrongPasswordAndUnknownUserAreBadCredentials(t *testing.T) {
	s, base := start(t, nil)
	c := client(t, cas.Config{URL: base})
	for _, tc := range []struct{ user, pw string }{{"jdupont", "wrong"}, {"nobody", "whatever"}, {"jdupont", ""}, {" ", "x"}} {
		_, err := c.Login(ctx(t), tc.user, tc.pw)
		kinds(t, err, cas.ErrBadCredentials)
		if !strings.Contains(err.Error(), "identifiant ou mot de passe incorrect") {
			t.Fatalf("message %q", err)
		}
	}
	if s.Count("st") != 0 || s.Sessions() != 0 {
		t.Fatal("no service ticket may be asked without a TGT")
	}
}

func TestR01_LockedAccount(t *testing.T) {
	for _, status := range []int{0, http.StatusLocked} { // Apereo 401 body, or 423
		_, base := start(t, func(s *sim.Server) { s.LockedStatus = status })
		_, err := client(t, cas.Config{URL: base}).Login(ctx(t), "mmartin", "Verrou-2024")
		kinds(t, err, cas.ErrLocked)
		if !strings.Contains(err.Error(), "compte verrouillé") {
			t.Fatalf("message %q", err)
		}
	}
}

func TestR01_Unreachable(t *testing.T) {
	s, base := start(t, nil)
	c := client(t, cas.Config{URL: base})
	if err := s.Down(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrUnreachable)
	if !strings.Contains(err.Error(), "serveur CAS injoignable") {
		t.Fatalf("message %q", err)
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	s.FailWith(http.StatusServiceUnavailable)
	_, err = c.Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrUnreachable)
	s.FailWith(0)
	if _, err := c.Login(ctx(t), "jdupont", "s3cret-Jdupont!"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	// wrong cas.url: the REST API is not there
	_, err = client(t, cas.Config{URL: base + "/nope"}).Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrUnreachable)
}

func TestR01_UnreachableTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var conns sync.WaitGroup
	conns.Add(1)
	go func() {
		defer conns.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(io.Discard, c)
	}()
	began := time.Now()
	_, err = client(t, cas.Config{URL: "http://" + ln.Addr().String() + "/cas", Timeout: 200 * time.Millisecond}).
		Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrUnreachable)
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("timeout not applied: %v", d)
	}
	_ = ln.Close()
}

func TestR01_RedirectIsNotFollowed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/cas/v1/tickets", http.StatusFound)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, err = client(t, cas.Config{URL: "http://" + ln.Addr().String() + "/cas"}).Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrUnreachable)
	if !strings.Contains(err.Error(), "redirection") {
		t.Fatalf("message %q", err)
	}
}

func TestR01_ValidationRefused(t *testing.T) {
	s, base := start(t, nil)
	s.RefuseValidation("INVALID_SERVICE")
	_, err := client(t, cas.Config{URL: base}).Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrValidation)
	var ce *cas.Error
	if !errors.As(err, &ce) || ce.Code != "INVALID_SERVICE" || !strings.Contains(err.Error(), "validation du ticket refusée") {
		t.Fatalf("error %v", err)
	}
	if s.Sessions() != 0 {
		t.Fatal("the TGT must be deleted even when validation fails")
	}
}

func TestR01_ServiceNotAuthorised(t *testing.T) {
	_, base := start(t, func(s *sim.Server) { s.Services = []string{"https://autre.univ-demo.fr/"} })
	_, err := client(t, cas.Config{URL: base}).Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrValidation)
}

// serviceTicket walks steps 1 and 2 by hand, to test Validate on its own.
func serviceTicket(t *testing.T, base, svc string) string {
	t.Helper()
	resp, err := http.PostForm(base+"/v1/tickets", url.Values{"username": {"jdupont"}, "password": {"s3cret-Jdupont!"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("tickets: %d", resp.StatusCode)
	}
	resp, err = http.PostForm(resp.Header.Get("Location"), url.Values{"service": {svc}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("st: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func TestR01_InvalidOrExpiredTicket(t *testing.T) {
	clk := &clock{t: time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)}
	_, base := start(t, func(s *sim.Server) { s.Now = clk.Now; s.STTTL = 10 * time.Second })
	c := client(t, cas.Config{URL: base})
	code := func(err error) string {
		t.Helper()
		kinds(t, err, cas.ErrValidation)
		var ce *cas.Error
		errors.As(err, &ce)
		return ce.Code
	}

	_, err := c.Validate(ctx(t), "ST-999-forged-sim")
	if got := code(err); got != "INVALID_TICKET" {
		t.Fatalf("unknown ticket: %s", got)
	}

	st := serviceTicket(t, base, service)
	if id, err := c.Validate(ctx(t), st); err != nil || id.User != "jdupont" {
		t.Fatalf("fresh ticket: %+v %v", id, err)
	}
	_, err = c.Validate(ctx(t), st) // single use
	if got := code(err); got != "INVALID_TICKET" {
		t.Fatalf("reused ticket: %s", got)
	}

	st = serviceTicket(t, base, service)
	clk.Add(11 * time.Second)
	_, err = c.Validate(ctx(t), st)
	if got := code(err); got != "INVALID_TICKET" || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired ticket: %v", err)
	}

	st = serviceTicket(t, base, "https://autre.example/")
	_, err = c.Validate(ctx(t), st)
	if got := code(err); got != "INVALID_SERVICE" {
		t.Fatalf("ticket for another service: %s", got)
	}
}

func TestR01_ExpiredOrUsedTGT(t *testing.T) {
	clk := &clock{t: time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)}
	s, base := start(t, func(s *sim.Server) { s.Now = clk.Now; s.TGTTTL = time.Minute })
	resp, err := http.PostForm(base+"/v1/tickets", url.Values{"username": {"jdupont"}, "password": {"s3cret-Jdupont!"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tgt := resp.Header.Get("Location")
	for i, want := range []int{http.StatusOK, http.StatusNotFound} { // single use
		r, err := http.PostForm(tgt, url.Values{"service": {service}})
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want {
			t.Fatalf("use %d: %d", i+1, r.StatusCode)
		}
	}
	if s.Sessions() != 1 {
		t.Fatalf("sessions %d", s.Sessions())
	}
	clk.Add(2 * time.Minute)
	if s.Sessions() != 0 {
		t.Fatal("expired TGT still counted")
	}
}

func TestR01_TLSWithConfiguredCA(t *testing.T) {
	s := sim.New(users)
	base, err := s.StartTLS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("base %s", base)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := s.WriteCAFile(caFile); err != nil {
		t.Fatal(err)
	}
	id, err := client(t, cas.Config{URL: base, CAFile: caFile}).Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	if err != nil || id.User != "jdupont" {
		t.Fatalf("TLS login with cas.ca_file: %+v %v", id, err)
	}
	if _, err := client(t, cas.Config{URL: base, RootCAs: s.CertPool()}).Login(ctx(t), "jdupont", "s3cret-Jdupont!"); err != nil {
		t.Fatalf("TLS login with RootCAs: %v", err)
	}
	// system roots do not know the simulator's CA
	_, err = client(t, cas.Config{URL: base}).Login(ctx(t), "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrUnreachable)
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("message %q", err)
	}
}

func TestR01_ConfigErrors(t *testing.T) {
	for _, c := range []cas.Config{
		{},
		{URL: "cas.univ.fr", Service: service},
		{URL: "ftp://cas.univ.fr/cas", Service: service},
		{URL: "https://cas.univ.fr/cas"},
		{URL: "https://cas.univ.fr/cas", Service: service, CAFile: filepath.Join(t.TempDir(), "absent.pem")},
	} {
		if _, err := cas.New(c); err == nil {
			t.Fatalf("%+v accepted", c)
		}
	}
}

func TestR01_CancelledContext(t *testing.T) {
	_, base := start(t, nil)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := client(t, cas.Config{URL: base}).Login(c, "jdupont", "s3cret-Jdupont!")
	kinds(t, err, cas.ErrUnreachable)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cause lost: %v", err)
	}
}

// TestR01_PasswordNeverLogged runs full logins (success, wrong password, locked,
// refused validation, CAS down) with the client and the simulator logging at DEBUG
// into one buffer, and checks neither the logs nor the errors hold a password or a
// whole ticket.
func TestR01_PasswordNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, base := start(t, func(s *sim.Server) { s.Log = log })
	c := client(t, cas.Config{URL: base, Log: log})
	secrets := []string{"s3cret-Jdupont!", "Verrou-2024", "mauvais-MDP-42"}
	var errs []string
	try := func(user, pw string) {
		if _, err := c.Login(ctx(t), user, pw); err != nil {
			errs = append(errs, err.Error())
		}
	}
	try("jdupont", "s3cret-Jdupont!")
	try("jdupont", "mauvais-MDP-42")
	try("mmartin", "Verrou-2024")
	s.RefuseValidation("INVALID_TICKET")
	try("jdupont", "s3cret-Jdupont!")
	s.RefuseValidation("")
	_ = s.Down()
	try("jdupont", "s3cret-Jdupont!")

	mu.Lock()
	logs := buf.String()
	mu.Unlock()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "jdupont") {
		t.Fatalf("the test logged nothing useful:\n%s", logs)
	}
	all := logs + strings.Join(errs, "\n")
	for _, p := range secrets {
		if strings.Contains(all, p) || strings.Contains(all, url.QueryEscape(p)) {
			t.Fatalf("password %q found in logs or errors:\n%s", p, all)
		}
	}
	for _, line := range strings.Split(logs, "\n") {
		for _, f := range strings.Fields(line) {
			if (strings.Contains(f, "TGT-") || strings.Contains(f, "ST-")) && !strings.Contains(f, "-…") {
				t.Fatalf("whole ticket in the logs: %s", line)
			}
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
