package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hypercerts/domain"
)

func openT(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hypercerts.db")
	s, err := Open(path, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func newCampaign(t *testing.T, s *Store) string {
	t.Helper()
	c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "LMATH", Version: "201"}, CreatedAt: time.Now()}
	if err := s.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func stateEntry(code string, st domain.EntryState) domain.Entry {
	return domain.Entry{Row: domain.Row{Student: domain.Student{Code: code}}, State: st}
}

// holdWriter takes bbolt's writer lock, so that the committer's next transaction waits
// and every write queued meanwhile lands in the group after it. release lets it go.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	tx, err := s.db.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	return func() { _ = tx.Rollback() }
}

// Writes queued while a commit is in progress are committed together, in one
// transaction, and each caller learns its own write is durable.
func TestGroupCommitCarriesQueuedWritesInOneTransaction(t *testing.T) {
	s, path := openT(t)
	id := newCampaign(t, s)
	c0, w0 := s.CommitStats()

	release := holdWriter(t, s)
	first := s.PutEntriesAsync(id, []domain.Entry{stateEntry("00", domain.EntrySending)})
	var waits []func() error
	for i := 1; i <= 10; i++ {
		waits = append(waits, s.PutEntriesAsync(id, []domain.Entry{stateEntry(fmt.Sprintf("%02d", i), domain.EntryMailed)}))
	}
	release()
	for _, w := range append(waits, first) {
		if err := w(); err != nil {
			t.Fatal(err)
		}
	}
	c1, w1 := s.CommitStats()
	// The first write may wait alone for the lock (if the committer took it before the
	// others were queued); the ten others queued behind it share one transaction.
	if commits, writes := c1-c0, w1-w0; commits > 2 || writes != 11 {
		t.Errorf("%d commits for %d writes, want at most 2 for 11", commits, writes)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Entries(id)
	if err != nil || len(got) != 11 {
		t.Fatalf("%d entries after reopen (%v), want 11", len(got), err)
	}
	if got[0].State != domain.EntrySending || got[10].State != domain.EntryMailed {
		t.Errorf("states after reopen: %s, %s", got[0].State, got[10].State)
	}
}

// One faulty write in a group (an unknown campaign) fails alone: the others of the
// same group are committed.
func TestGroupCommitFaultyWriteFailsAlone(t *testing.T) {
	s, _ := openT(t)
	id := newCampaign(t, s)

	release := holdWriter(t, s)
	head := s.PutEntriesAsync(id, []domain.Entry{stateEntry("0", domain.EntryMailed)})
	good1 := s.PutEntriesAsync(id, []domain.Entry{stateEntry("1", domain.EntryMailed)})
	bad := s.PutEntriesAsync("inconnue", []domain.Entry{stateEntry("2", domain.EntryMailed)})
	audit := make(chan error, 1)
	go func() { audit <- s.AppendAudit(id, domain.AuditRecord{Action: "fin"}) }()
	good2 := s.PutEntriesAsync(id, []domain.Entry{stateEntry("3", domain.EntryMailed)})
	time.Sleep(20 * time.Millisecond) // let the audit write queue up too (it passes either way)
	release()

	if err := bad(); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("write to an unknown campaign: %v, want ErrNotFound", err)
	}
	for _, w := range []func() error{head, good1, good2, func() error { return <-audit }} {
		if err := w(); err != nil {
			t.Errorf("write of the same group: %v", err)
		}
	}
	got, err := s.Entries(id)
	if err != nil || len(got) != 3 {
		t.Fatalf("entries %v (%v), want 0, 1 and 3", got, err)
	}
	log, err := s.Audit(id)
	if err != nil || len(log) != 1 {
		t.Fatalf("audit %v (%v), want one record", log, err)
	}
}

