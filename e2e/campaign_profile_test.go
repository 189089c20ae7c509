package e2e

import (
	"io"
	"os"
	"testing"

	"hypercerts/cli"
)

// BenchmarkCampaign10000InProcess is BenchmarkCampaign10000SMTP's campaign run inside
// the test process (cli.Main), so that -cpuprofile, -memprofile and -trace cover the
// whole command: Apogée reads, render, SMTP, store (docs/performance.md). Same
// configuration (QR code, PAdES signature).
// HYPERCERTS_BENCH_CACHE keeps the embedded Apogée's generated data across runs.
func BenchmarkCampaign10000InProcess(b *testing.B) {
	cacheHome := os.Getenv("HYPERCERTS_BENCH_CACHE")
	if cacheHome == "" {
		cacheHome = b.TempDir()
	}
	b.Setenv("HYPERCERTS_CACHE_DIR", cacheHome)
	cert, key := benchSigning(b)
	b.Setenv(benchKeyEnv, key)
	env := cli.Env{Stdin: nil, Stdout: io.Discard, Stderr: io.Discard}
	for i := range b.N {
		b.StopTimer()
		sink := startSMTPSink(b)
		cfgPath := benchConfig(b, b.TempDir(), sink.addr, cert)
		if i == 0 { // the embedded Apogée's data, generated or from the cache
			cli.Main([]string{"preview", "--config", cfgPath, "--demo-students", "170000",
				"--year", "2024", "--component", "ZZZ", "--vdi", "LMATH/201"}, env)
		}
		b.StartTimer()
		if code := cli.Main([]string{"campaign", "run", "--config", cfgPath, "--demo-students", "170000",
			"--year", "2024", "--component", "SCI", "--vdi", "LMATH/201"}, env); code != 0 {
			b.Fatalf("campaign run: exit %d", code)
		}
		_, total := sink.counts()
		b.ReportMetric(float64(total), "mails/op")
		b.ReportMetric(float64(total)/b.Elapsed().Seconds()*float64(i+1), "mails/s")
	}
}
