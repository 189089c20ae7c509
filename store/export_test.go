package store

import bolt "go.etcd.io/bbolt"

// View lets the external tests read the raw base (bbolt's consistency check).
func (s *Store) View(fn func(*bolt.Tx) error) error { return s.view(fn) }
