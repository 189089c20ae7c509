package common

import (
	"strings"

	"github.com/charmbracelet/lipgloss"

	"hypercerts/ui/styles"
)

// Table is the list every screen draws (campaigns, preview rows, a campaign's students
// and journal, HubEE cases): a header, a cursor, only the visible rows formatted, and
// columns laid out by priority and minimum width.
//
// It is ours rather than bubbles/table, which has fixed column widths only (no
// minimum, no share of the spare width, no column left out when narrow), marks the
// selected row by a style alone (invisible without colours) and takes the cells of
// every row up front; here a row's cells are asked only when it is drawn, so 10,000
// rows cost what 20 do.
type Table struct {
	Cursor
	cols   []Column
	width  int
	shown  []int    // indexes into cols of the columns drawn
	sizes  []int    // their widths
	picked []string // the shown cells of the row being drawn (reused)
	// Empty is shown under the header when there is no row ("" : nothing).
	Empty string
	// Pad fills the table to its height with empty lines (a pane or totals follow
	// it at a fixed place).
	Pad bool
	// NoHeader: a list of choices under a question (the wizard's steps) has no titles.
	NoHeader bool
}

// NewTable makes a table of cols.
func NewTable(cols []Column) Table {
	t := Table{cols: cols}
	t.SetWidth(80)
	return t
}

// SetColumns changes the columns (a screen whose columns depend on a mode).
func (t *Table) SetColumns(cols []Column) {
	t.cols = cols
	t.SetWidth(t.width)
}

// SetWidth lays the columns out for width cells (the cursor mark included): the
// columns of the highest priority are left out, a whole level at a time, until the
// others fit at their minimum (or readable) widths; then the spare width goes to the
// flexible columns (see Layout).
func (t *Table) SetWidth(width int) {
	t.width = width
	room := width - GutterWidth
	top := 0
	for _, c := range t.cols {
		top = max(top, c.Priority)
	}
	for level := top; ; level-- {
		t.shown = t.shown[:0]
		need := -1
		for i, c := range t.cols {
			if c.Priority <= level && (c.Instead == 0 || c.Instead > level) {
				t.shown = append(t.shown, i)
				need += max(c.Width, c.Readable) + 1
			}
		}
		if need <= room || level == 0 {
			break
		}
	}
	cols := make([]Column, len(t.shown))
	for j, i := range t.shown {
		cols[j] = t.cols[i]
	}
	t.sizes = Layout(cols, room)
}

// Shown reports whether column i (an index into the columns given) is drawn.
func (t *Table) Shown(i int) bool { return t.ColWidth(i) > 0 }

// ColWidth is the width of column i, 0 when it is left out.
func (t *Table) ColWidth(i int) int {
	for j, k := range t.shown {
		if k == i {
			return t.sizes[j]
		}
	}
	return 0
}

func (t *Table) line(cells []string) string {
	if cap(t.picked) < len(t.shown) {
		t.picked = make([]string, len(t.shown))
	}
	picked := t.picked[:len(t.shown)]
	for j, i := range t.shown {
		picked[j] = ""
		if i < len(cells) {
			picked[j] = cells[i]
		}
	}
	return Line(picked, t.sizes)
}

// Row is what a row draws: one cell per column (left-out columns included) and its
// style when not selected (nil: plain).
type Row struct {
	Cells []string
	Style *lipgloss.Style
}

// View draws the header and the visible rows; row gives row i. The selected row is
// marked by « › » (it shows without colours) and reversed.
func (t *Table) View(s *styles.Styles, row func(i int) Row) string {
	titles := make([]string, len(t.cols))
	for i, c := range t.cols {
		titles[i] = c.Title
	}
	var lines []string
	if !t.NoHeader {
		lines = append(lines, Gutter(false)+s.Header.Render(t.line(titles)))
	}
	if t.Len == 0 && t.Empty != "" {
		lines = append(lines, s.Muted.Render(t.Empty))
	}
	start, end := t.Visible()
	for i := start; i < end; i++ {
		r := row(i)
		line := Gutter(i == t.Pos) + t.line(r.Cells)
		switch {
		case i == t.Pos:
			line = s.Selected.Render(line)
		case r.Style != nil:
			line = r.Style.Render(line)
		}
		lines = append(lines, line)
	}
	if t.Pad {
		height := t.Height
		if !t.NoHeader {
			height++
		}
		for len(lines) < height {
			lines = append(lines, "")
		}
	}
	return strings.Join(lines, "\n")
}
