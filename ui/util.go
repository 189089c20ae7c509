package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"hypercerts/ui/keymap"
)

func km(m *Model) keymap.KeyMap { return m.c.KeyMap }

func widthOf(s string) int { return ansi.StringWidth(s) }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// clampLines makes body exactly h lines of at most w cells.
func clampLines(body string, w, h int) string {
	lines := strings.Split(body, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
