package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hypercerts/domain"
	"hypercerts/store"
)

func open(t testing.TB, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func campaign(at time.Time) *domain.Campaign {
	return &domain.Campaign{Year: "2024", Component: domain.Component{Code: "UFRSCI"},
		VDI: domain.VDI{Dip: "LMATH", Version: "201"}, Mode: domain.ModeMail,
		CreatedAt: at, State: domain.CampaignRunning, CreatedBy: "GEST1"}
}

func entry(code string, state domain.EntryState) domain.Entry {
	return domain.Entry{Row: domain.Row{Student: domain.Student{Code: code, LastName: "Nom" + code,
		FirstName1: "Élodie", Email: code + "@etu.example.fr"}, Eligible: true}, State: state}
}

func TestReopenKeepsCampaignsEntriesAndAudit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hypercerts.db")
	s := open(t, path)
	c := campaign(time.Date(2026, 11, 23, 12, 17, 0, 0, time.UTC))
	if err := s.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	if c.ID != "20261123-121700-LMATH-201" {
		t.Errorf("ID = %q", c.ID)
	}
	if err := s.PutEntries(c.ID, []domain.Entry{entry("2", domain.EntryEligible), entry("1", domain.EntryExcluded)}); err != nil {
		t.Fatal(err)
	}
	e := entry("2", domain.EntryMailFailed)
	e.LastError, e.Retryable = "SMTP 452 boîte pleine", true
	if err := s.PutEntries(c.ID, []domain.Entry{e}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"lancement", "fin"} {
		if err := s.AppendAudit(c.ID, domain.AuditRecord{At: time.Now(), User: "GEST1", Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	c.State, c.Counts = domain.CampaignFinished, map[domain.EntryState]int{domain.EntryMailed: 3}
	if err := s.UpdateCampaign(*c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	got, err := s.Campaign(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.CampaignFinished || got.Counts[domain.EntryMailed] != 3 || got.VDI.Key() != "LMATH/201" {
		t.Errorf("campaign after reopen = %+v", got)
	}
	entries, err := s.Entries(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Student.Code != "1" || entries[1].State != domain.EntryMailFailed ||
		entries[1].LastError != "SMTP 452 boîte pleine" || !entries[1].Retryable {
		t.Errorf("entries after reopen = %+v", entries)
	}
	audit, err := s.Audit(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Action != "lancement" || audit[1].Action != "fin" {
		t.Errorf("audit = %+v", audit)
	}
}

func TestUnknownCampaignIsNotFound(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"))
	defer s.Close()
	if _, err := s.Campaign("nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Campaign: %v", err)
	}
	if err := s.PutEntries("nope", []domain.Entry{entry("1", domain.EntryEligible)}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("PutEntries: %v", err)
	}
	if _, err := s.Entries("nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Entries: %v", err)
	}
	if err := s.AppendAudit("nope", domain.AuditRecord{}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("AppendAudit: %v", err)
	}
	if err := s.UpdateCampaign(domain.Campaign{ID: "nope"}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateCampaign: %v", err)
	}
}

func TestSecondOpenGetsErrInUseAfterTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := open(t, path)
	defer s.Close()
	start := time.Now()
	_, err := store.Open(path, 150*time.Millisecond)
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 5*time.Second { // bbolt polls the lock every 50 ms
		t.Errorf("second Open returned after %v", d)
	}
	if !strings.Contains(err.Error(), "démon") || !strings.Contains(err.Error(), path) {
		t.Errorf("message %q should name the daemon and the file", err)
	}
}

func TestFileMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := open(t, path)
	defer s.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Mode().Perm(); m != 0o600 {
		t.Errorf("mode = %o, want 600", m)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	for name, setup := range map[string]func(tx *bolt.Tx) error{
		"root v2": func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("v2")); return err },
		"meta schema 7": func(tx *bolt.Tx) error {
			root, err := tx.CreateBucketIfNotExists([]byte("v1"))
			if err != nil {
				return err
			}
			meta, err := root.CreateBucketIfNotExists([]byte("meta"))
			if err != nil {
				return err
			}
			return meta.Put([]byte("schema"), []byte("7"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "h.db")
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(setup); err != nil {
				t.Fatal(err)
			}
			db.Close()
			_, err = store.Open(path, 0)
			if !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "mettez hypercerts à jour") {
				t.Fatalf("Open: %v, want ErrSchema", err)
			}
		})
	}
}

func TestCorruptFileGivesClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("pas une base bbolt "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(path, 0)
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "sauvegarde") {
		t.Fatalf("Open: %v, want ErrCorrupt", err)
	}
}

