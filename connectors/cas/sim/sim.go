// Package sim is a CAS server for tests and the demo: it speaks the CAS REST protocol
// (POST /cas/v1/tickets, POST /cas/v1/tickets/{TGT}, DELETE /cas/v1/tickets/{TGT}) and
// validates service tickets (GET /cas/p3/serviceValidate, /cas/serviceValidate) as an
// Apereo CAS does, on loopback only, over HTTP or TLS with a generated certificate.
//
// Tickets: a TGT issues TGTUses service tickets (1 by default) and expires after TGTTTL;
// a service ticket is consumed by its first validation, good or bad, and expires after
// STTTL. Accounts come from a YAML file (see ParseUsers). Failures can be injected:
// Down closes the listener, FailWith answers every request with a status,
// RefuseValidation makes serviceValidate answer authenticationFailure.
//
// Like Apereo CAS, a wrong password answers 401 with the JSON body
// {"authentication_exceptions":["FailedLoginException"]} (AccountNotFoundException for
// an unknown user); a locked account answers 401 naming AccountLockedException, or
// LockedStatus (e.g. 423) when set.
package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Path is where the simulated CAS lives under its host.
const Path = "/cas"

// Server is the simulated CAS. Set the exported fields before Start.
type Server struct {
	TGTTTL       time.Duration    // TGT lifetime (default 8h)
	STTTL        time.Duration    // service ticket lifetime (default 10s)
	TGTUses      int              // service tickets a TGT may issue (default 1; <0: unlimited)
	Services     []string         // allowed service URL prefixes; empty: any service
	LockedStatus int              // status for a locked account (default 401 with the Apereo body)
	Addr         string           // listen address, loopback only (default 127.0.0.1:0)
	Now          func() time.Time // clock (default time.Now)
	Log          *slog.Logger     // requests at DEBUG (never passwords nor whole tickets)

	mu      sync.Mutex
	users   map[string]User
	tgts    map[string]*tgt
	sts     map[string]*st
	seq     int
	refuse  string // injected serviceValidate failure code
	fail    int    // injected status on every request
	ln      net.Listener
	srv     *http.Server
	addr    string // actual address once started
	tlsConf *tls.Config
	caPEM   []byte
	pool    *x509.CertPool
	counts  map[string]int
}

type tgt struct {
	user    string
	expires time.Time
	uses    int
}

type st struct {
	user    string
	service string
	expires time.Time
}

// New builds a server with these accounts; it listens only after Start or StartTLS.
func New(users []User) *Server {
	s := &Server{users: map[string]User{}, tgts: map[string]*tgt{}, sts: map[string]*st{}, counts: map[string]int{}}
	for _, u := range users {
		s.users[u.ID] = u
	}
	return s
}

// Start listens on loopback over plain HTTP and returns the CAS base URL
// (http://127.0.0.1:port/cas).
func (s *Server) Start() (string, error) { return s.start(false) }

// StartTLS listens on loopback over TLS with a certificate made for 127.0.0.1, ::1 and
// localhost, signed by a CA generated for this server (CertPool, CACertPEM,
// WriteCAFile), and returns the base URL (https://127.0.0.1:port/cas).
func (s *Server) StartTLS() (string, error) { return s.start(true) }

func (s *Server) start(useTLS bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", errors.New("CAS simulé : déjà démarré")
	}
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("CAS simulé : adresse %q : %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("CAS simulé : adresse %q : boucle locale seulement (127.0.0.1, ::1, localhost)", addr)
	}
	if useTLS {
		if err := s.makeCert(); err != nil {
			return "", err
		}
	}
	if err := s.listen(addr); err != nil {
		return "", err
	}
	return s.baseURL(), nil
}

func (s *Server) baseURL() string {
	scheme := "http"
	if s.tlsConf != nil {
		scheme = "https"
	}
	return scheme + "://" + s.addr + Path
}

// listen opens the listener and serves; s.mu is held.
func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("CAS simulé : %w", err)
	}
	if s.tlsConf != nil {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func(srv *http.Server, ln net.Listener) { _ = srv.Serve(ln) }(s.srv, ln)
	return nil
}

// URL is the base URL once started ("" before).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == "" {
		return ""
	}
	return s.baseURL()
}

// Down closes the listener and every connection: the CAS is unreachable until Up.
func (s *Server) Down() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	s.srv, s.ln = nil, nil
	return err
}

