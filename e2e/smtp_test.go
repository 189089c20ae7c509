package e2e

import (
	"testing"
	"time"

	"hypercerts/internal/smtptest"
)

// smtpSink is a real SMTP server on loopback that counts the mails per recipient
// (internal/smtptest, messages not kept: a campaign sends thousands).
type smtpSink struct {
	*smtptest.Server
	addr string
}

func startSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	s := smtptest.Start(t, false)
	return &smtpSink{Server: s, addr: s.Addr}
}

// counts is the mails per recipient (lower-cased), and in all.
func (s *smtpSink) counts() (map[string]int, int) { return s.ByRecipient() }

// span is when the first and the last mail arrived.
func (s *smtpSink) span() (first, last time.Time) { return s.Span() }
