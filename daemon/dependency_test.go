package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hypercerts/daemon"
)

// TestDaemon_StartsWithoutApogeeAndReportsIt: Apogée down at start does not stop the
// daemon; the health file (read by `hypercerts status`) says it is unavailable, the
// check is retried, and its return is reported too.
func TestDaemon_StartsWithoutApogeeAndReportsIt(t *testing.T) {
	st := openStore(t)
	var down atomic.Bool
	down.Store(true)
	var results []bool
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	d, err := daemon.New(daemon.Options{Engine: newEngine(st), Store: st,
		Watch: []daemon.DependencyCheck{{Name: "Apogée", RetryEvery: 20 * time.Millisecond, Every: time.Hour,
			Check: func(context.Context) error {
				if down.Load() {
					return errors.New("dial tcp 127.0.0.1:1521: connect: connection refused")
				}
				return nil
			},
			OnResult: func(up bool) { <-mu; results = append(results, up); mu <- struct{}{} }}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	status := func() (daemon.Status, string) {
		s, err := daemon.ReadHealthFile(daemon.HealthFilePath(st.Path()))
		if err != nil {
			return s, ""
		}
		var out bytes.Buffer
		daemon.WriteStatus(&out, s, true)
		return s, out.String()
	}
	waitFor(t, "Apogée reported unavailable", 5*time.Second, func() bool {
		s, out := status()
		return s.Running() && len(s.Dependencies) == 1 && !s.Dependencies[0].Available &&
			strings.Contains(out, "Apogée : INDISPONIBLE") && strings.Contains(out, "connection refused")
	})
	down.Store(false)
	waitFor(t, "Apogée reported back", 5*time.Second, func() bool {
		s, out := status()
		return len(s.Dependencies) == 1 && s.Dependencies[0].Available && strings.Contains(out, "Apogée : disponible")
	})
	<-mu
	if len(results) < 2 || results[0] || !results[len(results)-1] {
		t.Errorf("results heard: %v, want false first (retried) then true", results)
	}
	mu <- struct{}{}
}