// Up listens again on the same address after Down. Tickets issued before are kept.
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return nil
	}
	if s.addr == "" {
		return errors.New("CAS simulé : jamais démarré")
	}
	var err error
	for range 50 { // the port may linger for a moment
		if err = s.listen(s.addr); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// Close stops the server for good.
func (s *Server) Close() error { return s.Down() }

// FailWith makes every request answer this HTTP status (e.g. 503); 0 stops it.
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	s.fail = status
	s.mu.Unlock()
}

// RefuseValidation makes serviceValidate answer authenticationFailure with this code
// (e.g. INVALID_SERVICE, INTERNAL_ERROR); "" stops it.
func (s *Server) RefuseValidation(code string) {
	s.mu.Lock()
	s.refuse = code
	s.mu.Unlock()
}

// Sessions is the number of live TGTs (a client that logs out leaves none).
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tgts {
		if s.now().Before(t.expires) {
			n++
		}
	}
	return n
}

// Count is how many requests an endpoint received: "tickets", "st", "delete",
// "validate".
func (s *Server) Count(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpoint]
}

// CertPool holds the CA of StartTLS (nil over plain HTTP).
func (s *Server) CertPool() *x509.CertPool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pool
}

// CACertPEM is the PEM of the CA of StartTLS (nil over plain HTTP).
func (s *Server) CACertPEM() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caPEM
}

// WriteCAFile writes the CA of StartTLS to path, for cas.ca_file.
func (s *Server) WriteCAFile(path string) error {
	p := s.CACertPEM()
	if p == nil {
		return errors.New("CAS simulé : pas de TLS, pas de CA")
	}
	return os.WriteFile(path, p, 0o644)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// makeCert generates a CA and a server certificate for loopback; s.mu is held.
func (s *Server) makeCert() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "CA du CAS simulé hypercerts"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	s.pool = x509.NewCertPool()
	s.pool.AddCert(ca)
	s.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	s.tlsConf = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}},
	}
	return nil
}

// newTicket makes "PREFIX-n-<random>-sim"; s.mu is held.
func (s *Server) newTicket(prefix string) string {
	s.seq++
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s-sim", prefix, s.seq, hex.EncodeToString(b))
}

// Handler serves the protocol under Path; usable without Start (httptest).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path+"/v1/tickets", s.grantingTicket)
	mux.HandleFunc("POST "+Path+"/v1/tickets/{tgt}", s.serviceTicket)
	mux.HandleFunc("DELETE "+Path+"/v1/tickets/{tgt}", s.deleteTicket)
	mux.HandleFunc("GET "+Path+"/p3/serviceValidate", s.validate(true))
	mux.HandleFunc("GET "+Path+"/serviceValidate", s.validate(false))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fail := s.fail
		s.mu.Unlock()
		if fail != 0 {
			s.log().Debug("CAS simulé : panne injectée", "chemin", r.URL.Path, "statut_http", fail)
			http.Error(w, http.StatusText(fail), fail)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

func authnFailure(w http.ResponseWriter, status int, exception string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"authentication_exceptions":[%q]}`, exception)
}

func (s *Server) grantingTicket(w http.ResponseWriter, r *http.Request) {
	if !isForm(r) {
		http.Error(w, "Unsupported Media Type", http.StatusUnsupportedMediaType)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	id, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["tickets"]++
	if id == "" || password == "" {
		http.Error(w, "Bad Request: username and password are required", http.StatusBadRequest)
		return
	}
	u, ok := s.users[id]
	switch {
	case !ok:
		s.log().Debug("CAS simulé : compte inconnu", "utilisateur", id)
		authnFailure(w, http.StatusUnauthorized, "AccountNotFoundException")
		return
	case u.Password != password:
		s.log().Debug("CAS simulé : mauvais mot de passe", "utilisateur", id)
		authnFailure(w, http.StatusUnauthorized, "FailedLoginException")
		return
	case u.Locked:
		s.log().Debug("CAS simulé : compte verrouillé", "utilisateur", id)
		if s.LockedStatus != 0 && s.LockedStatus != http.StatusUnauthorized {
			http.Error(w, http.StatusText(s.LockedStatus), s.LockedStatus)
			return
		}
		authnFailure(w, http.StatusUnauthorized, "AccountLockedException")
		return
	}
	ttl := s.TGTTTL
	if ttl <= 0 {
		ttl = 8 * time.Hour
	}
	id2 := s.newTicket("TGT")
	s.tgts[id2] = &tgt{user: id, expires: s.now().Add(ttl)}
	loc := s.baseURL() + "/v1/tickets/" + id2
	if s.addr == "" { // served through Handler only
		loc = "http://" + r.Host + Path + "/v1/tickets/" + id2
	}
	s.log().Debug("CAS simulé : TGT délivré", "utilisateur", id)
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"><html><head><title>201 Created</title></head><body><h1>TGT Created</h1><form action="%s" method="POST">Service:<input type="text" name="service" value=""><br><input type="submit" value="Submit"></form></body></html>`, loc)
}

