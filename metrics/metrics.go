// Package metrics is the daemon's optional HTTP listener (daemon.metrics.listen,
// loopback by default): /healthz for the supervisor and /metrics in the Prometheus text
// format (github.com/prometheus/client_golang), on its own registry.
//
// Metrics (all prefixed hypercerts_):
//
//	job_last_run_timestamp_seconds{job}        last start of each daemon job
//	job_last_success_timestamp_seconds{job}    last run that ended without error
//	job_last_error_timestamp_seconds{job}      last run that ended with an error
//	job_runs_total{job,result="ok|error"}      runs
//	job_duration_seconds{job}                  run durations (histogram)
//	attestations{state}                        students by state over every campaign (read at scrape)
//	campaigns{state}                           campaigns by state (read at scrape)
//	external_calls_total{system,op}            calls to Apogée, SMTP, SFTP, HubEE, CAS
//	external_errors_total{system,op,kind}      failed calls (kind: transient|permanent|not_found|other)
//	external_call_duration_seconds{system}     call latencies (histogram)
//	build_info{version,commit,date}            1
//
// Hooks for the connectors and the engine: Observe (or Start … done(err)) around a call,
// RoundTripper for HTTP clients, Job around a daemon job.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hypercerts/domain"
	"hypercerts/internal/httpserve"
	"hypercerts/version"
)

// Systems named in the metrics.
const (
	Apogee    = "apogee"
	SMTP      = "smtp"
	SFTP      = "sftp"
	HubEE     = "hubee"
	CAS       = "cas"
	ApogeeSQL = "apogee_sql"
)

// Metrics holds the collectors. A nil *Metrics is valid and records nothing, so
// connectors can take one without checking.
type Metrics struct {
	reg *prometheus.Registry

	jobLastRun, jobLastSuccess, jobLastError *prometheus.GaugeVec
	jobRuns                                  *prometheus.CounterVec
	jobDuration                              *prometheus.HistogramVec
	calls, errs                              *prometheus.CounterVec
	up                                       *prometheus.GaugeVec
	latency                                  *prometheus.HistogramVec

	mu     sync.Mutex
	health func(context.Context) error
	now    func() time.Time
}

// New makes the collectors on a fresh registry (with the Go and process collectors).
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: time.Now}
	f := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "hypercerts", Name: name, Help: help}, labels)
	}
	m.jobLastRun = f("job_last_run_timestamp_seconds", "Last start of the daemon job (Unix time).", "job")
	m.jobLastSuccess = f("job_last_success_timestamp_seconds", "Last run of the job that ended without error (Unix time).", "job")
	m.jobLastError = f("job_last_error_timestamp_seconds", "Last run of the job that ended with an error (Unix time).", "job")
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "hypercerts", Name: "job_runs_total", Help: "Runs of the daemon jobs by result."}, []string{"job", "result"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "hypercerts", Name: "job_duration_seconds",
		Help: "Duration of the daemon jobs' runs.", Buckets: []float64{.1, .5, 1, 5, 15, 60, 300, 900, 3600}}, []string{"job"})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "hypercerts", Name: "external_calls_total", Help: "Calls to outside systems."}, []string{"system", "op"})
	m.errs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "hypercerts", Name: "external_errors_total", Help: "Failed calls to outside systems."}, []string{"system", "op", "kind"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "hypercerts", Name: "external_call_duration_seconds",
		Help: "Latency of the calls to outside systems.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"system"})
	m.up = f("dependency_up", "Whether an outside system the daemon watches answers (1) or not (0).", "system")
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "hypercerts", Name: "build_info", Help: "Version of the running binary."}, []string{"version", "commit", "date"})
	v := version.Get()
	build.WithLabelValues(v.Version, v.Commit, v.Date).Set(1)
	m.reg.MustRegister(m.jobLastRun, m.jobLastSuccess, m.jobLastError, m.jobRuns, m.jobDuration, m.calls, m.errs, m.latency, m.up, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// SetAvailable records whether a watched outside system (Apogée) answers. nil-safe.
func (m *Metrics) SetAvailable(system string, up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.up.WithLabelValues(system).Set(v)
}

// Registry gives the registry, to add collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetHealth sets what /healthz checks (nil error: 200 "ok"; else 503 with the message).
func (m *Metrics) SetHealth(fn func(context.Context) error) {
	m.mu.Lock()
	m.health = fn
	m.mu.Unlock()
}

// Job wraps a daemon job so each run updates the job metrics:
//
//	jobs[name] = metrics.Job(m, name, jobs[name])
func Job[R any](m *Metrics, name string, fn func(context.Context) (R, error)) func(context.Context) (R, error) {
	if m == nil {
		return fn
	}
	m.declareJob(name)
	return func(ctx context.Context) (R, error) {
		start := m.now()
		m.jobLastRun.WithLabelValues(name).Set(float64(start.UnixMilli()) / 1000)
		r, err := fn(ctx)
		m.JobDone(name, start, err)
		return r, err
	}
}

func (m *Metrics) declareJob(name string) {
	m.jobRuns.WithLabelValues(name, "ok")
	m.jobRuns.WithLabelValues(name, "error")
}

// JobDone records the end of a run of job name started at start (for callers that do
// not use Job).
func (m *Metrics) JobDone(name string, start time.Time, err error) {
	if m == nil {
		return
	}
	end := m.now()
	m.jobDuration.WithLabelValues(name).Observe(end.Sub(start).Seconds())
	ts := float64(end.UnixMilli()) / 1000
	if err != nil {
		m.jobLastError.WithLabelValues(name).Set(ts)
		m.jobRuns.WithLabelValues(name, "error").Inc()
		return
	}
	m.jobLastSuccess.WithLabelValues(name).Set(ts)
	m.jobRuns.WithLabelValues(name, "ok").Inc()
}

// Observe records one call to system (op names the operation) that started at start
// and ended with err.
func (m *Metrics) Observe(system, op string, start time.Time, err error) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(system, op).Inc()
	m.latency.WithLabelValues(system).Observe(m.now().Sub(start).Seconds())
	if err != nil {
		m.errs.WithLabelValues(system, op, Kind(err)).Inc()
	}
}

