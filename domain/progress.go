package domain

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Progress is a snapshot of a campaign being worked through, for the UI (one tea.Msg per
// snapshot) and the daemon (one log line).
type Progress struct {
	CampaignID string
	State      CampaignState
	Total      int                // entries of the campaign, excluded ones included
	Counts     map[EntryState]int // entries per state, as stored
	ToDo       int                // entries this run works through
	Processed  int                // of which handled so far (sent or failed)
	Current    string             // student being processed: "Prénoms NOM (code)"
	LastErrors []string           // the last 5 failures, oldest first
	StartedAt  time.Time
	Throughput float64 // entries handled per second since StartedAt
	// Done is set on the last snapshot; the channel is closed after it.
	Done bool
	// Interrupted: stopped by Shutdown before the end; Resume picks it up at next start.
	Interrupted bool
	// Suspended: the mail relay kept failing; Resume carries on once it answers.
	Suspended bool
	// Err says why the run stopped early (store unwritable…), empty otherwise.
	Err string
}

// ETA estimates the time left from the throughput so far; 0 when unknown.
func (p Progress) ETA() time.Duration {
	if p.Throughput <= 0 || p.Processed >= p.ToDo {
		return 0
	}
	return time.Duration(float64(p.ToDo-p.Processed) / p.Throughput * float64(time.Second))
}

// Remaining is the number of entries left in this run.
func (p Progress) Remaining() int { return max(p.ToDo-p.Processed, 0) }

const lastErrorsKept = 5

// ErrShutdown: the engine is stopping and takes no new campaign work.
var ErrShutdown = errors.New("moteur en cours d'arrêt : aucune campagne ne peut être lancée")

// campaignRuns is the engine-level state of the campaigns being worked through. Its
// context is the engine's, not a caller's: leaving the UI does not stop a campaign.
type campaignRuns struct {
	mu     sync.Mutex
	base   context.Context    // cancelled only by a Shutdown that runs out of time
	abort  context.CancelFunc // hard stop: aborts the sends in flight
	stop   chan struct{}      // soft stop: no new entry is started
	closed bool
	active map[string]*campaignRun
	wg     sync.WaitGroup
}

func (e *Engine) runs() *campaignRuns { return e.campaignRuns }

func newCampaignRuns() *campaignRuns {
	ctx, cancel := context.WithCancel(context.Background())
	return &campaignRuns{base: ctx, abort: cancel, stop: make(chan struct{}), active: map[string]*campaignRun{}}
}

// campaignRun is one campaign being worked through.
type campaignRun struct {
	camp        Campaign // read-only while workers run
	ch          Channel
	sig         Signature
	user        string // who launched, relaunched or resumed it (audit)
	notify      string // where the "campaign finished" mail goes (R17b)
	concurrency int
	todo        []Entry
	relay       *relayWatch
	done        chan struct{}

	mu       sync.Mutex
	p        Progress
	watchers map[chan Progress]struct{}
	finished bool
	lastSave time.Time
	saveMu   sync.Mutex
}

func newCampaignRun(c Campaign, entries []Entry, todo []Entry, now time.Time) *campaignRun {
	counts := map[EntryState]int{}
	for _, en := range entries {
		counts[en.State]++
	}
	return &campaignRun{camp: c, todo: todo, relay: newRelayWatch(), done: make(chan struct{}), watchers: map[chan Progress]struct{}{},
		lastSave: now,
		p: Progress{CampaignID: c.ID, State: CampaignRunning, Total: len(entries), Counts: counts,
			ToDo: len(todo), StartedAt: now}}
}

// snapshot copies the progress; r.mu is held.
func (r *campaignRun) snapshot(now time.Time) Progress {
	p := r.p
	p.Counts = make(map[EntryState]int, len(r.p.Counts))
	for k, v := range r.p.Counts {
		if v != 0 {
			p.Counts[k] = v
		}
	}
	p.LastErrors = append([]string(nil), r.p.LastErrors...)
	if d := now.Sub(p.StartedAt).Seconds(); d > 0 {
		p.Throughput = float64(p.Processed) / d
	}
	return p
}

// publish sends a snapshot to every watcher without blocking: a slow watcher loses the
// intermediate snapshot it has not read, never the last one. r.mu is held, and this is
// the only sender, so the second send below always has room.
func (r *campaignRun) publish(now time.Time) {
	if len(r.watchers) == 0 { // no copy for nobody: several updates per student
		return
	}
	p := r.snapshot(now)
	for ch := range r.watchers {
		offer(ch, p)
	}
}

func offer(ch chan Progress, p Progress) {
	select {
	case ch <- p:
	default:
		select {
		case <-ch:
		default:
		}
		ch <- p
	}
}

// update changes the progress under the lock and publishes it.
func (r *campaignRun) update(now time.Time, fn func(p *Progress)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(&r.p)
	r.publish(now)
}

// move accounts for an entry changing state.
func (p *Progress) move(from, to EntryState) {
	p.Counts[from]--
	p.Counts[to]++
}

func (p *Progress) addError(msg string) {
	p.LastErrors = append(p.LastErrors, msg)
	if n := len(p.LastErrors); n > lastErrorsKept {
		p.LastErrors = append([]string(nil), p.LastErrors[n-lastErrorsKept:]...)
	}
}

// end publishes the last snapshot and closes every watcher.
func (r *campaignRun) end(now time.Time, fn func(p *Progress)) {
	r.mu.Lock()
	fn(&r.p)
	r.p.Done, r.p.Current = true, ""
	r.publish(now)
	for ch := range r.watchers {
		close(ch)
	}
	r.watchers, r.finished = nil, true
	r.mu.Unlock()
	close(r.done)
}

// Watch follows a campaign's progress for a user who may see it (R02). The channel
// receives a snapshot at once, then one per change (a slow reader skips intermediate
// ones), and is closed after the snapshot with Done. For a campaign not being worked
// through, the one snapshot is the stored state, with Done. The returned func stops
// watching early. When the user may not see the campaign, the error says why and the
// channel holds only a Done snapshot carrying it.
func (e *Engine) Watch(ctx context.Context, user User, campaignID string) (<-chan Progress, func(), error) {
	if _, err := e.campaignForRead(ctx, user, campaignID); err != nil {
		ch := make(chan Progress, 1)
		ch <- Progress{CampaignID: campaignID, Done: true, Err: err.Error(), Counts: map[EntryState]int{}}
		close(ch)
		return ch, func() {}, err
	}
	ch, stop := e.watch(campaignID)
	return ch, stop, nil
}

// watch is Watch without the rights check, for the engine's own use.
func (e *Engine) watch(campaignID string) (<-chan Progress, func()) {
	ch := make(chan Progress, 1)
	rs := e.runs()
	rs.mu.Lock()
	r := rs.active[campaignID]
	rs.mu.Unlock()
	if r != nil {
		r.mu.Lock()
		if !r.finished {
			r.watchers[ch] = struct{}{}
			ch <- r.snapshot(e.clock.Now())
			r.mu.Unlock()
			var once sync.Once
			return ch, func() {
				once.Do(func() {
					r.mu.Lock()
					defer r.mu.Unlock()
					if _, ok := r.watchers[ch]; ok {
						delete(r.watchers, ch)
						close(ch)
					}
				})
			}
		}
		r.mu.Unlock()
	}
	ch <- e.storedProgress(campaignID)
	close(ch)
	return ch, func() {}
}

// storedProgress is the Done snapshot of a campaign not being worked through.
func (e *Engine) storedProgress(id string) Progress {
	p := Progress{CampaignID: id, Done: true, Counts: map[EntryState]int{}}
	if e.store == nil {
		p.Err = errNoStore.Error()
		return p
	}
	c, err := e.store.Campaign(id)
	if err != nil {
		p.Err = err.Error()
		return p
	}
	p.State = c.State
	entries, err := e.store.Entries(id)
	if err != nil {
		p.Err = err.Error()
		return p
	}
	p.Total = len(entries)
	for _, en := range entries {
		p.Counts[en.State]++
		if en.State.Outcome() == OutcomeFailed && en.LastError != "" {
			p.addError(en.Student.Code + " : " + en.LastError)
		}
	}
	p.Interrupted = c.State == CampaignRunning
	p.Suspended = c.State == CampaignSuspended
	if c.State == CampaignFailed || c.State == CampaignSuspended {
		p.Err = c.Error
	}
	return p
}

// Wait blocks until the campaign's current run ends (at once if none), then returns the
// stored campaign. For the CLI and tests.
func (e *Engine) Wait(ctx context.Context, campaignID string) (Campaign, error) {
	rs := e.runs()
	rs.mu.Lock()
	r := rs.active[campaignID]
	rs.mu.Unlock()
	if r != nil {
		select {
		case <-r.done:
		case <-ctx.Done():
			return Campaign{}, ctx.Err()
		}
	}
	if e.store == nil {
		return Campaign{}, errNoStore
	}
	return e.store.Campaign(campaignID)
}

// Running lists the IDs of the campaigns being worked through.
func (e *Engine) Running() []string {
	rs := e.runs()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	ids := make([]string, 0, len(rs.active))
	for id := range rs.active {
		ids = append(ids, id)
	}
	return ids
}

// Shutdown stops the campaign workers: no new student is started, the sends in flight
// finish and are recorded. If ctx ends first, the sends in flight are aborted (their
// entries stay "sending" and are resent by Resume). Campaigns not finished stay
// "running" in the store, for Resume at the next start. The engine then refuses new
// campaign work.
func (e *Engine) Shutdown(ctx context.Context) error {
	rs := e.runs()
	rs.mu.Lock()
	if !rs.closed {
		rs.closed = true
		close(rs.stop)
	}
	rs.mu.Unlock()
	done := make(chan struct{})
	go func() {
		rs.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		rs.abort()
		return nil
	case <-ctx.Done():
		rs.abort()
		<-done
		return ctx.Err()
	}
}
