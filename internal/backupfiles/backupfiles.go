// Package backupfiles carries the HubEE files (the hubee-files/ folder beside the
// store) inside a backup while keeping the backup a single file whose beginning is the
// store, byte for byte as before:
//
//	[store copy: bbolt file, unchanged] [tar of hubee-files/] [trailer: 8-byte big-endian
//	length of the store copy, then the 8-byte magic "HCFILES1"]
//
// A backup without HubEE files has no tar and no trailer: it is exactly the store copy,
// as backups were before, and older backups restore unchanged. bbolt ignores bytes past
// its last page, so the backup still opens as a base. The tar part is standard (ustar):
// `tail -c +$((STORE_LEN+1)) FILE | head -c -16 | tar -t` lists it.
package backupfiles

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"hypercerts/internal/safefile"
)

// Magic ends a backup that carries files.
const Magic = "HCFILES1"

const trailerLen = 16

// Append writes the files under dir (regular files, two levels: case folder, file) as
// a tar after the storeLen bytes of store already written to w, then the trailer. It
// writes nothing when dir is missing or holds no file. Files being downloaded (*.part)
// are left out; a file removed while the backup runs (purge) is skipped.
func Append(w io.Writer, storeLen int64, dir string) (files int, err error) {
	var tw *tar.Writer
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() || strings.HasSuffix(p, ".part") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if tw == nil {
			tw = tar.NewWriter(w)
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: filepath.ToSlash(rel), Size: fi.Size(), Mode: 0o600,
			ModTime: fi.ModTime().Truncate(1e9), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.CopyN(tw, f, fi.Size()); err != nil {
			return fmt.Errorf("%s : %w", rel, err)
		}
		files++
		return nil
	})
	if err != nil || tw == nil {
		return files, err
	}
	if err := tw.Close(); err != nil {
		return files, err
	}
	var tr [trailerLen]byte
	binary.BigEndian.PutUint64(tr[:8], uint64(storeLen))
	copy(tr[8:], Magic)
	_, err = w.Write(tr[:])
	return files, err
}

// Split says where the store copy ends in the backup file f of the given size, and
// gives the tar part (nil when the backup carries no files).
func Split(f io.ReaderAt, size int64) (storeLen int64, files *io.SectionReader, err error) {
	if size < trailerLen {
		return size, nil, nil
	}
	var tr [trailerLen]byte
	if _, err := f.ReadAt(tr[:], size-trailerLen); err != nil {
		return 0, nil, err
	}
	if !bytes.Equal(tr[8:], []byte(Magic)) {
		return size, nil, nil
	}
	n := binary.BigEndian.Uint64(tr[:8])
	if n == 0 || n > uint64(size-trailerLen) {
		return 0, nil, fmt.Errorf("sauvegarde abîmée : longueur de la base %d hors du fichier (%d octets)", n, size)
	}
	return int64(n), io.NewSectionReader(f, int64(n), size-trailerLen-int64(n)), nil
}

// Extract writes the tar r into dir (created 0700; it must not exist yet), each file
// 0600, created exclusively and never through a symbolic link. Only "case/file" names
// are accepted: no absolute path, no "..", no link or device.
func Extract(r io.Reader, dir string) (files int, err error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return 0, err
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return files, fmt.Errorf("fichiers HubEE de la sauvegarde : %w", err)
		}
		parts := strings.Split(hdr.Name, "/")
		if hdr.Typeflag != tar.TypeReg || len(parts) != 2 || !fs.ValidPath(hdr.Name) ||
			parts[0] == "." || parts[0] == ".." || parts[1] == "." || parts[1] == ".." {
			return files, fmt.Errorf("fichiers HubEE de la sauvegarde : entrée refusée %q", hdr.Name)
		}
		sub := filepath.Join(dir, parts[0])
		if err := os.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return files, err
		}
		if fi, err := os.Lstat(sub); err != nil || !fi.IsDir() {
			return files, fmt.Errorf("fichiers HubEE de la sauvegarde : %s n'est pas un dossier", sub)
		}
		err = safefile.Write(filepath.Join(sub, parts[1]), safefile.Options{}, func(w io.Writer) error {
			_, err := io.Copy(w, tr)
			return err
		})
		if err != nil {
			return files, fmt.Errorf("fichiers HubEE de la sauvegarde : %s : %w", hdr.Name, err)
		}
		files++
	}
}
