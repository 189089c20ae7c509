package printbatch_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
)

// BenchmarkPrintBatch1000 writes one batch of 1,000 attestations (cover + 1,000
// pages, and the CSV) with the real renderer; it reports pages per second and the
// process's peak RSS.
func BenchmarkPrintBatch1000(b *testing.B) {
	f := newFolder(b)
	bt := batch()
	bt.Attestations = bt.Attestations[:0]
	for i := range 1000 {
		bt.Attestations = append(bt.Attestations, attestation(fmt.Sprintf("2%07d", i), fmt.Sprintf("NOM%04d", (i*7919)%1000), "Prénom"))
	}
	pages := 0
	for b.Loop() {
		if _, err := f.Print(context.Background(), bt); err != nil {
			b.Fatal(err)
		}
		pages += len(bt.Attestations) + 1
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB") // Maxrss is in KiB on Linux
	}
}
