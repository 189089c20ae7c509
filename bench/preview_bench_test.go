// Package bench holds the end-to-end benchmarks that cross packages: the preview over
// the embedded Apogée's real SOAP and SQL, with injected latency.
package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"
)

// openPreviewEngine serves an embedded Apogée of n students with the given SOAP
// latency and returns an engine reading it at the given concurrency.
func openPreviewEngine(b *testing.B, students int, latency time.Duration, concurrency int) (*domain.Engine, *sim.Apogee) {
	b.Helper()
	s, err := sim.Open(sim.Options{Seed: 1, Students: students, Latency: latency})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	base, err := s.Start()
	if err != nil {
		b.Fatal(err)
	}
	ws, err := apogee.NewWS(apogee.WSConfig{BaseURL: base, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	db, err := apogee.OpenDB(s.DB(), "sqlite", "")
	if err != nil {
		b.Fatal(err)
	}
	ad := &apogee.Adapter{WS: ws, DB: db, AbsentNature: "9", SignerCode: sim.SignerCode, SignerKey: sim.SignatureKey}
	return domain.NewEngine(domain.Deps{Apogee: ad}, domain.Settings{Concurrency: concurrency}), s
}

// largestVDI finds the component and VDI of the demo user with the most students, and
// trims the request to about want students by choosing VETs.
func largestVDI(b *testing.B, e *domain.Engine, user domain.User) (domain.PreviewRequest, int) {
	ctx := context.Background()
	comps, err := e.Components(ctx, user)
	if err != nil {
		b.Fatal(err)
	}
	var best domain.PreviewRequest
	bestN := 0
	for _, c := range comps {
		vdis, err := e.VDIs(ctx, user, sim.CaseYear, c.Code)
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range vdis {
			req := domain.PreviewRequest{Year: sim.CaseYear, Component: c.Code, VDI: v}
			events, err := e.Preview(ctx, user, req)
			if err != nil {
				continue
			}
			n := 0
			for ev := range events {
				if ev.Total > 0 {
					n = ev.Total
					break
				}
			}
			for range events { // drain
			}
			if n > bestN {
				best, bestN = req, n
			}
		}
	}
	return best, bestN
}

// BenchmarkPreview1000Latency20ms previews 1,000 students whose every SOAP call takes
// 20 ms, at concurrency 1 and 8 (issue 2 target: ≥ 7× faster at 8).
func BenchmarkPreview1000Latency20ms(b *testing.B) {
	user := domain.User{Code: sim.DemoUser}
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			// Size the dataset so that the largest VDI holds about 1,000 students.
			probe, _ := openPreviewEngine(b, 15000, 0, 8)
			req, n := largestVDI(b, probe, user)
			if n < 1000 {
				b.Fatalf("largest VDI has %d students, want ≥ 1000", n)
			}
			e, _ := openPreviewEngine(b, 15000, 20*time.Millisecond, conc)
			b.ResetTimer()
			for range b.N {
				rows, err := e.PreviewAll(context.Background(), user, req)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(rows)), "students/op")
			}
		})
	}
}
