package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/internal/syncbuf"
)

// INFO logs carry what an operator needs (the student code), never a student's name,
// e-mail and INE together: a campaign run from preview to the last mail and a HubEE
// sync, at INFO, are checked line by line. (Test mode's R18 lines name the real
// recipient on purpose: this run is not in test mode.)
func TestLogs_InfoNeverCarriesNameEmailAndINETogether(t *testing.T) {
	t.Parallel()
	var buf syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := Open(context.Background(), Options{Demo: true, DemoDir: t.TempDir(), DemoStudents: 200, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx := context.Background()
	req := admittedRequest(t, a)
	camp, err := a.Engine.Launch(ctx, a.User, req, domain.LaunchOptions{Mode: domain.ModeMail})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := a.Engine.Campaign(ctx, a.User, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.State == domain.CampaignFinished || c.State == domain.CampaignFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign still %s", c.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := a.Engine.HubEESync(ctx); err != nil {
		t.Logf("hubee sync: %v", err)
	}
	entries, err := a.Engine.Entries(ctx, a.User, camp.ID)
	if err != nil || len(entries) == 0 {
		t.Fatalf("entries: %d, %v", len(entries), err)
	}
	lines := strings.Split(buf.String(), "\n")
	if len(lines) < 3 {
		t.Fatalf("only %d log lines: the check proves nothing", len(lines))
	}
	for _, e := range entries {
		s := e.Student
		if s.Email == "" || s.INE == "" || s.LastName == "" {
			continue
		}
		for _, line := range lines {
			if strings.Contains(line, s.Email) && strings.Contains(line, s.INE) && strings.Contains(line, s.LastName) {
				t.Fatalf("an INFO line carries %s's name, e-mail and INE:\n%s", s.Code, line)
			}
			if strings.Contains(line, `"level":"INFO"`) && strings.Contains(line, s.INE) {
				t.Errorf("an INFO line carries the INE of %s:\n%s", s.Code, line)
			}
		}
	}
}
