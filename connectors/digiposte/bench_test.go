package digiposte

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/render"
)

// memPeak samples the Go heap while a benchmark runs.
type memPeak struct {
	stop      chan struct{}
	wg        sync.WaitGroup
	heap, sys uint64
}

func watchMem() *memPeak {
	m := &memPeak{stop: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			m.heap = max(m.heap, ms.HeapInuse)
			m.sys = max(m.sys, ms.Sys)
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memPeak) done() { close(m.stop); m.wg.Wait() }

func maxRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}

func benchDeposit(b *testing.B, n int, method string, pdf func(i int, w io.Writer) error) {
	srv := startSSHD(b, sshdOpts{})
	c := srv.client(b, "", func(cfg *Config) { cfg.CreateDirs = true; cfg.Format.ZipMethod = method })
	deps := make([]domain.Deposit, n)
	for i := range deps {
		code := fmt.Sprintf("4%07d", i)
		deps[i] = domain.Deposit{StudentCode: code, FileName: "attestation-" + code + ".pdf", Title: "Attestation de réussite",
			PDF: func(w io.Writer) error { return pdf(i, w) }}
	}
	runtime.GC()
	m := watchMem()
	var size int64
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		batch := fmt.Sprintf("BENCH%d", it)
		if err := c.Deposit(context.Background(), batch, deps); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p := filepath.Join(srv.Base, "depots", "UNIV_DEP_"+batch+".zip")
		if fi, err := os.Stat(p); err == nil {
			size = fi.Size()
		}
		_ = os.Remove(p)
		b.StartTimer()
	}
	b.StopTimer()
	m.done()
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(size)/(1<<20), "zip-MB")
	b.ReportMetric(float64(m.heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(m.sys)/(1<<20), "peak-sys-MB")
	b.ReportMetric(maxRSS(), "maxrss-MB")
}

// BenchmarkDeposit10000Fixed20KB: 10,000 documents of 20 KB (incompressible bytes, like
// a PDF's compressed streams), zipped and sent over SFTP to a loopback sshd.
func BenchmarkDeposit10000Fixed20KB(b *testing.B) {
	pdf := fakePDF(1, 20_000)
	write := func(_ int, w io.Writer) error { _, err := w.Write(pdf); return err }
	b.Run("deflate", func(b *testing.B) { benchDeposit(b, 10_000, ZipDeflate, write) })
	b.Run("store", func(b *testing.B) { benchDeposit(b, 10_000, ZipStore, write) })
}

// BenchmarkDeposit10000Rendered: the same with real attestations from hypercerts/render
// (render + zip + SFTP), as the Digiposte cycle does it.
func BenchmarkDeposit10000Rendered(b *testing.B) {
	r, err := render.New(render.Options{University: "Université de Démo", City: "Démoville"})
	if err != nil {
		b.Fatalf("render : %v", err)
	}
	at := domain.Attestation{
		Student: domain.Student{Code: "21000001", INE: "0A1B2C00001", LastName: "DUPONT", FirstName1: "Marie", FirstName2: "Hélène",
			BirthDate: time.Date(2002, 3, 4, 0, 0, 0, 0, time.UTC), BirthPlace: "Lyon"},
		DiplomaLabel: "Licence Sciences, technologies, santé mention Informatique, parcours Informatique générale",
		YearLabel:    "2024-2025", Mention: domain.Mention{Code: "B", Label: "Bien"}, ECTS: "180",
		Signature: domain.Signature{Name: "Jeanne Martin"},
		IssuedAt:  time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC),
	}
	write := func(i int, w io.Writer) error {
		a := at
		a.Student.Code = fmt.Sprintf("4%07d", i)
		return r.Render(w, a)
	}
	b.Run("store", func(b *testing.B) { benchDeposit(b, 10_000, ZipStore, write) })
}
