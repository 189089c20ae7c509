package store

import bolt "go.etcd.io/bbolt"

// The daemon's job health records, under the root bucket:
//
//	v1
//	└── health                      <job name> → JSON daemon.Health
//
// The store keeps the bytes; their format belongs to the daemon. The bucket is created
// on first write.
var bucketHealth = []byte("health")

// PutJobHealth records a job's health record (replacing the previous one).
func (s *Store) PutJobHealth(job string, record []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		b, err := createBucketIfNotExists(tx, bucketHealth)
		if err != nil {
			return err
		}
		return b.Put([]byte(job), record)
	})
}

// JobHealth calls fn with each job's health record, in job name order. The record is
// only valid during the call.
func (s *Store) JobHealth(fn func(job string, record []byte) error) error {
	return s.view(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketHealth)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error { return fn(string(k), v) })
	})
}
