package domain_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/store"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestPurge_RemovesPersonalDataOfOldEndedCampaignsKeepsCountsAndAudit(t *testing.T) {
	t.Parallel()
	st, err := store.Open(filepath.Join(t.TempDir(), "hypercerts.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC)
	day := 24 * time.Hour
	mk := func(dip string, state domain.CampaignState, endedDaysAgo int) string {
		t.Helper()
		c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: dip, Version: "201"}, State: domain.CampaignRunning,
			CreatedAt: now.Add(-time.Duration(endedDaysAgo+2) * day)}
		if err := st.CreateCampaign(c); err != nil {
			t.Fatal(err)
		}
		var entries []domain.Entry
		for _, code := range []string{"21000001", "21000002", "21000003"} {
			entries = append(entries, domain.Entry{Row: domain.Row{Student: domain.Student{Code: code, LastName: "DUPONT",
				FirstName1: "Zoé", Email: code + "@etu.univ-demo.fr", BirthDate: time.Date(2001, 5, 4, 0, 0, 0, 0, time.UTC)}},
				State: domain.EntryMailed})
		}
		if err := st.PutEntries(c.ID, entries); err != nil {
			t.Fatal(err)
		}
		if err := st.AppendAudit(c.ID, domain.AuditRecord{At: c.CreatedAt, User: "gest", Action: domain.AuditLaunch, Detail: "3 étudiants"}); err != nil {
			t.Fatal(err)
		}
		c.State = state
		c.Counts = map[domain.EntryState]int{domain.EntryMailed: 3}
		c.UpdatedAt = now.Add(-time.Duration(endedDaysAgo) * day)
		if state == domain.CampaignFinished {
			c.FinishedAt = c.UpdatedAt
		}
		if err := st.UpdateCampaign(*c); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	old := mk("OLD", domain.CampaignFinished, 400)
	oldFailed := mk("FAIL", domain.CampaignFailed, 366)
	recent := mk("NEW", domain.CampaignFinished, 10)
	running := mk("RUN", domain.CampaignRunning, 500)
	waiting := mk("WAIT", domain.CampaignWaiting, 500)

	e := domain.NewEngine(domain.Deps{Store: st, Clock: fixedClock(now)}, domain.Settings{})
	rep, err := e.Purge(context.Background(), 365*day)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rep.Campaigns)
	want := []string{oldFailed, old}
	slices.Sort(want)
	if !slices.Equal(rep.Campaigns, want) || rep.Entries != 6 || rep.Kept != 1 || rep.Already != 0 {
		t.Fatalf("report = %+v, want campaigns %v, 6 entries, 1 kept", rep, want)
	}
	for _, id := range []string{old, oldFailed} {
		entries, err := st.Entries(id)
		if err != nil || len(entries) != 0 {
			t.Errorf("%s: entries after purge = %d, %v; want none", id, len(entries), err)
		}
		c, _ := st.Campaign(id)
		if c.Counts[domain.EntryMailed] != 3 {
			t.Errorf("%s: counts lost: %v", id, c.Counts)
		}
		audit, _ := st.Audit(id)
		if len(audit) != 2 || audit[0].Action != domain.AuditLaunch || audit[1].Action != domain.AuditPurge ||
			!audit[1].At.Equal(now) || audit[1].User == "" {
			t.Fatalf("%s: audit = %+v", id, audit)
		}
		t.Logf("audit: %s", audit[1].Detail)
	}
	for _, id := range []string{recent, running, waiting} {
		if entries, _ := st.Entries(id); len(entries) != 3 {
			t.Errorf("%s: %d entries left, want 3 (not purged)", id, len(entries))
		}
		if audit, _ := st.Audit(id); len(audit) != 1 {
			t.Errorf("%s: audit = %+v, want untouched", id, audit)
		}
	}

	// A second run finds nothing new to do and writes nothing.
	rep, err = e.Purge(context.Background(), 365*day)
	if err != nil || len(rep.Campaigns) != 0 || rep.Already != 2 || rep.Kept != 1 {
		t.Fatalf("second purge = %+v, %v", rep, err)
	}
	if audit, _ := st.Audit(old); len(audit) != 2 {
		t.Errorf("second purge wrote to the audit: %+v", audit)
	}

	// Retention disabled.
	rep, err = e.Purge(context.Background(), 0)
	if err != nil || len(rep.Campaigns) != 0 {
		t.Fatalf("purge(0) = %+v, %v", rep, err)
	}
	// Later, the recent one ages past retention.
	later := domain.NewEngine(domain.Deps{Store: st, Clock: fixedClock(now.Add(400 * day))}, domain.Settings{})
	if rep, err = later.Purge(context.Background(), 365*day); err != nil || !slices.Equal(rep.Campaigns, []string{recent}) {
		t.Fatalf("later purge = %+v, %v", rep, err)
	}
}

func TestPurge_CancelledContextStopsBeforeTouchingAnything(t *testing.T) {
	t.Parallel()
	st, err := store.Open(filepath.Join(t.TempDir(), "hypercerts.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "X", Version: "1"}}
	if err := st.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	st.PutEntries(c.ID, []domain.Entry{{Row: domain.Row{Student: domain.Student{Code: "1"}}}})
	c.State, c.FinishedAt = domain.CampaignFinished, time.Now().Add(-1000*time.Hour)
	st.UpdateCampaign(*c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := domain.NewEngine(domain.Deps{Store: st}, domain.Settings{}).Purge(ctx, time.Hour); err == nil {
		t.Fatal("purge with a cancelled context: no error")
	}
	if entries, _ := st.Entries(c.ID); len(entries) != 1 {
		t.Errorf("entries = %d, want 1", len(entries))
	}
}
