// Package keymap holds the key bindings of the terminal UI (arrows and vim keys).
package keymap

import (
	"github.com/charmbracelet/bubbles/key"

	"hypercerts/ui/i18n"
)

// KeyMap is every binding; screens pick theirs for the help bar.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Enter, Back, Quit, ForceQuit, Help      key.Binding
	New, Refresh, Toggle, ToggleAll         key.Binding
	Filter, Search, Detail, Export          key.Binding
	Launch, Relaunch, Tab, Revoke, Print    key.Binding
	Yes, No, Clear                          key.Binding
	HubEE, Mode, Sort, TestMode             key.Binding
}

// DefaultKeyMap is the keymap of hypercerts.
func DefaultKeyMap() KeyMap {
	b := func(desc string, help string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:        b(i18n.KeyUp, "↑/k", "up", "k"),
		Down:      b(i18n.KeyDown, "↓/j", "down", "j"),
		PageUp:    b(i18n.KeyPageUp, "pgup", "pgup", "ctrl+b"),
		PageDown:  b(i18n.KeyPageDown, "pgdn", "pgdown", "ctrl+f"),
		Top:       b(i18n.KeyTop, i18n.KeyNameTop, "home", "g"),
		Bottom:    b(i18n.KeyBottom, "G/fin", "end", "G"),
		Enter:     b(i18n.KeyChoose, i18n.KeyNameEnter, "enter"),
		Back:      b(i18n.KeyBack, i18n.KeyNameEsc, "esc"),
		Quit:      b(i18n.KeyQuit, "q", "q"),
		ForceQuit: b(i18n.KeyQuit, "ctrl+c", "ctrl+c"),
		Help:      b(i18n.KeyHelp, "?", "?"),
		New:       b(i18n.KeyNew, "n", "n"),
		Refresh:   b(i18n.KeyRefresh, "r", "r"),
		Toggle:    b(i18n.KeyToggle, i18n.KeyNameSpace, " ", "space"),
		ToggleAll: b(i18n.KeyToggleAll, "a", "a"),
		Filter:    b(i18n.KeyFilter, "f", "f"),
		Search:    b(i18n.KeySearch, "/", "/"),
		Detail:    b(i18n.KeyDetail, i18n.KeyNameDetail, "enter", "d"),
		Export:    b(i18n.KeyExport, "e", "e"),
		Launch:    b(i18n.KeyLaunch, "l", "l"),
		Relaunch:  b(i18n.KeyRelaunch, "R", "R"),
		Revoke:    b(i18n.KeyRevoke, "v", "v"),
		Print:     b(i18n.KeyPrint, "i", "i"),
		Tab:       b(i18n.KeyTab, "tab", "tab", "shift+tab"),
		Yes:       b(i18n.KeyConfirm, i18n.KeyNameYes, "o", "y", "enter"),
		No:        b(i18n.KeyCancel, i18n.KeyNameNo, "n", "esc"),
		Clear:     b(i18n.KeyClear, "ctrl+u", "ctrl+u"),
		HubEE:     b(i18n.KeyHubEE, "h", "h"),
		Mode:      b(i18n.KeyMode, "m", "m"),
		Sort:      b(i18n.KeySortCode, "s", "s"),
		TestMode:  b(i18n.KeyTestMode, "t", "t"),
	}
}

// Navigation is the list movement bindings.
func (k KeyMap) Navigation() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// ShortHelp is the global part of the help bar.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// FullHelp is the global part of the full help (the root adds it under « Général »).
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Help, k.Quit}}
}

// Labelled is b with another label (the same keys): « o/entrée lancer ».
func Labelled(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
