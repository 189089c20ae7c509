package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"hypercerts/connectors/mail"
	"hypercerts/domain"
)

func newSMTP(t testing.TB, cfg mail.SMTPConfig, log *slog.Logger) *mail.SMTP {
	t.Helper()
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := mail.NewSMTP(cfg, tpl, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func externalError(t *testing.T, err error) *domain.ExternalError {
	t.Helper()
	var ee *domain.ExternalError
	if !errors.As(err, &ee) {
		t.Fatalf("erreur %v (%T) : *domain.ExternalError attendue", err, err)
	}
	if ee.System != "SMTP" {
		t.Errorf("System = %q, SMTP attendu", ee.System)
	}
	return ee
}

func TestR17_AttestationReceivedWithPDF(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s := newSMTP(t, ts.config(), nil)
	pdf := fakePDF(30<<10, "21901234")
	m := attestationMail("21901234", "marie-helene.lefevre@etu.univ-test.fr", pdf)

	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send : %v", err)
	}
	msgs := ts.Msgs()
	if len(msgs) != 1 {
		t.Fatalf("%d messages reçus, 1 attendu", len(msgs))
	}
	if msgs[0].From != "scolarite@univ-test.fr" {
		t.Errorf("MAIL FROM = %q", msgs[0].From)
	}
	if got := strings.Join(msgs[0].To, ","); got != m.To {
		t.Errorf("RCPT TO = %q, %q attendu", got, m.To)
	}
	p := parseMessage(t, msgs[0].Data)
	if p.From.Address != "scolarite@univ-test.fr" || p.From.Name != "Scolarité Université de Test" {
		t.Errorf("From = %v", p.From)
	}
	if len(p.To) != 1 || p.To[0].Address != m.To {
		t.Errorf("To = %v", p.To)
	}
	if p.ReplyTo == nil || p.ReplyTo.Address != "scolarite-contact@univ-test.fr" {
		t.Errorf("Reply-To = %v", p.ReplyTo)
	}
	wantSubject := "Votre attestation de réussite : " + testCampaign.DiplomaLabel + " (2024-2025)"
	if p.Subject != wantSubject {
		t.Errorf("Subject = %q\nattendu   %q", p.Subject, wantSubject)
	}
	wantID := "<attestation.C-2024-0007.21901234@univ-test.fr>"
	if p.MessageID != wantID {
		t.Errorf("Message-ID = %q, %q attendu", p.MessageID, wantID)
	}
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/mixed") {
		t.Errorf("Content-Type = %q, multipart/mixed attendu", ct)
	}
	if !strings.Contains(p.Text, "Bonjour Marie-Hélène Lefèvre-Ñúñez,") ||
		!strings.Contains(p.Text, "Nous vous prions d'agréer") {
		t.Errorf("texte inattendu :\n%s", p.Text)
	}
	if !strings.Contains(p.HTML, "<strong>"+testCampaign.DiplomaLabel+"</strong>") ||
		!strings.Contains(p.HTML, `<html lang="fr">`) {
		t.Errorf("HTML inattendu :\n%s", p.HTML)
	}
	if strings.Contains(p.Text, "MODE TEST") || strings.Contains(p.HTML, "MODE TEST") {
		t.Error("bandeau de test hors mode test")
	}
	a, ok := p.Attachments["attestation-21901234.pdf"]
	if !ok {
		t.Fatalf("pièce jointe absente : %v", p.Attachments)
	}
	if a.ContentType != "application/pdf" {
		t.Errorf("type de la pièce jointe = %q", a.ContentType)
	}
	if !bytes.Equal(a.Data, pdf) {
		t.Errorf("PDF reçu différent : %d octets, %d envoyés", len(a.Data), len(pdf))
	}

	// A resend (after a crash) carries the same Message-ID.
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if again := parseMessage(t, ts.Msgs()[1].Data); again.MessageID != wantID {
		t.Errorf("Message-ID au renvoi = %q, %q attendu", again.MessageID, wantID)
	}
}

