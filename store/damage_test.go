package store_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hypercerts/domain"
	"hypercerts/store"
)

// filled makes a base with one campaign of n students and returns its path and id.
func filled(t *testing.T, n int) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hypercerts.db")
	s := open(t, path)
	defer s.Close()
	c := campaign(time.Now())
	if err := s.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	var entries []domain.Entry
	for i := range n {
		entries = append(entries, entry(fmt.Sprintf("%08d", i), domain.EntryMailed))
	}
	if err := s.PutEntries(c.ID, entries); err != nil {
		t.Fatal(err)
	}
	return path, c.ID
}

// assertDamageMessage: French, names the file, gives the way out, no English from bbolt.
func assertDamageMessage(t *testing.T, err error, path string) {
	t.Helper()
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	msg := err.Error()
	for _, want := range []string{path, "hypercerts restore", "sauvegarde"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	for _, english := range []string{"file size too small", "invalid database", "checksum error", "unexpected", "page "} {
		if strings.Contains(msg, english) && !strings.Contains(msg, "page endommagée") {
			t.Errorf("message %q carries bbolt's English %q", msg, english)
		}
	}
}

func TestDamagedStore_ZeroedPagesGiveAFrenchErrorNeverAPanic(t *testing.T) {
	path, id := filled(t, 2000)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := os.Getpagesize()
	// Keep the two meta pages, zero a run of data pages in the middle.
	for i := 4 * ps; i < len(b)-2*ps && i < 40*ps; i++ {
		b[i] = 0
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		t.Run(fmt.Sprintf("lecture seule=%v", ro), func(t *testing.T) {
			openFn := store.Open
			if ro {
				openFn = store.OpenReadOnly
			}
			s, err := openFn(path, time.Second)
			if err != nil {
				assertDamageMessage(t, err, path)
				return
			}
			defer s.Close()
			_, err1 := s.Campaigns()
			_, err2 := s.Entries(id)
			_, err3 := s.Campaign(id)
			if err := errors.Join(err1, err2, err3); err == nil {
				t.Fatal("a base with zeroed pages read without error")
			} else {
				assertDamageMessage(t, err, path)
			}
		})
	}
}

func TestDamagedStore_EmptyFileIsNeverRecreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hypercerts.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, openFn := range []func(string, time.Duration) (*store.Store, error){store.Open, store.OpenReadOnly} {
		s, err := openFn(path, time.Second)
		if err == nil {
			s.Close()
			t.Fatal("a 0-byte base opened (silently re-created empty)")
		}
		assertDamageMessage(t, err, path)
		if fi, _ := os.Stat(path); fi.Size() != 0 {
			t.Fatalf("the 0-byte file was written to (%d bytes)", fi.Size())
		}
	}
}

