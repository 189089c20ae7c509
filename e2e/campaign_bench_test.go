package e2e

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCampaign10000SMTP runs the built binary on a campaign of about 10,000
// students (embedded Apogée of 170,000 students, Licence Mathématiques) sending to a
// real SMTP server on loopback, and reports the mails sent and the process's peak RSS
// (issue 3 target: ≤ 150 MB).
func BenchmarkCampaign10000SMTP(b *testing.B) {
	for range b.N {
		b.StopTimer()
		bin := buildBinary(b)
		dir := b.TempDir()
		sink := startSMTPSink(b)
		cfgPath := writeConfig(b, dir, sink.addr)
		b.StartTimer()
		start := time.Now()
		cmd := exec.Command(bin, "campaign", "run", "--config", cfgPath, "--demo-students", "170000",
			"--year", "2024", "--component", "SCI", "--vdi", "LMATH/201")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("campaign: %v\n%s", err, out)
		}
		elapsed := time.Since(start)
		_, total := sink.counts()
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		b.ReportMetric(float64(total), "mails/op")
		b.ReportMetric(float64(rss)/1024, "peakRSS_MB")
		b.ReportMetric(float64(total)/elapsed.Seconds(), "mails/s")
		b.Logf("%s", strings.TrimSpace(string(out)))
	}
}
