package domain_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"hypercerts/domain"
	"hypercerts/store"
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

// R02 revocation, asked again: the same reason is the same act (success, Repeated, one
// audit entry, the first date and manager kept); another reason is refused and names
// the first; managers revoking at once get one revocation. The reason is required,
// one line, at most MaxRevocationReason characters (it is shown publicly).
func TestR02_RevocationIdempotentFinalAndOnce(t *testing.T) {
	env := newRunEnv(t, runClass(), nil)
	c := env.launchAndWait(t, domain.LaunchOptions{})
	ctx := context.Background()
	var refs []string
	for _, e := range env.states(t, c.ID) {
		if e.State == domain.EntryMailed {
			refs = append(refs, e.Reference)
		}
	}
	if len(refs) < 2 {
		t.Fatalf("%d mailed entries, want 2", len(refs))
	}
	for _, bad := range []string{"", "   ", "ligne 1\nligne 2", "tab\tulé", strings.Repeat("é", domain.MaxRevocationReason+1)} {
		if _, err := env.engine.RevokeAttestation(ctx, runGest, refs[0], bad); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("reason %.20q: %v", bad, err)
		}
	}
	if r, _ := env.engine.Revoked(refs[0]); r != nil {
		t.Fatal("revoked with a refused reason")
	}
	countAudit := func() int {
		audit, _ := env.store.Audit(c.ID)
		n := 0
		for _, a := range audit {
			if a.Action == domain.AuditRevoke {
				n++
			}
		}
		return n
	}
	first, err := env.engine.RevokeAttestation(ctx, runGest, refs[0], strings.Repeat("é", domain.MaxRevocationReason))
	if err != nil || first.Repeated {
		t.Fatalf("first revocation: %+v %v", first, err)
	}
	again, err := env.engine.RevokeAttestation(ctx, runGest, refs[0], "  "+first.Reason+" ")
	if err != nil || !again.Repeated || !again.At.Equal(first.At) || again.By != first.By {
		t.Errorf("same revocation again: %+v %v", again, err)
	}
	if _, err := env.engine.RevokeAttestation(ctx, runGest, refs[0], "autre motif"); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "déjà révoquée") {
		t.Errorf("another reason: %v", err)
	}
	if got, _ := env.engine.Revoked(refs[0]); got == nil || got.Reason != first.Reason {
		t.Errorf("revocation changed: %+v", got)
	}
	if n := countAudit(); n != 1 {
		t.Errorf("%d audit entries for one revocation", n)
	}

	// Eight managers' sessions at once, each its own reason: one wins, the others are told.
	var wg sync.WaitGroup
	won := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := env.engine.RevokeAttestation(ctx, runGest, refs[1], fmt.Sprintf("motif %d", i))
			if err == nil && !r.Repeated {
				won <- r.Reason
			} else if !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("concurrent revocation: %v", err)
			}
		}()
	}
	wg.Wait()
	close(won)
	var winners []string
	for r := range won {
		winners = append(winners, r)
	}
	got, _ := env.engine.Revoked(refs[1])
	if len(winners) != 1 || got == nil || got.Reason != winners[0] {
		t.Errorf("concurrent revocations: winners %v, stored %+v", winners, got)
	}
	if n := countAudit(); n != 2 {
		t.Errorf("%d audit entries for two revocations", n)
	}
}

// auditFailingStore is the real store whose separate audit appends fail once fail is
// set: the store error (or crash) that used to fall between a revocation and its
// audit record.
type auditFailingStore struct {
	*store.Store
	fail atomic.Bool
}

func (s *auditFailingStore) AppendAudit(campaignID string, r domain.AuditRecord) error {
	if s.fail.Load() {
		return errors.New("écriture du journal refusée")
	}
	return s.Store.AppendAudit(campaignID, r)
}

// R02 revocation and its audit record are one store write: an audit append that
// fails cannot leave a revocation unaudited (nor report an error for a revocation that
// took effect). (store.TestRevocationAndAuditRecordOneTransaction: a failed write
// leaves neither.)
func TestR02_RevocationAndItsAuditRecordTogether(t *testing.T) {
	var st *auditFailingStore
	env := newRunEnv(t, runClass(), func(_ *domain.Settings, d *domain.Deps) {
		st = &auditFailingStore{Store: d.Store.(*store.Store)}
		d.Store = st
	})
	c := env.launchAndWait(t, domain.LaunchOptions{})
	var refs []string
	for _, e := range env.states(t, c.ID) {
		if e.State == domain.EntryMailed {
			refs = append(refs, e.Reference)
		}
	}
	if len(refs) < 1 {
		t.Fatal("no mailed entry")
	}
	revocations := func() int {
		audit, err := env.store.Audit(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range audit {
			if a.Action == domain.AuditRevoke && strings.HasPrefix(a.Detail, refs[0]+" ") {
				n++
			}
		}
		return n
	}
	st.fail.Store(true)
	r, err := env.engine.RevokeAttestation(context.Background(), runGest, refs[0], "note corrigée")
	got, _ := env.engine.Revoked(refs[0])
	switch n := revocations(); {
	case err == nil && (got == nil || n != 1):
		t.Errorf("revocation reported done: stored %+v, %d audit records", got, n)
	case err != nil && (got != nil || n != 0):
		t.Errorf("revocation reported failed (%v): stored %+v, %d audit records", err, got, n)
	case err == nil && (got.Reason != "note corrigée" || r.Repeated):
		t.Errorf("revocation = %+v, stored %+v", r, got)
	}
}
