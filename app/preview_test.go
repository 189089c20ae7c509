package app

import (
	"context"
	"strings"
	"testing"

	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"
)

func openDemo(t *testing.T) *App {
	t.Helper()
	a, err := Open(context.Background(), Options{Demo: true, DemoDir: t.TempDir(), DemoStudents: 200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func admittedRequest(t *testing.T, a *App) domain.PreviewRequest {
	t.Helper()
	c, err := a.Sim.CaseCampaign("admitted")
	if err != nil {
		t.Fatal(err)
	}
	return domain.PreviewRequest{Year: c.Year, Component: c.Component, VDI: c.VDI}
}

// TestPreview_TransientFaultsRetriedBusinessFaultsNot: HTTP 503 from Apogée is retried
// with back-off and the preview comes out whole; a SOAP business fault is not retried
// and shows on the student's row with Apogée's message.
func TestPreview_TransientFaultsRetriedBusinessFaultsNot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := openDemo(t)
	user := domain.User{Code: sim.DemoUser}
	req := admittedRequest(t, a)

	const op = "recupererIdentifiantsEtudiant"
	a.Sim.SetFault(op, sim.Fault{Times: 3, HTTPStatus: 503})
	rows, err := a.Engine.PreviewAll(ctx, user, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Err != "" {
			t.Fatalf("a transient fault reached the row of %s: %s", r.Student.Code, r.Err)
		}
	}
	if got, want := a.Sim.Calls(op), len(rows)+3; got != want {
		t.Fatalf("%s called %d times, want %d (one per student plus the 3 failed attempts)", op, got, want)
	}

	a.Sim.SetFault(op, sim.Fault{SOAPFault: "technical.parameter.noncoherent.codEtu"})
	before := a.Sim.Calls(op)
	rows, err = a.Engine.PreviewAll(ctx, user, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Sim.Calls(op) - before; got != len(rows) {
		t.Fatalf("business faults were retried: %d calls for %d students", got, len(rows))
	}
	for _, r := range rows {
		if r.Eligible || !strings.Contains(r.Err, "technical.parameter.noncoherent.codEtu") {
			t.Fatalf("row of %s: eligible=%v err=%q", r.Student.Code, r.Eligible, r.Err)
		}
	}
}

// TestPreview_ApogeeUnreachableSaysSo: with Apogée's web services down, the preview
// fails with a message naming Apogée and the operation, after the retries.
func TestPreview_ApogeeUnreachableSaysSo(t *testing.T) {
	t.Parallel()
	a := openDemo(t)
	req := admittedRequest(t, a)
	a.Sim.SetFault("recupererSE_v3", sim.Fault{HTTPStatus: 503})
	_, err := a.Engine.PreviewAll(context.Background(), domain.User{Code: sim.DemoUser}, req)
	if err == nil || !strings.Contains(err.Error(), "Apogée") || !strings.Contains(err.Error(), "recupererSE_v3") ||
		!domain.IsTransient(err) {
		t.Fatalf("got %v", err)
	}
}

// TestLaunch_EligibilityFollowsTheChosenMode: a student without an e-mail address is
// served neither by mail nor by Digiposte (which invites by e-mail), whatever the
// configured default mode.
func TestLaunch_EligibilityFollowsTheChosenMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := openDemo(t)
	user := domain.User{Code: sim.DemoUser}
	req := admittedRequest(t, a)
	noEmail := a.Sim.Cases()["no_email"]
	stateOf := func(mode domain.Mode) domain.EntryState {
		c, err := a.Engine.Launch(ctx, user, req, domain.LaunchOptions{Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Engine.Wait(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		entries, err := a.Engine.Entries(ctx, user, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Student.Code == noEmail {
				return e.State
			}
		}
		t.Fatalf("student %s not in the campaign", noEmail)
		return ""
	}
	// Digiposte invites the student to open a vault by e-mail: excluded as well.
	if got := stateOf(domain.ModeDigiposte); got != domain.EntryExcluded {
		t.Errorf("Digiposte campaign: student without e-mail is %s, want excluded (sans adresse électronique)", got)
	}
	if got := stateOf(domain.ModeMail); got != domain.EntryExcluded {
		t.Errorf("mail campaign: student without e-mail is %s, want excluded", got)
	}
}
