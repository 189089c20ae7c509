package daemon_test

import (
	"strings"
	"testing"
	"time"

	"hypercerts/daemon"
)

// `hypercerts status` counts in French: 0 and 1 take the singular ("1 exécution",
// "0 échec"), thousands apart by a narrow no-break space.
func TestHealthLineCountsInFrench(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 46, 9, 0, time.UTC)
	h := daemon.Health{Job: daemon.JobResumeCampaigns, Schedule: "@every 5m", LastRun: at, LastSuccess: at, Runs: 1}
	if line := daemon.HealthLine(h); !strings.Contains(line, "1 exécution, 0 échec, 0 sautée ;") {
		t.Errorf("one run: %s", line)
	}
	h.Runs, h.Failures, h.Skipped = 1182, 2, 3
	if line := daemon.HealthLine(h); !strings.Contains(line, "1\u202f182 exécutions, 2 échecs, 3 sautées ;") {
		t.Errorf("many runs: %s", line)
	}
}
