package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"
)

// inFlight counts the SOAP calls being answered at once.
type inFlight struct {
	mu       sync.Mutex
	now, max int
	next     http.Handler
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.now++
	f.max = max(f.max, f.now)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.now--; f.mu.Unlock() }()
	f.next.ServeHTTP(w, r)
}

// TestPreview_AtMostConcurrencyCallsInFlight: the engine never has more than
// Settings.Concurrency calls in flight towards Apogée, and does use them.
func TestPreview_AtMostConcurrencyCallsInFlight(t *testing.T) {
	s, err := sim.Open(sim.Options{Seed: 1, Students: 300, Latency: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	counter := &inFlight{next: s.Handler()}
	srv := httptest.NewServer(counter)
	defer srv.Close()
	ws, err := apogee.NewWS(apogee.WSConfig{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	db, err := apogee.OpenDB(s.DB(), "sqlite", "")
	if err != nil {
		t.Fatal(err)
	}
	const concurrency = 3
	e := domain.NewEngine(domain.Deps{Apogee: &apogee.Adapter{WS: ws, DB: db, AbsentNature: "9"}},
		domain.Settings{Concurrency: concurrency})
	c, err := s.CaseCampaign("admitted")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.PreviewAll(context.Background(), domain.User{Code: sim.DemoUser},
		domain.PreviewRequest{Year: c.Year, Component: c.Component, VDI: c.VDI})
	if err != nil || len(rows) < 10 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if counter.max > concurrency || counter.max < 2 {
		t.Fatalf("at most %d calls were in flight, want between 2 and %d", counter.max, concurrency)
	}
}
