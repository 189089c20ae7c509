package common

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"hypercerts/ui/i18n"
	"hypercerts/ui/styles"
)

// HelpSection is one group of the full help: Navigation, Actions, Filtres.
type HelpSection struct {
	Title string
	Keys  []key.Binding
}

// Sectioned is a screen whose full help (?) is grouped into sections, with a legend of
// the marks it draws (✓, greyed rows, « courriel* »). Only keys that work on the screen
// right now belong there.
type Sectioned interface {
	HelpSections() []HelpSection
	Legend() []string
}

// Sections builds the usual three sections, leaving out the empty ones.
func Sections(nav, actions, filters []key.Binding) []HelpSection {
	var out []HelpSection
	for _, s := range []HelpSection{{i18n.HelpNavigation, nav}, {i18n.HelpActions, actions}, {i18n.HelpFilters, filters}} {
		if len(s.Keys) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// FullHelpView draws the sections side by side while they fit the width (else one
// under another), each key once, then the legend, wrapped.
func FullHelpView(s *styles.Styles, sections []HelpSection, legend []string, width int) string {
	seen := map[string]bool{}
	var blocks []string
	for _, sec := range sections {
		var keys, descs []string
		for _, b := range sec.Keys {
			h := b.Help()
			if !b.Enabled() || h.Key == "" || seen[h.Key] {
				continue
			}
			seen[h.Key] = true
			keys, descs = append(keys, h.Key), append(descs, h.Desc)
		}
		if len(keys) == 0 {
			continue
		}
		kw := 0
		for _, k := range keys {
			kw = max(kw, ansi.StringWidth(k))
		}
		lines := []string{s.Strong.Render(sec.Title)}
		for i := range keys {
			lines = append(lines, s.HelpKey.Render(Fit(keys[i], kw))+"  "+s.HelpDesc.Render(descs[i]))
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	var rows []string
	var row []string
	rowW := 0
	for _, bl := range blocks {
		w := lipgloss.Width(bl)
		if len(row) > 0 && rowW+4+w > width {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, rowW = nil, 0
		}
		if len(row) > 0 {
			row = append(row, "    ")
			rowW += 4
		}
		row = append(row, bl)
		rowW += w
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	out := strings.Join(rows, "\n\n")
	if len(legend) > 0 {
		out += "\n\n" + s.Strong.Render(i18n.HelpLegend)
		for _, l := range legend {
			out += "\n" + Wrap(l, width)
		}
	}
	return out
}

// Footer draws the help bar: the screen's keys in its order of importance (the
// primary action first), then the global ones. When they do not fit, the labels are
// shortened first, then « q quitter » goes, then the screen's last keys; « ? aide »
// always stays, since the full help has everything.
func Footer(s *styles.Styles, screen, global []key.Binding, width int) string {
	var keep []key.Binding
	for _, b := range screen {
		if b.Enabled() && b.Help().Key != "" {
			keep = append(keep, b)
		}
	}
	glob := append([]key.Binding(nil), global...)
	for _, short := range []bool{false, true} {
		if out := footerLine(s, keep, glob, short); ansi.StringWidth(out) <= width {
			return out
		}
	}
	// Drop the quit key (q is known, and in the help), then the screen's last keys.
	if len(glob) > 1 {
		glob = glob[:1]
	}
	for len(keep) > 1 {
		if out := footerLine(s, keep, glob, true); ansi.StringWidth(out) <= width {
			return out
		}
		keep = keep[:len(keep)-1]
	}
	return Cut(footerLine(s, keep, glob, true), width)
}

func footerLine(s *styles.Styles, screen, global []key.Binding, short bool) string {
	var parts []string
	for _, b := range append(append([]key.Binding(nil), screen...), global...) {
		h := b.Help()
		desc := h.Desc
		if short {
			desc = i18n.ShortLabel(desc)
		}
		parts = append(parts, s.HelpKey.Render(h.Key)+" "+s.HelpDesc.Render(desc))
	}
	sep := s.Help.Render(" • ")
	if short {
		sep = s.Help.Render(" · ")
	}
	return strings.Join(parts, sep)
}
