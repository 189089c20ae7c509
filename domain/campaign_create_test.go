package domain_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hypercerts/domain"
	"hypercerts/store"
)

// chunkStore is the real store with a hook on Launch's entry writes: hook(n) runs
// before the n-th write (1-based) and may replace it with an error. The run's own
// state writes come after and go straight through once the hook is spent.
type chunkStore struct {
	*store.Store
	mu   sync.Mutex
	n    int
	hook func(n int) error
}

func (s *chunkStore) before() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.hook == nil {
		return nil
	}
	return s.hook(s.n)
}

func (s *chunkStore) PutEntries(id string, entries []domain.Entry) error {
	if err := s.before(); err != nil {
		return err
	}
	return s.Store.PutEntries(id, entries)
}

func (s *chunkStore) PutEntriesAsync(id string, entries []domain.Entry) func() error {
	if err := s.before(); err != nil {
		return func() error { return err }
	}
	return s.Store.PutEntriesAsync(id, entries)
}

// crashImage copies the store's durable state now, as a crash would leave it.
func crashImage(t *testing.T, st *store.Store) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crash.db")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := st.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

// A campaign larger than one transaction of entries (Launch stores them a few hundred
// at a time). 1,100 students: three transactions.
const chunkedClass = 1100

// The process dies while Launch stores the students, some transactions in: the base
// then holds the campaign with part of its students. It must never run with them
// alone (the others would silently never be served): the next start marks it failed,
// with a reason telling the manager to launch it again, removes the part stored,
// sends nothing, and a relaunch is refused.
func TestLaunch_CrashWhileStoringStudentsLeavesAFailedCampaignNothingSent(t *testing.T) {
	t.Parallel()
	students := runMany(chunkedClass)
	var image string
	env := newRunEnv(t, students, nil)
	cs := &chunkStore{Store: env.store}
	cs.hook = func(n int) error {
		if n == 3 { // the first transaction is durable, the last not yet written
			image = crashImage(t, env.store)
		}
		return nil
	}
	env.engine = domain.NewEngine(domain.Deps{Apogee: env.apogee, Store: cs, Renderer: runRenderer{}, Mailer: env.mailer},
		domain.Settings{Concurrency: 4, MaxAttempts: 1, Managers: []string{"scol@univ.example.fr"}})
	t.Cleanup(func() { env.engine.Shutdown(context.Background()) })
	c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if image == "" {
		t.Fatalf("Launch stored %d students in fewer than 3 writes: the test needs a campaign stored in several", chunkedClass)
	}

	// Restart on the crash image.
	st := openRunStore(t, image)
	crashed, err := st.Campaign(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.Entries(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if crashed.State != domain.CampaignCreating || len(stored) == 0 || len(stored) >= chunkedClass {
		t.Fatalf("crash image: campaign %s with %d of %d students; want creating with a part of them", crashed.State, len(stored), chunkedClass)
	}
	mailer2 := newRunMailer()
	eng2 := domain.NewEngine(domain.Deps{Apogee: env.apogee, Store: st, Renderer: runRenderer{}, Mailer: mailer2},
		domain.Settings{Concurrency: 4, MaxAttempts: 1, Managers: []string{"scol@univ.example.fr"}})
	defer eng2.Shutdown(context.Background())
	// Nothing resumed, and said: `campaign resume` must not exit 0 over it.
	if n, err := eng2.Resume(context.Background()); n != 0 || err == nil ||
		!strings.Contains(err.Error(), c.ID) || !strings.Contains(err.Error(), "création interrompue") {
		t.Fatalf("Resume = %d, %v; want nothing resumed and the interrupted campaign named", n, err)
	}
	got, err := eng2.Campaign(context.Background(), runGest, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.CampaignFailed || !strings.Contains(got.Error, "création interrompue") ||
		!strings.Contains(got.Error, "lancez une nouvelle campagne") || got.State.Label() != "échouée" {
		t.Errorf("after restart: %s (%s) %q", got.State, got.State.Label(), got.Error)
	}
	if left, err := st.Entries(c.ID); err != nil || len(left) != 0 {
		t.Errorf("entries of the interrupted campaign: %d, %v; want none", len(left), err)
	}
	if sent := sentAll(mailer2); len(sent) != 0 {
		t.Errorf("mails after restart: %+v", sent)
	}
	audit, _ := st.Audit(c.ID)
	if len(audit) == 0 || audit[len(audit)-1].Action != domain.AuditFail ||
		!strings.Contains(audit[len(audit)-1].Detail, "sur 1100") {
		t.Errorf("audit %+v", audit)
	}
	err = eng2.Relaunch(context.Background(), runGest, c.ID)
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "lancez-en une nouvelle") {
		t.Errorf("Relaunch of the interrupted campaign: %v", err)
	}
	if n, err := eng2.Resume(context.Background()); n != 0 || err != nil { // once is enough
		t.Errorf("second Resume = %d, %v", n, err)
	}
	if sent := sentAll(mailer2); len(sent) != 0 {
		t.Errorf("mails after relaunch and resume: %+v", sent)
	}
}

// A write of the students fails (disk full…) after some are stored: Launch says so,
// the campaign is failed with the reason, without the students stored, and nothing
// is sent — not even the "campaign created" mail (R17a).
func TestLaunch_StudentsWriteFailureFailsTheCampaignBeforeAnySend(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runMany(chunkedClass), nil)
	cs := &chunkStore{Store: env.store, hook: func(n int) error {
		if n == 2 {
			return errors.New("disque plein")
		}
		return nil
	}}
	env.engine = domain.NewEngine(domain.Deps{Apogee: env.apogee, Store: cs, Renderer: runRenderer{}, Mailer: env.mailer},
		domain.Settings{Concurrency: 4, MaxAttempts: 1, Managers: []string{"scol@univ.example.fr"}})
	t.Cleanup(func() { env.engine.Shutdown(context.Background()) })
	c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
	if err == nil || !strings.Contains(err.Error(), "disque plein") || c.ID == "" {
		t.Fatalf("Launch = %+v, %v; want the write's error", c, err)
	}
	stored, err := env.store.Campaign(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.State != domain.CampaignFailed || !strings.Contains(stored.Error, "disque plein") {
		t.Errorf("campaign %s %q", stored.State, stored.Error)
	}
	if left, _ := env.store.Entries(c.ID); len(left) != 0 {
		t.Errorf("%d entries left", len(left))
	}
	if n, err := env.engine.Resume(context.Background()); n != 0 || err != nil {
		t.Errorf("Resume = %d, %v", n, err)
	}
	if sent := sentAll(env.mailer); len(sent) != 0 {
		t.Errorf("mails: %+v", sent)
	}
}

// The daemon resumes campaigns on a schedule while a manager may be launching one:
// a Resume in the middle of a launch must leave that campaign alone, and the launch
// then serves every student.
func TestResume_LeavesTheCampaignBeingLaunchedAlone(t *testing.T) {
	t.Parallel()
	students := runMany(chunkedClass)
	env := newRunEnv(t, students, nil)
	var resumed int
	var resumeErr error
	cs := &chunkStore{Store: env.store}
	env.engine = domain.NewEngine(domain.Deps{Apogee: env.apogee, Store: cs, Renderer: runRenderer{}, Mailer: env.mailer},
		domain.Settings{Concurrency: 4, MaxAttempts: 1})
	t.Cleanup(func() { env.engine.Shutdown(context.Background()) })
	cs.hook = func(n int) error {
		if n == 2 {
			resumed, resumeErr = env.engine.Resume(context.Background())
		}
		return nil
	}
	c := env.launchAndWait(t, domain.LaunchOptions{})
	if resumed != 0 || resumeErr != nil {
		t.Errorf("Resume during the launch = %d, %v", resumed, resumeErr)
	}
	if c.State != domain.CampaignFinished || c.Counts[domain.EntryMailed] != chunkedClass {
		t.Errorf("campaign %s %v", c.State, c.Counts)
	}
	if got := len(env.mailer.attested()); got != chunkedClass {
		t.Errorf("%d attestations sent, want %d", got, chunkedClass)
	}
}

// A base written before campaigns were created in several transactions (campaign
// running from the start, entries in one write) still opens and resumes.
func TestResume_CampaignStoredTheEarlierWayStillResumes(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	c := &domain.Campaign{Year: runReq.Year, Component: domain.Component{Code: "UFRSCI", Label: "UFR Sciences"}, VDI: runReq.VDI,
		Mode: domain.ModeMail, DiplomaLabel: "Licence mention Mathématiques", CreatedBy: runGest.Code, LaunchedBy: runGest.Code,
		NotifyEmail: runGest.Email, State: domain.CampaignRunning,
		ManagerMails: []domain.ManagerMail{{To: "scol@univ.example.fr", State: domain.ManagerMailPending}}}
	if err := env.store.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	var entries []domain.Entry
	for _, s := range runClass() {
		if s.email == "" {
			continue
		}
		en := domain.Entry{Row: domain.Row{Student: domain.Student{Code: s.code, LastName: "Nom", FirstName1: "Prénom", Email: s.email},
			Eligible: true, Recipient: s.email}, State: domain.EntryEligible}
		entries = append(entries, en)
	}
	c.Counts = map[domain.EntryState]int{domain.EntryEligible: len(entries)}
	if err := env.store.PutEntries(c.ID, entries); err != nil {
		t.Fatal(err)
	}
	if n, err := env.engine.Resume(context.Background()); n != 1 || err != nil {
		t.Fatalf("Resume = %d, %v", n, err)
	}
	done := env.wait(t, c.ID)
	if done.State != domain.CampaignFinished || done.Counts[domain.EntryMailed] != len(entries) {
		t.Errorf("after resume: %s %v", done.State, done.Counts)
	}
	if created := env.mailer.mails(domain.MailCampaignCreated); len(created) != 1 {
		t.Errorf("R17a mails after resume: %+v", created)
	}
}

// sentAll is every mail m sent, whatever its kind.
func sentAll(m *runMailer) []domain.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]domain.Mail(nil), m.sent...)
}

