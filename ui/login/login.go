// Package login is the sign-in screen (R01): a user name, a hidden password, three
// tries, then the program stops.
//
// The screen knows nothing of CAS: it calls the injected LoginFunc inside a tea.Cmd
// (Update never blocks), with a timeout, and shows the error it returns: err.Error()
// (French, e.g. "CAS : identifiant ou mot de passe incorrect") and, when the error has
// a `Hint() string` method (connectors/cas errors do), what to do about it. The
// password field is emptied as soon as the call is launched: the password then only
// lives in the running call.
//
// On success the model emits LoginSucceededMsg, for the parent model to catch (and
// quits the program when Options.QuitOnSuccess, for a standalone login program). After
// MaxTries failures, or on Échap / Ctrl+C, it emits LoginAbandonedMsg then tea.Quit;
// Result says how it ended.
package login

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"hypercerts/domain"
	"hypercerts/ui/i18n"
	"hypercerts/ui/styles"
)

// LoginFunc checks a user name and password and returns the Apogée user (CAS login
// then user mapping, in the wiring). It must honour ctx.
type LoginFunc func(ctx context.Context, user, password string) (domain.User, error)

// DefaultMaxTries is the number of failed tries before the screen gives up.
const DefaultMaxTries = 3

// DefaultTimeout bounds one call of the LoginFunc.
const DefaultTimeout = 30 * time.Second

// Options configure the screen.
type Options struct {
	Login         LoginFunc          // required
	Renderer      *lipgloss.Renderer // the session's renderer (nil: lipgloss's default)
	Context       context.Context    // parent of each call (nil: context.Background())
	Timeout       time.Duration      // bound on one call (0: DefaultTimeout)
	MaxTries      int                // 0: DefaultMaxTries
	User          string             // user name to prefill (e.g. the SSH user)
	QuitOnSuccess bool               // standalone program: tea.Quit after LoginSucceededMsg
}

// Outcome is how the screen ended.
type Outcome int

const (
	Pending         Outcome = iota // still asking
	Succeeded                      // signed in: Result.User
	TooManyFailures                // MaxTries failures in a row
	Cancelled                      // Échap or Ctrl+C
)

func (o Outcome) String() string {
	return [...]string{i18n.LoginPending, i18n.LoginSucceeded, i18n.LoginFailed, i18n.LoginAbandoned}[o]
}

// Result is what the screen produced.
type Result struct {
	Outcome Outcome
	User    domain.User // when Succeeded
	Tries   int         // failed tries
	Err     error       // last failure, if any
}

// LoginSucceededMsg is emitted once the LoginFunc accepted the user.
type LoginSucceededMsg struct{ User domain.User }

// LoginAbandonedMsg is emitted, just before tea.Quit, when the screen gives up.
type LoginAbandonedMsg struct {
	Outcome Outcome // TooManyFailures or Cancelled
	Tries   int
	Err     error // last failure, if any
}

// attemptMsg carries the outcome of one call; seq tells stale answers apart.
type attemptMsg struct {
	seq  int
	user domain.User
	err  error
}

// Model is the login screen.
type Model struct {
	opts     Options
	st       *styles.Styles
	user     textinput.Model
	password textinput.Model
	spin     spinner.Model
	focus    int // 0 user, 1 password
	checking bool
	seq      int
	notice   string // a non-error message (empty field…)
	result   Result
	width    int
}

