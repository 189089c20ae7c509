package common

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// Without colours textinput's reversed cursor cell does not show: the field draws a
// block, at the cursor; its placeholder (which would read as typed text) is not drawn.
func TestInputCursorWithoutColours(t *testing.T) {
	t.Parallel()
	c := &Common{Styles: noColorStyles()}
	in := c.NewInput("code ou libellé", 20)
	if v := in.View(); v != "█" {
		t.Fatalf("empty field %q", v)
	}
	changed, _ := in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("infö")}) // a burst, as typed fast
	if !changed || in.Value() != "infö" || in.View() != "infö█" {
		t.Fatalf("changed %v, value %q, view %q", changed, in.Value(), in.View())
	}
	in.Update(tea.KeyMsg{Type: tea.KeyLeft})
	if v := in.View(); v != "inf█ö" {
		t.Fatalf("cursor moved left: %q", v)
	}
	if changed, _ := in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")}); !changed || in.View() != "infx█ö" {
		t.Fatalf("typed inside the text: %q", in.View())
	}
	if changed, _ := in.Update(tea.KeyMsg{Type: tea.KeyLeft}); changed {
		t.Fatal("a move said the text changed")
	}
	in.Blur()
	if v := in.View(); v != "infxö" {
		t.Fatalf("blurred field %q", v)
	}
}
