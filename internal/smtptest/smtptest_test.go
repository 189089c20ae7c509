package smtptest

import (
	"net/smtp"
	"strings"
	"testing"
)

func TestKeepsEnvelopeHeloAndData(t *testing.T) {
	s := Start(t, true)
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("hypercerts.univ-test.fr"); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"A@univ.fr", "a@univ.fr"} {
		if err := c.Mail("scolarite@univ.fr"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt(to); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("Subject: essai\r\n\r\ncorps\r\n"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c.Quit()
	by, total := s.ByRecipient()
	msgs := s.Messages()
	if total != 2 || by["a@univ.fr"] != 2 || len(msgs) != 2 || msgs[0].Helo != "hypercerts.univ-test.fr" ||
		msgs[0].From != "scolarite@univ.fr" || !strings.Contains(string(msgs[1].Data), "corps") {
		t.Fatalf("counts %v %d, messages %+v", by, total, msgs)
	}
	if h := s.Helos(); len(h) != 1 || h[0] != "hypercerts.univ-test.fr" {
		t.Fatalf("EHLO names %q", h)
	}
}
