package domain_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hypercerts/connectors/digiposte"
	"hypercerts/domain"
	"hypercerts/internal/syncbuf"
)

func TestLaunch_MailsEveryEligibleStudentAndKeepsExclusionReasons(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	c := env.launchAndWait(t, domain.LaunchOptions{})

	if c.State != domain.CampaignFinished || c.FinishedAt.IsZero() {
		t.Errorf("campaign = %s, finished at %v", c.State, c.FinishedAt)
	}
	if c.DiplomaLabel != "Licence mention Mathématiques" || c.CreatedBy != runGest.Code || c.Component.Label != "UFR Sciences" {
		t.Errorf("campaign = %+v", c)
	}
	if got := env.mailer.attested(); !slices.Equal(got, runEligible) {
		t.Errorf("attestations sent to %v, want %v", got, runEligible)
	}
	for _, m := range env.mailer.mails(domain.MailAttestation) {
		if !bytes.HasPrefix(m.Attachment, []byte("%PDF")) || m.AttachmentName != "attestation-reussite-"+m.StudentCode+".pdf" {
			t.Errorf("attachment of %s: %q %q", m.StudentCode, m.AttachmentName, m.Attachment)
		}
		if m.RealTo != "" || !strings.HasSuffix(m.To, "@etu.example.fr") {
			t.Errorf("real mode mail to %q (real %q)", m.To, m.RealTo)
		}
	}
	// R17a to every manager, R17b to the launcher with the counts.
	created := env.mailer.mails(domain.MailCampaignCreated)
	if len(created) != 2 || created[0].To != "scol@univ.example.fr" || created[1].To != "direction@univ.example.fr" {
		t.Errorf("R17a mails: %+v", created)
	}
	finished := env.mailer.mails(domain.MailCampaignFinished)
	if len(finished) != 1 || finished[0].To != runGest.Email || finished[0].Data.Counts[domain.EntryMailed] != 4 ||
		finished[0].Data.Counts[domain.EntryExcluded] != 4 {
		t.Errorf("R17b mails: %+v", finished)
	}

	want := map[string]struct {
		state  domain.EntryState
		reason string
	}{
		"10000001": {domain.EntryMailed, ""},
		"10000002": {domain.EntryMailed, ""},
		"10000003": {domain.EntryExcluded, domain.ReasonNotAdmitted},
		"10000004": {domain.EntryExcluded, "blocage : Inscription administrative : Droits non payés"},
		"10000005": {domain.EntryExcluded, domain.ReasonDeliveryForbidden},
		"10000006": {domain.EntryExcluded, domain.ReasonNoEmail},
		"10000007": {domain.EntryMailed, ""},
		"10000008": {domain.EntryMailed, ""},
	}
	states := env.states(t, c.ID)
	for code, w := range want {
		e := states[code]
		if e.State != w.state || (w.reason != "" && !slices.Contains(e.Reasons, w.reason)) {
			t.Errorf("%s: %s %q, want %s %q", code, e.State, e.Reasons, w.state, w.reason)
		}
		if w.state == domain.EntryMailed && e.Attempts != 1 {
			t.Errorf("%s: %d attempts", code, e.Attempts)
		}
	}
	if c.Counts[domain.EntryMailed] != 4 || c.Counts[domain.EntryExcluded] != 4 {
		t.Errorf("stored counts = %v", c.Counts)
	}
	audit, err := env.engine.Audit(context.Background(), runGest, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// R17a: each manager's creation mail is a stored step, audited.
	if len(audit) != 4 || audit[0].Action != domain.AuditLaunch || audit[0].User != runGest.Code ||
		audit[1].Action != domain.AuditMail || audit[2].Action != domain.AuditMail || audit[3].Action != domain.AuditFinish {
		t.Errorf("audit = %+v", audit)
	}
}

func TestMailFailures_TransientAndPermanentKeptWithServerReason(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	env.mailer.fail["10000002"] = transient("452 4.2.2 boîte aux lettres pleine")
	env.mailer.fail["10000007"] = permanent("550 5.1.1 utilisateur inconnu")
	c := env.launchAndWait(t, domain.LaunchOptions{})

	states := env.states(t, c.ID)
	if e := states["10000002"]; e.State != domain.EntryMailFailed || !e.Retryable || !strings.Contains(e.LastError, "452 4.2.2 boîte aux lettres pleine") {
		t.Errorf("transient: %+v", e)
	}
	if e := states["10000007"]; e.State != domain.EntryMailFailed || e.Retryable || !strings.Contains(e.LastError, "550 5.1.1 utilisateur inconnu") {
		t.Errorf("permanent: %+v", e)
	}
	if c.State != domain.CampaignFinished || c.Counts[domain.EntryMailFailed] != 2 || c.Counts[domain.EntryMailed] != 2 {
		t.Errorf("campaign %s counts %v", c.State, c.Counts)
	}
}

func TestMailFailures_TransientRetriedWithBackoffWithinTheRun(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), func(s *domain.Settings, _ *domain.Deps) { s.MaxAttempts = 3 })
	env.mailer.fail["10000002"] = transient("421 4.3.2 service indisponible")
	env.mailer.times["10000002"] = 2 // fails twice, then goes through
	env.mailer.fail["10000007"] = permanent("550 5.1.1 utilisateur inconnu")
	c := env.launchAndWait(t, domain.LaunchOptions{})
	states := env.states(t, c.ID)
	if e := states["10000002"]; e.State != domain.EntryMailed {
		t.Errorf("transient retried: %+v", e)
	}
	if e := states["10000007"]; e.State != domain.EntryMailFailed {
		t.Errorf("permanent: %+v", e)
	}
	// 2 R17a, 10000002 three times, 10000001, 10000007 (once: permanent), 10000008, 1 R17b.
	if n := env.mailer.calls; n != 2+3+1+1+1+1 {
		t.Errorf("%d calls to the mailer: only transient failures are retried", n)
	}
}

