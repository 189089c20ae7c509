package common

import (
	"sync"

	tea "github.com/charmbracelet/bubbletea"
)

// Bus carries the daemon's news to every open SSH session: a campaign launched in
// one session, a Digiposte cycle, a HubEE sync (the sessions refresh by themselves),
// and the daemon stopping (each session says why before it closes). A local UI has
// none.
type Bus struct {
	mu     sync.Mutex
	subs   map[chan BusMsg]struct{}
	closed bool
}

// BusMsg is one piece of news; Closing carries why the daemon stops.
type BusMsg struct {
	Closing string
}

// NewBus makes a bus.
func NewBus() *Bus { return &Bus{subs: map[chan BusMsg]struct{}{}} }

// Subscribe gives a channel of news and the function that ends the subscription.
func (b *Bus) Subscribe() (<-chan BusMsg, func()) {
	ch := make(chan BusMsg, 4)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch, func() {}
	}
	b.subs[ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
	}
}

// Changed tells every session that campaigns or HubEE cases changed. A session that
// has not read the last news yet needs no second one: nothing blocks.
func (b *Bus) Changed() {
	if b == nil {
		return
	}
	b.send(BusMsg{})
}

// Close tells every session that the daemon stops, and why.
func (b *Bus) Close(reason string) {
	if b == nil {
		return
	}
	b.send(BusMsg{Closing: reason})
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

func (b *Bus) send(m BusMsg) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- m:
		default:
		}
	}
}

// WaitBus waits for the next news (the bubbletea realtime idiom: re-armed after each).
func WaitBus(ch <-chan BusMsg) tea.Cmd {
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil
		}
		return m
	}
}
