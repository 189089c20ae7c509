// Package e2e runs the built hypercerts binary end to end, on loopback: the embedded
// Apogée inside the binary, an SMTP server speaking the protocol in the test
// (emersion/go-smtp), the bbolt store on disk, and the daemon's SSH server.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/internal/testenv"
	"hypercerts/store"
)

// buildBinary gives the hypercerts binary, built once per test process (testenv.Binary).
func buildBinary(t testing.TB) string { return testenv.Binary(t) }

func writeConfig(t testing.TB, dir, smtpAddr string) string {
	t.Helper()
	host, port, _ := strings.Cut(smtpAddr, ":")
	cfg := fmt.Sprintf(`university:
  name: "Université de Démonstration"
  city: "Besançon"
apogee:
  embedded: true
  db:
    dialect: sqlite
  signer:
    code: PRES
delivery:
  mode: mail
mail:
  smtp:
    host: %s
    port: %s
    security: none
    timeout: 10s
  from: "Scolarité <scolarite@univ-demo.fr>"
store:
  path: %s
cas:
  demo_user: gestionnaire
`, host, port, filepath.Join(dir, "hypercerts.db"))
	path := filepath.Join(dir, "application.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCrashSafety_KillMidCampaignThenResume runs a mail campaign of the Licence
// Mathématiques VDI (more than 500 eligible students are required) with the built
// binary, kills it with SIGKILL once 200 mails have arrived, runs `campaign resume`, and
// checks that the campaign is finished, every eligible student is mailed and received
// the attestation, no excluded student received one, and the duplicates are at most the
// sends in flight (apogee.concurrency, 8 by default, bounds the SMTP connections).
func TestCrashSafety_KillMidCampaignThenResume(t *testing.T) {
	testenv.Long(t, "test de bout en bout")
	bin := buildBinary(t)
	dir := t.TempDir()
	sink := startSMTPSink(t)
	cfgPath := writeConfig(t, dir, sink.addr)
	const concurrency = 8
	// 15,000 students: the Licence Mathématiques VDI holds about 1,200 of them.
	common := []string{"--config", cfgPath, "--demo-students", "15000"}

	run := exec.Command(bin, append([]string{"campaign", "run", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201"}, common...)...)
	var out bytes.Buffer
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- run.Wait() }()
	deadline := time.After(3 * time.Minute)
	for waiting := true; waiting; {
		select {
		case err := <-exited:
			t.Fatalf("the campaign ended before it could be killed (%v):\n%s", err, out.String())
		case <-deadline:
			run.Process.Kill()
			t.Fatalf("no progress after 3 minutes:\n%s", out.String())
		case <-time.After(2 * time.Millisecond):
			_, total := sink.counts()
			waiting = total < 200
		}
	}
	if err := run.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	_, atKill := sink.counts()
	t.Logf("killed after %d mails received", atKill)

	resume := exec.Command(bin, append([]string{"campaign", "resume"}, common...)...)
	resumeOut, err := resume.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, resumeOut)
	}
	if !strings.Contains(string(resumeOut), "1 campagne reprise") {
		t.Fatalf("resume did not pick the campaign up:\n%s", resumeOut)
	}

	st, err := store.Open(filepath.Join(dir, "hypercerts.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	camps, err := st.Campaigns()
	if err != nil || len(camps) != 1 {
		t.Fatalf("campaigns: %v %v", camps, err)
	}
	if camps[0].State != domain.CampaignFinished {
		t.Fatalf("campaign state %s, want finished", camps[0].State)
	}
	entries, err := st.Entries(camps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	byRcpt, total := sink.counts()
	eligible, duplicates := 0, 0
	for _, e := range entries {
		if e.State == domain.EntryExcluded {
			if n := byRcpt[strings.ToLower(e.Student.Email)]; n > 0 && e.Student.Email != "" {
				t.Errorf("excluded student %s received %d mails", e.Student.Code, n)
			}
			continue
		}
		eligible++
		if e.State != domain.EntryMailed {
			t.Errorf("student %s ended %s, want mailed", e.Student.Code, e.State)
		}
		n := byRcpt[strings.ToLower(e.Student.Email)]
		if n == 0 {
			t.Errorf("student %s (%s) never received the attestation", e.Student.Code, e.Student.Email)
		}
		duplicates += max(n-1, 0)
	}
	if eligible < 500 {
		t.Fatalf("only %d eligible students: the test needs a large campaign", eligible)
	}
	if duplicates > concurrency {
		t.Fatalf("%d duplicate mails, want at most %d (the sends in flight)", duplicates, concurrency)
	}
	t.Logf("%d eligible, %d mails received, %d duplicates", eligible, total, duplicates)
}
