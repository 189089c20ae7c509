package store

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Group commit.
//
// A bbolt commit costs two fdatasync calls whatever it carries, and bbolt has one
// writer: with eight sends in flight, one transaction per state change queued the
// workers behind each other's fsyncs. The committer runs every write queued while
// the previous commit was syncing in one transaction, so N concurrent writers pay
// about one commit instead of N.
//
// Every write is still durable when its caller is told so (the domain.Store
// contract). If the shared transaction fails, each write of the group is retried in
// a transaction of its own, so that one bad write (an unknown campaign) does not
// fail the others: a write function may therefore run more than once and must only
// depend on the transaction it is given.
//
// Filling the groups. Committing as soon as a write is queued splits writers that
// each wait for every write of theirs into two halves taking turns: while one half
// waits for the commit in progress, the other half, just released, queues its next
// writes, which wait for the end of that commit and then for a commit of their own.
// Each writer then waits for two commits per write, and a group holds half of them.
// So the committer counts the callers blocked on their write (wait): once a commit
// has released its callers, the next one starts when as many callers are blocked
// again as when it ended — the released ones are back, or others came — or when half
// the last commit's duration has passed (never more than maxGather), whichever is
// first. Writers that were not blocked when the last commit ended are not waited
// for, and a lone writer waiting for each write never waits (one that queues its
// next write before waiting for the last, as the launch's chunks of entries do, is
// waited for up to the bound). When the released callers stop coming back in time
// (they left, or do slow work between writes), the committer stops waiting for them
// for a while (1, 2, 4… up to 64 commits), so that such a load pays the wait rarely.
//
// An earlier version waited for "writes queued + writes released" and always ran
// into its bound once writers moved in step; with timers below a millisecond, which
// Go's runtime rounds up to a millisecond when the process is otherwise idle
// (netpoll waits in whole milliseconds), that cost more than the commits it saved.

// maxGroup bounds one transaction: far above the sends in flight, small enough that
// one commit never holds many pages in memory.
const maxGroup = 256

// maxGather bounds how long a group waits for the callers the last commit released.
const maxGather = 2 * time.Millisecond

var errClosed = errors.New("base hypercerts fermée")

// The journal's bounds (journal.go).
const (
	// journalPutMax: an entry write of more entries (a launch storing its students)
	// goes to bbolt directly: written once, not twice.
	journalPutMax = 16
	// A checkpoint runs once this many writes or bytes are journaled (what a crash
	// makes Open replay, and what the committer holds in memory meanwhile)…
	checkpointWrites = 2048
	checkpointBytes  = 4 << 20
)

// idleCheckpoint: a checkpoint also runs once no write came for this long (a variable
// for the crash tests, which must not see one).
var idleCheckpoint = 100 * time.Millisecond

// A write request's state: queued, then waited (its caller blocks on done) or
// released directly (its caller had not started waiting).
const (
	reqQueued int32 = iota
	reqWaited
	reqReleased
)

type writeReq struct {
	fn    func(*bolt.Tx) error // nil: a reader's request to settle the journal
	put   *entryPut            // an entry write (fn does the same): it may go to the journal
	empty bool                 // once committed, the journal file is emptied (a purge)
	done  chan error           // buffered, receives exactly one value
	state atomic.Int32
}

type committer struct {
	// update runs one write transaction on the store's current file (Store.Update:
	// Compact may swap the file between two commits).
	tx func(func(*bolt.Tx) error) error

	mu     sync.RWMutex // held for reading while queueing, for writing by stop
	closed bool
	reqs   chan *writeReq
	exited chan struct{}

	blocked atomic.Int64  // callers blocked on a write not yet committed
	arrived chan struct{} // nudged (never blocking) when a caller blocks

	commits, writes atomic.Uint64 // groups made durable, writes they carried
	checkpoints     atomic.Uint64 // journal checkpoints (bbolt commits of journaled writes)

	// The journal (journal.go). Only the loop's goroutine uses these fields, except
	// unsettled, which readers check.
	view      func(func(*bolt.Tx) error) error // reads the base as it is (no settling)
	owned     func() bool                      // the base's path still names its file
	journal   *journal                         // nil: every write is a bbolt commit
	stale     string                           // a journal given up, removed at the next checkpoint
	id        []byte                           // the base's id (journal headers)
	seq       uint64                           // last journal sequence written
	pending   []*entryPut                      // journaled, not yet in the base
	pendBytes int
	unsettled atomic.Bool // pending is not empty: a reader must settle first
}

