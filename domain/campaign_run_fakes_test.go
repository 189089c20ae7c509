package domain_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/store"
)

// Test doubles for the campaign tests: a small Apogée, a renderer writing a tiny fake
// PDF, and a mailer that records what it sends and can be told to fail or to block.

var (
	runGest     = domain.User{Code: "GEST", Name: "Gestionnaire Sciences", Email: "gest@univ.example.fr"}
	runOutsider = domain.User{Code: "LETTRES", Name: "Gestionnaire Lettres", Email: "lettres@univ.example.fr"}
	runNobody   = domain.User{Code: "NOBODY", Name: "Sans droit"}
	runReq      = domain.PreviewRequest{Year: "2024", Component: "UFRSCI", VDI: domain.VDI{Dip: "LMATH", Version: "201"}}
)

type runStudent struct {
	code      string
	email     string
	admitted  *bool // nil: no verdict
	delivery  bool
	blockings []domain.Blocking
}

func runBool(b bool) *bool { return &b }

// runClass is the fixed class: 4 eligible, 4 excluded for 4 different reasons.
func runClass() []runStudent {
	return []runStudent{
		{code: "10000001", email: "alice@etu.example.fr", admitted: runBool(true), delivery: true},
		{code: "10000002", email: "bruno@etu.example.fr", admitted: runBool(true), delivery: true},
		{code: "10000003", email: "chloe@etu.example.fr", admitted: runBool(false), delivery: true},
		{code: "10000004", email: "dan@etu.example.fr", admitted: runBool(true), delivery: true,
			blockings: []domain.Blocking{{Code: "BAI", Label: "Droits non payés", TypeLabel: "Inscription administrative"}}},
		{code: "10000005", email: "eve@etu.example.fr", admitted: runBool(true), delivery: false},
		{code: "10000006", email: "", admitted: runBool(true), delivery: true},
		{code: "10000007", email: "gael@etu.example.fr", admitted: runBool(true), delivery: true},
		{code: "10000008", email: "hugo@etu.example.fr", admitted: runBool(true), delivery: true},
	}
}

var runEligible = []string{"10000001", "10000002", "10000007", "10000008"}

// runMany is n admitted students with their own addresses.
func runMany(n int) []runStudent {
	s := make([]runStudent, n)
	for i := range s {
		code := fmt.Sprintf("2%07d", i)
		s[i] = runStudent{code: code, email: "etu" + code + "@etu.example.fr", admitted: runBool(true), delivery: true}
	}
	return s
}

type runApogee struct {
	mu       sync.Mutex
	students map[string]runStudent
	order    []string
	sigErr   error
	sigEmpty bool
	sigImage []byte // default "PNG" (enough for the fake renderer)
}

func newRunApogee(students []runStudent) *runApogee {
	a := &runApogee{students: map[string]runStudent{}}
	for _, s := range students {
		a.students[s.code] = s
		a.order = append(a.order, s.code)
	}
	return a
}

func (a *runApogee) OpenYears(context.Context) ([]domain.Year, error) {
	return []domain.Year{{Code: "2024", Label: "2024-2025"}}, nil
}

func (a *runApogee) Components(_ context.Context, user string) ([]domain.Component, error) {
	switch user {
	case runGest.Code:
		return []domain.Component{{Code: "UFRSCI", Label: "UFR Sciences"}}, nil
	case runOutsider.Code:
		return []domain.Component{{Code: "UFRLET", Label: "UFR Lettres"}}, nil
	}
	return nil, nil
}

func (a *runApogee) VDIs(_ context.Context, _, component string) ([]domain.VDI, error) {
	if component == "UFRSCI" {
		return []domain.VDI{{Dip: "LMATH", Version: "201", Label: "Licence Mathématiques"}}, nil
	}
	return []domain.VDI{{Dip: "LLET", Version: "201", Label: "Licence Lettres"}}, nil
}

func (a *runApogee) VETs(context.Context, string, domain.VDI) ([]domain.VET, error) {
	return []domain.VET{{Etape: "L3MATH", Version: "201", Label: "L3 Mathématiques", Graduating: true}}, nil
}

func (a *runApogee) Students(context.Context, string, domain.VDI, domain.VET) ([]domain.StudentRef, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var refs []domain.StudentRef
	for _, code := range a.order {
		refs = append(refs, domain.StudentRef{Code: code, LastName: "NOM" + code, FirstName: "Prénom"})
	}
	return refs, nil
}

func (a *runApogee) student(code string) (runStudent, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.students[code]
	if !ok {
		return s, &domain.ExternalError{System: "Apogée", Op: "test", Kind: domain.ErrNotFound}
	}
	return s, nil
}

func (a *runApogee) Identity(_ context.Context, code string) (domain.Identity, error) {
	s, err := a.student(code)
	return domain.Identity{Code: code, IndividualCode: "IND" + code, INE: "INE" + code, Email: s.email}, err
}

func (a *runApogee) AdminInfo(_ context.Context, code string) (domain.AdminInfo, error) {
	s, err := a.student(code)
	return domain.AdminInfo{LastName: "NOM" + code, FirstName1: "Prénom", Blockings: s.blockings}, err
}

