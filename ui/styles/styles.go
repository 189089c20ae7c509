// Package styles holds the lipgloss styles of the terminal UI. Styles are built from a
// renderer: over SSH it must be the session's renderer (bubbletea.MakeRenderer), never
// the global one, which describes the server's own terminal.
//
// Colours are the 16 ANSI ones so they degrade cleanly; meaning never rests on colour
// alone (the selected row is reversed, headers are bold, errors are prefixed).
package styles

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles are every style the screens use.
type Styles struct {
	Title      lipgloss.Style
	Crumb      lipgloss.Style
	CrumbDone  lipgloss.Style
	CrumbHere  lipgloss.Style
	Banner     lipgloss.Style
	Header     lipgloss.Style
	Row        lipgloss.Style
	Selected   lipgloss.Style
	Muted      lipgloss.Style
	Strong     lipgloss.Style
	Ok         lipgloss.Style
	Warn       lipgloss.Style
	Bad        lipgloss.Style
	Error      lipgloss.Style
	Status     lipgloss.Style
	StatusErr  lipgloss.Style
	Help       lipgloss.Style
	HelpKey    lipgloss.Style
	HelpDesc   lipgloss.Style
	Pane       lipgloss.Style
	Dialog     lipgloss.Style
	Input      lipgloss.Style
	TabActive  lipgloss.Style
	TabPassive lipgloss.Style
	// NoColor: the terminal shows no styling at all (NO_COLOR, a monochrome or dumb
	// terminal); marks drawn by a style alone (a reversed cursor cell) must be drawn
	// with a character instead.
	NoColor bool
}

// DefaultStyles builds the styles from r (lipgloss.DefaultRenderer() for a local
// terminal, bubbletea.MakeRenderer(session) over SSH).
func DefaultStyles(r *lipgloss.Renderer) *Styles {
	n := r.NewStyle
	var (
		red    = lipgloss.Color("1")
		green  = lipgloss.Color("2")
		yellow = lipgloss.Color("3")
		blue   = lipgloss.Color("4")
		cyan   = lipgloss.Color("6")
		grey   = lipgloss.Color("8")
	)
	return &Styles{
		Title:      n().Bold(true).Foreground(cyan),
		Crumb:      n().Foreground(grey),
		CrumbDone:  n(),
		CrumbHere:  n().Bold(true).Underline(true),
		Banner:     n().Bold(true).Foreground(yellow).Reverse(true),
		Header:     n().Bold(true).Underline(true),
		Row:        n(),
		Selected:   n().Reverse(true),
		Muted:      n().Foreground(grey),
		Strong:     n().Bold(true),
		Ok:         n().Foreground(green),
		Warn:       n().Foreground(yellow),
		Bad:        n().Foreground(red),
		Error:      n().Bold(true).Foreground(red),
		Status:     n().Foreground(cyan),
		StatusErr:  n().Bold(true).Foreground(red),
		Help:       n().Foreground(grey),
		HelpKey:    n().Bold(true),
		HelpDesc:   n().Foreground(grey),
		Pane:       n().Border(lipgloss.NormalBorder(), true, false, false, false).BorderForeground(grey),
		Dialog:     n().Border(lipgloss.NormalBorder()).BorderForeground(blue).Padding(0, 1),
		Input:      n().Bold(true),
		TabActive:  n().Bold(true).Reverse(true),
		TabPassive: n(),
		NoColor:    r.ColorProfile() == termenv.Ascii,
	}
}
