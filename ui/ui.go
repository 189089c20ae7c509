// Package ui is the managers' terminal UI (Bubble Tea): the campaign list, the
// new-campaign wizard, the preview, the launch and its live progress, and one
// campaign's students and audit log. It holds no business rule: every decision is the
// engine's (hypercerts/domain), the UI only calls it and shows what it says.
//
// The root model owns a stack of screens: the window size goes to every screen, keys
// only to the one on top; asynchronous results carry the id of the screen that asked,
// so a screen left meanwhile never receives another's results.
package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/ui/campaign"
	"hypercerts/ui/common"
	"hypercerts/ui/home"
	"hypercerts/ui/hubee"
	"hypercerts/ui/i18n"
	"hypercerts/ui/launch"
	"hypercerts/ui/preview"
	"hypercerts/ui/wizard"
)

// Model is the root model.
type Model struct {
	c        *common.Common
	stack    []common.Component
	showHelp bool
	helpOff  int // first line of the full help shown, when it does not fit
	status   string
	statusEr bool
	quitAsk  string // the question asked before quitting with work in flight
	news     <-chan common.BusMsg
	closing  string // the daemon stops: why (the last frame)
}

// New makes the root model over c.
func New(c *common.Common) *Model {
	m := &Model{c: c}
	m.stack = []common.Component{home.New(c)}
	return m
}

// Init loads the campaign list and, over SSH, listens to the daemon's news.
func (m *Model) Init() tea.Cmd {
	if m.c.Bus == nil {
		return m.top().Init()
	}
	var stop func()
	m.news, stop = m.c.Bus.Subscribe()
	go func() { <-m.c.Ctx.Done(); stop() }() // the session ended
	return tea.Batch(m.top().Init(), common.WaitBus(m.news))
}

// Top is the screen on top (tests).
func (m *Model) Top() common.Component { return m.top() }

func (m *Model) top() common.Component { return m.stack[len(m.stack)-1] }

func (m *Model) bodyHeight() int {
	h := m.c.Height - 4 // header + blank, status line, help bar
	if m.c.TestMode {
		h--
	}
	return max(h, 3)
}

func (m *Model) push(s common.Component) tea.Cmd {
	s.SetSize(m.c.Width, m.bodyHeight())
	m.stack = append(m.stack, s)
	return s.Init()
}

func (m *Model) pop() tea.Cmd {
	if len(m.stack) == 1 {
		return nil
	}
	if cl, ok := m.top().(common.Closer); ok {
		cl.Close()
	}
	m.stack = m.stack[:len(m.stack)-1]
	if r, ok := m.top().(common.Refresher); ok {
		return r.Refresh()
	}
	return nil
}

func (m *Model) home() tea.Cmd {
	for len(m.stack) > 2 {
		m.pop()
	}
	return m.pop()
}

// busy says what to ask before quitting, or "" when nothing is in flight.
func (m *Model) busy() string {
	if m.c.Engine != nil && len(m.c.Engine.Running()) > 0 {
		return i18n.QuitConfirm
	}
	for _, s := range m.stack {
		if b, ok := s.(common.Busy); ok && b.Busy() {
			return i18n.QuitConfirmLoading
		}
	}
	return ""
}

func (m *Model) quit() tea.Cmd {
	if ask := m.busy(); ask != "" {
		m.quitAsk = ask
		return nil
	}
	return m.quitNow()
}

func (m *Model) quitNow() tea.Cmd {
	for _, s := range m.stack {
		if cl, ok := s.(common.Closer); ok {
			cl.Close()
		}
	}
	return tea.Quit
}

// navMsg is a navigation asked by a key on screen from: it is done only if from is
// still on top, so a key pressed again before the first one took effect (Esc Esc on
// the preview, n n on the list) does not also leave or open the screen underneath.
type navMsg struct {
	from common.Component
	msg  tea.Msg
}

