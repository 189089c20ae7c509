package app

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"
)

// TestR02_RightsOnEveryEngineEntryPoint checks, on the embedded Apogée, that every
// engine call about a component, VDI, campaign or student outside the user's components
// is refused with a rights error, whatever the front end.
func TestR02_RightsOnEveryEngineEntryPoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := Open(ctx, Options{Demo: true, DemoDir: t.TempDir(), DemoStudents: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	e := a.Engine
	camp, err := a.Sim.CaseCampaign("admitted")
	if err != nil {
		t.Fatal(err)
	}
	req := domain.PreviewRequest{Year: camp.Year, Component: camp.Component, VDI: camp.VDI}
	manager := domain.User{Code: sim.DemoUser}
	launched, err := e.Launch(ctx, manager, req, domain.LaunchOptions{TestMode: true, TestRecipient: "test@univ-demo.fr"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Wait(ctx, launched.ID); err != nil {
		t.Fatal(err)
	}
	student := a.Sim.Cases()["admitted"]

	iut := domain.User{Code: sim.IUTUser}         // rights on IUT only
	nobody := domain.User{Code: sim.NoRightsUser} // no TRAREF10 at all
	for _, u := range []domain.User{iut, nobody} {
		calls := map[string]func() error{
			"VDIs":    func() error { _, err := e.VDIs(ctx, u, camp.Year, camp.Component); return err },
			"VETs":    func() error { _, err := e.VETs(ctx, u, camp.Year, camp.Component, camp.VDI); return err },
			"Preview": func() error { _, err := e.Preview(ctx, u, req); return err },
			"Launch": func() error {
				_, err := e.Launch(ctx, u, req, domain.LaunchOptions{})
				return err
			},
			"Relaunch": func() error { return e.Relaunch(ctx, u, launched.ID) },
			"Campaign": func() error { _, err := e.Campaign(ctx, u, launched.ID); return err },
			"Entries":  func() error { _, err := e.Entries(ctx, u, launched.ID); return err },
			"Audit":    func() error { _, err := e.Audit(ctx, u, launched.ID); return err },
			"StudentAttestationAs": func() error {
				_, err := e.StudentAttestationAs(ctx, u, camp.Year, camp.VDI, student, &bytes.Buffer{})
				return err
			},
		}
		if u == nobody {
			calls["Years"] = func() error { _, err := e.Years(ctx, u); return err }
			calls["Campaigns"] = func() error { _, err := e.Campaigns(ctx, u); return err }
			calls["HubEECases"] = func() error { _, err := e.HubEECases(ctx, u); return err }
		}
		for name, call := range calls {
			if err := call(); !errors.Is(err, domain.ErrForbidden) {
				t.Errorf("%s by %s: got %v, want a rights error", name, u.Code, err)
			}
		}
		if u == iut {
			if list, err := e.Campaigns(ctx, u); err != nil || len(list) != 0 {
				t.Errorf("IUT manager sees %d campaigns of other components (err %v)", len(list), err)
			}
		}
	}
	// The manager of the component is allowed everywhere.
	var pdf bytes.Buffer
	if _, err := e.StudentAttestationAs(ctx, manager, camp.Year, camp.VDI, student, &pdf); err != nil || pdf.Len() == 0 {
		t.Fatalf("manager's attestation: %v (%d bytes)", err, pdf.Len())
	}
	if list, err := e.Campaigns(ctx, manager); err != nil || len(list) != 1 {
		t.Fatalf("manager's campaigns: %d, %v", len(list), err)
	}
	// The audit log records who did what.
	audit, err := e.Audit(ctx, manager, launched.ID)
	if err != nil || len(audit) == 0 || audit[0].User != sim.DemoUser {
		t.Fatalf("audit: %+v %v", audit, err)
	}
}