func TestDamagedStore_TruncatedFileIsNamedInFrench(t *testing.T) {
	ps := os.Getpagesize()
	for name, keep := range map[string]func(n int) int{
		"moins de deux pages": func(int) int { return ps + 100 },
		"coupé au milieu":     func(n int) int { return n / 2 },
	} {
		t.Run(name, func(t *testing.T) {
			path, _ := filled(t, 2000)
			// n is the data's length: the file has room to grow after it (bbolt grows
			// it 16 MB at a time), and cutting only that room loses nothing.
			s, err := store.OpenReadOnly(path, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			if _, err := s.CopyTo(io.Discard, func(size int64) { n = size }); err != nil {
				t.Fatal(err)
			}
			s.Close()
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, b[:keep(int(n))], 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = store.Open(path, time.Second)
			assertDamageMessage(t, err, path)
			if !strings.Contains(err.Error(), "tronqué") {
				t.Errorf("message %q does not say the file is truncated", err)
			}
		})
	}
}

func TestOpenReadOnly_WritesNothingAndCreatesNothing(t *testing.T) {
	path, id := filled(t, 50)
	sum := func() [32]byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()
	fi, _ := os.Stat(path)
	s, err := store.OpenReadOnly(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if entries, err := s.Entries(id); err != nil || len(entries) != 50 {
		t.Fatalf("entries = %d, %v", len(entries), err)
	}
	if err := s.AppendAudit(id, domain.AuditRecord{Action: "x"}); err == nil {
		t.Error("a write went through a read-only base")
	}
	// Two readers at once (e.g. campaign list and status): the lock is shared.
	s2, err := store.OpenReadOnly(path, time.Second)
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	s2.Close()
	s.Close()
	if sum() != before {
		t.Error("a read-only open changed the file")
	}
	if fi2, _ := os.Stat(path); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("a read-only open touched the file's time")
	}
	missing := filepath.Join(t.TempDir(), "absente.db")
	if _, err := store.OpenReadOnly(missing, time.Second); !errors.Is(err, store.ErrMissing) {
		t.Errorf("missing file: %v, want ErrMissing", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("a read-only open created the file")
	}
}

// restore's candidate check is the open's check: a base with a newer root bucket, which
// Open refuses, is refused by Inspect too.
func TestInspect_RefusesWhatOpenRefuses(t *testing.T) {
	cases := map[string]func(tx *bolt.Tx) error{
		"racine v2 à côté de v1": func(tx *bolt.Tx) error {
			root, err := tx.CreateBucketIfNotExists([]byte("v1"))
			if err != nil {
				return err
			}
			meta, _ := root.CreateBucketIfNotExists([]byte("meta"))
			meta.Put([]byte("schema"), []byte("1"))
			_, err = tx.CreateBucket([]byte("v2"))
			return err
		},
		"schéma illisible": func(tx *bolt.Tx) error {
			root, _ := tx.CreateBucketIfNotExists([]byte("v1"))
			meta, _ := root.CreateBucketIfNotExists([]byte("meta"))
			return meta.Put([]byte("schema"), []byte("un"))
		},
		"base bbolt étrangère": func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("autre"))
			return err
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "candidate.db")
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(setup); err != nil {
				t.Fatal(err)
			}
			db.Close()
			_, openErr := store.Open(path, time.Second)
			_, inspectErr := store.Inspect(path)
			if openErr == nil || inspectErr == nil {
				t.Fatalf("Open: %v; Inspect: %v; want both refused", openErr, inspectErr)
			}
		})
	}
	good, _ := filled(t, 3)
	if info, err := store.Inspect(good); err != nil || info.Campaigns != 1 || info.Schema != store.SchemaVersion {
		t.Fatalf("Inspect(good) = %+v, %v", info, err)
	}
}

// Compact while the base is in use (the daemon's purge): readers and writers of this
// process wait for it and carry on with the new file; nothing is lost.
func TestCompact_WhileInUse(t *testing.T) {
	path, id := filled(t, 500)
	s := open(t, path)
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	stop := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if w == 0 {
					if err := s.AppendAudit(id, domain.AuditRecord{At: time.Now(), User: "u", Action: fmt.Sprint(i)}); err != nil {
						errs <- err
						return
					}
				} else if entries, err := s.Entries(id); err != nil || len(entries) != 500 {
					errs <- fmt.Errorf("entries = %d, %v", len(entries), err)
					return
				}
			}
		}()
	}
	for range 5 {
		if err := s.Compact(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("compacted file: %v, %v; want mode 0600", fi, err)
	}
	if m, _ := filepath.Glob(path + ".compactage-*"); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
	audit, err := s.Audit(id)
	if err != nil || len(audit) == 0 {
		t.Fatalf("audit after compaction: %d, %v", len(audit), err)
	}
	s.Close()
	s2 := open(t, path)
	defer s2.Close()
	if a2, _ := s2.Audit(id); len(a2) != len(audit) {
		t.Errorf("reopened: %d audit records, want %d", len(a2), len(audit))
	}
	var buf bytes.Buffer
	if _, err := s2.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
}
