// Package common is what every screen of the terminal UI shares: the engine and the
// user, the terminal size, the styles, the keymap and the clock; plus the small
// helpers every screen needs (error messages, list cursor, cell fitting).
package common

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"hypercerts/domain"
	"hypercerts/ui/i18n"
	"hypercerts/ui/keymap"
	"hypercerts/ui/styles"
)

// Common is handed to every screen. It is shared by pointer: the fields are set once
// (Width and Height by the root on every resize).
type Common struct {
	Ctx    context.Context
	Engine *domain.Engine
	User   domain.User
	Width  int
	Height int
	Styles *styles.Styles
	KeyMap keymap.KeyMap
	// Clock gives the time the UI shows (tests fix it).
	Clock domain.Clock
	// TestMode is the engine's test mode (a banner on every screen).
	TestMode      bool
	TestRecipient string
	// MailDir is where the demo's mails land (.eml files), shown at the end of a
	// campaign; empty when mails go through SMTP.
	MailDir string
	// ExportDir is where a local UI writes CSV exports (never the working directory).
	ExportDir string
	// MailExport, over SSH, sends a CSV export to the manager as an attachment and
	// says to which address; nil for a local UI.
	MailExport func(ctx context.Context, user domain.User, e Export) (to string, err error)
	// Bus, over SSH, is the daemon's news to every session (nil for a local UI).
	Bus *Bus
	// Tick is the spinner and refresh interval (0: 120 ms). Tests may lengthen it.
	Tick time.Duration

	ids atomic.Int64
}

// Options build a Common.
type Options struct {
	Engine     *domain.Engine
	User       domain.User
	Renderer   *lipgloss.Renderer // nil: the default renderer (local terminal)
	Clock      domain.Clock       // nil: the system clock
	MailDir    string
	ExportDir  string
	MailExport func(ctx context.Context, user domain.User, e Export) (string, error)
	Bus        *Bus
}

// Export is a preview's CSV export: its file name, what it is about, its rows.
type Export struct {
	Name      string // apercu-LMATH-201-2024.csv
	What      string // "Licence Mathématiques (LMATH/201)"
	YearLabel string // 2024-2025
	Rows      []domain.Row
}

// New makes a Common. Over SSH, pass the session's renderer.
func New(ctx context.Context, o Options) *Common {
	r := o.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	clock := o.Clock
	if clock == nil {
		clock = domain.SystemClock{}
	}
	c := &Common{Ctx: ctx, Engine: o.Engine, User: o.User, Styles: styles.DefaultStyles(r),
		KeyMap: keymap.DefaultKeyMap(), Clock: clock, MailDir: o.MailDir, ExportDir: o.ExportDir, MailExport: o.MailExport, Bus: o.Bus,
		Width: 80, Height: 24}
	if o.Engine != nil {
		s := o.Engine.Settings()
		c.TestMode, c.TestRecipient = s.TestMode, s.TestRecipient
	}
	return c
}

// NextID gives a fresh id for a screen instance or a request: asynchronous results
// carry it, and a screen drops results that are not for it.
func (c *Common) NextID() int64 { return c.ids.Add(1) }

// Now is the UI's clock.
func (c *Common) Now() time.Time { return c.Clock.Now() }

// TickEvery is the spinner/refresh interval.
func (c *Common) TickEvery() time.Duration {
	if c.Tick > 0 {
		return c.Tick
	}
	return 120 * time.Millisecond
}

// Component is one screen of the UI.
type Component interface {
	tea.Model
	help.KeyMap
	// SetSize gives the screen the room it has (the root keeps the header, the
	// banner, the status line and the help bar).
	SetSize(width, height int)
	// Title names the screen in the header.
	Title() string
}

// Capturer is a screen that is typing text (search, filter): q and ? are letters then.
type Capturer interface{ Capturing() bool }

// Busy is a screen with work in flight (loading, a launch being prepared).
type Busy interface{ Busy() bool }

// Closer is a screen with something to release when it is left (a stream, a watch).
type Closer interface{ Close() }

// Owner is a screen that asked for results by id (a campaign watch): the root hands
// such a result to its owner only, and stops a watch whose screen was left meanwhile.
type Owner interface{ Owns(id int64) bool }

// Refresher is a screen that reloads when it comes back on top.
type Refresher interface{ Refresh() tea.Cmd }

// Navigation marks the messages that move between screens (open, leave, go home). The
// root does them only if the screen that asked is still on top, so a key pressed twice
// before the first press took effect (Esc Esc, n n) does not also act on the screen
// underneath. A screen's new navigation message implements it; nothing else to list.
type Navigation interface{ Navigation() }

// BackMsg asks the root to leave the current screen.
type BackMsg struct{}

// Navigation marks BackMsg (see Navigation).
func (BackMsg) Navigation() {}

// Back is the command that leaves the current screen.
func Back() tea.Msg { return BackMsg{} }

// HomeMsg asks the root to go back to the campaign list.
type HomeMsg struct{}

// Navigation marks HomeMsg (see Navigation).
func (HomeMsg) Navigation() {}

// StatusMsg shows a non-fatal message on the status line, cleared on the next key.
type StatusMsg struct {
	Text string
	Err  bool
}

// StatusCmd shows text on the status line.
func StatusCmd(text string) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: text} }
}

// ErrorMsg is a non-fatal error for the status line.
type ErrorMsg struct{ Err error }

// ErrorCmd reports a non-fatal error.
func ErrorCmd(err error) tea.Cmd { return func() tea.Msg { return ErrorMsg{Err: err} } }

// ErrorView shows a fatal error in place: what failed, then what to do, wrapped.
func (c *Common) ErrorView(err error, width int) string {
	e := i18n.Explain(err)
	return c.Styles.Error.Render(Wrap(i18n.ErrorTitle+" : "+e.What, width)) + "\n" + Wrap(i18n.WhatToDo+e.Hint, width)
}

// Dialog draws a question in a box: its title, its paragraphs wrapped to the room (a
// question is never cut), then the keys that answer it.
func (c *Common) Dialog(title string, paras []string, keys string, width int) string {
	s := c.Styles
	w := max(min(width-2, 80), 16)
	inner := w - s.Dialog.GetHorizontalFrameSize()
	lines := []string{s.Title.Render(Wrap(title, inner)), ""}
	for _, p := range paras {
		lines = append(lines, Wrap(p, inner))
	}
	lines = append(lines, "", s.Strong.Render(Wrap(keys, inner)))
	return s.Dialog.Width(w - s.Dialog.GetHorizontalBorderSize()).Render(strings.Join(lines, "\n"))
}