func TestR17_FourMailsSent(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s := newSMTP(t, ts.config(), nil)
	finished := testCampaign
	counts := map[domain.EntryState]int{domain.EntryMailed: 118, domain.EntryMailFailed: 2, domain.EntryExcluded: 14}
	mails := []domain.Mail{
		{Kind: domain.MailCampaignCreated, CampaignID: testCampaign.ID, To: "gest1@univ-test.fr", Data: mailData("")},
		{Kind: domain.MailCampaignCreated, CampaignID: testCampaign.ID, To: "gest2@univ-test.fr", Data: mailData("")},
		{Kind: domain.MailCampaignFinished, CampaignID: testCampaign.ID, To: "jdupont@univ-test.fr",
			Data: domain.MailData{University: "Université de Test", Campaign: finished, Counts: counts}},
		{Kind: domain.MailVaultOpened, CampaignID: testCampaign.ID, StudentCode: "21900001",
			To: "paul.martin@etu.univ-test.fr", Data: mailData("Paul Martin")},
		attestationMail("21900001", "paul.martin@etu.univ-test.fr", fakePDF(2000, "x")),
	}
	for _, m := range mails {
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatalf("%s : %v", m.Kind, err)
		}
	}
	msgs := ts.Msgs()
	if len(msgs) != len(mails) {
		t.Fatalf("%d messages reçus, %d attendus", len(msgs), len(mails))
	}
	want := []struct{ id, subject, text string }{
		{"<campaign_created.C-2024-0007.gest1-univ-test-fr@univ-test.fr>",
			"Nouvelle campagne d'attestations de réussite", "a été créée par jdupont le 1er juillet 2025 à 9 h 30"},
		{"<campaign_created.C-2024-0007.gest2-univ-test-fr@univ-test.fr>",
			"Nouvelle campagne d'attestations de réussite", "Composante          : UFR Sciences et Techniques (SCI)"},
		{"<campaign_finished.C-2024-0007.jdupont-univ-test-fr@univ-test.fr>",
			"Campagne d'attestations terminée", "  - envoyé : 118\n  - échec d'envoi : 2"},
		{"<vault_opened.C-2024-0007.21900001@univ-test.fr>",
			"Votre coffre-fort numérique Digiposte a été ouvert", "Bonjour Paul Martin,"},
		{"<attestation.C-2024-0007.21900001@univ-test.fr>",
			"Votre attestation de réussite", "en pièce jointe (attestation-21900001.pdf)"},
	}
	for i, w := range want {
		p := parseMessage(t, msgs[i].Data)
		if p.MessageID != w.id {
			t.Errorf("mail %d : Message-ID = %q, %q attendu", i, p.MessageID, w.id)
		}
		if !strings.HasPrefix(p.Subject, w.subject) {
			t.Errorf("mail %d : Subject = %q", i, p.Subject)
		}
		if !strings.Contains(p.Text, w.text) {
			t.Errorf("mail %d : %q absent du texte :\n%s", i, w.text, p.Text)
		}
		if p.HTML == "" {
			t.Errorf("mail %d : pas de partie HTML", i)
		}
		if got := len(p.Attachments) > 0; got != (i == 4) {
			t.Errorf("mail %d : pièces jointes %v", i, p.Attachments)
		}
	}
	if p := parseMessage(t, msgs[2].Data); !strings.Contains(p.Text, "Bilan pour les 134 étudiant(e)s") ||
		!strings.Contains(p.HTML, "exclu") || !strings.Contains(p.Text, "2 envoi(s) n'ont pas abouti") {
		t.Errorf("bilan de fin de campagne inattendu :\n%s", p.Text)
	}
}