func (a *runApogee) Contract(_ context.Context, code, year string, vdi domain.VDI) (*domain.Contract, error) {
	s, err := a.student(code)
	if err != nil {
		return nil, err
	}
	return &domain.Contract{Year: year, VDI: vdi, Results: []domain.SessionResult{{Session: 1, ResultCode: "ADM",
		Favourable: s.admitted, Admission: true, Mention: domain.Mention{Code: "AB", Label: "Assez bien"}, ECTS: "180"}}}, nil
}

func (a *runApogee) DeliveryAuthorised(_ context.Context, ind, _ string, _ domain.VDI) (bool, error) {
	s, err := a.student(ind[len("IND"):])
	return s.delivery, err
}

func (a *runApogee) OfficialLabel(context.Context, string, domain.VDI) (string, error) {
	return "Licence mention Mathématiques", nil
}

func (a *runApogee) Signature(context.Context) (domain.Signature, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sigErr != nil {
		return domain.Signature{}, a.sigErr
	}
	if a.sigEmpty {
		return domain.Signature{Code: "PRES", Name: "Jeanne Dupont"}, nil
	}
	img := a.sigImage
	if img == nil {
		img = []byte("PNG")
	}
	return domain.Signature{Code: "PRES", Name: "Jeanne Dupont", Title: "Présidente", Image: img}, nil
}

type runRenderer struct{}

func (runRenderer) Render(w io.Writer, a domain.Attestation) error {
	_, err := fmt.Fprintf(w, "%%PDF-1.4 fake %s %s %s\n%%%%EOF\n", a.Student.Code, a.DiplomaLabel, a.YearLabel)
	return err
}

// runMailer records the mails sent. fail gives, per student code, the error to return
// (for the next times[code] calls, or always when times has no entry). block, when set,
// is called before each attestation is sent and may wait.
type runMailer struct {
	mu    sync.Mutex
	sent  []domain.Mail
	calls int
	fail  map[string]error
	times map[string]int
	block func(ctx context.Context, m domain.Mail) error
}

func newRunMailer() *runMailer { return &runMailer{fail: map[string]error{}, times: map[string]int{}} }

func (m *runMailer) Send(ctx context.Context, mail domain.Mail) error {
	m.mu.Lock()
	m.calls++
	block := m.block
	m.mu.Unlock()
	if block != nil && mail.Kind == domain.MailAttestation {
		if err := block(ctx, mail); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err, ok := m.fail[mail.StudentCode]; ok && mail.StudentCode != "" {
		if n, limited := m.times[mail.StudentCode]; !limited || n > 0 {
			if limited {
				m.times[mail.StudentCode] = n - 1
			}
			return err
		}
	}
	m.sent = append(m.sent, mail)
	return nil
}

func (m *runMailer) mails(kind domain.MailKind) []domain.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.Mail
	for _, x := range m.sent {
		if x.Kind == kind {
			out = append(out, x)
		}
	}
	return out
}

// attested lists the student codes that got an attestation, sorted, with repeats.
func (m *runMailer) attested() []string {
	var codes []string
	for _, x := range m.mails(domain.MailAttestation) {
		codes = append(codes, x.StudentCode)
	}
	slices.Sort(codes)
	return codes
}

func (m *runMailer) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent, m.calls, m.fail, m.times = nil, 0, map[string]error{}, map[string]int{}
}

func transient(msg string) error {
	return &domain.ExternalError{System: "SMTP", Op: "DATA", Kind: domain.ErrTransient, Msg: msg}
}

func permanent(msg string) error {
	return &domain.ExternalError{System: "SMTP", Op: "RCPT TO", Kind: domain.ErrPermanent, Msg: msg}
}

type runEnv struct {
	apogee *runApogee
	mailer *runMailer
	store  *store.Store
	engine *domain.Engine
}

func openRunStore(t testing.TB, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newRunEnv(t testing.TB, students []runStudent, tweak func(*domain.Settings, *domain.Deps)) *runEnv {
	t.Helper()
	env := &runEnv{apogee: newRunApogee(students), mailer: newRunMailer(),
		store: openRunStore(t, filepath.Join(t.TempDir(), "hypercerts.db"))}
	settings := domain.Settings{Concurrency: 4, MaxAttempts: 1, Backoff: time.Millisecond, University: "Université de Test",
		Managers: []string{"scol@univ.example.fr", "direction@univ.example.fr"}}
	deps := domain.Deps{Apogee: env.apogee, Store: env.store, Renderer: runRenderer{}, Mailer: env.mailer}
	if tweak != nil {
		tweak(&settings, &deps)
	}
	env.engine = domain.NewEngine(deps, settings)
	t.Cleanup(func() { env.engine.Shutdown(context.Background()) })
	return env
}

// launchAndWait launches and waits for the end of the run.
func (env *runEnv) launchAndWait(t *testing.T, opts domain.LaunchOptions) domain.Campaign {
	t.Helper()
	c, err := env.engine.Launch(context.Background(), runGest, runReq, opts)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	return env.wait(t, c.ID)
}

func (env *runEnv) wait(t *testing.T, id string) domain.Campaign {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := env.engine.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return c
}

func (env *runEnv) states(t *testing.T, id string) map[string]domain.Entry {
	t.Helper()
	entries, err := env.store.Entries(id)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]domain.Entry{}
	for _, e := range entries {
		m[e.Student.Code] = e
	}
	return m
}