// fromScreen tags the navigation messages cmd gives with the screen that asked.
func fromScreen(from common.Component, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		switch msg := cmd().(type) {
		case tea.BatchMsg:
			out := make(tea.BatchMsg, len(msg))
			for i, c := range msg {
				out[i] = fromScreen(from, c)
			}
			return out
		case common.Navigation:
			return navMsg{from: from, msg: msg}
		default:
			return msg
		}
	}
}

// splitBurst splits keys typed in one burst ("jjj", "f f f": a paste, a fast typist
// over SSH), which arrive as one message of several runes and would match no key,
// into one key each; nil when msg is a single key or goes into a text field.
func splitBurst(msg tea.KeyMsg, textField bool) []tea.Msg {
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 || textField {
		return nil
	}
	out := make([]tea.Msg, 0, len(msg.Runes))
	for _, r := range msg.Runes {
		if r == ' ' {
			out = append(out, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}

// Update routes messages: keys to the screen on top, everything else to every screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := m.c.KeyMap
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		for _, s := range m.stack {
			s.SetSize(msg.Width, m.bodyHeight())
		}
		return m, nil
	case tea.MouseMsg:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			return m.Update(tea.KeyMsg{Type: tea.KeyUp})
		case tea.MouseButtonWheelDown:
			return m.Update(tea.KeyMsg{Type: tea.KeyDown})
		}
		return m, nil
	case tea.KeyMsg:
		if keys := splitBurst(msg, m.capturing() && m.quitAsk == "" && !m.showHelp); keys != nil {
			var cmds []tea.Cmd
			for _, k := range keys {
				_, cmd := m.Update(k)
				cmds = append(cmds, cmd)
			}
			return m, tea.Sequence(cmds...)
		}
		m.status, m.statusEr = "", false
		if m.quitAsk != "" {
			if key.Matches(msg, km.Yes) || msg.String() == "ctrl+c" {
				return m, m.quitNow() // the question stays on the last frame
			}
			m.quitAsk = ""
			return m, nil
		}
		capturing := false
		if c, ok := m.top().(common.Capturer); ok {
			capturing = c.Capturing()
		}
		switch {
		case key.Matches(msg, km.ForceQuit), !capturing && key.Matches(msg, km.Quit):
			return m, m.quit()
		case !capturing && key.Matches(msg, km.Help):
			m.showHelp, m.helpOff = !m.showHelp, 0
			return m, nil
		case m.showHelp && m.scrollHelp(msg):
			return m, nil
		case m.showHelp: // the full help is modal: Esc or any other key closes it
			m.showHelp = false
			return m, nil
		}
		top := m.top()
		_, cmd := top.Update(msg)
		return m, fromScreen(top, cmd)
	case common.BusMsg:
		if msg.Closing != "" { // the daemon stops: say why, then end the session
			// Out of the alternate screen first: the notice is then drawn on the
			// terminal's own screen, where it stays once the session is closed.
			m.closing = msg.Closing
			return m, tea.Sequence(tea.ExitAltScreen, tea.Tick(300*time.Millisecond, func(time.Time) tea.Msg { return nil }), m.quitNow())
		}
		// Campaigns or HubEE cases changed (another session, a daemon job): the
		// screen on top reloads; the others do when they come back on top.
		var cmd tea.Cmd
		if r, ok := m.top().(common.Refresher); ok {
			if b, ok := m.top().(common.Busy); !ok || !b.Busy() {
				cmd = r.Refresh()
			}
		}
		return m, tea.Batch(cmd, common.WaitBus(m.news))
	case navMsg:
		if msg.from != m.top() {
			return m, nil // asked by a screen that was left meanwhile (Esc Esc, n n)
		}
		return m.Update(msg.msg)
	case common.BackMsg:
		return m, m.pop()
	case common.HomeMsg:
		return m, m.home()
	case common.StatusMsg:
		m.status, m.statusEr = msg.Text, msg.Err
		return m, nil
	case common.ErrorMsg:
		e := i18n.Explain(msg.Err)
		m.status, m.statusEr = e.What+" — "+e.Hint, true
		return m, nil
	case home.NewMsg:
		return m, m.push(wizard.New(m.c))
	case home.HubEEMsg:
		return m, m.push(hubee.New(m.c))
	case home.OpenMsg:
		return m, m.push(campaign.New(m.c, msg.ID))
	case wizard.DoneMsg:
		return m, m.push(preview.New(m.c, msg.Request))
	case preview.LaunchMsg:
		t := msg.Totals
		return m, m.push(launch.New(m.c, launch.Plan{Request: msg.Request, Students: t.Students, Eligible: t.Eligible, Rows: msg.Rows, PreviewedAt: msg.At}))
	case launch.OpenCampaignMsg:
		cmd := m.home()
		return m, tea.Batch(cmd, m.push(campaign.New(m.c, msg.ID)))
	case common.WatchingMsg:
		// To its screen only; a screen left while the watch was starting never
		// receives it, so the watch is stopped here.
		for _, s := range m.stack {
			if o, ok := s.(common.Owner); ok && o.Owns(msg.ID) {
				_, cmd := s.Update(msg)
				return m, cmd
			}
		}
		if msg.Stop != nil {
			msg.Stop()
		}
		return m, nil
	}
	var cmds []tea.Cmd
	for _, s := range m.stack {
		_, cmd := s.Update(msg)
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

// header is the breadcrumb and the user. When it does not fit, the user goes, then
// the tagline, then the screens between the first and the last (« … »), so the
// current screen is always named whole, never a dangling « Aperçu › ».
func (m *Model) header() string {
	s := m.c.Styles
	w := m.c.Width
	var titles []string
	for _, sc := range m.stack {
		titles = append(titles, sc.Title())
	}
	sep := s.Muted.Render(" › ")
	crumb := func(ts []string) string { return strings.Join(ts, sep) }
	right := s.Muted.Render(m.c.User.Name + " (" + m.c.User.Code + ")")
	left := s.Title.Render(i18n.AppName) + s.Muted.Render(" · "+i18n.AppTagline+" · ") + crumb(titles)
	if gap := w - widthOf(left) - widthOf(right); gap >= 1 {
		return left + strings.Repeat(" ", gap) + right
	}
	if widthOf(left) <= w {
		return left
	}
	short := s.Title.Render(i18n.AppName) + s.Muted.Render(" · ")
	if l := short + crumb(titles); widthOf(l) <= w {
		return l
	}
	if len(titles) > 2 {
		if l := short + crumb([]string{titles[0], "…", titles[len(titles)-1]}); widthOf(l) <= w {
			return l
		}
	}
	return common.Cut(titles[len(titles)-1], w)
}

// View draws the header, the test-mode banner, the screen, the status line and the
// help bar, in exactly the terminal's height.
func (m *Model) View() string {
	s := m.c.Styles
	w := m.c.Width
	var b strings.Builder
	b.WriteString(m.header() + "\n")
	if m.closing != "" { // the last frame, left on the terminal: no keys, no padding
		return b.String() + "\n" + m.c.Dialog(i18n.ClosingTitle, []string{m.closing}, i18n.ClosingHint, w) + "\n"
	}
	if m.c.TestMode {
		b.WriteString(s.Banner.Render(common.Fit(" "+sprintf(i18n.TestModeBanner, m.c.TestRecipient), w)) + "\n")
	}
	b.WriteString("\n")
	h := m.bodyHeight()
	var body string
	switch {
	case m.quitAsk != "":
		body = m.c.Dialog(i18n.QuitTitle, []string{m.quitAsk}, i18n.QuitKeys, w)
	case m.showHelp:
		body = m.helpView(h)
	default:
		body = m.top().View()
	}
	b.WriteString(clampLines(body, w, h) + "\n")
	switch {
	case m.status != "" && m.statusEr:
		b.WriteString(s.StatusErr.Render(common.Cut(m.status, w)))
	case m.status != "":
		b.WriteString(s.Status.Render(common.Cut(m.status, w)))
	}
	b.WriteString("\n")
	var screen, global []key.Binding
	switch {
	case m.quitAsk != "":
		screen = []key.Binding{km(m).Yes, km(m).No}
	case m.showHelp:
		closeHelp := km(m).Help
		closeHelp.SetHelp(i18n.KeyNameCloseHelp, i18n.KeyCloseHelp)
		global = []key.Binding{closeHelp}
		if m.helpLines() > h {
			screen = []key.Binding{key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", i18n.KeyScroll)), km(m).PageDown}
		}
	default:
		screen = m.top().ShortHelp()
		if !m.capturing() { // while typing, q and ? are letters of the field
			global = km(m).ShortHelp()
		}
	}
	b.WriteString(common.Footer(s, screen, global, w))
	return b.String()
}

func (m *Model) capturing() bool {
	c, ok := m.top().(common.Capturer)
	return ok && c.Capturing()
}

// scrollHelp moves the full help when it does not fit the body (↑/↓, pgup/pgdn,
// début/fin, the wheel); it reports whether msg was such a key. Any other key closes
// the help, as before.
func (m *Model) scrollHelp(msg tea.KeyMsg) bool {
	k := km(m)
	page := max(m.bodyHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		m.helpOff--
	case key.Matches(msg, k.Down):
		m.helpOff++
	case key.Matches(msg, k.PageUp):
		m.helpOff -= page
	case key.Matches(msg, k.PageDown):
		m.helpOff += page
	case key.Matches(msg, k.Top):
		m.helpOff = 0
	case key.Matches(msg, k.Bottom):
		m.helpOff = m.helpLines()
	default:
		return false
	}
	return true
}

func (m *Model) helpLines() int { return strings.Count(m.fullHelp(), "\n") + 1 }

// helpView is the full help in h lines: whole when it fits, else a window of h-1
// lines from helpOff and, under it, which lines are shown and how to see the rest
// (issue 16 item 14: at 40×10 the help was cut with no way to read the end).
func (m *Model) helpView(h int) string {
	help := m.fullHelp()
	lines := strings.Split(help, "\n")
	if len(lines) <= h {
		m.helpOff = 0
		return help
	}
	win := max(h-1, 1)
	m.helpOff = min(max(m.helpOff, 0), len(lines)-win)
	end := m.helpOff + win
	arrows := ""
	if m.helpOff > 0 {
		arrows += "↑"
	}
	if end < len(lines) {
		arrows += "↓"
	}
	more := sprintf(i18n.HelpMore, arrows, m.helpOff+1, end, len(lines))
	return strings.Join(lines[m.helpOff:end], "\n") + "\n" + m.c.Styles.Muted.Render(common.Cut(more, m.c.Width))
}

// fullHelp is the screen's help by sections, then the keys of every screen, then the
// legend of the screen's marks.
func (m *Model) fullHelp() string {
	top := m.top()
	var sections []common.HelpSection
	var legend []string
	if sc, ok := top.(common.Sectioned); ok {
		sections, legend = sc.HelpSections(), sc.Legend()
	} else {
		for i, g := range top.FullHelp() {
			title := i18n.HelpActions
			if i == 0 {
				title = i18n.HelpNavigation
			}
			sections = append(sections, common.HelpSection{Title: title, Keys: g})
		}
	}
	k := km(m)
	quit := k.Quit
	quit.SetHelp("q/ctrl+c", i18n.KeyQuit)
	sections = append(sections, common.HelpSection{Title: i18n.HelpGeneral, Keys: []key.Binding{k.Help, quit}})
	return common.FullHelpView(m.c.Styles, sections, legend, m.c.Width)
}
