package control

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"hypercerts/store"
)

// ErrNotAStore: the file is not a hypercerts base (not bbolt, or no hypercerts root).
var ErrNotAStore = errors.New("ce fichier n'est pas une base hypercerts")

// FileInfo describes a base file (a backup, or the store itself when nobody holds it).
type FileInfo struct {
	Schema    int   // schema version (store.SchemaVersion for this build)
	Campaigns int   // campaigns it holds
	Size      int64 // bytes
	Created   string
}

// Inspect opens path read-only and checks that it is a hypercerts base this build can
// read: bbolt's checks, the versioned root bucket, the schema version. It changes
// nothing in the file. A file held by a running daemon gives store.ErrInUse.
func Inspect(path string) (info FileInfo, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return info, err
	}
	if st.IsDir() {
		return info, fmt.Errorf("%w : %s est un dossier", ErrNotAStore, path)
	}
	info.Size = st.Size()
	defer func() { // bbolt panics on some damaged files
		if r := recover(); r != nil {
			err = fmt.Errorf("%w : %s illisible (%v)", ErrNotAStore, path, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return info, fmt.Errorf("%w : %s", store.ErrInUse, path)
		}
		return info, fmt.Errorf("%w : %s (%v)", ErrNotAStore, path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(store.RootBucket())
		if root == nil {
			return fmt.Errorf("%w : %s n'a pas de racine %q", ErrNotAStore, path, store.RootBucket())
		}
		meta := root.Bucket([]byte("meta"))
		if meta == nil {
			return fmt.Errorf("%w : %s sans métadonnées", ErrNotAStore, path)
		}
		n, err := strconv.Atoi(string(meta.Get([]byte("schema"))))
		if err != nil {
			return fmt.Errorf("%w : %s, version de schéma illisible", ErrNotAStore, path)
		}
		if n > store.SchemaVersion {
			return fmt.Errorf("%w (schéma %d, cette version connaît le schéma %d)", store.ErrSchema, n, store.SchemaVersion)
		}
		info.Schema = n
		info.Created = string(meta.Get([]byte("created")))
		if c := root.Bucket([]byte("campaigns")); c != nil {
			info.Campaigns = c.Stats().KeyN
		}
		var problems []error
		for e := range tx.Check() {
			if len(problems) < 5 {
				problems = append(problems, e)
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("%w : %s endommagé : %v", ErrNotAStore, path, errors.Join(problems...))
		}
		return nil
	})
	return info, err
}
