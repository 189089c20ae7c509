package store

import (
	bolt "go.etcd.io/bbolt"

	"hypercerts/domain"
)

var _ domain.EntryPurger = (*Store)(nil)

// PurgeEntries removes every entry of a campaign and appends record(n) to its audit
// log, in one transaction (the retention purge, domain.Engine.Purge). The bucket is
// dropped and recreated empty, so bbolt reuses the pages; the campaign and its audit
// log stay.
func (s *Store) PurgeEntries(campaignID string, record func(n int) domain.AuditRecord) (int, error) {
	var n int
	// Through the committer, which puts the journaled state changes in the base first
	// (none of them may land after the purge), and empties the journal's file after it.
	err := s.w.updateEmptying(func(tx *bolt.Tx) error {
		entries := getBucket(tx, bucketEntries)
		b := entries.Bucket([]byte(campaignID))
		audit := getBucket(tx, bucketAudit, []byte(campaignID))
		if b == nil || audit == nil {
			return notFound("campagne", campaignID)
		}
		n = b.Stats().KeyN
		if err := entries.DeleteBucket([]byte(campaignID)); err != nil {
			return err
		}
		if _, err := entries.CreateBucket([]byte(campaignID)); err != nil {
			return err
		}
		seq, err := audit.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(audit, seqKey(seq), record(n))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