// newCommitter starts the loop. j (nil for none) is a journal already reset to (id,
// seq), seq being the journal sequence the base holds.
func newCommitter(update, view func(func(*bolt.Tx) error) error, owned func() bool, j *journal, id []byte, seq uint64) *committer {
	c := &committer{tx: update, view: view, owned: owned, journal: j, id: id, seq: seq,
		reqs: make(chan *writeReq, maxGroup), exited: make(chan struct{}), arrived: make(chan struct{}, 1)}
	go c.loop()
	return c
}

// queue hands fn to the committer; c.wait gives its outcome once it is durable (or
// has failed).
func (c *committer) queue(fn func(*bolt.Tx) error) *writeReq { return c.send(&writeReq{fn: fn}) }

// queueReq queues fn, or an entry write (put, which fn also performs): the committer
// journals groups of those, and runs fn in a bbolt transaction otherwise.
func (c *committer) queueReq(fn func(*bolt.Tx) error, put *entryPut) *writeReq {
	return c.send(&writeReq{fn: fn, put: put})
}

// send queues r (fully set: the loop reads it from now on).
func (c *committer) send(r *writeReq) *writeReq {
	r.done = make(chan error, 1)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		r.state.Store(reqReleased)
		r.done <- errClosed
		return r
	}
	c.reqs <- r
	return r
}

// wait blocks until r is durable (or failed) and gives its outcome. Call it once.
func (c *committer) wait(r *writeReq) error {
	if r.state.CompareAndSwap(reqQueued, reqWaited) {
		c.blocked.Add(1)
		select {
		case c.arrived <- struct{}{}:
		default:
		}
	}
	return <-r.done
}

// release gives r its outcome.
func (c *committer) release(r *writeReq, err error) {
	if r.state.Swap(reqReleased) == reqWaited {
		c.blocked.Add(-1)
	}
	r.done <- err
}

// update runs fn in a group commit and returns once it is durable.
func (c *committer) update(fn func(*bolt.Tx) error) error { return c.wait(c.queue(fn)) }

// updateEmptying is update for a write that removes personal data (a purge): once it
// is committed, the journal's file is emptied, so that the bytes of the entries it
// once carried leave it too.
func (c *committer) updateEmptying(fn func(*bolt.Tx) error) error {
	return c.wait(c.send(&writeReq{fn: fn, empty: true}))
}

// settle returns once every journaled write is in the base (a checkpoint), so that a
// read sees every write already acknowledged. Free when there is none.
func (c *committer) settle() error {
	if !c.unsettled.Load() {
		return nil
	}
	return c.wait(c.queue(nil))
}

// stop commits what is queued and ends the loop; later writes get errClosed.
func (c *committer) stop() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.reqs)
	}
	c.mu.Unlock()
	<-c.exited
}

func (c *committer) loop() {
	defer close(c.exited)
	group := make([]*writeReq, 0, maxGroup)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var (
		want        int64         // callers blocked when the last commit ended
		last        time.Duration // how long it took
		skip, pause int           // commits left without gathering, and the next pause
	)
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	for {
		var first *writeReq
		select {
		case r, ok := <-c.reqs:
			if !ok {
				c.finish()
				return
			}
			first = r
		case <-idle.C:
			_ = c.checkpoint() // on failure the journal keeps them; the next write or read retries
			continue
		}
		idle.Stop()
		group = c.drain(append(group[:0], first)) // whatever queued while the last commit synced
		switch {
		case skip > 0:
			skip--
		case c.blocked.Load() < want:
			if c.gather(&group, want, min(last/2, maxGather), timer) {
				pause = 0
			} else {
				pause = min(max(2*pause, 1), 64)
				skip = pause
			}
		}
		start := time.Now()
		want = c.commit(group)
		last = time.Since(start)
		if c.unsettled.Load() {
			idle.Reset(idleCheckpoint)
		}
	}
}

