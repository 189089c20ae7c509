package common

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"hypercerts/ui/keymap"

	"hypercerts/internal/textfold"
)

// Cursor is the selection of a scrolling list: only rows Offset..Offset+Height are
// drawn, so a list of 10,000 rows costs the same as one of 20.
type Cursor struct {
	Pos, Offset, Len, Height int
}

// SetLen changes the number of rows and keeps the cursor inside.
func (c *Cursor) SetLen(n int) {
	c.Len = n
	c.clamp()
}

// SetHeight changes the number of visible rows.
func (c *Cursor) SetHeight(h int) {
	c.Height = max(h, 1)
	c.clamp()
}

// Move moves the cursor by d rows.
func (c *Cursor) Move(d int) {
	c.Pos += d
	c.clamp()
}

func (c *Cursor) clamp() {
	if c.Height < 1 {
		c.Height = 1
	}
	c.Pos = min(max(c.Pos, 0), max(c.Len-1, 0))
	if c.Pos < c.Offset {
		c.Offset = c.Pos
	}
	if c.Pos >= c.Offset+c.Height {
		c.Offset = c.Pos - c.Height + 1
	}
	c.Offset = min(c.Offset, max(c.Len-c.Height, 0))
	c.Offset = max(c.Offset, 0)
}

// Visible is the half-open range of rows to draw.
func (c *Cursor) Visible() (start, end int) {
	return c.Offset, min(c.Offset+c.Height, c.Len)
}

// HandleKey moves the cursor for the navigation keys; it reports whether the key was one.
func (c *Cursor) HandleKey(msg tea.KeyMsg, km keymap.KeyMap) bool {
	switch {
	case key.Matches(msg, km.Up):
		c.Move(-1)
	case key.Matches(msg, km.Down):
		c.Move(1)
	case key.Matches(msg, km.PageUp):
		c.Move(-c.Height)
	case key.Matches(msg, km.PageDown):
		c.Move(c.Height)
	case key.Matches(msg, km.Top):
		c.Move(-c.Len)
	case key.Matches(msg, km.Bottom):
		c.Move(c.Len)
	default:
		return false
	}
	return true
}

// Fit cuts s to width cells (with an ellipsis) and pads it with spaces to exactly width.
func Fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(s)
	if w > width {
		s = ansi.Truncate(s, width, "…")
		w = ansi.StringWidth(s)
	}
	if w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// Cut cuts s to width cells with an ellipsis, without padding.
func Cut(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > width {
		return ansi.Truncate(s, width, "…")
	}
	return s
}

// Column is a column of a Table: fixed columns keep their width (flex 0), the rest
// share what is left in proportion to their flex, never below their width.
type Column struct {
	Title string
	Width int // fixed width, or minimum for a flexible column
	Flex  int
	// Max caps a flexible column (0: none): past it, the extra width goes to the
	// columns that are cut first (a reason, a blocking), not to names.
	Max int
	// Priority: 0 is always shown; when the table is too narrow for every column at
	// its minimum width, the highest priority goes first (a whole level at a time),
	// so the columns that carry the row's meaning stay readable.
	Priority int
	// Readable, when above Width, is the room the column must have to be worth
	// showing (an address cut to ten cells says nothing): the table leaves its
	// level out rather than give it less. The layout still starts from Width.
	Readable int
	// Instead: this column is a shorter form of the columns of that priority, shown
	// only when they are left out (a day for a date and time).
	Instead int
}

// Layout computes the widths of cols for a total width, one space between columns.
func Layout(cols []Column, total int) []int {
	widths := make([]int, len(cols))
	used, flex := len(cols)-1, 0
	for i, c := range cols {
		widths[i] = c.Width
		used += c.Width
		flex += c.Flex
	}
	spare := total - used
	// Share the spare width by flex; a column that reaches its Max leaves the game
	// and the rest is shared again among the others.
	capped := make([]bool, len(cols))
	for spare > 0 && flex > 0 {
		given, last := 0, -1
		for i, c := range cols {
			if c.Flex > 0 && !capped[i] {
				extra := spare * c.Flex / flex
				if c.Max > 0 && widths[i]+extra > c.Max {
					extra = max(c.Max-widths[i], 0)
				}
				widths[i] += extra
				given += extra
				last = i
			}
		}
		if last >= 0 && given < spare && (cols[last].Max == 0 || widths[last] < cols[last].Max) {
			add := spare - given
			if m := cols[last].Max; m > 0 {
				add = min(add, m-widths[last])
			}
			widths[last] += add
			given += add
		}
		spare -= given
		flex = 0
		for i, c := range cols {
			if c.Flex > 0 && c.Max > 0 && widths[i] >= c.Max {
				capped[i] = true
			}
			if c.Flex > 0 && !capped[i] {
				flex += c.Flex
			}
		}
		if given == 0 {
			break
		}
	}
	// Too narrow: take the deficit from the flexible columns, one cell at a time,
	// never below 3 cells.
	for deficit := -spare; deficit > 0; {
		took := false
		for i, c := range cols {
			if deficit > 0 && c.Flex > 0 && widths[i] > 3 {
				widths[i]--
				deficit--
				took = true
			}
		}
		if !took {
			break
		}
	}
	return widths
}

// Line joins cells fitted to widths, one space apart.
func Line(cells []string, widths []int) string {
	var b strings.Builder
	for i, w := range widths {
		if i > 0 {
			b.WriteByte(' ')
		}
		s := ""
		if i < len(cells) {
			s = cells[i]
		}
		b.WriteString(Fit(s, w))
	}
	return b.String()
}

// Fold lowercases s and strips accents, so "eleonore" finds "Éléonore" (textfold.Fold).
func Fold(s string) string { return textfold.Fold(s) }

// Wrap breaks s at spaces so no line is wider than width cells.
func Wrap(s string, width int) string {
	if width <= 0 {
		return s
	}
	return ansi.Wrap(s, width, "")
}

// Gutter is the cursor mark before a row: the selected row must show without colours
// (NO_COLOR, a monochrome terminal), so it is a character, not only a reverse video.
func Gutter(selected bool) string {
	if selected {
		return "› "
	}
	return "  "
}

// GutterWidth is the width of Gutter.
const GutterWidth = 2

// WrapMax wraps s to width and keeps at most n lines, the last one cut with an
// ellipsis when there was more.
func WrapMax(s string, width, n int) string {
	lines := strings.Split(Wrap(s, width), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n")
	}
	lines[n-1] = Cut(lines[n-1]+" "+strings.Join(lines[n:], " "), width)
	return strings.Join(lines[:n], "\n")
}