// An earlier version recorded a campaign running, with its counts, then stored its
// students in a second transaction: a crash in between left a running campaign without
// students. Resume must not "finish" it having served nobody: it is failed like a
// creation interrupted today, and nothing is sent.
func TestResume_CampaignLeftWithoutStudentsByAnEarlierVersionIsFailed(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	c := &domain.Campaign{Year: runReq.Year, Component: domain.Component{Code: "UFRSCI", Label: "UFR Sciences"}, VDI: runReq.VDI,
		Mode: domain.ModeMail, DiplomaLabel: "Licence mention Mathématiques", CreatedBy: runGest.Code, LaunchedBy: runGest.Code,
		NotifyEmail: runGest.Email, State: domain.CampaignRunning,
		Counts: map[domain.EntryState]int{domain.EntryEligible: 3, domain.EntryExcluded: 1}}
	if err := env.store.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	if n, err := env.engine.Resume(context.Background()); n != 0 || err == nil ||
		!strings.Contains(err.Error(), c.ID) || !strings.Contains(err.Error(), "création interrompue") {
		t.Fatalf("Resume = %d, %v; want nothing resumed and the campaign named", n, err)
	}
	got, err := env.store.Campaign(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.CampaignFailed || !strings.Contains(got.Error, "création interrompue") {
		t.Errorf("campaign %s %q; want failed, creation interrupted", got.State, got.Error)
	}
	if sent := sentAll(env.mailer); len(sent) != 0 {
		t.Errorf("mails: %+v", sent)
	}
	if n, err := env.engine.Resume(context.Background()); n != 0 || err != nil { // once is enough
		t.Errorf("second Resume = %d, %v", n, err)
	}
}
