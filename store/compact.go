package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize bounds each write transaction of the copy (bbolt.Compact commits every
// so many bytes) so that a large base does not need its size again in memory.
const compactTxSize = 16 << 20

// Compact rewrites the base into a new file holding only the live data, then puts it in
// place of the old one with an atomic rename. Deleting keys in bbolt only frees pages:
// their old bytes (a purged student's name, e-mail, INE) stay in the file, and in every
// backup copied from it, until the pages are reused. After Compact they are gone.
//
// It is safe while the base is in use (the daemon calls it after its purge): every
// transaction of this process waits for it, and the file lock is never let go, since
// the new file is locked from its creation and only then renamed over the old one.
// On failure the old file stays in use, unchanged.
func (s *Store) Compact() error {
	if s.readOnly {
		return fmt.Errorf("base %s ouverte en lecture seule : compactage impossible", s.path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.path)+".compactage-*") // mode 0600
	if err != nil {
		return fmt.Errorf("compactage de %s : %w", s.path, err)
	}
	name := tmp.Name()
	tmp.Close()
	fail := func(err error) error {
		os.Remove(name)
		return fmt.Errorf("compactage de %s (la base reste telle quelle) : %w", s.path, err)
	}
	dst, err := bolt.Open(name, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fail(err)
	}
	if err := compactInto(dst, s.db); err != nil {
		dst.Close()
		return fail(err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return fail(err)
	}
	fi, err := os.Lstat(name)
	if err != nil {
		dst.Close()
		return fail(err)
	}
	if err := os.Rename(name, s.path); err != nil {
		dst.Close()
		return fail(err)
	}
	syncDir(dir)
	old := s.db
	s.db, s.file = dst, fi
	if err := old.Close(); err != nil {
		return fmt.Errorf("compactage de %s : fermeture de l'ancien fichier : %w", s.path, err)
	}
	return nil
}

// compactInto copies src into dst, turning a bbolt panic on a damaged page into an error.
func compactInto(dst, src *bolt.DB) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w : page endommagée (%v)", ErrCorrupt, r)
		}
	}()
	return bolt.Compact(dst, src, compactTxSize)
}

// RestoreCopySuffix marks the copy of the replaced base that restore keeps beside the
// store: store.path + RestoreCopySuffix + "20060102-150405".
const RestoreCopySuffix = ".avant-restauration-"

const restoreCopyLayout = "20060102-150405"

// RestoreCopyName is the name of the copy restore keeps of the base it replaces at t.
func RestoreCopyName(storePath string, t time.Time) string {
	return storePath + RestoreCopySuffix + t.Format(restoreCopyLayout)
}

// PruneRestoreCopies removes the copies kept by restore that were made before limit:
// they hold the personal data of their time and follow the same retention as the base.
// It returns the removed files, sorted.
func (s *Store) PruneRestoreCopies(limit time.Time) ([]string, error) {
	return PruneRestoreCopies(s.path, limit)
}

// PruneRestoreCopies is Store.PruneRestoreCopies for a base path. The hubee-files/
// folders restore kept (HubEEFilesDirOf + RestoreCopySuffix + date) go the same way.
func PruneRestoreCopies(storePath string, limit time.Time) ([]string, error) {
	var removed []string
	var errs []error
	for _, base := range []string{storePath, HubEEFilesDirOf(storePath)} {
		r, err := pruneCopies(base, limit)
		removed = append(removed, r...)
		errs = append(errs, err)
	}
	sort.Strings(removed)
	return removed, errors.Join(errs...)
}

func pruneCopies(storePath string, limit time.Time) ([]string, error) {
	matches, err := filepath.Glob(globEscape(storePath) + RestoreCopySuffix + "*")
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, m := range matches {
		stamp := strings.TrimSuffix(strings.TrimPrefix(m, storePath+RestoreCopySuffix), JournalSuffix) // a kept journal goes with its base
		at, err := time.ParseInLocation(restoreCopyLayout, stamp, time.Local)
		if err != nil {
			// Not one of ours by name (e.g. a ".partiel" left by a crash): judge by its age.
			fi, serr := os.Lstat(m)
			if serr != nil {
				continue
			}
			at = fi.ModTime()
		}
		if !at.Before(limit) {
			continue
		}
		if err := os.RemoveAll(m); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, m)
	}
	return removed, errors.Join(errs...)
}

// globEscape quotes the glob metacharacters of a literal path.
func globEscape(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(p)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