func TestR07_RelaunchOnlySendsToUnsentStudents(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	env.mailer.fail["10000002"] = transient("452 4.2.2 boîte aux lettres pleine")
	env.mailer.fail["10000007"] = permanent("550 5.1.1 utilisateur inconnu")
	c := env.launchAndWait(t, domain.LaunchOptions{})
	if got := env.mailer.attested(); !slices.Equal(got, []string{"10000001", "10000008"}) {
		t.Fatalf("first run sent to %v", got)
	}

	env.mailer.reset() // the mailbox was emptied, the address fixed in Apogée
	if err := env.engine.Relaunch(context.Background(), runGest, c.ID); err != nil {
		t.Fatalf("Relaunch: %v", err)
	}
	c = env.wait(t, c.ID)
	if got := env.mailer.attested(); !slices.Equal(got, []string{"10000002", "10000007"}) {
		t.Errorf("relaunch sent to %v, want only the two unsent", got)
	}
	states := env.states(t, c.ID)
	for _, code := range runEligible {
		if states[code].State != domain.EntryMailed {
			t.Errorf("%s: %s", code, states[code].State)
		}
	}
	if states["10000002"].Attempts != 2 || states["10000001"].Attempts != 1 {
		t.Errorf("attempts: %d and %d", states["10000002"].Attempts, states["10000001"].Attempts)
	}
	for _, code := range []string{"10000003", "10000004", "10000005", "10000006"} {
		if states[code].State != domain.EntryExcluded {
			t.Errorf("excluded %s became %s", code, states[code].State)
		}
	}
	if c.State != domain.CampaignFinished || c.Counts[domain.EntryMailed] != 4 {
		t.Errorf("after relaunch: %s %v", c.State, c.Counts)
	}
	if f := env.mailer.mails(domain.MailCampaignFinished); len(f) != 1 || f[0].To != runGest.Email {
		t.Errorf("R17b after relaunch: %+v", f)
	}

	// A second relaunch has nothing to send.
	env.mailer.reset()
	if err := env.engine.Relaunch(context.Background(), runGest, c.ID); err != nil {
		t.Fatal(err)
	}
	env.wait(t, c.ID)
	if got := env.mailer.attested(); len(got) != 0 {
		t.Errorf("second relaunch sent to %v", got)
	}
	audit, _ := env.engine.Audit(context.Background(), runGest, c.ID)
	var actions []string
	for _, r := range audit {
		actions = append(actions, r.Action)
	}
	if want := []string{domain.AuditLaunch, domain.AuditMail, domain.AuditMail, domain.AuditFinish, domain.AuditRelaunch, domain.AuditFinish, domain.AuditRelaunch}; !slices.Equal(actions, want) {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
}

func TestR16_MissingSignatureStopsTheCampaignBeforeAnySend(t *testing.T) {
	t.Parallel()
	for name, setup := range map[string]func(a *runApogee){
		"undecryptable": func(a *runApogee) {
			a.sigErr = &domain.ExternalError{System: "Apogée", Op: "SIGN_TAMP_DIGITALISE", Kind: domain.ErrPermanent, Msg: "ORA-28232: clé de déchiffrement invalide"}
		},
		"missing": func(a *runApogee) { a.sigEmpty = true },
	} {
		t.Run(name, func(t *testing.T) {
			env := newRunEnv(t, runClass(), nil)
			setup(env.apogee)
			c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
			if !errors.Is(err, domain.ErrNoSignature) {
				t.Fatalf("Launch: %v, want ErrNoSignature", err)
			}
			if !strings.Contains(err.Error(), "aucune attestation n'a été envoyée") {
				t.Errorf("message %q should say nothing was sent", err)
			}
			if env.mailer.calls != 0 {
				t.Errorf("%d mails sent", env.mailer.calls)
			}
			stored, err := env.engine.Campaign(context.Background(), runGest, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.State != domain.CampaignFailed || !strings.Contains(stored.Error, "signature") {
				t.Errorf("stored campaign: %s %q", stored.State, stored.Error)
			}
			if entries, _ := env.store.Entries(c.ID); len(entries) != 0 {
				t.Errorf("%d entries stored", len(entries))
			}
		})
	}
}

func TestR16_RelaunchWithoutSignatureSendsNothing(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	env.mailer.fail["10000002"] = transient("452 boîte pleine")
	c := env.launchAndWait(t, domain.LaunchOptions{})
	env.mailer.reset()
	env.apogee.sigErr = errors.New("SIGNATAIRE : aucune ligne")
	if err := env.engine.Relaunch(context.Background(), runGest, c.ID); !errors.Is(err, domain.ErrNoSignature) {
		t.Fatalf("Relaunch: %v", err)
	}
	env.wait(t, c.ID)
	if env.mailer.calls != 0 {
		t.Errorf("%d mails sent without a signature", env.mailer.calls)
	}
}

func TestR18_TestModeMailsNobodyButTheTestAddress(t *testing.T) {
	t.Parallel()
	const testAddr = "recette@univ.example.fr"
	students := runMany(300)
	var logs syncbuf.Buffer
	env := newRunEnv(t, students, func(s *domain.Settings, d *domain.Deps) {
		s.Concurrency = 8
		d.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	c := env.launchAndWait(t, domain.LaunchOptions{TestMode: true, TestRecipient: testAddr})
	if !c.TestMode || c.TestRecipient != testAddr {
		t.Errorf("campaign test mode %v %q", c.TestMode, c.TestRecipient)
	}
	studentAddr := map[string]bool{}
	for _, s := range students {
		studentAddr[s.email] = true
	}
	att := env.mailer.mails(domain.MailAttestation)
	if len(att) != len(students) {
		t.Fatalf("%d attestations, want %d", len(att), len(students))
	}
	seenReal := map[string]bool{}
	env.mailer.mu.Lock()
	for _, m := range env.mailer.sent {
		if studentAddr[m.To] || (m.Kind == domain.MailAttestation && m.To != testAddr) {
			t.Errorf("%s mail to %q in test mode", m.Kind, m.To)
		}
		if m.Kind == domain.MailAttestation {
			if !m.Data.TestMode || m.Data.RealTo != m.RealTo || !studentAddr[m.RealTo] {
				t.Errorf("mail for %s: real %q, data %+v", m.StudentCode, m.RealTo, m.Data.RealTo)
			}
			seenReal[m.RealTo] = true
		}
	}
	env.mailer.mu.Unlock()
	if len(seenReal) != len(students) {
		t.Errorf("%d distinct real recipients, want %d", len(seenReal), len(students))
	}
	// The real recipient is logged at INFO, for each student.
	out := logs.String()
	for _, s := range students[:20] {
		if !strings.Contains(out, "destinataire_réel="+s.email) {
			t.Errorf("real recipient %s not logged", s.email)
			break
		}
	}
	for code, e := range env.states(t, c.ID) {
		if e.Recipient != testAddr || e.RealRecipient == "" || e.State != domain.EntryMailed {
			t.Errorf("%s: recipient %q real %q state %s", code, e.Recipient, e.RealRecipient, e.State)
		}
	}
}

// In test mode the managers' mails (R17a, R17b) go to the test address too: the
// mailer's test-mode guard refuses every other address, so sent as they were they
// never arrived anywhere.
func TestR18_TestModeManagerMailsGoToTheTestAddress(t *testing.T) {
	t.Parallel()
	const testAddr = "recette@univ.example.fr"
	env := newRunEnv(t, runClass(), nil)
	env.launchAndWait(t, domain.LaunchOptions{TestMode: true, TestRecipient: testAddr})
	created := env.mailer.mails(domain.MailCampaignCreated)
	if len(created) != 2 {
		t.Fatalf("R17a mails: %+v", created)
	}
	real := map[string]bool{}
	for _, m := range created {
		real[m.RealTo] = true
	}
	finished := env.mailer.mails(domain.MailCampaignFinished)
	if len(finished) != 1 || finished[0].RealTo != runGest.Email {
		t.Fatalf("R17b mails: %+v", finished)
	}
	for _, m := range append(created, finished...) {
		if m.To != testAddr || !m.Data.TestMode || m.Data.RealTo != m.RealTo {
			t.Errorf("%s mail to %q (real %q, data %v %q) in test mode", m.Kind, m.To, m.RealTo, m.Data.TestMode, m.Data.RealTo)
		}
	}
	if !real["scol@univ.example.fr"] || !real["direction@univ.example.fr"] {
		t.Errorf("real recipients of R17a: %v", real)
	}
}

func TestR18_TestModeWithoutTestAddressIsRefused(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	_, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{TestMode: true})
	if !errors.Is(err, domain.ErrInvalid) || env.mailer.calls != 0 {
		t.Fatalf("Launch: %v, %d mails", err, env.mailer.calls)
	}
}

// TestResumeAfterCrash_SendingResentOnceMailedNever takes the store image a crash would
// leave (a consistent copy made while two sends hang), and resumes from it.
func TestResumeAfterCrash_SendingResentOnceMailedNever(t *testing.T) {
	t.Parallel()
	const inFlight = 2
	students := runMany(20)
	env := newRunEnv(t, students, func(s *domain.Settings, _ *domain.Deps) { s.Concurrency = inFlight })
	release := make(chan struct{})
	blocked := make(chan string, len(students))
	var n int
	var nmu sync.Mutex
	env.mailer.block = func(ctx context.Context, m domain.Mail) error {
		nmu.Lock()
		n++
		hang := n > 5
		nmu.Unlock()
		if !hang {
			return nil
		}
		blocked <- m.StudentCode
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hung := map[string]bool{}
	for range inFlight {
		select {
		case code := <-blocked:
			hung[code] = true
		case <-time.After(10 * time.Second):
			t.Fatal("sends never hung")
		}
	}
	// The crash image.
	crash := filepath.Join(t.TempDir(), "crash.db")
	f, err := os.OpenFile(crash, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.store.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before := env.mailer.attested()
	// The first process dies: its hanging sends never complete.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env.engine.Shutdown(ctx)
	close(release)

	// Restart on the crash image.
	st := openRunStore(t, crash)
	entries, err := st.Entries(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sending, mailed int
	for _, e := range entries {
		switch e.State {
		case domain.EntrySending:
			sending++
			if !hung[e.Student.Code] {
				t.Errorf("%s is sending but was not in flight", e.Student.Code)
			}
		case domain.EntryMailed:
			mailed++
		}
	}
	if sending != inFlight || mailed != len(before) {
		t.Fatalf("crash image: %d sending, %d mailed (mailer saw %d)", sending, mailed, len(before))
	}
	mailer2 := newRunMailer()
	eng2 := domain.NewEngine(domain.Deps{Apogee: env.apogee, Store: st, Renderer: runRenderer{}, Mailer: mailer2},
		domain.Settings{Concurrency: 4, MaxAttempts: 1})
	defer eng2.Shutdown(context.Background())
	resumed, err := eng2.Resume(context.Background())
	if err != nil || resumed != 1 {
		t.Fatalf("Resume = %d, %v", resumed, err)
	}
	done, err := eng2.Wait(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.State != domain.CampaignFinished || done.Counts[domain.EntryMailed] != len(students) {
		t.Errorf("after resume: %s %v", done.State, done.Counts)
	}
	after := mailer2.attested()
	seen := map[string]int{}
	for _, code := range append(append([]string{}, before...), after...) {
		seen[code]++
	}
	dups := 0
	for _, s := range students {
		switch {
		case seen[s.code] == 0:
			t.Errorf("%s never got its attestation", s.code)
		case seen[s.code] > 1:
			dups++
			if !hung[s.code] {
				t.Errorf("%s sent twice but was not in flight", s.code)
			}
		}
	}
	for _, code := range before {
		if slices.Contains(after, code) {
			t.Errorf("%s was mailed before the crash and resent", code)
		}
	}
	for code := range hung {
		if n := slices.Index(after, code); n < 0 || slices.Contains(after[n+1:], code) {
			t.Errorf("in-flight %s should be resent exactly once, got %v", code, after)
		}
	}
	if dups > inFlight {
		t.Errorf("%d duplicates, more than the %d sends in flight", dups, inFlight)
	}
	// The "finished" mail goes to whoever launched it, read back from the audit log.
	if f := mailer2.mails(domain.MailCampaignFinished); len(f) != 1 || f[0].To != runGest.Email {
		t.Errorf("R17b after resume: %+v", f)
	}
	audit, _ := st.Audit(c.ID)
	if !slices.ContainsFunc(audit, func(r domain.AuditRecord) bool { return r.Action == domain.AuditResume }) {
		t.Errorf("no resume in audit %+v", audit)
	}
}

func TestShutdown_FinishesSendsInFlightAndLeavesCampaignForResume(t *testing.T) {
	t.Parallel()
	students := runMany(30)
	env := newRunEnv(t, students, func(s *domain.Settings, _ *domain.Deps) { s.Concurrency = 2 })
	started := make(chan struct{}, len(students))
	release := make(chan struct{})
	env.mailer.block = func(ctx context.Context, m domain.Mail) error {
		started <- struct{}{}
		<-release
		return nil
	}
	c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	<-started
	done := make(chan error)
	go func() { done <- env.engine.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	stored, _ := env.store.Campaign(c.ID)
	states := env.states(t, c.ID)
	var mailed, sending int
	for _, e := range states {
		switch e.State {
		case domain.EntryMailed:
			mailed++
		case domain.EntrySending:
			sending++
		}
	}
	if stored.State != domain.CampaignRunning || sending != 0 || mailed < 2 || mailed == len(students) {
		t.Errorf("after shutdown: %s, %d mailed, %d sending", stored.State, mailed, sending)
	}
	if _, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{}); !errors.Is(err, domain.ErrShutdown) {
		t.Errorf("Launch after Shutdown: %v", err)
	}
	p, stop := watch(t, env.engine, c.ID)
	defer stop()
	if last := <-p; !last.Done || !last.Interrupted {
		t.Errorf("Watch after shutdown: %+v", last)
	}
}

func TestR02_EveryCampaignEntryPointRefusesUsersWithoutTheComponent(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	c := env.launchAndWait(t, domain.LaunchOptions{})
	ctx := context.Background()
	calls := env.mailer.calls
	for _, u := range []domain.User{runOutsider, runNobody} {
		if _, err := env.engine.Launch(ctx, u, runReq, domain.LaunchOptions{}); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s Launch: %v", u.Code, err)
		}
		if err := env.engine.Relaunch(ctx, u, c.ID); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s Relaunch: %v", u.Code, err)
		}
		if _, err := env.engine.Campaign(ctx, u, c.ID); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s Campaign: %v", u.Code, err)
		}
		if _, err := env.engine.Entries(ctx, u, c.ID); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s Entries: %v", u.Code, err)
		}
		if _, err := env.engine.Audit(ctx, u, c.ID); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s Audit: %v", u.Code, err)
		}
	}
	if list, err := env.engine.Campaigns(ctx, runOutsider); err != nil || len(list) != 0 {
		t.Errorf("outsider Campaigns: %d, %v", len(list), err)
	}
	if _, err := env.engine.Campaigns(ctx, runNobody); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("nobody Campaigns: %v", err)
	}
	if list, err := env.engine.Campaigns(ctx, runGest); err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Errorf("gest Campaigns: %v, %v", list, err)
	}
	if env.mailer.calls != calls {
		t.Errorf("refused calls sent %d mails", env.mailer.calls-calls)
	}
	if list, _ := env.store.Campaigns(); len(list) != 1 {
		t.Errorf("refused launches stored %d campaigns", len(list))
	}
}

