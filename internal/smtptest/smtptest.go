// Package smtptest runs a real SMTP server (emersion/go-smtp) on loopback for tests:
// it counts the mails per envelope recipient, keeps the EHLO name of each session and,
// when asked, every message whole. Relays that must fail on cue (connectors/mail,
// cli's relay tests) have their own.
package smtptest

import (
	"io"
	"log"
	"maps"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is a mail received: its envelope and, with Start(t, true), its data.
type Message struct {
	Helo string // the client's EHLO name
	From string
	To   []string
	Data []byte
}

// Server is the SMTP server; Addr is host:port.
type Server struct {
	Addr string
	keep bool

	mu          sync.Mutex
	helos       []string
	msgs        []Message
	byRcpt      map[string]int
	total       int
	first, last time.Time
}

// Start serves on a free loopback port until the test ends. keepData keeps every
// message's data (Messages); without it only the counts and envelopes are kept.
func Start(t testing.TB, keepData bool) *Server {
	t.Helper()
	s := &Server{keep: keepData, byRcpt: map[string]int{}}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients killed mid-session are expected
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Helos are the EHLO names of the sessions, in order.
func (s *Server) Helos() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.helos...)
}

// Messages are the mails received, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// ByRecipient counts the mails per recipient (lower-cased), and in all.
func (s *Server) ByRecipient() (map[string]int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.byRcpt), s.total
}

// Span is when the first and the last mail arrived.
func (s *Server) Span() (first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.last
}

// NewSession runs at EHLO.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.helos = append(s.helos, c.Hostname())
	s.mu.Unlock()
	return &session{s: s, helo: c.Hostname()}, nil
}

type session struct {
	s    *Server
	helo string
	from string
	to   []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	m := Message{Helo: x.helo, From: x.from, To: x.to}
	var err error
	if x.s.keep {
		m.Data, err = io.ReadAll(r)
	} else {
		_, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		return err
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	for _, to := range x.to {
		s.byRcpt[strings.ToLower(to)]++
		s.total++
	}
	if now := time.Now(); len(x.to) > 0 {
		if s.first.IsZero() {
			s.first = now
		}
		s.last = now
	}
	x.from, x.to = "", nil
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