// New builds the screen.
func New(o Options) Model {
	if o.Renderer == nil {
		o.Renderer = lipgloss.DefaultRenderer()
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxTries <= 0 {
		o.MaxTries = DefaultMaxTries
	}
	r := o.Renderer
	st := styles.DefaultStyles(r)
	input := func() textinput.Model {
		ti := textinput.New()
		ti.Prompt = ": "
		ti.PromptStyle = r.NewStyle()
		ti.TextStyle = r.NewStyle()
		ti.PlaceholderStyle = r.NewStyle().Faint(true)
		ti.CompletionStyle = r.NewStyle().Faint(true)
		ti.Cursor.Style = r.NewStyle()
		ti.Cursor.TextStyle = r.NewStyle()
		ti.CharLimit = 256
		ti.Width = 32
		return ti
	}
	m := Model{opts: o, st: st, user: input(), password: input()}
	m.user.Placeholder = i18n.LoginUserHolder
	m.user.SetValue(strings.TrimSpace(o.User))
	m.password.EchoMode = textinput.EchoPassword
	m.password.EchoCharacter = '•'
	m.spin = spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(r.NewStyle()))
	if m.user.Value() != "" {
		m.focus = 1
		m.password.Focus()
	} else {
		m.user.Focus()
	}
	return m
}

// Result says how the screen ended (Outcome Pending while it asks).
func (m Model) Result() Result { return m.result }

// SetSize gives the screen its width (messages wrap to it) and height.
func (m *Model) SetSize(width, _ int) { m.width = width }

// Init starts the cursor blinking.
func (m Model) Init() tea.Cmd { return textinput.Blink }

// Update handles keys and the answers of the LoginFunc.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case attemptMsg:
		return m.answered(msg)
	case spinner.TickMsg:
		if !m.checking {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyMsg:
		return m.key(msg)
	}
	if m.result.Outcome != Pending {
		return m, nil
	}
	var c1, c2 tea.Cmd
	m.user, c1 = m.user.Update(msg)
	m.password, c2 = m.password.Update(msg)
	return m, tea.Batch(c1, c2)
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.Type {
	case tea.KeyCtrlC, tea.KeyEsc:
		if m.result.Outcome != Pending {
			return m, tea.Quit
		}
		m.password.Reset()
		m.checking = false
		m.seq++ // an answer still on its way is ignored
		m.result.Outcome = Cancelled
		return m, m.give(LoginAbandonedMsg{Outcome: Cancelled, Tries: m.result.Tries, Err: m.result.Err})
	}
	if m.checking || m.result.Outcome != Pending {
		return m, nil
	}
	m.notice = ""
	switch msg.Type {
	case tea.KeyTab, tea.KeyShiftTab, tea.KeyUp, tea.KeyDown:
		return m, m.setFocus(1 - m.focus)
	case tea.KeyEnter:
		if m.focus == 0 {
			if strings.TrimSpace(m.user.Value()) == "" {
				m.notice = i18n.LoginNeedUser
				return m, nil
			}
			return m, m.setFocus(1)
		}
		return m.submit()
	}
	var cmd tea.Cmd
	if m.focus == 0 {
		m.user, cmd = m.user.Update(msg)
	} else {
		m.password, cmd = m.password.Update(msg)
	}
	return m, cmd
}

func (m *Model) setFocus(f int) tea.Cmd {
	m.focus = f
	if f == 0 {
		m.password.Blur()
		return m.user.Focus()
	}
	m.user.Blur()
	return m.password.Focus()
}

// submit launches the LoginFunc in a Cmd and empties the password field at once.
func (m Model) submit() (tea.Model, tea.Cmd) {
	user := strings.TrimSpace(m.user.Value())
	if user == "" {
		m.notice = i18n.LoginNeedUser
		return m, m.setFocus(0)
	}
	if m.password.Value() == "" {
		m.notice = i18n.LoginNeedPassword
		return m, nil
	}
	login, parent, timeout := m.opts.Login, m.opts.Context, m.opts.Timeout
	m.seq++
	seq := m.seq
	password := m.password.Value()
	m.password.Reset()
	m.checking = true
	m.spin = spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(m.opts.Renderer.NewStyle()))
	call := func() tea.Msg {
		if login == nil {
			return attemptMsg{seq: seq, err: errors.New(i18n.LoginNoLogin)}
		}
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		u, err := login(ctx, user, password)
		if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && parent.Err() == nil {
			err = timeoutError{err}
		}
		return attemptMsg{seq: seq, user: u, err: err}
	}
	return m, tea.Batch(call, m.spin.Tick)
}

type timeoutError struct{ err error }

