package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	bolt "go.etcd.io/bbolt"

	"hypercerts/domain"
)

// HubEE files (attachments received, the PDF answered) live on disk, beside the base,
// never in it: a 100 MB attachment would otherwise be held in memory by a bbolt
// transaction and double the file (copy-on-write pages). Layout, under the directory
// of the base file:
//
//	hubee-files/
//	└── <case id>/            0700
//	    └── <escaped key>     0600 (written as <escaped key>.part, renamed once complete)
//
// Bases written before this layout kept files in the hubee_files bucket: they are
// still read from there. PurgeHubEECase removes both.

// HubEEFilesDir is the folder of the HubEE files of a base.
func (s *Store) HubEEFilesDir() string { return HubEEFilesDirOf(s.path) }

// HubEEFilesDirOf is the folder of the HubEE files of the base at path (backup and
// restore use it without opening the base).
func HubEEFilesDirOf(path string) string { return filepath.Join(filepath.Dir(path), "hubee-files") }

// hubeePath is where a file of a case is kept; the case id and the key are escaped
// into single path elements (no separator, no "..").
func (s *Store) hubeePath(caseID, key string) (dir, file string, err error) {
	if caseID == "" || key == "" {
		return "", "", fmt.Errorf("%w : fichier HubEE sans dossier ou sans nom", domain.ErrInvalid)
	}
	dir = filepath.Join(s.HubEEFilesDir(), escapeName(caseID))
	return dir, filepath.Join(dir, escapeName(key)), nil
}

// escapeName makes a name a safe single path element: '%' and '/' and leading dots
// are escaped as %XX.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c == '/' || c == '\\' || c == 0 || (c == '.' && i == 0) {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// HubEEFileWriter receives a file being downloaded. Nothing is visible under its key
// until Commit; Reset starts it again (a download retried after a digest mismatch);
// Abort drops it.
type HubEEFileWriter struct {
	f     *os.File
	final string
}

// CreateHubEEFile opens a file of a case for writing (domain.HubStore).
func (s *Store) CreateHubEEFile(caseID, key string) (domain.HubFileWriter, error) {
	dir, file, err := s.hubeePath(caseID, key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("fichier HubEE : %w", err)
	}
	part := file + ".part"
	_ = os.Remove(part) // a leftover of a crash
	// O_EXCL|O_NOFOLLOW: personal data never written through a planted symlink.
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("fichier HubEE : %w", err)
	}
	return &HubEEFileWriter{f: f, final: file}, nil
}

func (w *HubEEFileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

// Reset empties the file for a new attempt.
func (w *HubEEFileWriter) Reset() error {
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	_, err := w.f.Seek(0, io.SeekStart)
	return err
}

// Commit makes the file durable and visible under its key.
func (w *HubEEFileWriter) Commit() error {
	if err := w.f.Sync(); err != nil {
		_ = w.Abort()
		return err
	}
	if err := w.f.Close(); err != nil {
		_ = os.Remove(w.f.Name())
		return err
	}
	if err := os.Rename(w.f.Name(), w.final); err != nil {
		_ = os.Remove(w.f.Name())
		return err
	}
	if d, err := os.Open(filepath.Dir(w.final)); err == nil { // the rename itself durable
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Abort drops the file.
func (w *HubEEFileWriter) Abort() error {
	_ = w.f.Close()
	return os.Remove(w.f.Name())
}

// PutHubEEFile keeps a small file of a case (the PDF answered) under a key.
func (s *Store) PutHubEEFile(caseID, key string, data []byte) error {
	w, err := s.CreateHubEEFile(caseID, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Abort()
		return err
	}
	return w.Commit()
}

// OpenHubEEFile opens a file of a case for reading, with its size; domain.ErrNotFound
// if absent.
func (s *Store) OpenHubEEFile(caseID, key string) (io.ReadCloser, int64, error) {
	_, file, err := s.hubeePath(caseID, key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		data, lerr := s.legacyHubEEFile(caseID, key)
		if lerr != nil {
			return nil, 0, lerr
		}
		return io.NopCloser(strings.NewReader(string(data))), int64(len(data)), nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("fichier HubEE : %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// HubEEFile reads a whole file of a case; domain.ErrNotFound if absent.
func (s *Store) HubEEFile(caseID, key string) ([]byte, error) {
	r, _, err := s.OpenHubEEFile(caseID, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// legacyHubEEFile reads a file kept in the base by an earlier version.
func (s *Store) legacyHubEEFile(caseID, key string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketHubEEFiles, []byte(caseID))
		var v []byte
		if b != nil {
			v = b.Get([]byte(key))
		}
		if v == nil {
			return notFound("fichier HubEE", caseID+"/"+key)
		}
		out = append([]byte{}, v...)
		return nil
	})
	return out, err
}

// removeHubEEFiles deletes the files of a case on disk.
func (s *Store) removeHubEEFiles(caseID string) error {
	dir, _, err := s.hubeePath(caseID, "x")
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}
