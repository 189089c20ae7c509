package hubee_test

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"hypercerts/connectors/hubee"
	"hypercerts/connectors/hubee/sim"
	"hypercerts/store"

	"hypercerts/internal/testenv"
)

// BenchmarkDownload100MB streams a 100 MB attachment from the simulator through the
// adapter into the store's files (on disk), as the sync does, and reports the growth
// of the peak resident memory (Linux: VmHWM after resetting it through
// /proc/self/clear_refs). The file never sits whole in memory: the goal is < 32 MB.
func BenchmarkDownload100MB(b *testing.B) {
	const size = 100 << 20
	// No contract validator here: it reads whole bodies to check them.
	e := setup(b, func(c *hubee.Config) { c.HTTPClient = &http.Client{} })
	data := bytes.Repeat([]byte("attestation-de-reussite-"), size/24+1)[:size]
	filed, err := e.sim.FileRequest(sim.Request{Process: process, OSL: oslOrg, SI: siOrg,
		Applicant: hubee.Applicant{FirstName: "Camille", LastName: "MARTIN"},
		Files:     []sim.File{{Name: "dossier.pdf", Type: "IDENTITE", MimeType: "application/pdf", Data: data}}})
	if err != nil {
		b.Fatal(err)
	}
	data = nil
	st, err := store.Open(filepath.Join(b.TempDir(), "h.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	hub := hubee.NewHub(e.client, hubee.HubOptions{TempDir: b.TempDir()})
	ctx := ctxT(b)
	var peak float64
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		debug.FreeOSMemory()
		base := resetPeakRSS(b)
		w, err := st.CreateHubEEFile(filed.CaseID, "case/"+strconv.Itoa(i))
		if err != nil {
			b.Fatal(err)
		}
		n, err := hub.DownloadCaseAttachment(ctx, process, filed.CaseID, filed.AttachmentIDs[0], size, w)
		if err != nil || n != size {
			b.Fatalf("téléchargement : %d %v", n, err)
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		if g := float64(procKB(b, "VmHWM")-base) / 1024; g > peak {
			peak = g
		}
	}
	b.ReportMetric(peak, "peak-RSS-growth-MB")
}

// resetPeakRSS resets VmHWM to the current RSS and returns it (KiB).
func resetPeakRSS(b *testing.B) int64 {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		testenv.Missing(b, "/proc/self/clear_refs pour mesurer le pic de mémoire ("+err.Error()+")", "Linux, /proc accessible en écriture")
	}
	return procKB(b, "VmRSS")
}

func procKB(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatalf("/proc/self/status : %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	b.Fatalf("%s absent de /proc/self/status", field)
	return 0
}
