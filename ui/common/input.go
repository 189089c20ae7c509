package common

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Input is a one-line text field (the wizard's VDI filter, the preview's search, a
// revocation's reason): bubbles/textinput, set up the same way everywhere.
//
//   - The cursor does not blink: no timer messages over SSH for a field left open.
//   - Ctrl-V does not read the clipboard (it would be the server's over SSH); a
//     terminal paste arrives as keys and is typed in.
//   - Without colours (NO_COLOR, a monochrome terminal) textinput's cursor, a reversed
//     cell, does not show: the field then draws a block « █ » at the cursor, and no
//     placeholder (it would read as typed text).
//
// The screen keeps the keys that are not the field's (↑/↓ move its list, Entrée
// validates, Échap cancels) and hands it the rest with Update.
type Input struct {
	textinput.Model
	noColor bool
}

// NewInput makes a focused field with a French placeholder (shown in colour only).
func (c *Common) NewInput(placeholder string, limit int) Input {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = limit
	in.TextStyle = c.Styles.Input
	in.PlaceholderStyle = c.Styles.Muted
	in.Cursor.SetMode(cursor.CursorStatic)
	in.KeyMap.Paste.SetEnabled(false)
	in.Focus()
	return Input{Model: in, noColor: c.Styles.NoColor}
}

// Update hands msg to the field; changed reports whether its text changed (the
// screen filters again only then).
func (in *Input) Update(msg tea.Msg) (changed bool, cmd tea.Cmd) {
	before := in.Value()
	in.Model, cmd = in.Model.Update(msg)
	return in.Value() != before, cmd
}

// View draws the field; its cursor shows with and without colours.
func (in Input) View() string {
	if !in.noColor {
		return in.Model.View()
	}
	r := []rune(in.Value())
	if !in.Focused() {
		return in.TextStyle.Render(string(r))
	}
	pos := min(in.Position(), len(r))
	return in.TextStyle.Render(string(r[:pos])) + "█" + in.TextStyle.Render(string(r[pos:]))
}
