package domain_test

import (
	"context"
	"strings"
	"testing"

	"hypercerts/connectors/digiposte"
	"hypercerts/domain"
)

// One computation of eligibility: the confirmation's numbers (Plan over the preview's
// rows, in either mode) are the numbers the run records. A student without an e-mail
// address is excluded from Digiposte too, "sans adresse électronique".
func TestEligibility_ConfirmationAndRunAgreeInBothModes(t *testing.T) {
	t.Parallel()
	for _, mode := range []domain.Mode{domain.ModeMail, domain.ModeDigiposte} {
		t.Run(string(mode), func(t *testing.T) {
			env := newDPEnv(t, digiposte.SimOptions{}, nil).runEnv // a vault, so both modes can launch
			// The preview is made in the other mode: the manager switches at confirmation.
			other := domain.ModeDigiposte
			if mode == domain.ModeDigiposte {
				other = domain.ModeMail
			}
			req := runReq
			req.Mode = other
			rows, err := env.engine.PreviewAll(context.Background(), runGest, req)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := env.engine.Plan(context.Background(), runGest, runReq, rows, mode, false)
			if err != nil {
				t.Fatal(err)
			}
			c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			c = env.wait(t, c.ID)
			served := c.Counts[domain.EntryEligible] + c.Counts[domain.EntryMailed] + c.Counts[domain.EntryMailFailed]
			if plan.Eligible != served || plan.Excluded != c.Counts[domain.EntryExcluded] || plan.Students != 8 {
				t.Errorf("confirmation %+v, campaign counts %v", plan, c.Counts)
			}
			if plan.Eligible != 4 || plan.NoEmail != 1 {
				t.Errorf("plan %+v: want 4 eligible, 1 without address", plan)
			}
			want := domain.ReasonNoEmail
			if mode == domain.ModeDigiposte {
				want = "sans adresse électronique"
			}
			en := env.states(t, c.ID)["10000006"]
			if en.State != domain.EntryExcluded || strings.Join(en.Reasons, ";") != want {
				t.Errorf("student without address: %s %v, want excluded %q", en.State, en.Reasons, want)
			}
		})
	}
}

// A second campaign for the same year and VDI: the students already served are
// counted at confirmation and left out by default; the manager may include them; the
// choice is in the audit log.
func TestAlreadyServed_LeftOutByDefaultIncludedOnRequest(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	first := env.launchAndWait(t, domain.LaunchOptions{})
	rows, err := env.engine.PreviewAll(context.Background(), runGest, runReq)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := env.engine.Plan(context.Background(), runGest, runReq, rows, domain.ModeMail, false)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Served != 4 || plan.Eligible != 0 || plan.ServedLast.IsZero() {
		t.Fatalf("plan after a first campaign: %+v", plan)
	}
	env.mailer.reset()
	launched, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if launched.Served != 4 || !launched.ServedLast.Equal(plan.ServedLast) { // what the CLI prints
		t.Errorf("Launch says %d served, last %v; want 4, %v", launched.Served, launched.ServedLast, plan.ServedLast)
	}
	second := env.wait(t, launched.ID)
	if got := env.mailer.attested(); len(got) != 0 {
		t.Errorf("sent again to %v", got)
	}
	en := env.states(t, second.ID)["10000001"]
	if en.State != domain.EntryExcluded || !strings.Contains(strings.Join(en.Reasons, ";"), "déjà servi le ") ||
		!strings.Contains(strings.Join(en.Reasons, ";"), first.ID) {
		t.Errorf("served student: %s %v", en.State, en.Reasons)
	}
	audit, _ := env.engine.Audit(context.Background(), runGest, second.ID)
	if !strings.Contains(audit[0].Detail, "4 déjà servis") || !strings.Contains(audit[0].Detail, "laissés de côté") {
		t.Errorf("audit: %q", audit[0].Detail)
	}

	env.mailer.reset()
	third := env.launchAndWait(t, domain.LaunchOptions{IncludeServed: true})
	if got := env.mailer.attested(); len(got) != 4 {
		t.Errorf("included on request: sent to %v", got)
	}
	audit, _ = env.engine.Audit(context.Background(), runGest, third.ID)
	if !strings.Contains(audit[0].Detail, "inclus à la demande du gestionnaire") {
		t.Errorf("audit: %q", audit[0].Detail)
	}
}
