package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileInfo describes a base file (a backup, or the store itself when nobody holds it).
type FileInfo struct {
	Schema    int   // schema version (SchemaVersion for this build)
	Campaigns int   // campaigns it holds
	Size      int64 // bytes
	Created   string
}

// Inspect checks that path is a base this build opens, with exactly the checks of Open
// (it opens it read-only through the same code), plus a walk of every page (bbolt's
// Check) so that a damaged backup is refused before it replaces the store. It changes
// nothing in the file, except that writes a crash left in a journal beside it are
// copied in first (OpenReadOnly). A file held by a running daemon gives ErrInUse.
func Inspect(path string) (info FileInfo, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return info, err
	}
	info.Size = fi.Size()
	s, err := OpenReadOnly(path, 500*time.Millisecond)
	if err != nil {
		return info, err
	}
	defer s.Close()
	err = s.view(func(tx *bolt.Tx) error {
		var problems []error
		for e := range tx.Check() {
			if len(problems) < 5 {
				problems = append(problems, e)
			}
		}
		if len(problems) > 0 {
			return corrupt(path, "pages endommagées : "+errors.Join(problems...).Error())
		}
		meta := getBucket(tx, bucketMeta)
		info.Schema, _ = strconv.Atoi(string(meta.Get(keySchema)))
		info.Created = string(meta.Get(keyCreated))
		if c := getBucket(tx, bucketCampaigns); c != nil {
			info.Campaigns = c.Stats().KeyN
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("%s : %w", path, err)
	}
	return info, err
}
