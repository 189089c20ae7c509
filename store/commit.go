package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// Group commit.
//
// A bbolt commit costs two fdatasync calls whatever it carries, and bbolt has one
// writer: with eight sends in flight, one transaction per state change queued the
// workers behind each other's fsyncs. The committer runs every write queued while
// the previous commit was syncing in one transaction, so N concurrent writers pay
// about one commit instead of N. There is no waiting for company (unlike bbolt's
// DB.Batch and its MaxBatchDelay): a lone writer is committed at once.
//
// Every write is still durable when its caller is told so (the domain.Store
// contract). If the shared transaction fails, each write of the group is retried in
// a transaction of its own, so that one bad write (an unknown campaign) does not
// fail the others: a write function may therefore run more than once and must only
// depend on the transaction it is given.

// maxGroup bounds one transaction: far above the sends in flight, small enough that
// one commit never holds many pages in memory.
const maxGroup = 256

var errClosed = errors.New("base hypercerts fermée")

type writeReq struct {
	fn   func(*bolt.Tx) error
	done chan error // buffered, receives exactly one value
}

type committer struct {
	// update runs one write transaction on the store's current file (Store.Update:
	// Compact may swap the file between two commits).
	tx func(func(*bolt.Tx) error) error

	mu     sync.RWMutex // held for reading while queueing, for writing by stop
	closed bool
	reqs   chan writeReq
	exited chan struct{}

	commits, writes atomic.Uint64 // transactions committed, writes they carried
}

func newCommitter(update func(func(*bolt.Tx) error) error) *committer {
	c := &committer{tx: update, reqs: make(chan writeReq, maxGroup), exited: make(chan struct{})}
	go c.loop()
	return c
}

// queue hands fn to the committer and returns the channel that will receive its
// outcome once it is durable (or has failed).
func (c *committer) queue(fn func(*bolt.Tx) error) <-chan error {
	done := make(chan error, 1)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		done <- errClosed
		return done
	}
	c.reqs <- writeReq{fn: fn, done: done}
	return done
}

// update runs fn in a group commit and returns once it is durable.
func (c *committer) update(fn func(*bolt.Tx) error) error { return <-c.queue(fn) }

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
	group := make([]writeReq, 0, maxGroup)
	for first := range c.reqs {
		// Let the writers just woken by the previous commit queue their next write
		// (a few µs, no timer): without it groups alternate between 1 and N-1.
		// Waiting longer for fuller groups (up to half a commit's duration) was tried
		// on 3 December: fewer commits (0.137 against 0.24 per student) but 40–55 %
		// more wall time per student on a quiet machine, where a commit costs ≈ 1 ms —
		// a writer waiting for company costs more than the fsync it saves.
		runtime.Gosched()
		group = c.drain(append(group[:0], first)) // whatever queued while the last commit synced
		c.commit(group)
	}
}

// drain appends the writes already queued, without waiting (nor past a closed queue:
// the loop then ends after this commit).
func (c *committer) drain(group []writeReq) []writeReq {
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

func (c *committer) commit(group []writeReq) {
	c.commits.Add(1)
	c.writes.Add(uint64(len(group)))
	if len(group) == 1 {
		group[0].done <- c.run(group[0].fn)
		return
	}
	err := c.run(func(tx *bolt.Tx) error {
		for _, r := range group {
			if err := r.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, r := range group {
			r.done <- nil
		}
		return
	}
	for _, r := range group { // one by one: only the faulty write fails
		r.done <- c.run(r.fn)
	}
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
