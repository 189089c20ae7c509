package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"hypercerts/daemon"
	"hypercerts/domain"
	"hypercerts/internal/sshtest"
	"hypercerts/internal/syncbuf"
	"hypercerts/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hypercerts.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newEngine(st *store.Store) *domain.Engine {
	return domain.NewEngine(domain.Deps{Store: st}, domain.Settings{})
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// skipped is the job's count of skipped runs in its health record.
func skipped(t *testing.T, st *store.Store, name string) int {
	t.Helper()
	hs, err := daemon.ReadHealth(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if h.Job == name {
			return h.Skipped
		}
	}
	return 0
}

func TestJobs_NeverTwoRunsOfOneJobAtOnce(t *testing.T) {
	st := openStore(t)
	var (
		inFlight, maxInFlight, runs atomic.Int32
		release                     = make(chan struct{})
	)
	slow := func(ctx context.Context) (daemon.Result, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		runs.Add(1)
		<-release
		return daemon.Result{"traités": 1}, nil
	}
	logs := &syncbuf.Buffer{}
	fire := make(chan string)
	d, err := daemon.New(daemon.Options{Engine: newEngine(st), Store: st,
		Jobs:      map[string]daemon.JobFunc{"slow": slow},
		Schedules: map[string]string{"slow": "@every 1m"}, Fire: fire,
		Log: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// Direct runs while one is in flight are skipped.
	first := make(chan bool)
	go func() { first <- d.RunJob("slow") }()
	waitFor(t, "first run", 5*time.Second, func() bool { return runs.Load() == 1 })
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if d.RunJob("slow") {
				t.Error("a second run started while the first was in flight")
			}
		})
	}
	wg.Wait()
	// The schedule fires (three ticks of the tests' clock) while the run is still in
	// flight: each is skipped.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	for range 3 {
		fire <- "slow"
	}
	waitFor(t, "the scheduled runs skipped", 5*time.Second, func() bool { return skipped(t, st, "slow") >= 7 })
	close(release)
	if !<-first {
		t.Error("first run did not run")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if maxInFlight.Load() != 1 {
		t.Errorf("max runs in flight: %d", maxInFlight.Load())
	}
	hs, err := daemon.ReadHealth(st)
	if err != nil {
		t.Fatal(err)
	}
	var h daemon.Health
	for _, x := range hs {
		if x.Job == "slow" {
			h = x
		}
	}
	if h.Skipped != 7 || h.Runs != 1 || runs.Load() != 1 || h.Running {
		t.Errorf("health: %+v (runs %d)", h, runs.Load())
	}
	if !strings.Contains(logs.String(), "tâche encore en cours") || !strings.Contains(logs.String(), `"traités":1`) {
		t.Errorf("logs:\n%s", logs.String())
	}
}

