package domain_test

import (
	"context"
	"errors"
	"testing"

	"hypercerts/domain"
)

// R02: only managers of the campaign's component see or revoke its attestations; the
// reference is stored with the entry before the mail leaves.
func TestR02_RevocationOnlyByManagersOfTheComponent(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	c := env.launchAndWait(t, domain.LaunchOptions{})
	ctx := context.Background()
	var ref, code string
	for _, e := range env.states(t, c.ID) {
		if e.State == domain.EntryMailed {
			if e.Reference != domain.CampaignReference(c.ID, e.Student.Code) {
				t.Fatalf("entry %s reference %q", e.Student.Code, e.Reference)
			}
			ref, code = e.Reference, e.Student.Code
			break
		}
	}
	if ref == "" {
		t.Fatal("no mailed entry")
	}
	for _, u := range []domain.User{runOutsider, runNobody} {
		if _, err := env.engine.FindAttestation(ctx, u, ref); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s FindAttestation: %v", u.Code, err)
		}
		if _, err := env.engine.RevokeAttestation(ctx, u, ref, "motif"); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s RevokeAttestation: %v", u.Code, err)
		}
	}
	if r, _ := env.engine.Revoked(ref); r != nil {
		t.Fatal("revoked by someone without rights")
	}
	if _, err := env.engine.RevokeAttestation(ctx, runGest, ref, "  "); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("empty reason: %v", err)
	}
	info, err := env.engine.FindAttestation(ctx, runGest, ref)
	if err != nil || info.StudentCode != code || info.CampaignID != c.ID {
		t.Fatalf("FindAttestation = %+v, %v", info, err)
	}
	r, err := env.engine.RevokeAttestation(ctx, runGest, ref, "note corrigée")
	if err != nil || r.By != runGest.Code || r.CampaignID != c.ID {
		t.Fatalf("RevokeAttestation = %+v, %v", r, err)
	}
	if got, _ := env.engine.Revoked(ref); got == nil || got.Reason != "note corrigée" {
		t.Errorf("Revoked = %+v", got)
	}
	audit, _ := env.store.Audit(c.ID)
	if last := audit[len(audit)-1]; last.Action != domain.AuditRevoke || last.User != runGest.Code {
		t.Errorf("audit = %+v", last)
	}
	if _, err := env.engine.FindAttestation(ctx, runGest, domain.CampaignReference("other", "1")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown reference: %v", err)
	}
}
