package domain_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"hypercerts/domain"
)

// downApogee is runApogee whose rights lookup can be made unreachable.
type downApogee struct {
	*runApogee
	down atomic.Bool
}

func (d *downApogee) Components(ctx context.Context, user string) ([]domain.Component, error) {
	if d.down.Load() {
		return nil, &domain.ExternalError{System: "Apogée", Op: "Components", Kind: domain.ErrTransient, Msg: "connection refused"}
	}
	return d.runApogee.Components(ctx, user)
}

// TestR02_ReadOnlyWorkUsesTheLastRightsWhileApogeeIsDown: listing and showing campaigns
// go on with the rights Apogée last gave the user; launching does not.
func TestR02_ReadOnlyWorkUsesTheLastRightsWhileApogeeIsDown(t *testing.T) {
	t.Parallel()
	var ap *downApogee
	env := newRunEnv(t, runClass(), func(_ *domain.Settings, d *domain.Deps) {
		ap = &downApogee{runApogee: d.Apogee.(*runApogee)}
		d.Apogee = ap
	})
	c := env.launchAndWait(t, domain.LaunchOptions{})
	ctx := context.Background()
	ap.down.Store(true)
	list, err := env.engine.Campaigns(ctx, runGest)
	if err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Fatalf("Campaigns with Apogée down = %v, %v; want the campaign from the cached rights", list, err)
	}
	if _, err := env.engine.Campaign(ctx, runGest, c.ID); err != nil {
		t.Errorf("Campaign with Apogée down: %v", err)
	}
	if _, err := env.engine.Entries(ctx, runGest, c.ID); err != nil {
		t.Errorf("Entries with Apogée down: %v", err)
	}
	// A user whose rights were never read learns nothing.
	if _, err := env.engine.Campaigns(ctx, runOutsider); !domain.IsTransient(err) {
		t.Errorf("user without cached rights: %v, want Apogée's transient error", err)
	}
	// Anything that acts still needs Apogée.
	if _, err := env.engine.Launch(ctx, runGest, runReq, domain.LaunchOptions{}); err == nil || errors.Is(err, domain.ErrForbidden) {
		t.Errorf("Launch with Apogée down: %v, want Apogée's error", err)
	}
}
