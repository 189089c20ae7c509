package e2e

import (
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is a real SMTP server on loopback that counts the mails per recipient.
type smtpSink struct {
	mu          sync.Mutex
	byRcpt      map[string]int
	total       int
	first, last time.Time // first and last mail received
	addr        string
}

func startSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	sink := &smtpSink{byRcpt: map[string]int{}}
	srv := smtp.NewServer(sink)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients killed mid-session are expected
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sink
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

// span is when the first and the last mail arrived.
func (s *smtpSink) span() (first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.last
}

func (s *smtpSink) counts() (map[string]int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.byRcpt))
	for k, v := range s.byRcpt {
		out[k] = v
	}
	return out, s.total
}

type sinkSession struct {
	sink  *smtpSink
	rcpts []string
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, strings.ToLower(to))
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	for _, to := range s.rcpts {
		s.sink.byRcpt[to]++
		s.sink.total++
	}
	if now := time.Now(); len(s.rcpts) > 0 {
		if s.sink.first.IsZero() {
			s.sink.first = now
		}
		s.sink.last = now
	}
	s.rcpts = nil
	return nil
}
func (s *sinkSession) Reset()        { s.rcpts = nil }
func (s *sinkSession) Logout() error { return nil }
