package common

import (
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
)

// WatchingMsg carries the progress stream of a campaign to the screen that asked (ID).
type WatchingMsg struct {
	ID   int64
	Ch   <-chan domain.Progress
	Stop func()
}

// ProgressMsg is one progress snapshot; Closed when the stream ended.
type ProgressMsg struct {
	ID       int64
	Progress domain.Progress
	Closed   bool
}

// WatchCmd starts following a campaign for the signed-in user. A refusal (R02) comes
// as the Done snapshot's Err.
func WatchCmd(c *Common, id int64, campaignID string) tea.Cmd {
	return func() tea.Msg {
		ch, stop, _ := c.Engine.Watch(c.Ctx, c.User, campaignID)
		return WatchingMsg{ID: id, Ch: ch, Stop: stop}
	}
}

// WaitProgressCmd waits for the next snapshot of ch, keeping only the freshest one
// ready; the screen re-arms it after each ProgressMsg until Closed or Done.
func WaitProgressCmd(id int64, ch <-chan domain.Progress) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return ProgressMsg{ID: id, Closed: true}
		}
		for {
			select {
			case q, ok := <-ch:
				if !ok {
					return ProgressMsg{ID: id, Progress: p, Closed: true}
				}
				p = q
			default:
				return ProgressMsg{ID: id, Progress: p}
			}
		}
	}
}