func (e timeoutError) Error() string { return i18n.LoginTimeout }
func (e timeoutError) Unwrap() error { return e.err }
func (e timeoutError) Hint() string  { return i18n.LoginTimeoutHint }

func (m Model) answered(msg attemptMsg) (tea.Model, tea.Cmd) {
	if msg.seq != m.seq || m.result.Outcome != Pending {
		return m, nil
	}
	m.checking = false
	if msg.err == nil {
		m.result.Outcome, m.result.User, m.result.Err = Succeeded, msg.user, nil
		ok := func() tea.Msg { return LoginSucceededMsg{User: msg.user} }
		if m.opts.QuitOnSuccess {
			return m, tea.Sequence(ok, tea.Quit)
		}
		return m, ok
	}
	m.result.Tries++
	m.result.Err = msg.err
	if m.result.Tries >= m.opts.MaxTries {
		m.result.Outcome = TooManyFailures
		m.user.Blur()
		m.password.Blur()
		return m, m.give(LoginAbandonedMsg{Outcome: TooManyFailures, Tries: m.result.Tries, Err: msg.err})
	}
	return m, m.setFocus(1)
}

// give emits the abandon message, then quits.
func (m Model) give(msg LoginAbandonedMsg) tea.Cmd {
	return tea.Sequence(func() tea.Msg { return msg }, tea.Quit)
}

// View draws the screen.
func (m Model) View() string {
	s := m.st
	wrap := func(st lipgloss.Style) lipgloss.Style {
		if m.width > 8 {
			return st.Width(m.width - 4)
		}
		return st
	}
	var b strings.Builder
	b.WriteString(s.Title.Render(i18n.AppName+" — "+i18n.AppTagline) + "\n")
	b.WriteString(s.Muted.Render(i18n.LoginSubtitle) + "\n\n")
	label := func(text string, focused bool) string {
		if focused {
			return s.Strong.Render(text)
		}
		return s.Row.Render(text)
	}
	b.WriteString(label(i18n.LoginUserLabel, m.focus == 0) + m.user.View() + "\n")
	b.WriteString(label(i18n.LoginPasswordLabel, m.focus == 1) + m.password.View() + "\n\n")

	switch {
	case m.result.Outcome == Succeeded:
		name := m.result.User.Name
		if name == "" {
			name = m.result.User.Code
		}
		b.WriteString(s.Ok.Render(fmt.Sprintf(i18n.LoginWelcome, name)) + "\n")
		return b.String()
	case m.checking:
		b.WriteString(m.spin.View() + " " + s.Status.Render(i18n.LoginChecking) + "\n")
	case m.result.Err != nil:
		b.WriteString(wrap(s.Error).Render("✗ "+m.result.Err.Error()) + "\n")
		if h := hint(m.result.Err); h != "" {
			b.WriteString(wrap(s.Muted).Render(i18n.WhatToDo+h) + "\n")
		}
		if m.result.Outcome == Pending {
			b.WriteString(s.Muted.Render(fmt.Sprintf(i18n.LoginTriesLeft, m.opts.MaxTries-m.result.Tries)) + "\n")
		}
	case m.notice != "":
		b.WriteString(s.Status.Render(m.notice) + "\n")
	}
	switch m.result.Outcome {
	case TooManyFailures:
		b.WriteString("\n" + wrap(s.Error).Render(fmt.Sprintf(i18n.LoginTooMany, m.result.Tries)) + "\n")
		return b.String()
	case Cancelled:
		b.WriteString("\n" + s.Status.Render(i18n.LoginCancelled) + "\n")
		return b.String()
	}
	b.WriteString("\n" + s.Help.Render(i18n.LoginHelp) + "\n")
	return b.String()
}

// hint is what to do about a failed login: the error's own Hint (connectors/cas errors
// have one), or ours for a user without rights.
func hint(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) && h.Hint() != "" {
		return h.Hint()
	}
	if errors.Is(err, domain.ErrForbidden) {
		return i18n.LoginForbiddenHint
	}
	return i18n.LoginOtherHint
}
