package apogee

import (
	"context"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"
)

// BenchmarkPreviewReads is what a preview asks Apogée per student (Identity,
// AdminInfo, Contract over SOAP, the R13 delivery query in SQL), 8 calls in flight,
// against the embedded Apogée over real HTTP on loopback: the launch's Apogée reads
// of the end-to-end campaign benchmark, both sides in one process.
func BenchmarkPreviewReads(b *testing.B) {
	a, err := sim.Open(sim.Options{Seed: 7, Students: 15000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Handler())
	b.Cleanup(srv.Close)
	w, err := NewWS(WSConfig{BaseURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	db, err := OpenDB(a.DB(), DialectSQLite, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const year = "2024"
	vdi := domain.VDI{Dip: "LMATH", Version: "201"}
	vets, err := w.VETs(ctx, year, vdi)
	if err != nil || len(vets) == 0 {
		b.Fatalf("VETs: %v %v", vets, err)
	}
	var refs []domain.StudentRef
	for _, vet := range vets {
		s, err := w.Students(ctx, year, vdi, vet)
		if err != nil {
			b.Fatal(err)
		}
		refs = append(refs, s...)
	}
	if len(refs) < 500 {
		b.Fatalf("%d students, want ≥ 500", len(refs))
	}
	refs = refs[:500]
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		jobs := make(chan domain.StudentRef)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for r := range jobs {
					id, err := w.Identity(ctx, r.Code)
					if err != nil {
						b.Error(err)
						continue
					}
					if _, err := w.AdminInfo(ctx, r.Code); err != nil {
						b.Error(err)
					}
					if _, err := w.Contract(ctx, r.Code, year, vdi); err != nil {
						b.Error(err)
					}
					if _, err := db.DeliveryAuthorised(ctx, id.IndividualCode, year, vdi); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, r := range refs {
			jobs <- r
		}
		close(jobs)
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(refs)), "µs/student")
	// CPU time of both sides (client and embedded Apogée) per student: what a loaded
	// machine blurs least.
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N*len(refs)), "cpu_µs/student")
}

// processCPU is the process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
