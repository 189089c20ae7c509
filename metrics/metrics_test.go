package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/metrics"
	"hypercerts/store"
)

func scrape(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func has(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, l+"\n") {
			t.Errorf("/metrics lacks %q", l)
		}
	}
}

func TestScrapeOnLoopback(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "h.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, counts := range []map[domain.EntryState]int{{domain.EntryMailed: 60, domain.EntryExcluded: 30}, {domain.EntryMailed: 5, domain.EntryMailFailed: 2}} {
		c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: fmt.Sprint("D", i), Version: "1"}, State: domain.CampaignFinished, Counts: counts}
		st.CreateCampaign(c)
	}

	m := metrics.New()
	m.WatchCampaigns(st)
	var healthy error
	m.SetHealth(func(context.Context) error { return healthy })
	ln, err := metrics.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + ln.Addr().String()

	// Jobs: one success, one failure.
	ok := metrics.Job(m, "digiposte_cycle", func(context.Context) (map[string]any, error) { return nil, nil })
	bad := metrics.Job(m, "hubee_sync", func(context.Context) (map[string]any, error) { return nil, errors.New("HubEE 401") })
	ok(ctx)
	bad(ctx)
	bad(ctx)

	// Connectors: a hook and an HTTP client through the RoundTripper, against a loopback server.
	m.Observe(metrics.SMTP, "send", time.Now().Add(-30*time.Millisecond), nil)
	m.Observe(metrics.SMTP, "send", time.Now(), fmt.Errorf("%w: 451", domain.ErrTransient))
	done2 := m.Start(metrics.SFTP, "deposit")
	done2(fmt.Errorf("%w: refused", domain.ErrPermanent))
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 2 {
			http.Error(w, "down", http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	hc := &http.Client{Transport: m.RoundTripper(metrics.HubEE, nil)}
	for range 3 {
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	code, body := scrape(t, base, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	has(t, body,
		`hypercerts_attestations{state="mailed"} 65`,
		`hypercerts_attestations{state="excluded"} 30`,
		`hypercerts_attestations{state="mail_failed"} 2`,
		`hypercerts_campaigns{state="finished"} 2`,
		`hypercerts_job_runs_total{job="digiposte_cycle",result="ok"} 1`,
		`hypercerts_job_runs_total{job="hubee_sync",result="error"} 2`,
		`hypercerts_job_runs_total{job="hubee_sync",result="ok"} 0`,
		`hypercerts_external_calls_total{op="send",system="smtp"} 2`,
		`hypercerts_external_errors_total{kind="transient",op="send",system="smtp"} 1`,
		`hypercerts_external_errors_total{kind="permanent",op="deposit",system="sftp"} 1`,
		`hypercerts_external_calls_total{op="GET",system="hubee"} 3`,
		`hypercerts_external_errors_total{kind="transient",op="GET",system="hubee"} 1`,
		`hypercerts_external_call_duration_seconds_count{system="smtp"} 2`,
		`hypercerts_job_duration_seconds_count{job="hubee_sync"} 2`,
	)
	for _, name := range []string{"hypercerts_job_last_run_timestamp_seconds{job=\"digiposte_cycle\"}",
		"hypercerts_job_last_success_timestamp_seconds{job=\"digiposte_cycle\"}", "hypercerts_job_last_error_timestamp_seconds{job=\"hubee_sync\"}",
		"hypercerts_build_info{", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if strings.Contains(body, `hypercerts_job_last_success_timestamp_seconds{job="hubee_sync"}`) {
		t.Error("a job that never succeeded has a last success")
	}

	if code, body := scrape(t, base, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	healthy = errors.New("tâche digiposte_cycle en échec depuis 2 jours")
	if code, body := scrape(t, base, "/healthz"); code != 503 || !strings.Contains(body, "digiposte_cycle") {
		t.Errorf("/healthz unhealthy = %d %q", code, body)
	}
}

func TestNilMetricsRecordNothingAndListenDefaultsToLoopback(t *testing.T) {
	var m *metrics.Metrics
	m.Observe(metrics.SMTP, "send", time.Now(), nil)
	m.Start(metrics.SFTP, "x")(nil)
	fn := metrics.Job(m, "j", func(context.Context) (int, error) { return 7, nil })
	if v, _ := fn(context.Background()); v != 7 {
		t.Fatal("Job on nil metrics changed the result")
	}
	if got := metrics.ListenAddr(":9090"); got != "127.0.0.1:9090" {
		t.Errorf("ListenAddr(:9090) = %s", got)
	}
}

type fakeMailer struct{ err error }

func (f fakeMailer) Send(context.Context, domain.Mail) error { return f.err }

type fakeVault struct{}

func (fakeVault) RequestAdhesions(context.Context, string, []domain.VaultStudent) error { return nil }
func (fakeVault) Returns(context.Context) ([]domain.VaultReturn, error) {
	return nil, fmt.Errorf("%w: down", domain.ErrTransient)
}
func (fakeVault) Acknowledge(context.Context, []string) error             { return nil }
func (fakeVault) Deposit(context.Context, string, []domain.Deposit) error { return nil }

func TestPortDecorators(t *testing.T) {
	m := metrics.New()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	ml := metrics.Mailer(m, fakeMailer{err: fmt.Errorf("%w: 550", domain.ErrPermanent)})
	if err := ml.Send(context.Background(), domain.Mail{Kind: domain.MailAttestation}); !errors.Is(err, domain.ErrPermanent) {
		t.Fatal("error not passed through")
	}
	v := metrics.Vault(m, fakeVault{})
	v.Deposit(context.Background(), "b", nil)
	v.Returns(context.Background())
	_, body := scrape(t, srv.URL, "/metrics")
	has(t, body,
		`hypercerts_external_errors_total{kind="permanent",op="attestation",system="smtp"} 1`,
		`hypercerts_external_calls_total{op="deposit",system="sftp"} 1`,
		`hypercerts_external_errors_total{kind="transient",op="returns",system="sftp"} 1`)
	if metrics.Mailer(nil, fakeMailer{}) == nil || metrics.Vault(m, nil) != nil {
		t.Error("nil handling")
	}
}
