// Package uitest opens the real engine on the embedded Apogée for the UI's tests:
// the demo SQLite + SOAP simulator, a real bbolt store, the real PDF renderer and the
// demo mailer writing .eml files, with a fixed clock so goldens stay stable.
package uitest

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"hypercerts/app"
	"hypercerts/connectors/digiposte"
	"hypercerts/connectors/mail"
	"hypercerts/domain"
	"hypercerts/render"
	"hypercerts/store"
	"hypercerts/ui/common"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// Width and Height are the terminal size of every golden.
const (
	Width  = 100
	Height = 30
)

// Now is the fixed time of the tests.
var Now = time.Date(2025, 7, 3, 14, 5, 0, 0, time.UTC)

// FixedClock always says Now.
type FixedClock struct{}

// Now is the fixed time.
func (FixedClock) Now() time.Time { return Now }

// Options shape the engine.
type Options struct {
	// Clock is the engine's and the UI's clock (default FixedClock: Now).
	Clock         domain.Clock
	Students      int  // embedded Apogée size (default 40)
	TestMode      bool // delivery.test_mode
	TestRecipient string
	User          *domain.User // default: the demo user
	// Outside wires the demo's Digiposte folder (played by Env.DigiposteSim) and the
	// HubEE simulator (which has filed two attestation requests) into the engine.
	Outside bool
	// Print wires the demo's print folder (the print channel).
	Print bool
	// Mode is delivery.mode (default: mail).
	Mode domain.Mode
	// HoldMail, when set, makes every student's mail wait until it is closed (a
	// campaign that stays running).
	HoldMail chan struct{}
	// FailMail makes every student's mail fail for good (the relay refuses it), as
	// an OS error would: "mkdir out/mails: not a directory".
	FailMail bool
}

// Env is an opened engine and its UI context.
type Env struct {
	App     *app.App
	Engine  *domain.Engine
	Store   *store.Store
	MailDir string
	Common  *common.Common
	// DigiposteSim plays Digiposte on the demo's folder (Options.Outside).
	DigiposteSim *digiposte.Simulator
}

// heldMailer waits for hold to close before each student's mail (the managers' mails
// go at once).
type heldMailer struct {
	domain.Mailer
	hold chan struct{}
}

func (h heldMailer) Send(ctx context.Context, m domain.Mail) error {
	if m.StudentCode == "" {
		return h.Mailer.Send(ctx, m)
	}
	select {
	case <-h.hold:
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.Mailer.Send(ctx, m)
}

// failingMailer refuses every student's mail (the managers' mails go).
type failingMailer struct{ domain.Mailer }

func (f failingMailer) Send(ctx context.Context, m domain.Mail) error {
	if m.StudentCode == "" {
		return f.Mailer.Send(ctx, m)
	}
	return &domain.ExternalError{System: "EML", Op: "écriture", Kind: domain.ErrPermanent,
		Err: &fs.PathError{Op: "mkdir", Path: "out/mails", Err: syscall.ENOTDIR}}
}

// Open opens the engine on the embedded Apogée; everything is closed at the end of t.
func Open(t testing.TB, o Options) *Env {
	t.Helper()
	if o.Students == 0 {
		o.Students = 40
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Options{Demo: true, DemoDir: filepath.Join(dir, "demo"), DemoStudents: o.Students})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "ui.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cfg := a.Config
	rend, err := render.New(render.Options{University: cfg.University.Name, City: cfg.University.City})
	if err != nil {
		t.Fatal(err)
	}
	mailDir := filepath.Join(dir, "mails")
	var mopts []mail.EMLOption
	settings := cfg.EngineSettings()
	if o.TestMode {
		settings.TestMode, settings.TestRecipient = true, o.TestRecipient
		if settings.TestRecipient == "" {
			settings.TestRecipient = "recette@univ-demo.fr"
		}
		mopts = append(mopts, mail.WithTestRecipient(settings.TestRecipient))
	}
	mailer, err := mail.NewEMLDir(mailDir, nil, nil, mopts...)
	if err != nil {
		t.Fatal(err)
	}
	if !o.TestMode && o.TestRecipient != "" { // a test address, test mode off: the launch offers it (t)
		settings.TestRecipient = o.TestRecipient
	}
	settings.Backoff = 10 * time.Millisecond
	if o.Mode != "" {
		settings.Mode = o.Mode
	}
	var clock domain.Clock = FixedClock{}
	if o.Clock != nil {
		clock = o.Clock
	}
	deps := domain.Deps{Apogee: a.Apogee, Store: st, Renderer: rend, Mailer: mailer, Clock: clock}
	if o.HoldMail != nil {
		deps.Mailer = heldMailer{Mailer: mailer, hold: o.HoldMail}
	}
	if o.FailMail {
		deps.Mailer = failingMailer{Mailer: mailer}
	}
	if o.Outside {
		ad := a.Engine.Deps()
		deps.Vault, deps.Hub = ad.Vault, ad.Hub
	}
	if o.Print {
		deps.Printer = a.Engine.Deps().Printer
	}
	eng := domain.NewEngine(deps, settings)
	user := a.User
	if o.User != nil {
		user = *o.User
	}
	c := common.New(ctx, common.Options{Engine: eng, User: user, Clock: clock, MailDir: "/demo/mails", ExportDir: dir})
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = eng.Shutdown(sctx)
		cancel()
		st.Close()
		a.Close()
	})
	return &Env{App: a, Engine: eng, Store: st, MailDir: mailDir, Common: c, DigiposteSim: a.DigiposteSim}
}