func TestSMTP_STARTTLSAndAuthPlain(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s := newSMTP(t, ts.config(), nil)
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check : %v", err)
	}
	if got := ts.Auths(); len(got) != 1 || got[0] != testUser {
		t.Fatalf("authentifications vues par le serveur : %v", got)
	}
	if n := ts.mailCmds.Load(); n != 0 {
		t.Errorf("Check a envoyé %d MAIL FROM", n)
	}
	// go-smtp only offers AUTH once the session is encrypted: a successful AUTH
	// proves STARTTLS happened first.
	if err := s.Send(context.Background(), attestationMail("1", "a@etu.univ-test.fr", fakePDF(100, "1"))); err != nil {
		t.Fatal(err)
	}

	t.Run("wrong password is permanent", func(t *testing.T) {
		cfg := ts.config()
		cfg.Password = "faux"
		bad := newSMTP(t, cfg, nil)
		err := bad.Check(context.Background())
		ee := externalError(t, err)
		if !errors.Is(err, domain.ErrPermanent) || !strings.HasPrefix(ee.Msg, "535 ") {
			t.Fatalf("erreur %v : permanente 535 attendue", err)
		}
		if strings.Contains(err.Error(), "faux") {
			t.Error("le mot de passe apparaît dans l'erreur")
		}
	})
	t.Run("untrusted certificate is permanent", func(t *testing.T) {
		cfg := ts.config()
		cfg.RootCAs = nil // system roots do not know the test certificate
		err := newSMTP(t, cfg, nil).Check(context.Background())
		ee := externalError(t, err)
		if !errors.Is(err, domain.ErrPermanent) || !strings.Contains(ee.Msg, "certificat") {
			t.Fatalf("erreur %v : certificat refusé attendu", err)
		}
	})
	t.Run("server without STARTTLS is refused", func(t *testing.T) {
		plain := startServer(t, serverOpts{security: mail.SecurityNone, noAuth: true})
		cfg := plain.config()
		cfg.Security = mail.SecurityStartTLS
		err := newSMTP(t, cfg, nil).Send(context.Background(), attestationMail("1", "a@etu.univ-test.fr", []byte("%PDF")))
		ee := externalError(t, err)
		if !errors.Is(err, domain.ErrPermanent) || !strings.Contains(ee.Msg, "STARTTLS") {
			t.Fatalf("erreur %v : absence de STARTTLS attendue", err)
		}
		if len(plain.Msgs()) != 0 {
			t.Error("un message est passé en clair")
		}
	})
}

func TestSMTP_ImplicitTLSAndNone(t *testing.T) {
	for _, sec := range []mail.Security{mail.SecurityTLS, mail.SecurityNone} {
		t.Run(string(sec), func(t *testing.T) {
			ts := startServer(t, serverOpts{security: sec})
			s := newSMTP(t, ts.config(), nil)
			if err := s.Send(context.Background(), attestationMail("7", "b@etu.univ-test.fr", fakePDF(500, "7"))); err != nil {
				t.Fatal(err)
			}
			if len(ts.Msgs()) != 1 || len(ts.Auths()) != 1 {
				t.Fatalf("messages %d, authentifications %d", len(ts.Msgs()), len(ts.Auths()))
			}
		})
	}
}

func TestSMTP_4xxIsTransient(t *testing.T) {
	ts := startServer(t, serverOpts{onRcpt: func(to string) error {
		if strings.HasPrefix(to, "plein") {
			return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "mailbox full, try again later")
		}
		return nil
	}})
	s := newSMTP(t, ts.config(), nil)
	err := s.Send(context.Background(), attestationMail("1", "plein@etu.univ-test.fr", []byte("%PDF")))
	ee := externalError(t, err)
	if !errors.Is(err, domain.ErrTransient) || !domain.IsTransient(err) {
		t.Fatalf("erreur %v : temporaire attendue", err)
	}
	if ee.Msg != "452 4.2.2 mailbox full, try again later" || ee.Op != "RCPT TO" {
		t.Errorf("Op %q Msg %q", ee.Op, ee.Msg)
	}
	// The session survives a refused recipient: the next mail uses the same connection.
	if err := s.Send(context.Background(), attestationMail("2", "ok@etu.univ-test.fr", []byte("%PDF"))); err != nil {
		t.Fatal(err)
	}
	if ts.Conns() != 1 {
		t.Errorf("%d connexions, 1 attendue", ts.Conns())
	}
}

func TestSMTP_5xxIsPermanentWithReason(t *testing.T) {
	ts := startServer(t, serverOpts{
		onRcpt: func(to string) error {
			if strings.HasPrefix(to, "inconnu") {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "mailbox unavailable")
			}
			return nil
		},
		onData: func(b []byte) error {
			if bytes.Contains(b, []byte("Message-ID: <attestation.C-2024-0007.2@")) {
				return smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "message refused by content filter")
			}
			return nil
		},
	})
	s := newSMTP(t, ts.config(), nil)
	err := s.Send(context.Background(), attestationMail("1", "inconnu@etu.univ-test.fr", []byte("%PDF")))
	ee := externalError(t, err)
	if !errors.Is(err, domain.ErrPermanent) || domain.IsTransient(err) {
		t.Fatalf("erreur %v : définitive attendue", err)
	}
	if ee.Msg != "550 5.1.1 mailbox unavailable" || ee.Op != "RCPT TO" {
		t.Errorf("Op %q Msg %q", ee.Op, ee.Msg)
	}
	if !strings.Contains(err.Error(), "550 5.1.1 mailbox unavailable") {
		t.Errorf("Error() = %q sans la raison du serveur", err)
	}

	err = s.Send(context.Background(), attestationMail("2", "ok@etu.univ-test.fr", []byte("%PDF")))
	ee = externalError(t, err)
	if !errors.Is(err, domain.ErrPermanent) || ee.Msg != "554 5.7.1 message refused by content filter" || ee.Op != "BDAT" {
		t.Errorf("refus au DATA : %v (Op %q Msg %q)", err, ee.Op, ee.Msg)
	}
	if err := s.Send(context.Background(), attestationMail("3", "ok@etu.univ-test.fr", []byte("%PDF"))); err != nil {
		t.Fatal(err)
	}
	if len(ts.Msgs()) != 1 || ts.Conns() != 1 {
		t.Errorf("%d messages sur %d connexions, 1 et 1 attendus", len(ts.Msgs()), ts.Conns())
	}
}

