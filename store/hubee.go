package store

import (
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"hypercerts/domain"
)

// HubEE cases (domain.HubStore), under the root bucket:
//
//	v1
//	├── hubee_cases                 <case id> → JSON domain.HubEECase
//	└── hubee_files                 (bases of earlier versions only: files are now on
//	    └── <case id>               disk, see hubee_files.go) <file key> → bytes
//
// The buckets are created on first write; a base that never saw HubEE has none.
var (
	bucketHubEECases = []byte("hubee_cases")
	bucketHubEEFiles = []byte("hubee_files")
)

var _ domain.HubStore = (*Store)(nil)

// HubEECase reads a case's record; domain.ErrNotFound if absent.
func (s *Store) HubEECase(caseID string) (domain.HubEECase, error) {
	var c domain.HubEECase
	err := s.view(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketHubEECases)
		var v []byte
		if b != nil {
			v = b.Get([]byte(caseID))
		}
		if v == nil {
			return notFound("dossier HubEE", caseID)
		}
		return getJSON(v, &c)
	})
	return c, err
}

// PutHubEECase writes (creates or replaces) a case's record.
func (s *Store) PutHubEECase(c domain.HubEECase) error {
	if c.CaseID == "" {
		return fmt.Errorf("%w : dossier HubEE sans identifiant", domain.ErrInvalid)
	}
	return s.update(func(tx *bolt.Tx) error {
		b, err := createBucketIfNotExists(tx, bucketHubEECases)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(c.CaseID), c)
	})
}

// PurgeHubEECase writes the purged record of a case and removes its files, in one
// transaction (retention, domain.Engine.Purge).
func (s *Store) PurgeHubEECase(c domain.HubEECase) error {
	if c.CaseID == "" {
		return fmt.Errorf("%w : dossier HubEE sans identifiant", domain.ErrInvalid)
	}
	// Files first: a crash in between leaves a record still to purge, never personal
	// data behind a purged record.
	if err := s.removeHubEEFiles(c.CaseID); err != nil {
		return fmt.Errorf("fichiers du dossier HubEE : %w", err)
	}
	return s.update(func(tx *bolt.Tx) error {
		if files := getBucket(tx, bucketHubEEFiles); files != nil && files.Bucket([]byte(c.CaseID)) != nil {
			if err := files.DeleteBucket([]byte(c.CaseID)); err != nil {
				return err
			}
		}
		b, err := createBucketIfNotExists(tx, bucketHubEECases)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(c.CaseID), c)
	})
}

// HubEECases lists every case, newest first (by first reception, then id).
func (s *Store) HubEECases() ([]domain.HubEECase, error) {
	var out []domain.HubEECase
	err := s.view(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketHubEECases)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var c domain.HubEECase
			if err := getJSON(v, &c); err != nil {
				return fmt.Errorf("dossier HubEE %s : %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Received.Equal(out[j].Received) {
			return out[i].Received.After(out[j].Received)
		}
		return out[i].CaseID < out[j].CaseID
	})
	return out, err
}