// Close commits what is queued; a write after Close fails instead of hanging.
func TestCloseCommitsQueuedWritesThenRefuses(t *testing.T) {
	s, path := openT(t)
	id := newCampaign(t, s)
	release := holdWriter(t, s)
	queued := s.PutEntriesAsync(id, []domain.Entry{stateEntry("1", domain.EntryMailed)})
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	time.Sleep(20 * time.Millisecond)
	release()
	if err := queued(); err != nil {
		t.Fatalf("write queued before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := s.PutEntries(id, []domain.Entry{stateEntry("2", domain.EntryMailed)}); err == nil {
		t.Error("write after Close accepted")
	}
	s2, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Entries(id); err != nil || len(got) != 1 {
		t.Errorf("entries after reopen %v (%v), want the queued one", got, err)
	}
}

// Many writers at once: every write is there afterwards, and the entries given to
// PutEntriesAsync may be changed as soon as it returns.
func TestGroupCommitConcurrentWriters(t *testing.T) {
	s, _ := openT(t)
	id := newCampaign(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 20 {
		wg.Go(func() {
			for i := range 20 {
				en := []domain.Entry{stateEntry(fmt.Sprintf("%02d-%02d", g, i), domain.EntrySending)}
				wait := s.PutEntriesAsync(id, en)
				en[0].State = domain.EntryExcluded // must not reach the store
				errs <- wait()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Entries(id)
	if err != nil || len(got) != 400 {
		t.Fatalf("%d entries (%v), want 400", len(got), err)
	}
	for _, e := range got {
		if e.State != domain.EntrySending {
			t.Fatalf("entry %s is %s, want sending", e.Student.Code, e.State)
		}
	}
}

// BenchmarkStateChanges8Writers is the store side of a campaign run: 8 workers, each
// writing one entry at a time and waiting for it to be durable. "group" is the store's
// committer; "tx-each" is one bbolt transaction (two fdatasync) per write, as before
// group commit. The ratio of the two, in one run, is what a loaded disk does not blur.
func BenchmarkStateChanges8Writers(b *testing.B) {
	for _, mode := range []string{"tx-each", "group"} {
		b.Run(mode, func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "h.db"), time.Second)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "LMATH", Version: "201"}, CreatedAt: time.Now()}
			if err := s.CreateCampaign(c); err != nil {
				b.Fatal(err)
			}
			put := s.PutEntries
			if mode == "tx-each" {
				put = func(id string, en []domain.Entry) error {
					return s.db.Update(func(tx *bolt.Tx) error {
						return putJSON(getBucket(tx, bucketEntries, []byte(id)), []byte(en[0].Student.Code), &en[0])
					})
				}
			}
			c0, w0 := s.CommitStats()
			b.SetParallelism(4) // 8 goroutines on 2 cores, like 8 sends in flight
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if err := put(c.ID, []domain.Entry{stateEntry(fmt.Sprintf("%p-%d", &i, i%1000), domain.EntryMailed)}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if c1, w1 := s.CommitStats(); c1 > c0 {
				b.ReportMetric(float64(w1-w0)/float64(c1-c0), "writes/commit")
			}
		})
	}
}

// Writers that each wait for every write of theirs move in step: the writers a
// commit releases are back, and committed together with the others, in the next
// group — not half of them in one group and half in the next (what committing at the
// first write gave: about 4 writes per commit for 8 writers).
func TestGroupCommitWaitsForTheWritersItReleased(t *testing.T) {
	s, _ := openT(t)
	id := newCampaign(t, s)
	const writers, rounds = 8, 40
	c0, w0 := s.CommitStats()
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range rounds {
				if err := s.PutEntries(id, []domain.Entry{stateEntry(fmt.Sprintf("%d-%02d", g, i), domain.EntryMailed)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	c1, w1 := s.CommitStats()
	if perCommit := float64(w1-w0) / float64(c1-c0); perCommit < 6 {
		t.Errorf("%.1f writes per commit for %d writers in step, want at least 6", perCommit, writers)
	}
}

// A writer the last commit released that does not come back (it left, or works
// long before its next write) holds the others up for a bounded time only.
func TestGroupCommitDoesNotWaitForAWriterThatLeft(t *testing.T) {
	s, _ := openT(t)
	id := newCampaign(t, s)
	gone := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 30 {
				if g == 0 && i == 1 {
					<-gone // blocked elsewhere until the others are done
					return
				}
				if err := s.PutEntries(id, []domain.Entry{stateEntry(fmt.Sprintf("%d-%02d", g, i), domain.EntryMailed)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if got, _ := s.Entries(id); len(got) == 1+3*30 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Error("the other writers did not get through while one writer was away")
	}
	close(gone)
	wg.Wait()
}
