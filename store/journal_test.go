package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hypercerts/domain"
)

// rawState reads one entry's state from the base file alone (no settling: what a
// crash would leave there without the journal).
func rawState(t *testing.T, s *Store, id, code string) domain.EntryState {
	t.Helper()
	var st domain.EntryState
	if err := s.viewBase(func(tx *bolt.Tx) error {
		v := getBucket(tx, bucketEntries, []byte(id)).Get([]byte(code))
		if v == nil {
			return nil
		}
		var e domain.Entry
		if err := getJSON(v, &e); err != nil {
			return err
		}
		st = e.State
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// A state change is durable once its journal record is synced: the base gets it at
// the next checkpoint, and a read (which settles first) sees it at once.
func TestJournal_StateChangeIsJournaledThenReadsSeeIt(t *testing.T) {
	s, path := openT(t)
	id := newCampaign(t, s)
	if err := s.PutEntries(id, []domain.Entry{stateEntry("1", domain.EntrySending)}); err != nil {
		t.Fatal(err)
	}
	if got := rawState(t, s, id, "1"); got != "" {
		t.Fatalf("base holds %q before any checkpoint: the write did not go through the journal", got)
	}
	if fi, err := os.Stat(JournalPath(path)); err != nil || fi.Size() <= journalHeaderLen {
		t.Fatalf("journal %v (%v), want a record in it", fi, err)
	}
	cp := s.w.checkpoints.Load()
	got, err := s.Entries(id)
	if err != nil || len(got) != 1 || got[0].State != domain.EntrySending {
		t.Fatalf("Entries = %v (%v), want the journaled state", got, err)
	}
	if s.w.checkpoints.Load() != cp+1 || rawState(t, s, id, "1") != domain.EntrySending {
		t.Errorf("the read did not checkpoint the journal into the base")
	}
}

// A launch's chunks of entries (more than journalPutMax) go to bbolt directly.
func TestJournal_LargeWritesGoToTheBase(t *testing.T) {
	s, _ := openT(t)
	id := newCampaign(t, s)
	var many []domain.Entry
	for i := range journalPutMax + 1 {
		many = append(many, stateEntry(fmt.Sprintf("%03d", i), domain.EntryEligible))
	}
	if err := s.PutEntries(id, many); err != nil {
		t.Fatal(err)
	}
	if got := rawState(t, s, id, "000"); got != domain.EntryEligible {
		t.Errorf("a chunk of %d entries is not in the base (%q)", len(many), got)
	}
}

// A clean close leaves no journal; the next opening has every write.
func TestJournal_CleanCloseRemovesIt(t *testing.T) {
	s, path := openT(t)
	id := newCampaign(t, s)
	if err := s.PutEntries(id, []domain.Entry{stateEntry("1", domain.EntryMailed)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(JournalPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal after a clean close: %v", err)
	}
	s2 := reopen(t, path)
	if got := rawState(t, s2, id, "1"); got != domain.EntryMailed {
		t.Errorf("state after reopen %q", got)
	}
}

// crashChildEnv names the base a child process writes to, then leaves without closing.
const crashChildEnv = "HYPERCERTS_JOURNAL_CRASH_CHILD"

// TestJournal_CrashChild is the child of the crash tests (it does nothing otherwise): it
// stores "sending" then "mailed" for students 1…n one write at a time, as a campaign
// does, and exits without closing the base — as a killed process, whose writes the
// kernel keeps (a power loss is the journal's fdatasync's business).
func TestJournal_CrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		return
	}
	idleCheckpoint = time.Hour
	s, err := Open(path, time.Second)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "LMATH", Version: "201"}, CreatedAt: time.Now()}
	if err := s.CreateCampaign(c); err != nil {
		fmt.Println("create:", err)
		os.Exit(2)
	}
	for i := 1; i <= 20; i++ {
		for _, st := range []domain.EntryState{domain.EntrySending, domain.EntryMailed} {
			if err := s.PutEntries(c.ID, []domain.Entry{stateEntry(fmt.Sprintf("%02d", i), st)}); err != nil {
				fmt.Println("put:", err)
				os.Exit(2)
			}
		}
	}
	if os.Getenv(crashChildEnv+"_REUSE") != "" {
		// A read checkpoints the 40 writes; the journal starts again over their bytes,
		// and one more record, as long as the first, lands where the first was (student
		// 01 sent again, as a relaunch does).
		if _, err := s.Entries(c.ID); err != nil {
			fmt.Println("entries:", err)
			os.Exit(2)
		}
		if err := s.PutEntries(c.ID, []domain.Entry{stateEntry("01", domain.EntrySending)}); err != nil {
			fmt.Println("put:", err)
			os.Exit(2)
		}
	}
	fmt.Println("campaign:" + c.ID)
	os.Exit(0) // no Close: the journal holds the 40 writes, the base none
}

// crashed runs the child on a new base and returns its path and campaign.
func crashed(t *testing.T, env ...string) (path, id string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "hypercerts.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournal_CrashChild$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), crashChildEnv+"="+path), env...)
	out, err := cmd.CombinedOutput()
	_, id, ok := strings.Cut(strings.TrimSpace(string(out)), "campaign:")
	if err != nil || !ok {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return path, strings.Fields(id)[0]
}

// reopen opens the base at path for the rest of the test.
func reopen(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func states(t *testing.T, s *Store, id string) map[string]domain.EntryState {
	t.Helper()
	list, err := s.Entries(id)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]domain.EntryState{}
	for _, e := range list {
		m[e.Student.Code] = e.State
	}
	return m
}

// After a crash, Open copies the journaled writes into the base: nothing acknowledged
// is lost, and the journal is started again.
func TestJournal_CrashThenOpenReplaysEveryAcknowledgedWrite(t *testing.T) {
	path, id := crashed(t)
	s := reopen(t, path)
	if got := rawState(t, s, id, "20"); got != domain.EntryMailed {
		t.Fatalf("student 20 in the base after the replay: %q, want mailed", got)
	}
	if got := states(t, s, id); len(got) != 20 {
		t.Errorf("%d entries after the replay, want 20", len(got))
	}
}

// The same crash, opened without its journal, lacks the writes: they really came
// from the journal (and the base alone is a consistent older state).
func TestJournal_CrashedBaseWithoutItsJournalIsOlderButWhole(t *testing.T) {
	path, id := crashed(t)
	if err := os.Remove(JournalPath(path)); err != nil {
		t.Fatal(err)
	}
	s := reopen(t, path)
	if got := states(t, s, id); len(got) != 0 {
		t.Errorf("base alone holds %d entries, want none (all were journaled)", len(got))
	}
}

// A torn tail (a record whose sync never returned) is dropped, not misread: the
// replay keeps the whole records before it.
func TestJournal_TornTailIsIgnored(t *testing.T) {
	path, id := crashed(t)
	jp := JournalPath(path)
	data, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	// Cut the last record in the middle, and flip a byte of the one before it.
	last, end := lastRecord(t, data)
	data = data[:last+(end-last)/2]
	prev, _ := lastRecord(t, data[:last])
	data[prev+recordHeaderLen+3] ^= 0xff
	if err := os.WriteFile(jp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := reopen(t, path)
	got := states(t, s, id)
	// 40 records (one write each): the 39th (student 20 "sending") is damaged, the 40th
	// torn, so 38 remain: students 1…19, mailed.
	if _, ok := got["20"]; len(got) != 19 || got["19"] != domain.EntryMailed || ok {
		t.Errorf("after a torn tail: %d entries, 19 %q, 20 %q; want 19, mailed, absent", len(got), got["19"], got["20"])
	}
}

// lastRecord walks data's records and gives where the last whole one starts and ends
// (the file goes on with zeros: a zero length ends the walk).
func lastRecord(t *testing.T, data []byte) (start, end int) {
	t.Helper()
	off, last := journalHeaderLen, -1
	for off+recordHeaderLen <= len(data) {
		n := int(binary.BigEndian.Uint32(data[off:]))
		if n == 0 || off+recordHeaderLen+n > len(data) {
			break
		}
		last, off = off, off+recordHeaderLen+n
	}
	if last < 0 {
		t.Fatal("no record in the journal")
	}
	return last, off
}

// After a checkpoint the journal is written again from its start, over the old
// records: a replay reads the new ones only, never an old one lying behind them (here
// the old "01 mailed", which would undo the new "01 sending", then every later one).
func TestJournal_RecordsLeftBehindAfterACheckpointAreNotReplayed(t *testing.T) {
	path, id := crashed(t, crashChildEnv+"_REUSE=1")
	s := reopen(t, path)
	got := states(t, s, id)
	if len(got) != 20 || got["01"] != domain.EntrySending || got["20"] != domain.EntryMailed {
		t.Errorf("after reuse and crash: %d entries, 01 %q, 20 %q; want 20, sending, mailed", len(got), got["01"], got["20"])
	}
}

// Records are bound to their journal's salt: under a header with another salt (a
// later start of the journal) the same bytes are not records, whatever their
// sequence — old records left behind, or bytes chosen inside a value, never replay.
func TestJournal_RecordsNeedTheirHeadersSalt(t *testing.T) {
	path, id := crashed(t)
	jp := JournalPath(path)
	data, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	data[32] ^= 0x01 // another salt, the header's own CRC made right again
	binary.BigEndian.PutUint32(data[journalHeaderLen-4:], crc32.Checksum(data[:journalHeaderLen-4], castagnoli))
	if err := os.WriteFile(jp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := reopen(t, path)
	if got := states(t, s, id); len(got) != 0 {
		t.Errorf("%d entries replayed under another salt, want none", len(got))
	}
}

// A journal is replayed only onto the base it continues: another base's, or one left
// beside a base replaced by an older copy, is ignored (and replaced).
func TestJournal_ForeignJournalIsIgnored(t *testing.T) {
	path, _ := crashed(t)
	other, otherID := crashed(t)
	// Put the first crash's journal beside the second base.
	if err := os.Rename(JournalPath(path), JournalPath(other)); err != nil {
		t.Fatal(err)
	}
	s := reopen(t, other)
	if got := states(t, s, otherID); len(got) != 0 {
		t.Errorf("another base's journal was replayed: %d entries", len(got))
	}
}

// A read-only command after a crash sees every acknowledged write: its opening
// completes the journal first (as SQLite does with a hot journal).
func TestJournal_ReadOnlyOpenAfterCrashCompletesTheJournal(t *testing.T) {
	path, id := crashed(t)
	s, err := OpenReadOnly(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := states(t, s, id); len(got) != 20 || got["20"] != domain.EntryMailed {
		t.Errorf("read-only after a crash: %d entries, 20 %q", len(got), got["20"])
	}
}

// A purge after journaled state changes wins: they reach the base before it, never
// after (no purged student comes back at the next checkpoint or replay).
func TestJournal_PurgeAfterJournaledWritesKeepsNothing(t *testing.T) {
	s, path := openT(t)
	id := newCampaign(t, s)
	for i := range 5 {
		if err := s.PutEntries(id, []domain.Entry{stateEntry(fmt.Sprint(i), domain.EntryMailed)}); err != nil {
			t.Fatal(err)
		}
	}
	if data, err := os.ReadFile(JournalPath(path)); err != nil || !bytes.Contains(data, []byte(`"mailed"`)) {
		t.Fatalf("the state changes are not in the journal before the purge (%v)", err)
	}
	n, err := s.PurgeEntries(id, func(n int) domain.AuditRecord { return domain.AuditRecord{Action: "purge"} })
	if err != nil || n != 5 {
		t.Fatalf("purge: %d (%v), want 5", n, err)
	}
	if data, err := os.ReadFile(JournalPath(path)); err != nil || bytes.Contains(data, []byte(`"mailed"`)) || len(data) != journalHeaderLen {
		t.Errorf("the journal's file after the purge: %d bytes (%v), want only a header, none of the purged entries' bytes", len(data), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := reopen(t, path)
	if got := states(t, s2, id); len(got) != 0 {
		t.Errorf("%d entries after purge and reopen, want none", len(got))
	}
}

// The journal holds personal data: created 0600, never opened through a link.
func TestJournal_PrivateFileNoSymlink(t *testing.T) {
	s, path := openT(t)
	id := newCampaign(t, s)
	if err := s.PutEntries(id, []domain.Entry{stateEntry("1", domain.EntryMailed)}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(JournalPath(path))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal mode %v (%v), want 0600", fi.Mode(), err)
	}
	s.Close()

	dir := t.TempDir()
	base := filepath.Join(dir, "hypercerts.db")
	target := filepath.Join(dir, "elsewhere")
	if err := os.Symlink(target, JournalPath(base)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(base, time.Second); !errors.Is(err, ErrSymlink) {
		t.Errorf("journal planted as a link: Open = %v, want ErrSymlink", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was created")
	}
}

// Compacting with journaled writes pending loses none of them.
func TestJournal_CompactKeepsJournaledWrites(t *testing.T) {
	s, path := openT(t)
	id := newCampaign(t, s)
	if err := s.PutEntries(id, []domain.Entry{stateEntry("1", domain.EntrySending)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEntries(id, []domain.Entry{stateEntry("1", domain.EntryMailed)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := reopen(t, path)
	if got := states(t, s2, id); got["1"] != domain.EntryMailed {
		t.Errorf("after compact and reopen: %q, want mailed", got["1"])
	}
}

// noIdleCheckpoint keeps the committer from checkpointing on its own during a test
// that copies the files as a crash would leave them.
func noIdleCheckpoint(t *testing.T) {
	old := idleCheckpoint
	idleCheckpoint = time.Hour
	t.Cleanup(func() { idleCheckpoint = old })
}

func copyT(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func putT(t *testing.T, s *Store, id string, e domain.Entry) {
	t.Helper()
	if err := s.PutEntries(id, []domain.Entry{e}); err != nil {
		t.Fatal(err)
	}
}

// crashCopy copies the base and its journal as they are now (what a killed process
// leaves) to a new path, which it returns.
func crashCopy(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "crash.db")
	copyT(t, path, dst)
	if _, err := os.Stat(JournalPath(path)); err == nil {
		copyT(t, JournalPath(path), JournalPath(dst))
	}
	return dst
}

// A journal left beside a base that went back in time (a restore interrupted between
// putting the backup in place and removing the journal, a backup put back by hand)
// holds records of sequences the base has not reached yet. Open must not leave them
// behind the new journal's start: a new record as long as the first old one ends where
// the second old one begins, and the next replay applied that write of the replaced
// base (02 mailed) after the new one.
func TestJournal_RecordsOfAReplacedBaseNeverContinueTheNewJournal(t *testing.T) {
	noIdleCheckpoint(t)
	path := filepath.Join(t.TempDir(), "hypercerts.db")
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	id := newCampaign(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	backup := path + ".sauvegarde"
	copyT(t, path, backup)

	// The base goes on: records 1 (01 sending) and 2 (02 mailed), checkpointed by a read.
	if s, err = Open(path, time.Second); err != nil {
		t.Fatal(err)
	}
	putT(t, s, id, stateEntry("01", domain.EntrySending))
	putT(t, s, id, stateEntry("02", domain.EntryMailed))
	if _, err := s.Entries(id); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(JournalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The backup is put back, the old journal stays beside it.
	copyT(t, backup, path)
	if err := os.WriteFile(JournalPath(path), old, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, time.Second); err != nil {
		t.Fatal(err)
	}
	putT(t, s, id, stateEntry("03", domain.EntrySending)) // record 1, as long as the old one
	crash := crashCopy(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(crash, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := states(t, s, id)
	if got["03"] != domain.EntrySending || len(got) != 1 {
		t.Errorf("after the crash: %v, want only 03 sending (02 mailed was a write of the replaced base)", got)
	}
}

// A checkpoint that fails may still have reached the base: bbolt reports an error when
// the sync after its meta page fails, yet the page is written (in the page cache at
// least, which a killed process does not lose). The base then holds the new journal
// sequence while the journal still starts from the old one, so records written after
// it were not replayed: an acknowledged state change (02 mailed) was lost.
func TestJournal_WritesAfterAFailedCheckpointSurviveACrash(t *testing.T) {
	noIdleCheckpoint(t)
	s, path := openT(t)
	id := newCampaign(t, s)
	var failOnce atomic.Bool
	s.w.tx = func(fn func(*bolt.Tx) error) error { // set before the next write is queued
		err := s.update(fn)
		if err == nil && failOnce.CompareAndSwap(true, false) {
			return errors.New("fdatasync: input/output error")
		}
		return err
	}
	putT(t, s, id, stateEntry("01", domain.EntrySending))
	failOnce.Store(true)
	if _, err := s.Entries(id); err == nil {
		t.Fatal("the read's checkpoint did not fail")
	}
	putT(t, s, id, stateEntry("02", domain.EntryMailed))
	crash := crashCopy(t, path)

	s2 := reopen(t, crash)
	if got := states(t, s2, id); got["01"] != domain.EntrySending || got["02"] != domain.EntryMailed {
		t.Errorf("after a failed checkpoint and a crash: %v, want 01 sending and 02 mailed", got)
	}
}

// Another opening waiting for the lock while the daemon compacts (or while restore puts
// a backup in place) opened the file the rename replaces: it got that old file's lock
// when the daemon let it go, and then took the journal — which is named after the
// path, so it is the daemon's — as its own: cut it to its header, and removed it when
// closed. The daemon's acknowledged, not yet checkpointed state change was lost.
func TestJournal_OpeningWaitingDuringCompactLeavesTheDaemonsJournal(t *testing.T) {
	noIdleCheckpoint(t)
	s, path := openT(t)
	id := newCampaign(t, s)
	putT(t, s, id, stateEntry("01", domain.EntryMailed)) // journaled, not in the base
	opened := make(chan error, 1)
	go func() {
		other, err := Open(path, 1500*time.Millisecond)
		if err == nil {
			err = other.Close()
		}
		opened <- err
	}()
	time.Sleep(300 * time.Millisecond) // the other opening waits for the lock
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; !errors.Is(err, ErrInUse) {
		t.Errorf("an opening while the daemon holds the base: %v, want ErrInUse", err)
	}
	crash := crashCopy(t, path)
	s2 := reopen(t, crash)
	if got := states(t, s2, id); got["01"] != domain.EntryMailed {
		t.Errorf("the daemon's journaled write after the other opening and a crash: %q, want mailed", got["01"])
	}
}

// Restore holds the replaced base open while it puts the backup in place: a process
// may open the restored base meanwhile (its file is not the one locked) and journal a
// write. The replaced base's close removed the journal by its name — that process's —
// and its acknowledged write was lost to the next crash.
func TestJournal_CloseOfAReplacedBaseLeavesTheNewBasesJournal(t *testing.T) {
	noIdleCheckpoint(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hypercerts.db")
	old, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	id := newCampaign(t, old)
	backup := filepath.Join(dir, "sauvegarde.db")
	f, err := os.OpenFile(backup, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Rename(backup, path); err != nil { // as restore does, holding old
		t.Fatal(err)
	}
	restored := reopen(t, path)
	putT(t, restored, id, stateEntry("01", domain.EntryMailed))
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	crash := crashCopy(t, path)
	s := reopen(t, crash)
	if got := states(t, s, id); got["01"] != domain.EntryMailed {
		t.Errorf("the restored base's journaled write after the old one's close and a crash: %q, want mailed", got["01"])
	}
}
