package store_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/store"
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
	if err := s.Revoke(r, nil); err != nil {
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
	if err := s.Revoke(domain.Revocation{}, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("revocation without reference: %v", err)
	}
}

// The base holds the attestations' signing key: created 0600, never opened through a
// symbolic link (a link planted at store.path would send the key elsewhere), and an
// existing base that others may read is made 0600 when opened for writing.
func TestSigningKeyBaseIs0600AndNeverThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hypercerts.db")
	s := open(t, path)
	if _, _, created, err := s.AttestationKey(time.Now()); err != nil || !created {
		t.Fatalf("AttestationKey: created %v, %v", created, err)
	}
	s.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("base with the key: %v %v", fi.Mode(), err)
	}

	os.Chmod(path, 0o644) // an old install, a copy made with a wide umask
	s = open(t, path)
	s.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("a base readable by others stays %v", fi.Mode().Perm())
	}

	for name, target := range map[string]string{"link.db": path, "dangling.db": filepath.Join(dir, "elsewhere.db")} {
		link := filepath.Join(dir, name)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if st, err := store.Open(link, time.Second); !errors.Is(err, store.ErrSymlink) {
			if st != nil {
				st.Close()
			}
			t.Errorf("Open(%s): %v, want ErrSymlink", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere.db")); err == nil {
		t.Error("a base was created at a dangling link's target")
	}
}

// A public key whose bytes no longer match its id is damage, not a key to verify with.
func TestAlteredPublicKeyIsCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hypercerts.db")
	s := open(t, path)
	k1, _, _, err := s.AttestationKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateAttestationKey(time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("v1")).Bucket([]byte("attestation_keys"))
		other, _ := attest.NewKey()
		rec, _ := json.Marshal(map[string]any{"Public": []byte(other.Public()), "Created": time.Now()})
		return b.Put([]byte("k/"+k1.ID.String()), rec)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	if _, err := s.AttestationPublicKeys(); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("AttestationPublicKeys with a swapped retired key: %v", err)
	}
}

// A revocation and its audit record are one transaction: both or neither. A campaign
// whose audit bucket is missing gets neither; a second revocation of the same
// reference writes neither (ErrAlreadyRevoked); a single attestation has no audit.
func TestRevocationAndAuditRecordOneTransaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hypercerts.db")
	s := open(t, path)
	c, lost := campaign(time.Now()), campaign(time.Now().Add(time.Second))
	for _, c := range []*domain.Campaign{c, lost} {
		if err := s.CreateCampaign(c); err != nil {
			t.Fatal(err)
		}
	}
	// The audit bucket of lost goes missing (damage, or a bug elsewhere).
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("v1")).Bucket([]byte("audit")).DeleteBucket([]byte(lost.ID))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = open(t, path)
	defer s.Close()

	revoke := func(c *domain.Campaign, code, reason string) (domain.Revocation, error) {
		ref := domain.CampaignReference(c.ID, code)
		r := domain.Revocation{Reference: ref, At: time.Now().UTC(), By: "GEST1", Reason: reason, CampaignID: c.ID, StudentCode: code}
		return r, s.Revoke(r, &domain.AuditRecord{At: r.At, User: r.By, Action: domain.AuditRevoke, Detail: ref + " : " + reason})
	}
	audit := func(c *domain.Campaign) []domain.AuditRecord {
		t.Helper()
		a, err := s.Audit(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	r, err := revoke(lost, "1", "erreur")
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("revocation in a campaign without audit bucket: %v", err)
	}
	if _, err := s.Revocation(r.Reference); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("revocation stored without its audit record: %v", err)
	}

	r, err = revoke(c, "1", "erreur")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Revocation(r.Reference); err != nil || got.Reason != "erreur" {
		t.Errorf("Revocation = %+v, %v", got, err)
	}
	if a := audit(c); len(a) != 1 || a[0].Action != domain.AuditRevoke || a[0].Detail != r.Reference+" : erreur" {
		t.Errorf("audit = %+v", a)
	}
	if _, err := revoke(c, "1", "autre"); !errors.Is(err, domain.ErrAlreadyRevoked) {
		t.Errorf("second revocation: %v", err)
	}
	if a := audit(c); len(a) != 1 {
		t.Errorf("second revocation audited: %+v", a)
	}
	if got, _ := s.Revocation(r.Reference); got.Reason != "erreur" {
		t.Errorf("first revocation replaced: %+v", got)
	}

	single := domain.Revocation{Reference: domain.SingleReference("2024", c.VDI, "2", time.Now()), At: time.Now(), By: "GEST1", Reason: "erreur"}
	if err := s.Revoke(single, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(domain.Revocation{Reference: "X", Reason: "r"}, &domain.AuditRecord{}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("audit record without campaign: %v", err)
	}
}