func TestProgress_WatchersReachDoneWithTheRightCounts(t *testing.T) {
	t.Parallel()
	students := append(runClass(), runMany(40)...)
	env := newRunEnv(t, students, func(s *domain.Settings, _ *domain.Deps) { s.Concurrency = 3 })
	env.mailer.fail["10000002"] = permanent("550 refusé")
	gate := make(chan struct{})
	env.mailer.block = func(ctx context.Context, m domain.Mail) error {
		<-gate
		return nil
	}
	c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fast, stopFast := watch(t, env.engine, c.ID)
	defer stopFast()
	slow, stopSlow := watch(t, env.engine, c.ID) // never read until the end
	defer stopSlow()
	close(gate)

	var last domain.Progress
	n := 0
	for p := range fast {
		if last.Done {
			t.Fatal("snapshot after Done")
		}
		last = p
		n++
	}
	wantMailed, wantExcluded := 3+40, 4
	check := func(who string, p domain.Progress) {
		t.Helper()
		if !p.Done || p.Interrupted || p.Err != "" || p.State != domain.CampaignFinished {
			t.Errorf("%s: last snapshot %+v", who, p)
		}
		if p.Counts[domain.EntryMailed] != wantMailed || p.Counts[domain.EntryExcluded] != wantExcluded ||
			p.Counts[domain.EntryMailFailed] != 1 || p.Total != len(students) {
			t.Errorf("%s: counts %v total %d", who, p.Counts, p.Total)
		}
		if p.Processed != p.ToDo || p.ToDo != wantMailed+1 || p.Remaining() != 0 {
			t.Errorf("%s: processed %d of %d", who, p.Processed, p.ToDo)
		}
		if len(p.LastErrors) != 1 || !strings.Contains(p.LastErrors[0], "550 refusé") {
			t.Errorf("%s: last errors %q", who, p.LastErrors)
		}
	}
	check("fast watcher", last)
	if n < 2 {
		t.Errorf("fast watcher got %d snapshots", n)
	}
	var slowLast domain.Progress
	for p := range slow {
		slowLast = p
	}
	check("slow watcher", slowLast)

	// Watching a finished campaign gives its stored state at once.
	after, stop := watch(t, env.engine, c.ID)
	defer stop()
	p := <-after
	if !p.Done || p.Counts[domain.EntryMailed] != wantMailed || p.State != domain.CampaignFinished {
		t.Errorf("watch after the end: %+v", p)
	}
	if _, ok := <-after; ok {
		t.Error("channel not closed after the stored snapshot")
	}
}

