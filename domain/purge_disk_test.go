package domain_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/store"
)

// A purge is only real if the bytes are gone: bbolt keeps deleted values in free pages,
// so a byte search of the file (and of a backup taken later) must find none of the
// purged students' e-mails, INEs or names, while the kept students' data are still
// found (the search works).
func TestPurge_PurgedPersonalDataIsGoneFromTheFileAndFromLaterBackups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "hypercerts.db")
	st, err := store.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC)
	day := 24 * time.Hour
	type person struct{ email, ine, name string }
	mk := func(dip string, endedDaysAgo, students int) []person {
		t.Helper()
		c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: dip, Version: "201"}, State: domain.CampaignRunning,
			CreatedAt: now.Add(-time.Duration(endedDaysAgo+2) * day)}
		if err := st.CreateCampaign(c); err != nil {
			t.Fatal(err)
		}
		var entries []domain.Entry
		var people []person
		for i := range students {
			p := person{
				email: fmt.Sprintf("%s.etudiant%04d@etu.univ-demo.fr", dip, i),
				ine:   fmt.Sprintf("%s%07dK", dip[:3], i),
				name:  fmt.Sprintf("NOM%s%04dX", dip, i),
			}
			people = append(people, p)
			entries = append(entries, domain.Entry{Row: domain.Row{Student: domain.Student{Code: fmt.Sprintf("2%07d", i),
				INE: p.ine, LastName: p.name, FirstName1: "Zoé", Email: p.email}}, State: domain.EntryMailed})
		}
		// Several writes, as a real campaign does: old versions of pages are freed too.
		for i := 0; i < len(entries); i += 50 {
			if err := st.PutEntries(c.ID, entries[i:min(i+50, len(entries))]); err != nil {
				t.Fatal(err)
			}
		}
		c.State, c.UpdatedAt = domain.CampaignFinished, now.Add(-time.Duration(endedDaysAgo)*day)
		c.FinishedAt = c.UpdatedAt
		if err := st.UpdateCampaign(*c); err != nil {
			t.Fatal(err)
		}
		return people
	}
	purged := append(mk("OLDA", 400, 300), mk("OLDB", 380, 74)...)
	kept := mk("RECENT", 10, 20)

	// A copy kept by an old restore, and a recent one.
	oldCopy := store.RestoreCopyName(path, now.Add(-400*day))
	recentCopy := store.RestoreCopyName(path, now.Add(-2*day))
	for _, f := range []string{oldCopy, recentCopy} {
		if err := os.WriteFile(f, []byte(purged[0].email), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	e := domain.NewEngine(domain.Deps{Store: st, Clock: fixedClock(now)}, domain.Settings{})
	rep, err := e.Purge(context.Background(), 365*day)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 374 || !rep.Compacted {
		t.Fatalf("report = %+v, want 374 entries and a compacted base", rep)
	}

	var backup bytes.Buffer
	if _, err := st.WriteTo(&backup); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, b := range map[string][]byte{"le fichier de la base": file, "une sauvegarde faite après la purge": backup.Bytes()} {
		found := 0
		for _, p := range purged {
			for _, s := range []string{p.email, p.ine, p.name} {
				if bytes.Contains(b, []byte(s)) {
					if found < 5 {
						t.Errorf("%s contient encore %q (purgé)", what, s)
					}
					found++
				}
			}
		}
		if found > 0 {
			t.Errorf("%s : %d données purgées encore lisibles", what, found)
		}
		for _, p := range kept {
			if !bytes.Contains(b, []byte(p.email)) || !bytes.Contains(b, []byte(p.ine)) {
				t.Fatalf("%s ne contient plus %s (campagne récente, non purgée) : la recherche ne prouve rien", what, p.email)
			}
		}
	}

	// The store keeps working on the new file, and still holds the lock.
	if entries, err := st.Entries(mustCampaignID(t, st, "RECENT")); err != nil || len(entries) != 20 {
		t.Fatalf("entries after compaction = %d, %v", len(entries), err)
	}
	if _, err := store.Open(path, 100*time.Millisecond); err == nil {
		t.Fatal("a second Open succeeded after compaction: the file lock was lost")
	}

	// Restore's copies follow the retention.
	if _, err := os.Stat(oldCopy); !os.IsNotExist(err) {
		t.Errorf("copy of 400 days ago still there (%v)", err)
	}
	if _, err := os.Stat(recentCopy); err != nil {
		t.Errorf("copy of 2 days ago removed: %v", err)
	}
	if len(rep.CopiesRemoved) != 1 || rep.CopiesRemoved[0] != oldCopy {
		t.Errorf("CopiesRemoved = %v", rep.CopiesRemoved)
	}
}

func mustCampaignID(t *testing.T, st *store.Store, dip string) string {
	t.Helper()
	camps, err := st.Campaigns()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range camps {
		if c.VDI.Dip == dip {
			return c.ID
		}
	}
	t.Fatalf("no campaign %s", dip)
	return ""
}