func TestSMTP_NetworkTroubleIsTransient(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cfg := mail.SMTPConfig{Host: "127.0.0.1", Port: port, Security: mail.SecurityNone,
			From: "scolarite@univ-test.fr", Timeout: time.Second}
		err = newSMTP(t, cfg, nil).Send(context.Background(), attestationMail("1", "a@etu.univ-test.fr", []byte("%PDF")))
		externalError(t, err)
		if !errors.Is(err, domain.ErrTransient) {
			t.Fatalf("erreur %v : temporaire attendue", err)
		}
	})
	t.Run("silent server times out", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		var held sync.WaitGroup
		held.Add(1)
		go func() { // accepts and never greets
			defer held.Done()
			c, err := ln.Accept()
			if err == nil {
				buf := make([]byte, 1)
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, _ = c.Read(buf)
				c.Close()
			}
		}()
		t.Cleanup(held.Wait)
		cfg := mail.SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
			Security: mail.SecurityStartTLS, From: "scolarite@univ-test.fr", Timeout: 300 * time.Millisecond}
		start := time.Now()
		err = newSMTP(t, cfg, nil).Send(context.Background(), attestationMail("1", "a@etu.univ-test.fr", []byte("%PDF")))
		externalError(t, err)
		if !errors.Is(err, domain.ErrTransient) {
			t.Fatalf("erreur %v : temporaire attendue", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("délai dépassé au bout de %v, le délai est de 300 ms", d)
		}
	})
	t.Run("server answers 421 at greeting", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			c, err := ln.Accept()
			if err == nil {
				fmt.Fprint(c, "421 4.3.2 service not available, closing\r\n")
				c.Close()
			}
		}()
		cfg := mail.SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
			Security: mail.SecurityNone, From: "scolarite@univ-test.fr", Timeout: time.Second}
		err = newSMTP(t, cfg, nil).Send(context.Background(), attestationMail("1", "a@etu.univ-test.fr", []byte("%PDF")))
		ee := externalError(t, err)
		if !errors.Is(err, domain.ErrTransient) || !strings.HasPrefix(ee.Msg, "421 4.3.2") {
			t.Fatalf("erreur %v : temporaire 421 attendue", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ts := startServer(t, serverOpts{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newSMTP(t, ts.config(), nil).Send(ctx, attestationMail("1", "a@etu.univ-test.fr", []byte("%PDF")))
		externalError(t, err)
		if !errors.Is(err, domain.ErrTransient) || !errors.Is(err, context.Canceled) {
			t.Fatalf("erreur %v", err)
		}
		if ts.Conns() != 0 {
			t.Errorf("%d connexions ouvertes malgré l'annulation", ts.Conns())
		}
	})
}

func TestSMTP_ReusesConnectionAndReconnects(t *testing.T) {
	ts := startServer(t, serverOpts{})
	cfg := ts.config()
	cfg.MaxPerConn = 15
	s := newSMTP(t, cfg, nil)
	ctx := context.Background()
	for i := range 10 {
		if err := s.Send(ctx, attestationMail(fmt.Sprint(i), "a@etu.univ-test.fr", []byte("%PDF"))); err != nil {
			t.Fatal(err)
		}
	}
	if ts.Conns() != 1 || len(ts.Auths()) != 1 {
		t.Fatalf("10 envois : %d connexions, %d authentifications ; 1 et 1 attendues", ts.Conns(), len(ts.Auths()))
	}
	ts.DropAll() // the server goes away between two mails (idle timeout, restart)
	if err := s.Send(ctx, attestationMail("10", "a@etu.univ-test.fr", []byte("%PDF"))); err != nil {
		t.Fatalf("envoi après coupure : %v", err)
	}
	if ts.Conns() != 2 || len(ts.Msgs()) != 11 {
		t.Fatalf("après coupure : %d connexions, %d messages ; 2 et 11 attendus", ts.Conns(), len(ts.Msgs()))
	}
	for i := 11; i < 20; i++ {
		if err := s.Send(ctx, attestationMail(fmt.Sprint(i), "a@etu.univ-test.fr", []byte("%PDF"))); err != nil {
			t.Fatal(err)
		}
	}
	// Second connection carried mails 10..19; MaxPerConn 15 not reached yet.
	if ts.Conns() != 2 {
		t.Errorf("%d connexions, 2 attendues", ts.Conns())
	}
	for i := 20; i < 30; i++ { // 15th mail on the second connection closes it
		if err := s.Send(ctx, attestationMail(fmt.Sprint(i), "a@etu.univ-test.fr", []byte("%PDF"))); err != nil {
			t.Fatal(err)
		}
	}
	if ts.Conns() != 3 {
		t.Errorf("%d connexions après 30 envois avec 15 au plus par connexion, 3 attendues", ts.Conns())
	}
}

func TestSMTP_ConcurrentSends(t *testing.T) {
	ts := startServer(t, serverOpts{})
	cfg := ts.config()
	cfg.MaxConns = 4
	s := newSMTP(t, cfg, nil)
	const n = 120
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			code := fmt.Sprintf("2190%04d", i)
			errs <- s.Send(context.Background(), attestationMail(code, code+"@etu.univ-test.fr", fakePDF(4000, code)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	msgs := ts.Msgs()
	if len(msgs) != n {
		t.Fatalf("%d messages reçus, %d attendus", len(msgs), n)
	}
	if c := ts.Conns(); c > 4 {
		t.Errorf("%d connexions ouvertes, 4 au plus attendues", c)
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		p := parseMessage(t, m.Data)
		code := strings.TrimSuffix(p.To[0].Address, "@etu.univ-test.fr")
		if want := "<attestation.C-2024-0007." + code + "@univ-test.fr>"; p.MessageID != want {
			t.Errorf("Message-ID %q pour %s", p.MessageID, code)
		}
		if !bytes.Equal(p.Attachments["attestation-"+code+".pdf"].Data, fakePDF(4000, code)) {
			t.Errorf("PDF de %s altéré", code)
		}
		ids[p.MessageID] = true
	}
	if len(ids) != n {
		t.Errorf("%d Message-ID distincts, %d attendus", len(ids), n)
	}
}

func TestSMTP_ConfigErrors(t *testing.T) {
	_, err := mail.NewSMTP(mail.SMTPConfig{Security: "ssl", From: "pas une adresse", Username: "u"}, nil, nil)
	if err == nil {
		t.Fatal("configuration invalide acceptée")
	}
	for _, want := range []string{"host", "ssl", "sans mot de passe", "expéditeur"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q absent de %q", want, err)
		}
	}
	cfg := mail.SMTPConfig{Host: "smtp.univ-test.fr", From: "a@univ-test.fr", Username: "u", Password: "tres-secret"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		if strings.Contains(s, "tres-secret") {
			t.Errorf("mot de passe affiché : %s", s)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "smtp", cfg)
	if strings.Contains(buf.String(), "tres-secret") {
		t.Errorf("mot de passe journalisé : %s", buf.String())
	}
}

func TestSMTP_CancelDuringTransactionReturnsAtOnce(t *testing.T) {
	release := make(chan struct{})
	ts := startServer(t, serverOpts{onData: func([]byte) error {
		select { // a server stuck after the data
		case <-release:
		case <-time.After(5 * time.Second):
		}
		return nil
	}})
	t.Cleanup(func() { close(release) })
	s := newSMTP(t, ts.config(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, attestationMail("1", "a@etu.univ-test.fr", []byte("%PDF")))
	externalError(t, err)
	if !errors.Is(err, domain.ErrTransient) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("erreur %v : temporaire (délai dépassé) attendue", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send a rendu la main au bout de %v", d)
	}
}