func (s *Server) serviceTicket(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !isForm(r) || r.ParseForm() != nil {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	service := r.PostForm.Get("service")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["st"]++
	t, ok := s.tgts[r.PathValue("tgt")]
	if ok && !s.now().Before(t.expires) {
		delete(s.tgts, r.PathValue("tgt"))
		ok = false
	}
	if !ok {
		http.Error(w, "TicketGrantingTicket could not be found", http.StatusNotFound)
		return
	}
	if service == "" {
		http.Error(w, "Bad Request: service is required", http.StatusBadRequest)
		return
	}
	if !s.allowed(service) {
		http.Error(w, "UnauthorizedServiceException: service "+service+" is not registered", http.StatusForbidden)
		return
	}
	uses := s.TGTUses
	if uses == 0 {
		uses = 1
	}
	if uses > 0 && t.uses >= uses {
		http.Error(w, "TicketGrantingTicket has been used up", http.StatusNotFound)
		return
	}
	t.uses++
	ttl := s.STTTL
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	id := s.newTicket("ST")
	s.sts[id] = &st{user: t.user, service: service, expires: s.now().Add(ttl)}
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	fmt.Fprint(w, id)
}

func (s *Server) allowed(service string) bool {
	if len(s.Services) == 0 {
		return true
	}
	for _, p := range s.Services {
		if strings.HasPrefix(service, p) {
			return true
		}
	}
	return false
}

func (s *Server) deleteTicket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["delete"]++
	delete(s.tgts, r.PathValue("tgt"))
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	fmt.Fprint(w, r.PathValue("tgt"))
}

func (s *Server) validate(p3 bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		service, ticket := q.Get("service"), q.Get("ticket")
		s.mu.Lock()
		defer s.mu.Unlock()
		s.counts["validate"]++
		w.Header().Set("Content-Type", "application/xml;charset=UTF-8")
		if service == "" || ticket == "" {
			writeFailure(w, "INVALID_REQUEST", "'service' and 'ticket' parameters are both required")
			return
		}
		t, ok := s.sts[ticket]
		delete(s.sts, ticket) // consumed by the first validation, good or bad
		switch {
		case s.refuse != "":
			writeFailure(w, s.refuse, "validation refused (injected)")
		case !ok:
			writeFailure(w, "INVALID_TICKET", "Ticket "+short(ticket)+" not recognized")
		case !s.now().Before(t.expires):
			writeFailure(w, "INVALID_TICKET", "Ticket "+short(ticket)+" has expired")
		case t.service != service:
			writeFailure(w, "INVALID_SERVICE", "Ticket "+short(ticket)+" does not match supplied service")
		default:
			var b strings.Builder
			b.WriteString("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n <cas:authenticationSuccess>\n  <cas:user>")
			b.WriteString(esc(t.user))
			b.WriteString("</cas:user>\n")
			if u := s.users[t.user]; p3 && len(u.Attributes) > 0 {
				b.WriteString("  <cas:attributes>\n")
				for _, k := range slices.Sorted(maps.Keys(u.Attributes)) {
					for _, v := range u.Attributes[k] {
						fmt.Fprintf(&b, "   <cas:%s>%s</cas:%s>\n", k, esc(v), k)
					}
				}
				b.WriteString("  </cas:attributes>\n")
			}
			b.WriteString(" </cas:authenticationSuccess>\n</cas:serviceResponse>\n")
			s.log().Debug("CAS simulé : ticket validé", "utilisateur", t.user)
			fmt.Fprint(w, b.String())
		}
	}
}

func writeFailure(w http.ResponseWriter, code, msg string) {
	fmt.Fprintf(w, "<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n <cas:authenticationFailure code=\"%s\">%s</cas:authenticationFailure>\n</cas:serviceResponse>\n", esc(code), esc(msg))
}

func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func short(ticket string) string {
	if p := strings.SplitN(ticket, "-", 3); len(p) == 3 {
		return p[0] + "-" + p[1] + "-…"
	}
	return url.QueryEscape(ticket)
}
