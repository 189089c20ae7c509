package mail

import "context"

// Deliver sends body (any bytes) to rcpt as Send sends a composed message, for the
// tests that need exact content (dots, bare LF, 8-bit) on both BDAT and DATA.
func (s *SMTP) Deliver(ctx context.Context, body []byte, rcpt string) error {
	if !canonical(body) {
		body = appendCanonical(nil, body)
	}
	return s.deliver(ctx, body, "<"+rcpt+">")
}
