package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"hypercerts/daemon"
	"hypercerts/domain"
	"hypercerts/internal/daemontest"
	"hypercerts/internal/sshtest"
	"hypercerts/internal/testenv"
	"hypercerts/store"
)

// buildBinary gives the hypercerts binary, built once per test run (a build that
// fails fails the test).
func buildBinary(t *testing.T) string {
	t.Helper()
	testenv.Long(t, "construit le binaire")
	return testenv.Binary(t)
}

// TestDaemon_BinaryRunsJobsStopsCleanlyAndRefusesASecond starts the built binary in
// demo mode with a fast Digiposte cycle, waits for a cycle to drop the adhesions of a
// Digiposte campaign, checks that a second daemon on the same store refuses to start,
// that `status` prints the health lines from the file while the daemon runs, then
// sends SIGTERM: exit 0, nothing lost.
func TestDaemon_BinaryRunsJobsStopsCleanlyAndRefusesASecond(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	demo := []string{"--demo", "--demo-dir", dir, "--demo-students", "60"}
	run := func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}

	// A Digiposte campaign waiting for the cycle.
	out, stderr, err := run(append([]string{"campaign", "run", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201", "--mode", "digiposte"}, demo...)...)
	if err != nil {
		t.Fatalf("campaign run: %v\n%s%s", err, out, stderr)
	}
	m := regexp.MustCompile(`campagne (\S+) enregistrée : \d+ étudiants, (\d+) éligibles`).FindStringSubmatch(out)
	if m == nil || m[2] == "0" {
		t.Fatalf("campaign run output: %s", out)
	}
	id := m[1]

	// The daemon, with a cycle every second.
	signer, pub := userKey(t)
	pubFile := filepath.Join(dir, "gestionnaire.pub")
	if err := os.WriteFile(pubFile, []byte(pub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, filepath.Join(dir, "hypercerts.db"), append([]string{"--schedule", "digiposte_cycle=@every 1s",
		"--ssh-listen", "127.0.0.1:0", "--ssh-authorized-key", "gestionnaire=" + pubFile}, demo...)...)
	status := d.WaitHealth(t, "un cycle Digiposte avec des adhésions", func(s daemon.Status) bool {
		h := job(s, daemon.JobDigiposteCycle)
		return h.Runs > 0 && h.LastSuccess.After(h.LastRun.Add(-time.Second)) &&
			h.LastResult["adhésions"] != nil && h.LastResult["adhésions"] != float64(0)
	})
	if !status.Running() || status.PID != d.Cmd.Process.Pid || status.SSH == "" {
		t.Errorf("health file while running: %+v", status)
	}
	if h := job(status, daemon.JobResumeCampaigns); h.Runs < 1 {
		t.Errorf("resume_campaigns did not run at start: %+v", h)
	}

	// The managers' UI over SSH, served by the daemon: its first screen.
	if screen := sshtest.Screen(t, status.SSH, "gestionnaire", gossh.PublicKeys(signer), "Campagnes"); !strings.Contains(screen, "hypercerts") {
		t.Errorf("UI over SSH: %q", screen)
	}

	// A second daemon on the same store refuses to start, and says how to connect.
	_, stderr, err = run(append([]string{"--daemon", "--ssh-listen", "off"}, demo...)...)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr, "un démon tourne déjà") ||
		!strings.Contains(stderr, "ssh -p ") {
		t.Errorf("second daemon: %v\n%s", err, stderr)
	}
	// status reads the health file while the daemon holds the store.
	out, stderr, err = run(append([]string{"status"}, demo...)...)
	if err != nil || !strings.Contains(out, "démon : en marche") || !strings.Contains(out, "digiposte_cycle") ||
		!strings.Contains(out, "ssh -p ") {
		t.Errorf("status while running: %v\n%s%s", err, out, stderr)
	}

	// SIGTERM: the cycle in flight ends its step, the store is closed, exit 0.
	d.Stop(t)
	if logs := d.Logs.String(); !strings.Contains(logs, "démon arrêté") || !strings.Contains(logs, "tâche terminée") {
		t.Errorf("logs:\n%s", logs)
	}

	// Nothing lost: every eligible student of the campaign is requested, once.
	st, err := store.Open(filepath.Join(dir, "hypercerts.db"), time.Second)
	if err != nil {
		t.Fatalf("store after stop: %v", err)
	}
	entries, err := st.Entries(id)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := daemon.ReadHealth(st)
	st.Close()
	if err != nil || len(hs) == 0 {
		t.Errorf("health in the store: %v %+v", err, hs)
	}
	batches := map[string]bool{}
	for _, en := range entries {
		switch {
		case !en.Eligible:
		case en.State == domain.EntryAdhesionRequested:
			batches[en.Batch] = true
		default:
			t.Errorf("%s left %s (%s)", en.Student.Code, en.State, en.LastError)
		}
	}
	if len(batches) != 1 {
		t.Errorf("adhesion batches: %v, want one", batches)
	}
	zips, _ := filepath.Glob(filepath.Join(dir, "digiposte", "adhesions", "*.zip"))
	if len(zips) != 1 {
		t.Errorf("adhesion drops: %v", zips)
	}
	s, err := daemon.ReadHealthFile(daemon.HealthFilePath(filepath.Join(dir, "hypercerts.db")))
	if err != nil || s.Running() {
		t.Errorf("health file after stop: %v %+v", err, s)
	}
	out, _, err = run(append([]string{"status"}, demo...)...)
	if err != nil || !strings.Contains(out, "démon : arrêté") || !strings.Contains(out, "digiposte_cycle") {
		t.Errorf("status after stop: %v\n%s", err, out)
	}
}

func job(s daemon.Status, name string) daemon.Health {
	for _, h := range s.Jobs {
		if h.Job == name {
			return h
		}
	}
	return daemon.Health{}
}
