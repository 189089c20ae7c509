package login

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"hypercerts/connectors/cas"
	"hypercerts/domain"
	"hypercerts/ui/i18n"
)

func testRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

func typeText(m Model, s string) Model {
	for _, r := range s {
		nm, _ := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		m = nm.(Model)
	}
	return m
}

// run executes a command and the commands it batches, the way the program would,
// and returns the messages of type attemptMsg.
func attempts(t *testing.T, cmd tea.Cmd) []attemptMsg {
	t.Helper()
	var out []attemptMsg
	var walk func(tea.Cmd, int)
	walk = func(c tea.Cmd, depth int) {
		if c == nil || depth > 3 {
			return
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				walk(c, depth+1)
			}
		case attemptMsg:
			out = append(out, msg)
		}
	}
	walk(cmd, 0)
	return out
}

func TestR01_PasswordClearedAtOnceAndCheckedInACmd(t *testing.T) {
	var calls atomic.Int32
	var seen string
	fn := func(_ context.Context, user, password string) (domain.User, error) {
		calls.Add(1)
		seen = user + "/" + password
		return domain.User{Code: "JDUPONT"}, nil
	}
	m := New(Options{Login: fn, Renderer: testRenderer(), User: "jdupont"})
	m = typeText(m, "secret")
	if !strings.Contains(m.View(), "••••••") || strings.Contains(m.View(), "secret") {
		t.Fatalf("password not hidden:\n%s", m.View())
	}
	nm, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	m = nm.(Model)
	if calls.Load() != 0 {
		t.Fatal("the login function ran inside Update")
	}
	if m.password.Value() != "" || strings.Contains(m.View(), "•") {
		t.Fatal("the password field still holds the password after the call was launched")
	}
	if !strings.Contains(m.View(), i18n.LoginChecking) {
		t.Fatalf("no progress shown:\n%s", m.View())
	}
	// keys are ignored while checking
	m = typeText(m, "zzz")
	if m.password.Value() != "" {
		t.Fatal("typing while checking")
	}
	as := attempts(t, cmd)
	if len(as) != 1 || calls.Load() != 1 || seen != "jdupont/secret" {
		t.Fatalf("attempts %v, calls %d, seen %q", as, calls.Load(), seen)
	}
	nm, cmd = m.Update(as[0])
	m = nm.(Model)
	if m.Result().Outcome != Succeeded || cmd == nil {
		t.Fatalf("result %+v", m.Result())
	}
	if msg, ok := cmd().(LoginSucceededMsg); !ok || msg.User.Code != "JDUPONT" {
		t.Fatalf("message %#v", msg)
	}
}

func TestR01_DistinctErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want []string
	}{
		{&cas.Error{Kind: cas.ErrBadCredentials}, []string{"identifiant ou mot de passe incorrect", "vérifiez votre identifiant"}},
		{&cas.Error{Kind: cas.ErrLocked}, []string{"compte verrouillé", "support informatique"}},
		{&cas.Error{Kind: cas.ErrUnreachable, Detail: "HTTP 503"}, []string{"serveur CAS injoignable", "réessayez dans quelques minutes"}},
		{&cas.Error{Kind: cas.ErrValidation, Code: "INVALID_SERVICE"}, []string{"validation du ticket refusée", "cas.service"}},
		{domain.Forbidden(domain.User{Code: "X"}, "aucune composante"), []string{"droits insuffisants", "TRAREF10"}},
	} {
		fn := func(context.Context, string, string) (domain.User, error) { return domain.User{}, tc.err }
		m := New(Options{Login: fn, Renderer: testRenderer(), User: "jdupont"})
		m = typeText(m, "pw")
		nm, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
		nm, _ = nm.(Model).Update(attempts(t, cmd)[0])
		v := nm.(Model).View()
		for _, w := range tc.want {
			if !strings.Contains(v, w) {
				t.Errorf("%v: %q missing from\n%s", tc.err, w, v)
			}
		}
		if !strings.Contains(v, "Tentatives restantes : 2.") {
			t.Errorf("tries left missing:\n%s", v)
		}
	}
}

func TestR01_EmptyFieldsDoNotCount(t *testing.T) {
	fn := func(context.Context, string, string) (domain.User, error) {
		t.Fatal("called with an empty field")
		return domain.User{}, nil
	}
	m := New(Options{Login: fn, Renderer: testRenderer()})
	nm, _ := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if !strings.Contains(nm.(Model).View(), i18n.LoginNeedUser) {
		t.Fatal("no prompt for the user name")
	}
	m = typeText(nm.(Model), "jdupont")
	nm, _ = m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	nm, _ = nm.(Model).Update(tea.KeyMsg{Type: tea.KeyEnter})
	if !strings.Contains(nm.(Model).View(), i18n.LoginNeedPassword) || nm.(Model).Result().Tries != 0 {
		t.Fatal("an empty password must not cost a try")
	}
}

func TestR01_LoginTimeout(t *testing.T) {
	fn := func(ctx context.Context, _, _ string) (domain.User, error) {
		<-ctx.Done()
		return domain.User{}, ctx.Err()
	}
	m := New(Options{Login: fn, Renderer: testRenderer(), User: "jdupont", Timeout: 50 * time.Millisecond})
	m = typeText(m, "pw")
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	as := attempts(t, cmd)
	if len(as) != 1 || !errors.Is(as[0].err, context.DeadlineExceeded) || as[0].err.Error() != i18n.LoginTimeout {
		t.Fatalf("attempts %+v", as)
	}
}