func TestProgress_ETA(t *testing.T) {
	t.Parallel()
	p := domain.Progress{ToDo: 100, Processed: 40, Throughput: 20}
	if got := p.ETA(); got != 3*time.Second {
		t.Errorf("ETA = %v", got)
	}
	if (domain.Progress{ToDo: 10}).ETA() != 0 {
		t.Error("ETA without throughput should be 0")
	}
}

func TestLaunch_DigiposteModeWaitsForTheCycle(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	if _, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{Mode: domain.ModeDigiposte}); err == nil ||
		!strings.Contains(err.Error(), "Digiposte non configuré") {
		t.Fatalf("Digiposte launch without a vault: %v", err)
	}
	env = newDPEnv(t, digiposte.SimOptions{}, nil).runEnv
	c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{Mode: domain.ModeDigiposte})
	if err != nil {
		t.Fatal(err)
	}
	if c.State != domain.CampaignWaiting || c.Mode != domain.ModeDigiposte {
		t.Errorf("campaign %s %s", c.State, c.Mode)
	}
	if got := env.mailer.attested(); len(got) != 0 {
		t.Errorf("attestations mailed in Digiposte mode: %v", got)
	}
	if n, err := env.engine.Resume(context.Background()); n != 0 || err != nil {
		t.Errorf("Resume picked a Digiposte campaign: %d %v", n, err)
	}
}

