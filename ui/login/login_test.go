package login_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"hypercerts/config"
	"hypercerts/connectors/cas"
	"hypercerts/connectors/cas/sim"
	"hypercerts/domain"
	"hypercerts/internal/syncbuf"
	"hypercerts/ui/login"
)

const (
	goodPassword = "Tr0ub4dor&3-jd"
	badPassword  = "pas-le-bon-MDP"
	service      = "https://hypercerts.univ-demo.fr/"
)

func renderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// casLogin is the wiring the application does: CAS login against the simulator, then
// the configured user mapping gives the Apogée user code. Everything logs at DEBUG
// into logs.
func casLogin(t *testing.T, logs io.Writer) (login.LoginFunc, *sim.Server) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := sim.New([]sim.User{
		{ID: "jdupont", Password: goodPassword, Attributes: map[string]sim.Values{"displayName": {"Jean Dupont"}}},
		{ID: "mmartin", Password: goodPassword, Locked: true},
	})
	s.Log = log
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c, err := cas.New(cas.Config{URL: base, Service: service, Timeout: 3 * time.Second, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	mapping := config.UserMapping{Case: "upper"}
	return func(ctx context.Context, user, password string) (domain.User, error) {
		id, err := c.Login(ctx, user, password)
		if err != nil {
			return domain.User{}, err
		}
		return domain.User{Code: mapping.Map(id.User, id.Flat()), Name: id.Attribute("displayName")}, nil
	}, s
}

// screen accumulates the program's output, so that waiting for a text does not lose
// what came before it.
type screen struct {
	tm  *teatest.TestModel
	buf bytes.Buffer
}

func (s *screen) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := io.ReadAll(s.tm.Output())
		s.buf.Write(b)
		if bytes.Contains(s.buf.Bytes(), []byte(text)) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%q never shown; output:\n%s", text, s.buf.String())
}

func (s *screen) rest(t *testing.T) string {
	b, _ := io.ReadAll(s.tm.FinalOutput(t, teatest.WithFinalTimeout(5*time.Second)))
	s.buf.Write(b)
	return s.buf.String()
}

func enter(tm *teatest.TestModel) { tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) }

func TestR01_LoginScreenSuccess(t *testing.T) {
	t.Parallel()
	logs := &syncbuf.Buffer{}
	fn, s := casLogin(t, logs)
	m := login.New(login.Options{Login: fn, Renderer: renderer(), QuitOnSuccess: true})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	sc := &screen{tm: tm}
	sc.waitFor(t, "Identifiant")
	tm.Type("jdupont")
	enter(tm)
	tm.Type(goodPassword)
	sc.waitFor(t, strings.Repeat("•", len(goodPassword)))
	enter(tm)
	out := sc.rest(t)
	final := tm.FinalModel(t).(login.Model)
	r := final.Result()
	if r.Outcome != login.Succeeded || r.User.Code != "JDUPONT" || r.User.Name != "Jean Dupont" {
		t.Fatalf("result %+v", r)
	}
	if !strings.Contains(final.View(), "Connecté : Jean Dupont") {
		t.Fatalf("view:\n%s", final.View())
	}
	if strings.Contains(out, goodPassword) || strings.Contains(logs.String(), goodPassword) {
		t.Fatal("the password is visible in the output or the logs")
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatalf("nothing logged at DEBUG:\n%s", logs)
	}
	if s.Sessions() != 0 {
		t.Fatal("CAS session left open")
	}
}

func TestR01_LoginScreenThreeFailuresThenExit(t *testing.T) {
	t.Parallel()
	logs := &syncbuf.Buffer{}
	fn, _ := casLogin(t, logs)
	m := login.New(login.Options{Login: fn, Renderer: renderer(), User: "jdupont"})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 24))
	sc := &screen{tm: tm}
	sc.waitFor(t, "Mot de passe")
	for i, left := range []string{"Tentatives restantes : 2.", "Tentatives restantes : 1."} {
		tm.Type(badPassword)
		enter(tm)
		sc.waitFor(t, left)
		if i == 0 {
			sc.waitFor(t, "identifiant ou mot de passe incorrect")
		}
	}
	tm.Type(badPassword)
	enter(tm)
	out := sc.rest(t)
	r := tm.FinalModel(t).(login.Model).Result()
	if r.Outcome != login.TooManyFailures || r.Tries != 3 || !errors.Is(r.Err, cas.ErrBadCredentials) {
		t.Fatalf("result %+v", r)
	}
	if !strings.Contains(out, "Trop d'échecs") {
		t.Fatalf("no exit message:\n%s", out)
	}
	if strings.Contains(out, badPassword) || strings.Contains(logs.String(), badPassword) {
		t.Fatal("the password is visible in the output or the logs")
	}
}

func TestR01_LoginScreenCancel(t *testing.T) {
	t.Parallel()
	fn, _ := casLogin(t, io.Discard)
	tm := teatest.NewTestModel(t, login.New(login.Options{Login: fn, Renderer: renderer()}), teatest.WithInitialTermSize(80, 24))
	tm.Type("jdup")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	r := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(login.Model).Result()
	if r.Outcome != login.Cancelled {
		t.Fatalf("result %+v", r)
	}
}

// parent is a root model that embeds the screen and catches its result.
type parent struct {
	login login.Model
	user  domain.User
}

func (p parent) Init() tea.Cmd { return p.login.Init() }
func (p parent) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ok, is := msg.(login.LoginSucceededMsg); is {
		p.user = ok.User
		return p, tea.Quit
	}
	m, cmd := p.login.Update(msg)
	p.login = m.(login.Model)
	return p, cmd
}
func (p parent) View() string { return p.login.View() }

func TestR01_LoginScreenParentCatchesSuccess(t *testing.T) {
	t.Parallel()
	fn, _ := casLogin(t, io.Discard)
	p := parent{login: login.New(login.Options{Login: fn, Renderer: renderer(), User: "jdupont"})}
	tm := teatest.NewTestModel(t, p, teatest.WithInitialTermSize(80, 24))
	tm.Type(goodPassword)
	enter(tm)
	got := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(parent)
	if got.user.Code != "JDUPONT" {
		t.Fatalf("parent got %+v", got.user)
	}
}