// Start is Observe in two halves: done := m.Start(metrics.SMTP, "send"); …; done(err).
func (m *Metrics) Start(system, op string) func(error) {
	if m == nil {
		return func(error) {}
	}
	start := m.now()
	return func(err error) { m.Observe(system, op, start, err) }
}

// Kind classifies an error with the domain's sentinels.
func Kind(err error) string {
	switch {
	case errors.Is(err, domain.ErrTransient):
		return "transient"
	case errors.Is(err, domain.ErrPermanent):
		return "permanent"
	case errors.Is(err, domain.ErrNotFound):
		return "not_found"
	}
	return "other"
}

// RoundTripper counts and times every HTTP exchange of a client as a call to system;
// op is the request's method. A status ≥ 500 counts as a transient error, ≥ 400 as a
// permanent one.
func (m *Metrics) RoundTripper(system string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return roundTripper{m: m, system: system, next: next}
}

type roundTripper struct {
	m      *Metrics
	system string
	next   http.RoundTripper
}

func (rt roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	start := rt.m.now()
	resp, err := rt.next.RoundTrip(r)
	switch {
	case err != nil:
		rt.m.Observe(rt.system, r.Method, start, fmt.Errorf("%w: %v", domain.ErrTransient, err))
	case resp.StatusCode >= 500:
		rt.m.Observe(rt.system, r.Method, start, fmt.Errorf("%w: HTTP %d", domain.ErrTransient, resp.StatusCode))
	case resp.StatusCode >= 400:
		rt.m.Observe(rt.system, r.Method, start, fmt.Errorf("%w: HTTP %d", domain.ErrPermanent, resp.StatusCode))
	default:
		rt.m.Observe(rt.system, r.Method, start, nil)
	}
	return resp, err
}

// CampaignSource lists the campaigns (domain.Store and domain.Engine's store have it).
type CampaignSource interface {
	Campaigns() ([]domain.Campaign, error)
}

// WatchCampaigns adds hypercerts_attestations{state} and hypercerts_campaigns{state},
// computed at each scrape from the campaigns' stored counts.
func (m *Metrics) WatchCampaigns(src CampaignSource) {
	m.reg.MustRegister(&campaignCollector{src: src})
}

var (
	descAttestations = prometheus.NewDesc("hypercerts_attestations", "Students by delivery state over every campaign.", []string{"state"}, nil)
	descCampaigns    = prometheus.NewDesc("hypercerts_campaigns", "Campaigns by state.", []string{"state"}, nil)
)

type campaignCollector struct{ src CampaignSource }

func (c *campaignCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descAttestations
	ch <- descCampaigns
}

func (c *campaignCollector) Collect(ch chan<- prometheus.Metric) {
	list, err := c.src.Campaigns()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descAttestations, err)
		return
	}
	byState := map[domain.EntryState]int{}
	camps := map[domain.CampaignState]int{}
	for _, cp := range list {
		camps[cp.State]++
		for s, n := range cp.Counts {
			byState[s] += n
		}
	}
	for s, n := range byState {
		ch <- prometheus.MustNewConstMetric(descAttestations, prometheus.GaugeValue, float64(n), string(s))
	}
	for s, n := range camps {
		ch <- prometheus.MustNewConstMetric(descCampaigns, prometheus.GaugeValue, float64(n), string(s))
	}
}

// Handler serves /metrics and /healthz.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		h := m.health
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if h != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			defer cancel()
			if err := h(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, err.Error()+"\n")
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
	return mux
}

// ListenAddr completes daemon.metrics.listen: ":9090" (no host) means 127.0.0.1:9090,
// loopback by default; an explicit host is kept.
func ListenAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Listen opens the listener for daemon.metrics.listen (see ListenAddr); split from
// Serve so the daemon fails at start-up when the port is taken.
func Listen(listen string) (net.Listener, error) {
	ln, err := net.Listen("tcp", ListenAddr(listen))
	if err != nil {
		return nil, fmt.Errorf("daemon.metrics.listen %q : %w", listen, err)
	}
	return ln, nil
}

// Serve answers on ln until ctx ends.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener) error {
	return httpserve.Serve(ctx, ln, &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second})
}
