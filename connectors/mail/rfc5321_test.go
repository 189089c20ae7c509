package mail_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"hypercerts/connectors/mail"
	"hypercerts/domain"
)

// RFC 5321 §4.5.3.1.10: a 552 at RCPT TO ("too many recipients", or a mailbox over
// quota for now) is to be treated as the temporary 452; the server's text is kept.
func TestSMTP_552AtRcptIsTemporary(t *testing.T) {
	ts := startServer(t, serverOpts{onRcpt: func(to string) error {
		if strings.HasPrefix(to, "quota") {
			return smtpErr(552, smtp.EnhancedCode{5, 2, 2}, "mailbox over quota")
		}
		return nil
	}})
	s := newSMTP(t, ts.config(), nil)
	err := s.Send(context.Background(), attestationMail("1", "quota@etu.univ-test.fr", []byte("%PDF")))
	ee := externalError(t, err)
	if !domain.IsTransient(err) || errors.Is(err, domain.ErrPermanent) {
		t.Fatalf("552 au RCPT : %v, temporaire attendue", err)
	}
	if ee.Msg != "552 5.2.2 mailbox over quota" || ee.Op != "RCPT TO" {
		t.Errorf("Op %q Msg %q : le texte du serveur doit être gardé", ee.Op, ee.Msg)
	}
	// 552 after the message (BDAT or DATA: too big) stays permanent: resending will not help.
	big := startServer(t, serverOpts{onData: func([]byte) error {
		return smtpErr(552, smtp.EnhancedCode{5, 3, 4}, "message too big")
	}})
	err = newSMTP(t, big.config(), nil).Send(context.Background(), attestationMail("2", "a@etu.univ-test.fr", []byte("%PDF")))
	if !errors.Is(err, domain.ErrPermanent) {
		t.Errorf("552 au DATA : %v, définitive attendue", err)
	}
}

// RFC 3676 §4.3: the signature separator is "-- " (dash, dash, space) alone on its line.
func TestR17_PlainTextSignatureSeparator(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s := newSMTP(t, ts.config(), nil)
	if err := s.Send(context.Background(), attestationMail("1", "a@etu.univ-test.fr", fakePDF(200, "1"))); err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, ts.Msgs()[0].Data)
	lines := strings.Split(strings.ReplaceAll(p.Text, "\r\n", "\n"), "\n")
	found := false
	for _, l := range lines {
		if l == "--" {
			t.Error(`séparateur de signature "--" sans espace`)
		}
		found = found || l == "-- "
	}
	if !found {
		t.Errorf("pas de ligne \"-- \" dans le texte :\n%s", p.Text)
	}
}

// R17a/R17b: the manager's display name never reaches the Message-ID; each end
// summary (Ref) has its own id.
func TestR17_ManagerMessageIDs(t *testing.T) {
	m := domain.Mail{Kind: domain.MailCampaignCreated, CampaignID: "C1", To: "Gérard Martin <g.martin@univ-test.fr>"}
	if got := mail.MessageID(m, "univ-test.fr"); got != "campaign_created.C1.g-martin-univ-test-fr@univ-test.fr" {
		t.Errorf("Message-ID %q : le nom affiché ne doit pas y paraître", got)
	}
	first := domain.Mail{Kind: domain.MailCampaignFinished, CampaignID: "C1", To: "g.martin@univ-test.fr", Ref: "1"}
	second := first
	second.Ref = "2"
	a, b := mail.MessageID(first, "univ-test.fr"), mail.MessageID(second, "univ-test.fr")
	if a == b || a != "campaign_finished.C1.g-martin-univ-test-fr.1@univ-test.fr" {
		t.Errorf("bilans : %q et %q, deux identifiants distincts attendus", a, b)
	}
}

// The relay check (connect, EHLO, STARTTLS, AUTH) says what to fix.
func TestSMTP_CheckSaysWhatToFix(t *testing.T) {
	ts := startServer(t, serverOpts{})
	cfg := ts.config()
	cfg.Password = "faux"
	err := newSMTP(t, cfg, nil).Check(context.Background())
	ee := externalError(t, err)
	if !strings.HasPrefix(ee.Msg, "535 ") || !strings.Contains(ee.Msg, "mail.smtp.password_env") {
		t.Errorf("mauvais mot de passe : %q", ee.Msg)
	}
	if n := ts.mailCmds.Load(); n != 0 {
		t.Errorf("la vérification a envoyé %d MAIL FROM", n)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg = ts.config()
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	err = newSMTP(t, cfg, nil).Check(context.Background())
	ee = externalError(t, err)
	if !domain.IsTransient(err) || !strings.Contains(ee.Msg, "relais injoignable") || !strings.Contains(ee.Msg, "mail.smtp.host") {
		t.Errorf("relais arrêté : %v", err)
	}
}
