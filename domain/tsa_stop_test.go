package domain_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/pades"
	"hypercerts/render"
)

// stalledTSA is a time-stamping authority on loopback that takes requests and never
// answers (until the client goes away or the test ends). arrived gets one value a
// request.
func stalledTSA(t *testing.T) (url string, arrived <-chan struct{}) {
	t.Helper()
	got := make(chan struct{}, 64)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for the handlers
	return srv.URL, got
}

// Stopping a campaign (the manager's Ctrl-C, the daemon's SIGTERM: Engine.Shutdown)
// while the time-stamping authority stalls ends the renders in flight at once, instead
// of waiting for the HTTP client's 15 s timeout, and does not fail their students:
// nothing has left for them, they stay as they were and the next start resumes them.
func TestShutdown_AbortsStalledTimeStampAndLeavesStudentsForResume(t *testing.T) {
	t.Parallel()
	url, arrived := stalledTSA(t)
	signer, err := pades.EnsureDemo(t.TempDir(), "Université de Test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	signer.TSA = &pades.TSA{URL: url} // the default client: 15 s timeout
	r, err := render.New(render.Options{University: "Université de Test", City: "Besançon",
		Sign: func(ctx context.Context, pdf []byte) ([]byte, error) {
			return pades.SignContext(ctx, pdf, signer, time.Now())
		}})
	if err != nil {
		t.Fatal(err)
	}
	students := runMany(6)
	env := newRunEnv(t, students, func(s *domain.Settings, d *domain.Deps) { s.Concurrency, d.Renderer = 2, r })
	var img bytes.Buffer // a real signature image: the real renderer reads it
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 40, 20))); err != nil {
		t.Fatal(err)
	}
	env.apogee.sigImage = img.Bytes()

	c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no time-stamp request")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // the CLI's and the daemon's
	defer cancel()
	start := time.Now()
	if err := env.engine.Shutdown(sctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Shutdown took %v with a stalled time-stamping authority", d.Round(time.Millisecond))
	}
	if stored, _ := env.store.Campaign(c.ID); stored.State != domain.CampaignRunning {
		t.Errorf("campaign %s after the stop, want it running (resumed at next start)", stored.State)
	}
	for code, en := range env.states(t, c.ID) {
		if en.State != domain.EntryEligible {
			t.Errorf("%s: %s (%s), want eligible", code, en.State, en.LastError)
		}
	}

	// Next start, the authority answering (here: a renderer without one).
	mailer := newRunMailer()
	eng := domain.NewEngine(domain.Deps{Apogee: env.apogee, Store: env.store, Renderer: runRenderer{}, Mailer: mailer},
		domain.Settings{Concurrency: 2, MaxAttempts: 1})
	defer eng.Shutdown(context.Background())
	if n, err := eng.Resume(context.Background()); n != 1 || err != nil {
		t.Fatalf("Resume = %d, %v", n, err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if done, err := eng.Wait(wctx, c.ID); err != nil || done.State != domain.CampaignFinished {
		t.Errorf("after resume: %s, %v", done.State, err)
	}
	if got := mailer.attested(); len(got) != len(students) {
		t.Errorf("after resume, %d attestations mailed (%v), want %d", len(got), got, len(students))
	}
}
