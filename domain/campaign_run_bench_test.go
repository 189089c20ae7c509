package domain_test

import (
	"context"
	"testing"

	"hypercerts/domain"
)

// BenchmarkCampaignRun measures the engine and the bbolt store around the sends: one
// campaign of 1,000 eligible students, fake Apogée, renderer and mailer, real store
// (every state change is a committed transaction).
func BenchmarkCampaignRun(b *testing.B) {
	const n = 1000
	students := runMany(n)
	for b.Loop() {
		b.StopTimer()
		env := newRunEnv(b, students, nil)
		b.StartTimer()
		c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
		if err != nil {
			b.Fatal(err)
		}
		done, err := env.engine.Wait(context.Background(), c.ID)
		if err != nil || done.Counts[domain.EntryMailed] != n {
			b.Fatal(done.Counts, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e3, "µs/student")
}
