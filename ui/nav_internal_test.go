package ui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/ui/common"
	"hypercerts/ui/home"
	"hypercerts/ui/launch"
	"hypercerts/ui/preview"
	"hypercerts/ui/wizard"
)

// A new screen's message guarded by the marker alone (no list in the router to edit).
type newScreenMsg struct{}

func (newScreenMsg) Navigation() {}

type dataMsg struct{}

// The double-press guard (Esc Esc, n n) applies to every message marked
// common.Navigation, and only to them.
func TestNavigationMessagesAreGuardedByTheirMarker(t *testing.T) {
	var from common.Component
	for _, msg := range []tea.Msg{common.BackMsg{}, common.HomeMsg{}, home.NewMsg{}, home.HubEEMsg{},
		home.OpenMsg{ID: "C1"}, wizard.DoneMsg{}, preview.LaunchMsg{}, launch.OpenCampaignMsg{ID: "C1"}, newScreenMsg{}} {
		got := fromScreen(from, func() tea.Msg { return msg })()
		nm, ok := got.(navMsg)
		if !ok || nm.msg == nil {
			t.Errorf("%T not guarded: %#v", msg, got)
		}
	}
	for _, msg := range []tea.Msg{dataMsg{}, common.StatusMsg{}} {
		if got := fromScreen(from, func() tea.Msg { return msg })(); got != msg {
			t.Errorf("%T wrapped as a navigation: %#v", msg, got)
		}
	}
	batch := fromScreen(from, func() tea.Msg {
		return tea.BatchMsg{func() tea.Msg { return newScreenMsg{} }}
	})().(tea.BatchMsg)
	if _, ok := batch[0]().(navMsg); !ok {
		t.Error("a navigation inside a batch is not guarded")
	}
}
