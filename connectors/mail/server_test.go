package mail_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"hypercerts/connectors/mail"
)

// A real SMTP server (emersion/go-smtp) on 127.0.0.1:0, with STARTTLS on a
// self-signed certificate made for the test and AUTH PLAIN.

const (
	testUser = "scolarite"
	testPass = "s3cret-du-test"
)

type serverOpts struct {
	security mail.Security // "" = starttls
	noAuth   bool          // accept mail without AUTH
	discard  bool          // count messages but do not keep them (benchmarks)
	// hooks: a non-nil error is the server's reply
	onMail func(from string) error
	onRcpt func(to string) error
	onData func(b []byte) error
}

type received struct {
	From string
	To   []string
	Data []byte
}

type testServer struct {
	Host  string
	Port  int
	Roots *x509.CertPool

	opts serverOpts
	ln   *trackingListener

	mu    sync.Mutex
	rcpts []string // every RCPT TO the server saw, accepted or not
	msgs  []received
	auths []string // usernames that authenticated

	mailCmds atomic.Int64
	received atomic.Int64 // messages discarded (opts.discard)
}

func startServer(t testing.TB, opts serverOpts) *testServer {
	t.Helper()
	if opts.security == "" {
		opts.security = mail.SecurityStartTLS
	}
	cert, roots := selfSigned(t)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Host: "127.0.0.1", Port: raw.Addr().(*net.TCPAddr).Port, Roots: roots, opts: opts}
	ts.ln = &trackingListener{Listener: raw}
	var ln net.Listener = ts.ln

	srv := smtp.NewServer(ts)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients that hang up on purpose are not news
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 20 << 20
	srv.MaxRecipients = 50
	switch opts.security {
	case mail.SecurityStartTLS:
		srv.TLSConfig = tlsCfg
	case mail.SecurityTLS:
		ln = tls.NewListener(ts.ln, tlsCfg)
	case mail.SecurityNone:
		srv.AllowInsecureAuth = true
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = ts.ln.Close() // Close may run before Serve registered the listener
		ts.ln.closeAll()
		<-done
	})
	return ts
}

// config gives a client configuration for this server.
func (ts *testServer) config() mail.SMTPConfig {
	c := mail.SMTPConfig{
		Host: ts.Host, Port: ts.Port, Security: ts.opts.security,
		Timeout: 5 * time.Second, HELO: "hypercerts.test",
		From:    "Scolarité Université de Test <scolarite@univ-test.fr>",
		ReplyTo: "scolarite-contact@univ-test.fr",
		RootCAs: ts.Roots,
	}
	if !ts.opts.noAuth {
		c.Username, c.Password = testUser, testPass
	}
	return c
}

func (ts *testServer) Rcpts() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.rcpts...)
}

func (ts *testServer) Msgs() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

func (ts *testServer) Auths() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.auths...)
}

// Conns is how many TCP connections the server accepted.
func (ts *testServer) Conns() int { return int(ts.ln.accepted.Load()) }

// DropAll closes every connection from the server side.
func (ts *testServer) DropAll() { ts.ln.closeAll() }

// NewSession implements smtp.Backend.
func (ts *testServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{ts: ts, tls: isTLS(c)}, nil
}

func isTLS(c *smtp.Conn) bool {
	_, ok := c.TLSConnectionState()
	return ok
}

type session struct {
	ts   *testServer
	tls  bool
	auth bool
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != testUser || password != testPass {
			return smtp.ErrAuthFailed
		}
		s.auth = true
		s.ts.mu.Lock()
		s.ts.auths = append(s.ts.auths, username)
		s.ts.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.ts.mailCmds.Add(1)
	if !s.auth && !s.ts.opts.noAuth {
		return smtp.ErrAuthRequired
	}
	if s.ts.opts.onMail != nil {
		if err := s.ts.opts.onMail(from); err != nil {
			return err
		}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	s.ts.rcpts = append(s.ts.rcpts, to)
	s.ts.mu.Unlock()
	if s.ts.opts.onRcpt != nil {
		if err := s.ts.opts.onRcpt(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if s.ts.opts.discard {
		_, err := io.Copy(io.Discard, r)
		s.ts.received.Add(1)
		return err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.ts.opts.onData != nil {
		if err := s.ts.opts.onData(b); err != nil {
			return err
		}
	}
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, received{From: s.from, To: append([]string(nil), s.to...), Data: b})
	s.ts.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

type trackingListener struct {
	net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	l.mu.Lock()
	l.conns = append(l.conns, c)
	l.mu.Unlock()
	return c, nil
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.conns = nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool trusting it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "smtp de test hypercerts"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}

// smtpErr builds a server reply such as 550 5.1.1 mailbox unavailable.
func smtpErr(code int, enhanced smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: msg}
}

// fakePDF is a small but real-looking PDF payload with binary bytes.
func fakePDF(n int, seed string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n% attestation " + seed + "\n")
	for i := 0; b.Len() < n; i++ {
		b.WriteString(strconv.Itoa(i*7919%1000003) + " 0 obj <<>> endobj \x00\xff\x10\n")
	}
	b.WriteString("%%EOF\n")
	return b.Bytes()
}
