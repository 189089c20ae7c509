package store

import (
	"errors"
	"fmt"
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

// A write request's state: queued, then waited (its caller blocks on done) or
// released directly (its caller had not started waiting).
const (
	reqQueued int32 = iota
	reqWaited
	reqReleased
)

type writeReq struct {
	fn    func(*bolt.Tx) error
	done  chan error // buffered, receives exactly one value
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

	commits, writes atomic.Uint64 // transactions committed, writes they carried
}

func newCommitter(update func(func(*bolt.Tx) error) error) *committer {
	c := &committer{tx: update, reqs: make(chan *writeReq, maxGroup), exited: make(chan struct{}),
		arrived: make(chan struct{}, 1)}
	go c.loop()
	return c
}

// queue hands fn to the committer; c.wait gives its outcome once it is durable (or
// has failed).
func (c *committer) queue(fn func(*bolt.Tx) error) *writeReq {
	r := &writeReq{fn: fn, done: make(chan error, 1)}
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
	for first := range c.reqs {
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
	c.commits.Add(1)
	c.writes.Add(uint64(len(group)))
	if len(group) == 1 {
		err := c.run(group[0].fn)
		blocked = c.blocked.Load()
		c.release(group[0], err)
		return blocked
	}
	err := c.run(func(tx *bolt.Tx) error {
		for _, r := range group {
			if err := r.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	blocked = c.blocked.Load()
	if err == nil {
		for _, r := range group {
			c.release(r, nil)
		}
		return blocked
	}
	for _, r := range group { // one by one: only the faulty write fails
		c.release(r, c.run(r.fn))
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

// CommitStats tells how many transactions the campaign writes took and how many
// writes they carried: writes/commits is the mean group size (benchmarks, metrics).
func (s *Store) CommitStats() (commits, writes uint64) {
	return s.w.commits.Load(), s.w.writes.Load()
}
