// Package daemontest runs the built hypercerts binary as the daemon in tests
// (daemon/binary_test.go, e2e): started, watched through its logs and its health
// file, stopped with SIGTERM.
package daemontest

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"hypercerts/daemon"
	"hypercerts/internal/syncbuf"
)

// Proc is the daemon process, its output (stdout and stderr) in Logs.
type Proc struct {
	Cmd    *exec.Cmd
	Logs   syncbuf.Buffer
	exited chan error
	dbPath string
}

// Start runs `bin --daemon args…` and waits until it has started (its "démon démarré"
// line). dbPath is the store its configuration names (its health file is beside it).
// The process is killed at the end of the test if still running, and its logs shown
// if the test failed.
func Start(t testing.TB, bin, dbPath string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(bin, append([]string{"--daemon"}, args...)...), exited: make(chan error, 1), dbPath: dbPath}
	p.Cmd.Stdout, p.Cmd.Stderr = &p.Logs, &p.Logs
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.Cmd.Wait() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the daemon's logs:\n%s", p.Logs.String())
		}
		if p.Cmd.ProcessState == nil {
			_ = p.Cmd.Process.Kill()
			<-p.exited
		}
	})
	p.WaitLog(t, "démon démarré")
	return p
}

// WaitLog waits up to a minute for a log line holding want.
func (p *Proc) WaitLog(t testing.TB, want string) {
	t.Helper()
	p.wait(t, "« "+want+" » dans les journaux", func() bool { return strings.Contains(p.Logs.String(), want) })
}

// WaitHealth waits up to a minute for the health file to satisfy ok, and returns it.
func (p *Proc) WaitHealth(t testing.TB, what string, ok func(daemon.Status) bool) daemon.Status {
	t.Helper()
	var s daemon.Status
	p.wait(t, what, func() bool {
		var err error
		s, err = daemon.ReadHealthFile(daemon.HealthFilePath(p.dbPath))
		return err == nil && ok(s)
	})
	return s
}

// SSHAddr is the address the daemon's SSH server listens on (from its health file).
func (p *Proc) SSHAddr(t testing.TB) string {
	t.Helper()
	return p.WaitHealth(t, "le serveur SSH", func(s daemon.Status) bool { return s.SSH != "" }).SSH
}

func (p *Proc) wait(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); {
		select {
		case err := <-p.exited:
			p.exited <- err // for Cleanup and WaitExit
			t.Fatalf("the daemon exited (%v) before %s:\n%s", err, what, p.Logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute:\n%s", what, p.Logs.String())
		}
	}
}

// Stop sends SIGTERM and requires exit code 0 within 40 s.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.WaitExit(t)
}

// WaitExit requires the process to exit with code 0 within 40 s.
func (p *Proc) WaitExit(t testing.TB) {
	t.Helper()
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("the daemon's exit after SIGTERM: %v (want 0)\n%s", err, p.Logs.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("the daemon still runs 40 s after SIGTERM:\n%s", p.Logs.String())
	}
}
