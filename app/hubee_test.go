package app

import (
	"context"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/render"
)

// TestOpenHubDemo: in the demo, openHub starts the HubEE simulator, whose OSL files two
// requests; one sync answers both (attestation deposited, refusal).
func TestOpenHubDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := Open(ctx, Options{Demo: true, DemoDir: t.TempDir(), DemoStudents: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	hub, err := a.openHub(ctx)
	if err != nil || hub == nil {
		t.Fatalf("openHub : %v %v", hub, err)
	}
	if _, ok := hub.(domain.HubEEConfigured); !ok {
		t.Fatal("le hub doit porter les réglages de la synchronisation")
	}
	r, err := render.New(render.Options{University: a.Config.University.Name, City: a.Config.University.City})
	if err != nil {
		t.Fatal(err)
	}
	e := domain.NewEngine(domain.Deps{Apogee: a.Apogee, Store: a.Store, Renderer: r, Hub: hub}, a.Config.EngineSettings())
	rep, err := e.HubEESync(ctx)
	if err != nil || rep.Delivered != 1 || rep.Refused != 1 || rep.Notifications != 2 {
		t.Fatalf("synchronisation : %+v %v", rep, err)
	}
	cases, err := e.HubEECases(ctx, a.User)
	if err != nil || len(cases) != 2 {
		t.Fatalf("dossiers : %+v %v", cases, err)
	}
	for _, c := range cases {
		if c.Step != domain.HubStepFinished || c.StudentName == "" || c.Year == "" {
			t.Fatalf("dossier : %+v", c)
		}
	}

	// No démarche configured: no hub, no error.
	a.Config.HubEE.Processes = nil
	if h, err := a.openHub(ctx); h != nil || err != nil {
		t.Fatalf("sans démarche : %v %v", h, err)
	}
}
