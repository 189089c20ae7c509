package common

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"hypercerts/ui/i18n"
	"hypercerts/ui/keymap"
	"hypercerts/ui/styles"
)

// Field is one line of a record: a label and its value, shown whole (wrapped).
type Field struct {
	Label string
	Value string
}

// Detail is the full record of a list's row, like k9s' describe: every field whole,
// wrapped to the width, scrollable, closed with Échap. A list screen holds one and,
// while it is open, gives it the keys and the room.
type Detail struct {
	open   bool
	title  string
	fields []Field
	vp     viewport.Model
	width  int
	height int
}

// IsOpen says whether the record is shown.
func (d *Detail) IsOpen() bool { return d.open }

// Show opens the record title with fields.
func (d *Detail) Show(title string, fields []Field) {
	d.open, d.title, d.fields = true, title, fields
	d.vp = viewport.New(d.width, d.bodyHeight())
	d.layout()
}

// Update replaces the fields of the open record (the row changed under it) and keeps
// the scroll position.
func (d *Detail) Update(title string, fields []Field) {
	if !d.open {
		return
	}
	y := d.vp.YOffset
	d.title, d.fields = title, fields
	d.layout()
	d.vp.SetYOffset(y)
}

// Close hides the record.
func (d *Detail) Close() { d.open = false }

// SetSize gives the room (the whole body of the screen).
func (d *Detail) SetSize(w, h int) {
	d.width, d.height = w, h
	if d.open {
		y := d.vp.YOffset
		d.vp.Width, d.vp.Height = w, d.bodyHeight()
		d.layout()
		d.vp.SetYOffset(y)
	}
}

// bodyHeight leaves the title line (the root's help bar says how to scroll and close).
func (d *Detail) bodyHeight() int { return max(d.height-1, 1) }

func (d *Detail) layout() {
	d.vp.SetContent(RenderFields(d.fields, d.width))
}

// RenderFields draws fields one under another, "Label : value", the value wrapped
// under itself (a hanging indent) so that long reasons stay readable.
func RenderFields(fields []Field, width int) string {
	lw := 0
	for _, f := range fields {
		lw = max(lw, ansi.StringWidth(f.Label))
	}
	lw = min(lw, max(width/3, 8))
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\n')
		}
		if f.Label == "" { // a paragraph of its own
			b.WriteString(Wrap(f.Value, width))
			continue
		}
		label := f.Label
		if ansi.StringWidth(label) > lw {
			b.WriteString(Wrap(label+" :", width) + "\n")
			label = ""
		}
		indent := strings.Repeat(" ", lw+3)
		value := f.Value
		if value == "" {
			value = "—"
		}
		vw := max(width-lw-3, 10)
		lines := strings.Split(ansi.Wrap(value, vw, ""), "\n")
		for j, l := range lines {
			if j == 0 {
				b.WriteString(Fit(label, lw) + " : " + l)
			} else {
				b.WriteString("\n" + indent + l)
			}
		}
	}
	return b.String()
}

// HandleKey scrolls or closes; it reports whether the key was the record's (every key
// is while it is open, so nothing reaches the list underneath).
func (d *Detail) HandleKey(msg tea.KeyMsg, km keymap.KeyMap) bool {
	if !d.open {
		return false
	}
	switch {
	case key.Matches(msg, km.Back), key.Matches(msg, km.Detail), key.Matches(msg, km.Enter):
		d.open = false
	case key.Matches(msg, km.Up):
		d.vp.ScrollUp(1)
	case key.Matches(msg, km.Down):
		d.vp.ScrollDown(1)
	case key.Matches(msg, km.PageUp):
		d.vp.PageUp()
	case key.Matches(msg, km.PageDown), msg.Type == tea.KeySpace:
		d.vp.PageDown()
	case key.Matches(msg, km.Top):
		d.vp.GotoTop()
	case key.Matches(msg, km.Bottom):
		d.vp.GotoBottom()
	}
	return true
}

// View draws the title, the record and where it is in the record.
func (d *Detail) View(s *styles.Styles) string {
	pos := ""
	if d.vp.TotalLineCount() > d.vp.Height {
		pos = " " + i18n.Percent(d.vp.ScrollPercent())
	}
	head := s.Strong.Render(Cut(d.title, max(d.width-ansi.StringWidth(pos), 1))) + s.Muted.Render(pos)
	return head + "\n" + d.vp.View()
}

// ShortHelp is the help bar while the record is open.
func (d *Detail) ShortHelp(km keymap.KeyMap) []key.Binding {
	back := km.Back
	back.SetHelp(i18n.KeyNameEsc, i18n.KeyClose)
	scroll := key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", i18n.KeyScroll))
	return []key.Binding{back, scroll, km.PageDown}
}

// HelpSections is the full help while the record is open.
func (d *Detail) HelpSections(km keymap.KeyMap) []HelpSection {
	back := km.Back
	back.SetHelp(i18n.KeyNameCloseRecord, i18n.KeyClose)
	return Sections([]key.Binding{km.Up, km.Down, km.PageUp, km.PageDown, km.Top, km.Bottom}, []key.Binding{back}, nil)
}