// gather adds to group the writes queued until want callers are blocked on their
// write, or until d has passed; it tells whether they came in time.
func (c *committer) gather(group *[]*writeReq, want int64, d time.Duration, timer *time.Timer) bool {
	timer.Reset(d)
	defer timer.Stop()
	for c.blocked.Load() < want && len(*group) < maxGroup {
		select {
		case r, ok := <-c.reqs:
			if !ok {
				return true // closing: commit what is there
			}
			*group = append(*group, r)
		case <-c.arrived:
		case <-timer.C:
			*group = c.drain(*group)
			return false
		}
	}
	*group = c.drain(*group)
	return true
}

// drain appends the writes already queued, without waiting (nor past a closed queue:
// the loop then ends after this commit).
func (c *committer) drain(group []*writeReq) []*writeReq {
	for len(group) < maxGroup {
		select {
		case r, ok := <-c.reqs:
			if !ok {
				return group
			}
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// commit runs the group and releases its callers; it returns how many callers were
// blocked on a write, committed or still queued, when it ended.
func (c *committer) commit(group []*writeReq) (blocked int64) {
	if blocked, ok := c.journalGroup(group); ok {
		return blocked
	}
	// Every other write waits for the journaled ones to be in the base: bbolt then
	// sees the writes in the order they were acknowledged (a purge after the last
	// state changes, not before).
	if err := c.checkpoint(); err != nil {
		blocked = c.blocked.Load()
		for _, r := range group {
			c.release(r, err)
		}
		return blocked
	}
	writes := group[:0:0]
	for _, r := range group {
		if r.fn == nil { // a reader settling: done
			c.release(r, nil)
		} else {
			writes = append(writes, r)
		}
	}
	if group = writes; len(group) == 0 {
		return c.blocked.Load()
	}
	c.commits.Add(1)
	c.writes.Add(uint64(len(group)))
	errs := make([]error, len(group))
	if len(group) == 1 {
		errs[0] = c.run(group[0].fn)
	} else if err := c.run(func(tx *bolt.Tx) error {
		for _, r := range group {
			if err := r.fn(tx); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		for i, r := range group { // one by one: only the faulty write fails
			errs[i] = c.run(r.fn)
		}
	}
	for i, r := range group {
		if r.empty && errs[i] == nil && c.journal != nil {
			if err := c.journal.empty(c.id, c.seq); err != nil {
				c.dropJournal()
			}
		}
	}
	blocked = c.blocked.Load()
	for i, r := range group {
		c.release(r, errs[i])
	}
	return blocked
}

// run is one bbolt transaction. bbolt panics on some damaged pages: here that would
// end the process from the committer's goroutine, so it becomes the caller's error.
func (c *committer) run(fn func(*bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w : écriture impossible (%v) ; restaurez une sauvegarde", ErrCorrupt, r)
		}
	}()
	return c.tx(fn)
}

// CommitStats tells how many group commits (a journal record or a bbolt transaction,
// each one sync for its callers to wait for) the campaign writes took and how many
// writes they carried: writes/commits is the mean group size (benchmarks, metrics).
func (s *Store) CommitStats() (commits, writes uint64) {
	return s.w.commits.Load(), s.w.writes.Load()
}

// journalGroup makes a group of small entry writes durable with one journal record;
// ok is false when the group is not for the journal (there is none, or the group
// holds another write), and the caller commits it to bbolt.
func (c *committer) journalGroup(group []*writeReq) (blocked int64, ok bool) {
	if c.journal == nil {
		return 0, false
	}
	size := 0
	for _, r := range group {
		if r.put == nil || len(r.put.keys) > journalPutMax {
			return 0, false
		}
		size += r.put.size()
	}
	// A write to an unknown campaign fails now, as it would in a transaction. The
	// campaigns checked cannot disappear before the checkpoint: a deletion is a
	// bbolt write, which checkpoints first.
	missing, err := c.missingCampaigns(group)
	if err != nil {
		return 0, false // the transaction will say it
	}
	puts := make([]*entryPut, 0, len(group))
	for _, r := range group {
		if !missing[r.put.campaign] {
			puts = append(puts, r.put)
		}
	}
	if len(puts) > 0 {
		if err := c.journal.append(c.seq+1, puts); err != nil {
			// A failed sync leaves the file in doubt: give the journal up, and let
			// bbolt commit this group after the journaled writes (still in memory).
			c.dropJournal()
			return 0, false
		}
		c.seq++
		c.pending = append(c.pending, puts...)
		c.pendBytes += size
		c.unsettled.Store(true)
	}
	c.commits.Add(1)
	c.writes.Add(uint64(len(group)))
	blocked = c.blocked.Load()
	for _, r := range group {
		if missing[r.put.campaign] {
			c.release(r, notFound("campagne", r.put.campaign))
		} else {
			c.release(r, nil)
		}
	}
	if len(c.pending) >= checkpointWrites || c.pendBytes >= checkpointBytes {
		_ = c.checkpoint() // on failure the journal keeps them; the next write or read retries
	}
	return blocked, true
}

// missingCampaigns reads which of the group's campaigns have no entries bucket.
func (c *committer) missingCampaigns(group []*writeReq) (missing map[string]bool, err error) {
	defer func() {
		if r := recover(); r != nil { // a damaged page: the transaction will report it
			err = fmt.Errorf("%w : %v", ErrCorrupt, r)
		}
	}()
	err = c.view(func(tx *bolt.Tx) error {
		entries := getBucket(tx, bucketEntries)
		for i, r := range group {
			if i > 0 && r.put.campaign == group[i-1].put.campaign {
				continue
			}
			if entries == nil || entries.Bucket([]byte(r.put.campaign)) == nil {
				if missing == nil {
					missing = map[string]bool{}
				}
				missing[r.put.campaign] = true
			}
		}
		return nil
	})
	return missing, err
}

// checkpoint copies the journaled writes into the base, with the journal sequence
// they reach, in one bbolt commit; then the journal starts again from there.
func (c *committer) checkpoint() error {
	if len(c.pending) == 0 {
		return nil
	}
	err := c.run(func(tx *bolt.Tx) error { return applyPuts(tx, c.pending, c.seq) })
	if err != nil {
		// The base may hold it all the same (bbolt fails when the sync after its meta
		// page does, the page written): records appended after the journal's header
		// would then not continue the base, and a crash would lose them. So the journal
		// is given up: its file keeps the pending writes for a replay until a checkpoint
		// succeeds, and every later write is a bbolt commit, after that checkpoint.
		if c.journal != nil {
			c.dropJournal()
		}
		return err
	}
	c.checkpoints.Add(1)
	clear(c.pending)
	c.pending, c.pendBytes = c.pending[:0], 0
	c.unsettled.Store(false)
	if c.journal != nil {
		if err := c.journal.reset(c.id, c.seq); err != nil {
			c.dropJournal()
		}
	}
	if c.stale != "" && os.Remove(c.stale) == nil {
		c.stale = ""
	}
	return nil
}

// dropJournal gives the journal up for this process: writes go to bbolt from now on.
// The file stays until the writes it holds are in the base (the next checkpoint).
func (c *committer) dropJournal() {
	keep := len(c.pending) > 0
	if keep {
		c.stale = c.journal.f.Name()
	}
	_ = c.journal.close(!keep)
	c.journal = nil
}

// finish ends the loop: the journaled writes go into the base and, once they are,
// the journal is removed (a clean close leaves none; otherwise Open replays it).
func (c *committer) finish() {
	if c.checkpoint() != nil {
		if c.journal != nil {
			_ = c.journal.close(false)
		}
		return
	}
	if c.journal != nil {
		// Not when another file was put in place of the base (restore holds the base it
		// replaces open): the journal at its path may be that file's now.
		_ = c.journal.close(c.owned())
	}
}
