package store

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"hypercerts/domain"
)

// The last rights Apogée gave each user (domain.RightsCache), under the root bucket:
//
//	v1
//	└── rights                      <user code> → JSON {components, at}
//
// They let read-only work (listing and showing campaigns) go on while Apogée is
// unreachable; they are never used to launch or send anything.
var bucketRights = []byte("rights")

var _ domain.RightsCache = (*Store)(nil)

type rightsRecord struct {
	Components []domain.Component `json:"components"`
	At         time.Time          `json:"at"`
}

// PutRights records the components Apogée gave a user at at.
func (s *Store) PutRights(userCode string, comps []domain.Component, at time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		b, err := createBucketIfNotExists(tx, bucketRights)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(userCode), rightsRecord{Components: comps, At: at})
	})
}

// Rights gives the last components recorded for a user; domain.ErrNotFound if none.
func (s *Store) Rights(userCode string) ([]domain.Component, time.Time, error) {
	var r rightsRecord
	err := s.view(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketRights)
		var v []byte
		if b != nil {
			v = b.Get([]byte(userCode))
		}
		if v == nil {
			return notFound("droits", userCode)
		}
		return getJSON(v, &r)
	})
	return r.Components, r.At, err
}
