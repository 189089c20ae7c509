package apogee

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/domain"
)

// largeAnswer is a recupererListeEtudiants answer of about size bytes.
func largeAnswer(size int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`)
	b.WriteString(`<ns1:recupererListeEtudiantsResponse xmlns:ns1="` + etudiant.Namespace + `">`)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `<etudiant><codEtu>%d</codEtu><nom>DURAND-LEFÈVRE</nom><prenom>Élodie</prenom><dateNaissance>12/04/2002</dateNaissance><numeroIne>1234567890A</numeroIne></etudiant>`, 21000000+i)
	}
	b.WriteString(`</ns1:recupererListeEtudiantsResponse></soapenv:Body></soapenv:Envelope>`)
	return []byte(b.String())
}

// peakHeap samples the live heap while f runs and returns the highest value seen above
// the heap before f (after a GC): what the calls themselves hold at once.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// BenchmarkConcurrentLargeAnswers: 8 calls at once, each answered with a large body.
// Reports the peak live heap during the 8 calls (peak-heap-MiB), for the streamed,
// bounded decoder ("streamed") and for the former read-everything-then-decode approach
// ("read-all", io.ReadAll + xml.Unmarshal, kept here only as the baseline), and for a
// 50 MB answer refused at the default 8 MiB bound.
func BenchmarkConcurrentLargeAnswers(b *testing.B) {
	const calls = 8
	for _, tc := range []struct {
		name string
		size int
		mode string
	}{
		{"6MB/streamed", 6 << 20, "streamed"},
		{"6MB/read-all", 6 << 20, "read-all"},
		{"50MB/streamed-refused", 50 << 20, "streamed"},
		{"50MB/read-all", 50 << 20, "read-all"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			body := largeAnswer(tc.size)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "text/xml; charset=utf-8")
				_, _ = w.Write(body) // chunked: no Content-Length shortcut
			}))
			defer srv.Close()
			w, err := NewWS(WSConfig{BaseURL: srv.URL, Timeout: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			var peak uint64
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				p := peakHeap(func() {
					var wg sync.WaitGroup
					for range calls {
						wg.Go(func() {
							if tc.mode == "read-all" {
								readAll(b, srv.URL+"/services/EtudiantMetier")
								return
							}
							_, err := w.Students(context.Background(), "2024", lmath, domain.VET{Etape: "L3", Version: "1"})
							if tc.size > defaultMaxResponse && err == nil {
								b.Error("a 50 MB answer was accepted")
							} else if tc.size <= defaultMaxResponse && err != nil {
								b.Error(err)
							}
						})
					}
					wg.Wait()
				})
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// readAll is the baseline: the whole body in memory, then decoded.
func readAll(b *testing.B, url string) {
	resp, err := http.Post(url, "text/xml", strings.NewReader("<x/>"))
	if err != nil {
		b.Error(err)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Error(err)
		return
	}
	var env struct {
		Body struct {
			R etudiant.RecupererListeEtudiantsResponse `xml:"recupererListeEtudiantsResponse"`
		} `xml:"Body"`
	}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&env); err != nil {
		b.Error(err)
	}
	if len(env.Body.R.Etudiant) == 0 {
		b.Error("no student decoded: " + strconv.Itoa(len(data)))
	}
}
