package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"hypercerts/attest"
	"hypercerts/domain"
)

func TestAttestationKeyCreatedOnceRotatedAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hypercerts.db")
	s := open(t, path)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k1, pubs, created, err := s.AttestationKey(t0)
	if err != nil || !created || len(pubs) != 1 || pubs[0].ID != k1.ID {
		t.Fatalf("first start: %v created=%v pubs=%v", err, created, pubs)
	}
	tok, err := attest.Sign(k1, attest.Claims{Reference: "R", Name: "N", Label: "L", Issued: "2026-01-01", Issuer: "U"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, path) // the key survives a restart (it is in the base, so in backups)
	again, _, created, err := s.AttestationKey(t0.Add(time.Hour))
	if err != nil || created || again.ID != k1.ID {
		t.Fatalf("restart: %v created=%v id=%s want %s", err, created, again.ID, k1.ID)
	}
	k2, err := s.RotateAttestationKey(t0.Add(48 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cur, pubs, _, err := s.AttestationKey(t0.Add(49 * time.Hour))
	if err != nil || cur.ID != k2.ID || len(pubs) != 2 {
		t.Fatalf("after rotation: %v cur=%s pubs=%d", err, cur.ID, len(pubs))
	}
	if pubs[0].ID != k1.ID || pubs[0].Retired.IsZero() || !pubs[1].Retired.IsZero() {
		t.Errorf("old key not retired or new one retired: %+v", pubs)
	}
	// An attestation signed before the rotation still verifies.
	if _, _, err := attest.Verify(tok, pubs); err != nil {
		t.Errorf("old token after rotation: %v", err)
	}
}

func TestRevocationsAndSingleAttestations(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "hypercerts.db"))
	ref := domain.CampaignReference("C", "1")
	if _, err := s.Revocation(ref); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Revocation(unknown) = %v", err)
	}
	r := domain.Revocation{Reference: ref, At: time.Now().UTC().Truncate(time.Second), By: "gest", Reason: "erreur"}
	if err := s.PutRevocation(r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Revocation(ref)
	if err != nil || got.Reason != "erreur" || !got.At.Equal(r.At) {
		t.Errorf("Revocation = %+v, %v", got, err)
	}
	a := domain.IssuedAttestation{Reference: ref, Year: "2024", VDI: domain.VDI{Dip: "LMATH", Version: "201"}, StudentCode: "1"}
	if err := s.RecordAttestation(a); err != nil {
		t.Fatal(err)
	}
	if got, err := s.IssuedAttestation(ref); err != nil || got.VDI != a.VDI {
		t.Errorf("IssuedAttestation = %+v, %v", got, err)
	}
	if err := s.PutRevocation(domain.Revocation{}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("revocation without reference: %v", err)
	}
}