// NewTestModel starts m in a 100×30 terminal.
func NewTestModel(t testing.TB, m tea.Model, size ...int) *teatest.TestModel {
	w, h := Width, Height
	if len(size) == 2 {
		w, h = size[0], size[1]
	}
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
}

// Patience bounds a wait for the screen: a wait ends as soon as the text shows, so
// the bound only has to outlast a campaign's preparation under -race on a loaded
// 2-core machine with the package's tests in parallel (60 s did not, at load 19).
const Patience = 3 * time.Minute

// WaitForText waits until the output shows every text (it consumes the output
// stream: do not mix with FinalOutput).
func WaitForText(t testing.TB, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, s := range texts {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(Patience), teatest.WithCheckInterval(20*time.Millisecond))
}

// Drain reads what the output holds so far (so a later WaitForText sees only new output).
func Drain(tm *teatest.TestModel) {
	_, _ = io.Copy(io.Discard, tm.Output())
}

// Final quits and returns the final view.
func Final(t testing.TB, tm *teatest.TestModel) string {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	m := tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second))
	return m.View()
}

// snapshotMsg asks a running Harness for its screen's view.
type snapshotMsg chan string

// Snapshot returns the view of the Harness that tm runs, read on the program's own
// goroutine after every message sent before it (calling the screen's View from the
// test goroutine would race with the running program).
func Snapshot(t testing.TB, tm *teatest.TestModel) string {
	t.Helper()
	ch := make(snapshotMsg, 1)
	tm.Send(ch)
	select {
	case v := <-ch:
		return v
	case <-time.After(Patience):
		t.Fatal("the program did not answer the snapshot")
		return ""
	}
}

// Root makes a whole program's model (the root) answer Snapshot, so that one journey
// can check the screen at each of its steps.
type Root struct{ tea.Model }

// Update answers a snapshot with the view, and forwards everything else.
func (r Root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s, ok := msg.(snapshotMsg); ok {
		s <- r.Model.View() // on the program's goroutine: no race with Update
		return r, nil
	}
	m, cmd := r.Model.Update(msg)
	return Root{m}, cmd
}

// Golden compares view with testdata/<test name>.golden (go test -update rewrites it).
func Golden(t *testing.T, view string) {
	t.Helper()
	golden.RequireEqual(t, []byte(view))
}

// Key is a key press.
func Key(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// Harness shows one screen alone, full size: screen tests drive it like the root does
// (size to SetSize, every message to Update).
type Harness struct{ Screen common.Component }

// Init starts the screen.
func (h Harness) Init() tea.Cmd { return h.Screen.Init() }

// Update sizes and forwards.
func (h Harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		h.Screen.SetSize(ws.Width, ws.Height)
		return h, nil
	}
	if s, ok := msg.(snapshotMsg); ok {
		s <- h.Screen.View() // on the program's goroutine: no race with Update
		return h, nil
	}
	_, cmd := h.Screen.Update(msg)
	return h, cmd
}

// View is the screen's.
func (h Harness) View() string { return h.Screen.View() }

// LMATH is the request used across the tests: Licence Mathématiques 2024, SCI.
var LMATH = domain.PreviewRequest{Year: "2024", Component: "SCI", VDI: domain.VDI{Dip: "LMATH", Version: "201"}}

// Type types s one character at a time (teatest's Type splits UTF-8 into bytes).
func Type(tm *teatest.TestModel, s string) {
	for _, r := range s {
		tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// Downs is n presses of ↓.
func Downs(tm *teatest.TestModel, n int) {
	for range n {
		tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	}
}

// YearIndex is the position of year in the wizard's list (newest first).
func (e *Env) YearIndex(t testing.TB, year string) int {
	years, err := e.Engine.Years(e.Common.Ctx, e.Common.User)
	if err != nil {
		t.Fatal(err)
	}
	for i, y := range years {
		if y.Code == year {
			return i
		}
	}
	t.Fatalf("year %s not open", year)
	return 0
}

// ComponentIndex is the position of a component in the wizard's list.
func (e *Env) ComponentIndex(t testing.TB, code string) int {
	comps, err := e.Engine.Components(e.Common.Ctx, e.Common.User)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range comps {
		if c.Code == code {
			return i
		}
	}
	t.Fatalf("component %s not the user's", code)
	return 0
}
