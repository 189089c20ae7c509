package domain_test

import (
	"context"
	"crypto/sha256"
	"io"
	"syscall"
	"testing"
	"time"

	"hypercerts/domain"
)

// BenchmarkCampaignRun measures the engine and the bbolt store around the sends: one
// campaign of 1,000 eligible students, fake Apogée, renderer and mailer, real store
// (every state change is durable before the next send), with the production default
// of 8 sends in flight. Since renderer and mailer cost nothing, µs/student is the
// engine + store overhead per student; it is bound by the disk's fsync latency, so
// compare it within one run (writes/commit does not depend on the disk).
func BenchmarkCampaignRun(b *testing.B) {
	const n = 1000
	commits, writes, cpu := runCampaigns(b, n, nil, nil)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e3, "µs/student")
	b.ReportMetric(float64(writes)/float64(max(commits, 1)), "writes/commit")
	b.ReportMetric(float64(commits)/float64(b.N*n), "commits/student")
	// CPU time (user + system, all threads) per student: what the engine and the store
	// cost apart from waiting for the disk, less blurred by a loaded machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*n), "cpu_µs/student")
}

// BenchmarkRunWithSlowRender is BenchmarkCampaignRun with workers that do real work
// between their writes: a render of about 1 ms of CPU and an SMTP call of 2 ms. The
// store's committer waits, up to half a commit, for the writers the last commit
// released; here they come back late, and this benchmark shows what that costs
// (compare builds in one session: µs/student, writes/commit).
func BenchmarkRunWithSlowRender(b *testing.B) {
	const n = 400
	commits, writes, _ := runCampaigns(b, n, cpuRenderer{}, func(context.Context, domain.Mail) error {
		time.Sleep(2 * time.Millisecond)
		return nil
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e3, "µs/student")
	b.ReportMetric(float64(writes)/float64(max(commits, 1)), "writes/commit")
}

// runCampaigns runs b.N campaigns of n eligible students, 8 sends in flight, with
// renderer and a mailer calling send when they are not nil; it returns the store's
// commits and writes and the process's CPU time, over the timed part.
func runCampaigns(b *testing.B, n int, renderer domain.Renderer, send func(context.Context, domain.Mail) error) (commits, writes uint64, cpu time.Duration) {
	students := runMany(n)
	for b.Loop() {
		b.StopTimer()
		env := newRunEnv(b, students, func(s *domain.Settings, d *domain.Deps) {
			s.Concurrency = 8
			if renderer != nil {
				d.Renderer = renderer
			}
		})
		if send != nil {
			env.mailer.block = send
		}
		b.StartTimer()
		cpu0 := processCPU()
		c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
		if err != nil {
			b.Fatal(err)
		}
		done, err := env.engine.Wait(context.Background(), c.ID)
		if err != nil || done.Counts[domain.EntryMailed] != n {
			b.Fatal(done.Counts, err)
		}
		cpu += processCPU() - cpu0
		c1, w1 := env.store.CommitStats()
		commits, writes = commits+c1, writes+w1
	}
	return commits, writes, cpu
}

// cpuRenderer spends about a millisecond of CPU per attestation (hashing 768 KB).
type cpuRenderer struct{}

func (cpuRenderer) Render(w io.Writer, _ domain.Attestation) error {
	buf := make([]byte, 64<<10)
	for range 12 {
		sum := sha256.Sum256(buf)
		buf[0] = sum[0]
	}
	_, err := w.Write(buf[:100])
	return err
}

// processCPU is the process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
