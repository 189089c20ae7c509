package mail_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"hypercerts/connectors/mail"
	"hypercerts/domain"
	"hypercerts/internal/syncbuf"
)

func TestR18_TestModeNothingReachesStudents(t *testing.T) {
	const students = 500
	const testAddr = "recette-attestations@univ-test.fr"
	ts := startServer(t, serverOpts{})
	cfg := ts.config()
	cfg.TestRecipient = testAddr
	cfg.MaxConns = 8
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s := newSMTP(t, cfg, log)

	pdf := fakePDF(3000, "test")
	type job struct {
		m      domain.Mail
		refuse bool
	}
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		for i := range students {
			code := fmt.Sprintf("2200%04d", i)
			real := fmt.Sprintf("etudiant.%04d@etu.univ-test.fr", i)
			kind := domain.MailAttestation
			if i%5 == 0 {
				kind = domain.MailVaultOpened
			}
			// What the engine does in test mode: To is the test address, RealTo the student.
			m := domain.Mail{Kind: kind, CampaignID: "C-TEST", StudentCode: code, To: testAddr, RealTo: real,
				Data: mailData("Étudiant " + code)}
			m.Data.TestMode, m.Data.RealTo = true, real
			if kind == domain.MailAttestation {
				m.Attachment, m.AttachmentName = pdf, code+".pdf"
			}
			jobs <- job{m: m}
			// An engine bug that forgot to redirect: must be refused, never sent.
			if i%10 == 3 {
				bad := m
				bad.To, bad.RealTo = real, ""
				jobs <- job{m: bad, refuse: true}
			}
		}
		// Manager mails go to the test address as well.
		jobs <- job{m: domain.Mail{Kind: domain.MailCampaignFinished, CampaignID: "C-TEST",
			To: "gestionnaire@univ-test.fr", Data: mailData("")}, refuse: true}
		jobs <- job{m: domain.Mail{Kind: domain.MailCampaignFinished, CampaignID: "C-TEST",
			To: "Recette <" + strings.ToUpper(testAddr) + ">", RealTo: "gestionnaire@univ-test.fr", Data: mailData("")}}
	}()

	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range 8 {
		wg.Go(func() {
			for j := range jobs {
				err := s.Send(context.Background(), j.m)
				switch {
				case j.refuse && (err == nil || !errors.Is(err, domain.ErrPermanent)):
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s : refus définitif attendu, obtenu %v", j.m.To, err))
					mu.Unlock()
				case !j.refuse && err != nil:
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s : %v", j.m.RealTo, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}

	rcpts := ts.Rcpts()
	if len(rcpts) != students+1 {
		t.Errorf("%d RCPT TO, %d attendus", len(rcpts), students+1)
	}
	for _, r := range rcpts {
		if !strings.EqualFold(r, testAddr) {
			t.Errorf("RCPT TO:<%s> : seule l'adresse de test est permise", r)
		}
	}
	msgs := ts.Msgs()
	if len(msgs) != students+1 {
		t.Fatalf("%d messages reçus, %d attendus", len(msgs), students+1)
	}
	for _, m := range msgs {
		p := parseMessage(t, m.Data)
		if len(p.To) != 1 || !strings.EqualFold(p.To[0].Address, testAddr) {
			t.Errorf("en-tête To %v", p.To)
		}
		if !strings.HasPrefix(p.Subject, "[TEST] ") {
			t.Errorf("objet sans [TEST] : %q", p.Subject)
		}
		if !strings.Contains(p.Text, "MODE TEST — destinataire réel : ") ||
			!strings.Contains(p.HTML, "MODE TEST — destinataire réel : ") {
			t.Errorf("bandeau de test absent :\n%s", p.Text)
		}
	}

	out := logs.String()
	for i := range students {
		real := fmt.Sprintf("etudiant.%04d@etu.univ-test.fr", i)
		if want := "mode test : courriel pour " + real + " redirigé vers " + testAddr; !strings.Contains(out, want) {
			t.Errorf("journal sans %q", want)
			break
		}
	}
	if n := strings.Count(out, "level=INFO msg=\"mode test : courriel pour"); n != students {
		t.Errorf("%d lignes INFO de redirection, %d attendues", n, students)
	}
}

func TestR18_BannerShowsRealRecipient(t *testing.T) {
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	m := attestationMail("1", "recette@univ-test.fr", []byte("%PDF"))
	m.RealTo, m.Data.TestMode, m.Data.RealTo = "vrai.etudiant@etu.univ-test.fr", true, "vrai.etudiant@etu.univ-test.fr"
	r, err := tpl.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	want := "MODE TEST — destinataire réel : vrai.etudiant@etu.univ-test.fr"
	if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
		t.Errorf("bandeau %q absent :\n%s\n%s", want, r.Text, r.HTML)
	}
}
