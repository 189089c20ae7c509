package common

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"hypercerts/ui/styles"
)

func noColorStyles() *styles.Styles {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return styles.DefaultStyles(r)
}

var testCols = []Column{
	{Title: "Nom", Width: 8, Flex: 1},
	{Title: "Reçu le", Width: 16, Priority: 2},
	{Title: "Reçu", Width: 10, Instead: 2},
	{Title: "État", Width: 10, Priority: 1},
	{Title: "Adresse", Width: 6, Flex: 1, Priority: 1, Readable: 20},
}

// Narrower, the highest priority goes first, a whole level at a time; a shorter form
// stands in for the level it replaces; a column is left out rather than shown
// narrower than it can be read.
func TestTablePriorities(t *testing.T) {
	for _, c := range []struct {
		width int
		shown []int
	}{
		{200, []int{0, 1, 3, 4}},
		// all at minimum: 8+16+10+20 (readable) + 3 gaps + gutter 2 = 59
		{59, []int{0, 1, 3, 4}},
		{58, []int{0, 2, 3, 4}}, // level 2 out, the day instead: 8+10+10+20+3+2 = 53
		{52, []int{0, 2}},       // level 1 out too
		{10, []int{0, 2}},       // never below level 0
	} {
		tb := NewTable(testCols)
		tb.SetWidth(c.width)
		var got []int
		for i := range testCols {
			if tb.Shown(i) {
				got = append(got, i)
			}
		}
		if !slices.Equal(got, c.shown) {
			t.Errorf("width %d: columns %v, want %v", c.width, got, c.shown)
		}
	}
}

// The selected row is marked by a character, not only reversed: without colours it
// still shows; only the visible rows are asked for; the empty message shows.
func TestTableViewWithoutColours(t *testing.T) {
	s := noColorStyles()
	if !s.NoColor {
		t.Fatal("an ASCII renderer does not say NoColor")
	}
	tb := NewTable([]Column{{Title: "Nom", Width: 10}, {Title: "Code", Width: 8}})
	tb.SetWidth(40)
	tb.SetHeight(2)
	tb.SetLen(100)
	tb.Move(50)
	asked := 0
	view := tb.View(s, func(i int) Row {
		asked++
		return Row{Cells: []string{"ÉTUDIANT", string(rune('A' + i%26))}}
	})
	lines := strings.Split(view, "\n")
	if len(lines) != 3 || asked != 2 {
		t.Fatalf("%d lines, %d rows asked:\n%s", len(lines), asked, view)
	}
	if !strings.HasPrefix(lines[0], "  Nom") || !strings.HasPrefix(lines[2], "› ÉTUDIANT") || !strings.HasPrefix(lines[1], "  ÉTUDIANT") {
		t.Fatalf("no › on the selected row without colours:\n%s", view)
	}
	tb.SetLen(0)
	tb.Empty = "Aucune ligne."
	tb.Pad = true
	view = tb.View(s, nil)
	if lines := strings.Split(view, "\n"); len(lines) != 3 || lines[1] != "Aucune ligne." {
		t.Fatalf("empty table:\n%q", view)
	}
}
