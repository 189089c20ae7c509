package mail_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"hypercerts/connectors/mail"
	"hypercerts/domain"
)

// BenchmarkSMTP_1000Attestations: one op = 1,000 attestation mails (25 KB PDF each)
// to the local test server over STARTTLS + AUTH PLAIN, through the connection pool.
func BenchmarkSMTP_1000Attestations(b *testing.B) {
	for _, conns := range []int{1, 4} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			ts := startServer(b, serverOpts{discard: true})
			cfg := ts.config()
			cfg.MaxConns = conns
			s, err := mail.NewSMTP(cfg, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			const n = 1000
			pdf := fakePDF(25<<10, "bench")
			mails := make([]domain.Mail, n)
			for i := range mails {
				code := fmt.Sprintf("2300%04d", i)
				mails[i] = attestationMail(code, code+"@etu.univ-test.fr", pdf)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), processCPU()
			for range b.N {
				work := make(chan domain.Mail)
				var wg sync.WaitGroup
				for range conns {
					wg.Go(func() {
						for m := range work {
							if err := s.Send(context.Background(), m); err != nil {
								b.Error(err)
							}
						}
					})
				}
				for _, m := range mails {
					work <- m
				}
				close(work)
				wg.Wait()
			}
			elapsed := time.Since(start)
			if got := ts.received.Load(); got != int64(b.N*n) {
				b.Fatalf("%d messages reçus, %d envoyés", got, b.N*n)
			}
			b.ReportMetric(float64(b.N*n)/elapsed.Seconds(), "mails/s")
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*n), "ns/mail")
			// CPU of both ends (the server runs in this process): what a loaded
			// machine blurs least.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N*n), "cpu_µs/mail")
		})
	}
}

// processCPU is this process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRenderAttestation: templates + MIME assembly alone (what EMLDir costs
// besides the disk), one op = one mail.
func BenchmarkRenderAttestation(b *testing.B) {
	tpl := mail.MustDefaultTemplates()
	m := attestationMail("21901234", "a@etu.univ-test.fr", fakePDF(25<<10, "r"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(m); err != nil {
			b.Fatal(err)
		}
	}
}
