package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// startDemo starts `hypercerts --demo` on a pseudo-terminal, answers the terminal
// queries a real terminal answers (background colour, cursor position), and returns
// how long it took until the home screen listed the campaigns, and how to stop it.
func startDemo(tb testing.TB, bin, demoDir, cacheHome string) (time.Duration, func()) {
	tb.Helper()
	cmd := exec.Command(bin, "--demo", "--demo-dir", demoDir)
	cmd.Env = append(os.Environ(), "HYPERCERTS_CACHE_DIR="+cacheHome, "TERM=xterm-256color", "NO_COLOR=")
	start := time.Now()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		tb.Fatal(err)
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		tty.Close()
	}
	seen := make(chan time.Duration, 1)
	go func() {
		var out []byte
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			if n > 0 {
				chunk := buf[:n]
				if bytes.Contains(chunk, []byte("\x1b]11;?")) { // background colour: dark
					tty.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\"))
				}
				if bytes.Contains(chunk, []byte("\x1b[6n")) { // cursor position
					tty.Write([]byte("\x1b[1;1R"))
				}
				out = append(out, chunk...)
				// The home screen: "N campagnes" or "Aucune campagne…".
				if bytes.Contains(out, []byte("campagne")) {
					seen <- time.Since(start)
					drain(tty)
					return
				}
			}
			if err != nil {
				close(seen)
				return
			}
		}
	}()
	select {
	case d, ok := <-seen:
		if !ok {
			stop()
			tb.Fatal("hypercerts --demo ended before showing its home screen")
		}
		return d, stop
	case <-time.After(60 * time.Second):
		stop()
		tb.Fatal("no home screen after 60 s")
	}
	return 0, nil
}

// drain keeps reading the terminal so that the program never blocks writing.
func drain(tty *os.File) {
	buf := make([]byte, 4096)
	for {
		if _, err := tty.Read(buf); err != nil {
			return
		}
	}
}

// BenchmarkDemoStartup is `hypercerts --demo` to its home screen, built binary on a
// pseudo-terminal. "cold" generates the embedded Apogée (empty cache), "warm" reuses
// the generated data from the user cache directory (issue 18 target: < 0.5 s).
//
// HYPERCERTS_BENCH_BIN runs another build instead (before/after in one session).
func BenchmarkDemoStartup(b *testing.B) {
	bin := os.Getenv("HYPERCERTS_BENCH_BIN")
	if bin == "" {
		bin = buildBinary(b)
	}
	cacheHome := b.TempDir()
	cold, stop := startDemo(b, bin, filepath.Join(b.TempDir(), "demo"), cacheHome)
	stop()
	var warm time.Duration
	b.ResetTimer()
	for range b.N {
		d, stop := startDemo(b, bin, filepath.Join(b.TempDir(), "demo"), cacheHome)
		b.StopTimer()
		stop()
		b.StartTimer()
		warm += d
	}
	b.ReportMetric(float64(cold.Milliseconds()), "cold_ms")
	b.ReportMetric(float64(warm.Milliseconds())/float64(b.N), "warm_ms")
}