func TestHealth_StoreAndFile(t *testing.T) {
	st := openStore(t)
	fail := true
	d, err := daemon.New(daemon.Options{Engine: newEngine(st), Store: st,
		Schedules: map[string]string{daemon.JobDigiposteCycle: "0 6 * * *", daemon.JobResumeCampaigns: "@every 5m", daemon.JobHubEESync: "@every 15m"},
		Jobs: map[string]daemon.JobFunc{"flaky": func(context.Context) (daemon.Result, error) {
			if fail {
				return nil, errors.New("serveur injoignable")
			}
			return daemon.Result{"n": 3}, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	d.RunJob("flaky")
	fail = false
	d.RunJob("flaky")
	fail = true
	d.RunJob("flaky")
	d.RunJob(daemon.JobDigiposteCycle)
	hs, err := daemon.ReadHealth(st)
	if err != nil {
		t.Fatal(err)
	}
	byJob := map[string]daemon.Health{}
	for _, h := range hs {
		byJob[h.Job] = h
	}
	f := byJob["flaky"]
	if f.Runs != 3 || f.Failures != 2 || f.LastError != "serveur injoignable" || f.LastSuccess.IsZero() || f.LastRun.Before(f.LastSuccess) {
		t.Errorf("flaky: %+v", f)
	}
	if dc := byJob[daemon.JobDigiposteCycle]; dc.Runs != 1 || dc.LastError != "" || dc.Schedule != "0 6 * * *" || dc.LastResult["campagnes"] != float64(0) {
		t.Errorf("digiposte_cycle: %+v", dc)
	}
	s, err := daemon.ReadHealthFile(daemon.HealthFilePath(st.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(daemon.HealthFilePath(st.Path())); fi.Mode().Perm() != 0o600 {
		t.Errorf("health file mode %v, want 0600 (errors may name students)", fi.Mode().Perm())
	}
	if len(s.Jobs) != 3 || s.PID != os.Getpid() {
		t.Errorf("health file: %+v", s)
	}
	var out bytes.Buffer
	daemon.WriteStatus(&out, s, true)
	if !strings.Contains(out.String(), "flaky") || !strings.Contains(out.String(), "ÉCHEC") ||
		!strings.Contains(out.String(), "dernière erreur") || !strings.Contains(out.String(), "serveur injoignable") {
		t.Errorf("status:\n%s", out.String())
	}
	// hubee_sync is scheduled but not registered yet: ignored, not an error.
	if _, ok := byJob[daemon.JobHubEESync]; ok {
		t.Errorf("hubee_sync has a health record without being registered")
	}
}

func TestSchedules_InvalidRejected(t *testing.T) {
	st := openStore(t)
	_, err := daemon.New(daemon.Options{Engine: newEngine(st), Schedules: map[string]string{daemon.JobDigiposteCycle: "every day"}})
	if err == nil || !strings.Contains(err.Error(), "daemon.schedules.digiposte_cycle") {
		t.Fatalf("err = %v", err)
	}
	// robfig/cron runs these every second: refused (R22: one Digiposte drop a day).
	for _, spec := range []string{"@every -5m", "@every 0s", "@every 1ns"} {
		_, err := daemon.New(daemon.Options{Engine: newEngine(st), Schedules: map[string]string{daemon.JobDigiposteCycle: spec}})
		if err == nil || !strings.Contains(err.Error(), "daemon.schedules.digiposte_cycle") {
			t.Errorf("%q: err = %v", spec, err)
		}
	}
}

func TestShutdown_JobFinishesItsStep(t *testing.T) {
	st := openStore(t)
	started := make(chan struct{})
	var steps atomic.Int32
	job := func(ctx context.Context) (daemon.Result, error) {
		close(started)
		for i := 0; i < 100; i++ {
			if domain.Stopped(ctx) {
				return daemon.Result{"étapes": int(steps.Load())}, nil
			}
			time.Sleep(50 * time.Millisecond) // one step, not cancelled by the stop
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			steps.Add(1)
		}
		return nil, nil
	}
	d, err := daemon.New(daemon.Options{Engine: newEngine(st), Store: st, Jobs: map[string]daemon.JobFunc{"long": job},
		ShutdownTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	go d.RunJob("long")
	<-started
	time.Sleep(120 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	s, err := daemon.ReadHealthFile(daemon.HealthFilePath(st.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Running() || s.Stopped.IsZero() {
		t.Errorf("after stop: %+v", s)
	}
	for _, h := range s.Jobs {
		if h.Job == "long" && (h.Running || h.LastError != "" || h.Runs != 1) {
			t.Errorf("long: %+v", h)
		}
	}
	if d.RunJob("long") {
		t.Error("a job ran after shutdown")
	}
}

// --- SSH ---------------------------------------------------------------------

func userKey(t *testing.T) (gossh.Signer, string) {
	t.Helper()
	_, signer := sshtest.NewKey(t)
	return signer, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " gest@poste"
}

func startSSHDaemon(t *testing.T, hostKey string, authorized map[string][]string) (*daemon.Daemon, func()) {
	t.Helper()
	st := openStore(t)
	d, err := daemon.New(daemon.Options{Engine: newEngine(st), Store: st,
		SSH: daemon.SSHOptions{Listen: "127.0.0.1:0", HostKey: hostKey, AuthorizedKeys: authorized}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, "SSH listening", 5*time.Second, func() bool { return d.SSHAddr() != "" })
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Error(err)
				}
			case <-time.After(10 * time.Second):
				t.Error("daemon did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return d, stop
}

func TestSSH_SessionOpensTheUI(t *testing.T) {
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "keys", "ssh_host_ed25519")
	signer, line := userKey(t)
	d, stop := startSSHDaemon(t, hostKey, map[string][]string{"GEST": {line}})

	key1, err := os.ReadFile(hostKey)
	if err != nil {
		t.Fatalf("host key not generated: %v", err)
	}
	hostPub, err := gossh.ParsePrivateKey(key1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &gossh.ClientConfig{User: "gest", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.FixedHostKey(hostPub.PublicKey()), Timeout: 5 * time.Second}
	client, err := gossh.Dial("tcp", d.SSHAddr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	screen := &syncbuf.Buffer{}
	go io.Copy(screen, stdout)
	// Answer like a terminal: the session's renderer (bubbletea.MakeRenderer) asks for
	// the background colour (OSC 11) and the device attributes (DA1).
	waitFor(t, "the terminal queries", 10*time.Second, func() bool { return strings.Contains(screen.String(), "\x1b[c") })
	if _, err := stdin.Write([]byte("\x1b]11;rgb:0000/0000/0000\x07\x1b[?62;22c")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first screen", 10*time.Second, func() bool {
		return strings.Contains(screen.String(), "Connecté au démon en tant que GEST")
	})
	if _, err := stdin.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- sess.Wait() }()
	select {
	case <-waitErr:
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end after q")
	}

	// A key not declared for the user is refused.
	other, _ := userKey(t)
	cfg.Auth = []gossh.AuthMethod{gossh.PublicKeys(other)}
	if c, err := gossh.Dial("tcp", d.SSHAddr(), cfg); err == nil {
		c.Close()
		t.Error("unknown key accepted")
	}
	// Without a PTY: refused by activeterm, the UI does not start.
	cfg.Auth = []gossh.AuthMethod{gossh.PublicKeys(signer)}
	c2, err := gossh.Dial("tcp", d.SSHAddr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	s2, err := c2.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := s2.CombinedOutput("")
	if !strings.Contains(string(out), "PTY") || !strings.Contains(string(out), "terminal interactif") || strings.Contains(string(out), "Requires") {
		t.Errorf("without a PTY: %q", out)
	}

	// The host key is kept across restarts.
	stop()
	startSSHDaemon(t, hostKey, map[string][]string{"GEST": {line}})
	key2, _ := os.ReadFile(hostKey)
	if !bytes.Equal(key1, key2) {
		t.Error("host key changed on restart")
	}
}

func TestSSH_BadAuthorizedKeyNamed(t *testing.T) {
	st := openStore(t)
	_, err := daemon.New(daemon.Options{Engine: newEngine(st), SSH: daemon.SSHOptions{Listen: "127.0.0.1:0",
		HostKey: filepath.Join(t.TempDir(), "hk"), AuthorizedKeys: map[string][]string{"GEST": {"ssh-ed25519 pas-une-clé"}}}})
	if err == nil || !strings.Contains(err.Error(), "daemon.ssh.authorized_keys.GEST[0]") {
		t.Fatalf("err = %v", err)
	}
}
