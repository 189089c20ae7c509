package store

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"hypercerts/attest"
	"hypercerts/domain"
)

// Verifiable attestations (domain.AttestationRegistry and the signing keys), under the
// root bucket:
//
//	v1
//	├── attestations                <reference> → JSON domain.IssuedAttestation (single ones)
//	├── revocations                 <reference> → JSON domain.Revocation
//	└── attestation_keys            "current" → key id (hex)
//	                                "k/<key id>" → JSON keyRecord
//
// The signing keys live in the base so that they are 0600 like it, in every backup,
// and replaced atomically on rotation. A retired key keeps its public half only.
var (
	bucketAttestations = []byte("attestations")
	bucketRevocations  = []byte("revocations")
	bucketKeys         = []byte("attestation_keys")
	keyCurrent         = []byte("current")
	keyPrefix          = []byte("k/")
)

var _ domain.AttestationRegistry = (*Store)(nil)

type keyRecord struct {
	Public  []byte // Ed25519 public key
	Seed    []byte `json:",omitempty"` // private seed; dropped when retired
	Created time.Time
	Retired time.Time `json:",omitzero"`
}

// RecordAttestation keeps a single attestation's reference.
func (s *Store) RecordAttestation(a domain.IssuedAttestation) error {
	if a.Reference == "" {
		return fmt.Errorf("%w : attestation sans référence", domain.ErrInvalid)
	}
	return s.update(func(tx *bolt.Tx) error {
		b, err := createBucketIfNotExists(tx, bucketAttestations)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(a.Reference), a)
	})
}

// IssuedAttestation reads a single attestation; domain.ErrNotFound if absent.
func (s *Store) IssuedAttestation(ref string) (domain.IssuedAttestation, error) {
	var a domain.IssuedAttestation
	return a, s.get(bucketAttestations, "attestation", ref, &a)
}

// Revoke records a revocation and, when audit is not nil, appends it to the audit log
// of r.CampaignID, in one transaction: both are written or neither (a campaign without
// its audit bucket fails the revocation too). A revocation is final: if ref has one
// already, nothing is written (domain.ErrAlreadyRevoked), so two managers revoking at
// once get one revocation and one audit record.
func (s *Store) Revoke(r domain.Revocation, audit *domain.AuditRecord) error {
	if r.Reference == "" {
		return fmt.Errorf("%w : révocation sans référence", domain.ErrInvalid)
	}
	if audit != nil && r.CampaignID == "" {
		return fmt.Errorf("%w : révocation %s journalisée sans campagne", domain.ErrInvalid, r.Reference)
	}
	return s.update(func(tx *bolt.Tx) error {
		b, err := createBucketIfNotExists(tx, bucketRevocations)
		if err != nil {
			return err
		}
		if b.Get([]byte(r.Reference)) != nil {
			return fmt.Errorf("%w : %s", domain.ErrAlreadyRevoked, r.Reference)
		}
		if err := putJSON(b, []byte(r.Reference), r); err != nil {
			return err
		}
		if audit == nil {
			return nil
		}
		log := getBucket(tx, bucketAudit, []byte(r.CampaignID))
		if log == nil {
			return notFound("campagne", r.CampaignID)
		}
		seq, err := log.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(log, seqKey(seq), *audit)
	})
}

// Revocation reads the revocation of ref; domain.ErrNotFound if not revoked.
func (s *Store) Revocation(ref string) (domain.Revocation, error) {
	var r domain.Revocation
	return r, s.get(bucketRevocations, "révocation", ref, &r)
}

func (s *Store) get(bucket []byte, what, key string, v any) error {
	return s.view(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucket)
		var data []byte
		if b != nil {
			data = b.Get([]byte(key))
		}
		if data == nil {
			return notFound(what, key)
		}
		return getJSON(data, v)
	})
}

// AttestationKey returns the current signing key and every public key; on first use it
// creates the key (created is then true), except on a read-only base (key nil).
func (s *Store) AttestationKey(now time.Time) (key *attest.PrivateKey, pubs attest.PublicKeys, created bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		key, pubs, err = readKeys(tx)
		return err
	})
	if err != nil || key != nil || s.readOnly { // read-only commands sign nothing: no key made
		return key, pubs, false, err
	}
	if key, err = s.RotateAttestationKey(now); err != nil {
		return nil, nil, false, err
	}
	pubs, err = s.AttestationPublicKeys()
	return key, pubs, true, err
}

// RotateAttestationKey draws a new signing key and retires the current one, whose
// public half stays for verification. Returns the new key.
func (s *Store) RotateAttestationKey(now time.Time) (*attest.PrivateKey, error) {
	key, err := attest.NewKey()
	if err != nil {
		return nil, err
	}
	err = s.update(func(tx *bolt.Tx) error {
		b, err := createBucketIfNotExists(tx, bucketKeys)
		if err != nil {
			return err
		}
		if cur := b.Get(keyCurrent); cur != nil {
			k := append(append([]byte{}, keyPrefix...), cur...)
			var old keyRecord
			if err := getJSON(b.Get(k), &old); err != nil {
				return err
			}
			old.Seed, old.Retired = nil, now
			if err := putJSON(b, k, old); err != nil {
				return err
			}
		}
		id := []byte(key.ID.String())
		rec := keyRecord{Public: key.Public(), Seed: key.Private.Seed(), Created: now}
		if err := putJSON(b, append(append([]byte{}, keyPrefix...), id...), rec); err != nil {
			return err
		}
		return b.Put(keyCurrent, id)
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}

// AttestationPublicKeys lists every public key, oldest first.
func (s *Store) AttestationPublicKeys() (attest.PublicKeys, error) {
	var pubs attest.PublicKeys
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		_, pubs, err = readKeys(tx)
		return err
	})
	return pubs, err
}

func readKeys(tx *bolt.Tx) (*attest.PrivateKey, attest.PublicKeys, error) {
	b := getBucket(tx, bucketKeys)
	if b == nil {
		return nil, nil, nil
	}
	var (
		key  *attest.PrivateKey
		pubs attest.PublicKeys
	)
	cur := b.Get(keyCurrent)
	c := b.Cursor()
	for k, v := c.Seek(keyPrefix); k != nil && bytes.HasPrefix(k, keyPrefix); k, v = c.Next() {
		var rec keyRecord
		if err := getJSON(v, &rec); err != nil {
			return nil, nil, err
		}
		id, err := attest.ParseKeyID(string(k[len(keyPrefix):]))
		if err != nil {
			return nil, nil, fmt.Errorf("%w : %v", ErrCorrupt, err)
		}
		if len(rec.Public) != ed25519.PublicKeySize || attest.IDOf(rec.Public) != id { // the list others verify with
			return nil, nil, fmt.Errorf("%w : clé publique d'attestation %s altérée", ErrCorrupt, id)
		}
		pubs = append(pubs, attest.PublicKey{ID: id, Key: rec.Public, Created: rec.Created, Retired: rec.Retired})
		if bytes.Equal(k[len(keyPrefix):], cur) {
			if key, err = attest.KeyFromSeed(rec.Seed); err != nil {
				return nil, nil, fmt.Errorf("%w : %v", ErrCorrupt, err)
			}
			if key.ID != id {
				return nil, nil, fmt.Errorf("%w : clé d'attestation %s altérée", ErrCorrupt, id)
			}
		}
	}
	sort.SliceStable(pubs, func(i, j int) bool { return pubs[i].Created.Before(pubs[j].Created) })
	return key, pubs, nil
}