func TestWriteToBackupIsAValidBase(t *testing.T) {
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "h.db"))
	defer s.Close()
	c := campaign(time.Now())
	if err := s.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	var entries []domain.Entry
	for i := range 500 {
		entries = append(entries, entry(fmt.Sprintf("%08d", i), domain.EntryMailed))
	}
	if err := s.PutEntries(c.ID, entries); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := s.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v (buffer %d)", n, err, buf.Len())
	}
	backup := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(backup, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	b := open(t, backup)
	defer b.Close()
	got, err := b.Entries(c.ID)
	if err != nil || len(got) != 500 {
		t.Fatalf("backup entries: %d, %v", len(got), err)
	}
	if err := b.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Errorf("backup check: %v", err)
	}
}

func TestCampaignsNewestFirst(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"))
	defer s.Close()
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var ids []string
	// Same second three times (IDs get a suffix), then later ones.
	for _, d := range []time.Duration{0, 0, 0, time.Minute, time.Hour} {
		c := campaign(at.Add(d))
		if err := s.CreateCampaign(c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if ids[1] != ids[0]+"-2" || ids[2] != ids[0]+"-3" {
		t.Errorf("ids = %v", ids)
	}
	list, err := s.Campaigns()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(ids) {
		t.Fatalf("%d campaigns, want %d", len(list), len(ids))
	}
	for i, c := range list {
		if want := ids[len(ids)-1-i]; c.ID != want {
			t.Errorf("list[%d] = %s, want %s", i, c.ID, want)
		}
	}
}

func benchEntries(n int) []domain.Entry {
	entries := make([]domain.Entry, n)
	for i := range entries {
		e := entry(fmt.Sprintf("%08d", 20000000+i), domain.EntryEligible)
		e.Reasons = []string{"pas de verdict"}
		e.VETs = []string{"L3MATH/201"}
		e.Mention = domain.Mention{Code: "AB", Label: "Assez bien"}
		entries[i] = e
	}
	return entries
}

func BenchmarkPutEntries10000(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "h.db"))
	defer s.Close()
	entries := benchEntries(10000)
	b.ReportAllocs()
	for b.Loop() {
		c := campaign(time.Now())
		if err := s.CreateCampaign(c); err != nil {
			b.Fatal(err)
		}
		if err := s.PutEntries(c.ID, entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(entries)), "ns/entry")
}

func BenchmarkEntries10000(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "h.db"))
	defer s.Close()
	c := campaign(time.Now())
	if err := s.CreateCampaign(c); err != nil {
		b.Fatal(err)
	}
	if err := s.PutEntries(c.ID, benchEntries(10000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.Entries(c.ID)
		if err != nil || len(got) != 10000 {
			b.Fatal(len(got), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/entry")
}

// BenchmarkPutEntryOneByOne is the cost of one state change (one transaction, one fsync).
func BenchmarkPutEntryOneByOne(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "h.db"))
	defer s.Close()
	c := campaign(time.Now())
	if err := s.CreateCampaign(c); err != nil {
		b.Fatal(err)
	}
	entries := benchEntries(1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.PutEntries(c.ID, entries[i%len(entries):i%len(entries)+1]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