type failingRenderer struct {
	code string
	err  error // returned for code; nil: a panic
}

func (f failingRenderer) Render(w io.Writer, a domain.Attestation) error {
	if a.Student.Code == f.code {
		if f.err != nil {
			return f.err
		}
		panic("police introuvable")
	}
	return runRenderer{}.Render(w, a)
}

// A time-stamping authority down while rendering (PAdES B-T) fails that student as
// retryable, so a relaunch (R07) gives it another chance.
func TestR07_TransientRenderFailureIsRetryable(t *testing.T) {
	t.Parallel()
	tsaDown := fmt.Errorf("%w : horodatage : autorité injoignable", domain.ErrTransient)
	env := newRunEnv(t, runClass(), func(_ *domain.Settings, d *domain.Deps) {
		d.Renderer = failingRenderer{code: "10000007", err: tsaDown}
	})
	c := env.launchAndWait(t, domain.LaunchOptions{})
	e := env.states(t, c.ID)["10000007"]
	if e.State != domain.EntryMailFailed || !e.Retryable || !strings.Contains(e.LastError, "horodatage") {
		t.Errorf("entry = %+v", e)
	}
}

func TestRenderFailure_FailsThatStudentOnlyAndSendsNothingForIt(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), func(_ *domain.Settings, d *domain.Deps) { d.Renderer = failingRenderer{code: "10000007"} })
	c := env.launchAndWait(t, domain.LaunchOptions{})
	e := env.states(t, c.ID)["10000007"]
	if e.State != domain.EntryMailFailed || e.Retryable || !strings.Contains(e.LastError, "police introuvable") {
		t.Errorf("entry = %+v", e)
	}
	if got := env.mailer.attested(); !slices.Equal(got, []string{"10000001", "10000002", "10000008"}) {
		t.Errorf("sent to %v", got)
	}
}

func TestLaunch_WorkGoesOnAfterTheCallerLeaves(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runMany(50), nil)
	gate := make(chan struct{})
	env.mailer.block = func(ctx context.Context, m domain.Mail) error {
		<-gate
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := env.engine.Launch(ctx, runGest, runReq, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel() // the manager closed the UI
	close(gate)
	done := env.wait(t, c.ID)
	if done.State != domain.CampaignFinished || done.Counts[domain.EntryMailed] != 50 {
		t.Errorf("after the caller left: %s %v", done.State, done.Counts)
	}
}

// watch follows a campaign as the manager who may see it.
func watch(t *testing.T, e *domain.Engine, id string) (<-chan domain.Progress, func()) {
	t.Helper()
	ch, stop, err := e.Watch(context.Background(), runGest, id)
	if err != nil {
		t.Fatal(err)
	}
	return ch, stop
}
