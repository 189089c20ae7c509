// Package safefile creates the files hypercerts writes for an operator (CSV exports,
// attestations, backups, logs, mails, health): never through a symbolic link planted at
// the final name, never over an existing file unless asked, never half-written, and
// readable by the owner only when they hold personal data.
//
// A file is written to a temporary file created exclusively (O_EXCL) in the same folder,
// synced, then put in place: with os.Link when an existing file must be kept (the link
// fails if the name exists, atomically), with os.Rename when it may be replaced. Neither
// follows a symbolic link at the final name; a link there is refused anyway, so that the
// operator hears about it.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Mode of files holding personal data.
const Private fs.FileMode = 0o600

// ErrExists: the output exists and overwriting was not asked for (--force).
var ErrExists = errors.New("le fichier existe déjà : choisissez un autre nom ou ajoutez --force pour le remplacer")

// ErrSymlink: the output name is a symbolic link (possibly planted to redirect the write).
var ErrSymlink = errors.New("le nom donné est un lien symbolique : refusé (l'écriture irait ailleurs) ; donnez le chemin d'un vrai fichier")

// ErrNotRegular: the output name is a folder, a device or a pipe.
var ErrNotRegular = errors.New("le nom donné n'est pas un fichier ordinaire")

// Options say how an output may be created.
type Options struct {
	// Force allows replacing an existing regular file (never a symbolic link).
	Force bool
	// Mode of the final file (default Private).
	Mode fs.FileMode
}

// File is an output being written. Write to it, then Commit (puts it in place) or Abort.
// Name gives the temporary file's path (e.g. to check a backup before it is committed).
type File struct {
	*os.File
	final string
	opts  Options
	done  bool
}

// Create starts writing path. It refuses a symbolic link or a non-regular file at path,
// and an existing file unless o.Force.
func Create(path string, o Options) (*File, error) {
	if o.Mode == 0 {
		o.Mode = Private
	}
	if err := checkTarget(path, o.Force); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".partiel-*") // O_EXCL, 0600
	if err != nil {
		return nil, fmt.Errorf("%s : %w", path, err)
	}
	if err := f.Chmod(o.Mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("%s : %w", path, err)
	}
	return &File{File: f, final: path, opts: o}, nil
}

// Check says beforehand whether Create would accept path (a command checks its output
// before a long piece of work, not after).
func Check(path string, force bool) error { return checkTarget(path, force) }

// checkTarget refuses a symbolic link, a non-regular file, or (without force) any file.
func checkTarget(path string, force bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s : %w", path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s : %w", path, ErrSymlink)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s : %w", path, ErrNotRegular)
	case !force:
		return fmt.Errorf("%s : %w", path, ErrExists)
	}
	return nil
}

// Commit syncs the file and puts it at its final name.
func (f *File) Commit() error {
	if f.done {
		return errors.New("safefile : fichier déjà fermé")
	}
	f.done = true
	tmp := f.Name()
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.place(tmp)
	}
	os.Remove(tmp) // after a link (both names) or a failure; a no-op after a rename
	if err != nil {
		return err
	}
	syncDir(filepath.Dir(f.final))
	return nil
}

func (f *File) place(tmp string) error {
	if err := checkTarget(f.final, f.opts.Force); err != nil { // planted meanwhile
		return err
	}
	if f.opts.Force {
		if err := os.Rename(tmp, f.final); err != nil {
			return fmt.Errorf("%s : %w", f.final, err)
		}
		return nil
	}
	if err := os.Link(tmp, f.final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s : %w", f.final, ErrExists)
		}
		return fmt.Errorf("%s : %w", f.final, err)
	}
	return nil
}

// Abort drops the file (no-op after Commit).
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// Write creates path with what fill writes, as Create then Commit.
func Write(path string, o Options, fill func(io.Writer) error) error {
	f, err := Create(path, o)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// OpenAppend opens a log file for appending, creating it (mode 0600) if needed. It
// refuses a symbolic link, a non-regular file, a file with other hard links and a file
// owned by another user (who could read what is appended); an existing file of ours
// readable by others is made 0600.
func OpenAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s : %w", path, ErrSymlink)
		}
		return nil, fmt.Errorf("%s : %w", path, err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkOwned(path, fi)
	}
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		err = f.Chmod(0o600)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func checkOwned(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s : %w", path, ErrNotRegular)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if st.Nlink > 1 {
		return fmt.Errorf("%s : le fichier a d'autres liens physiques : refusé (il pourrait être lu ailleurs)", path)
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s : le fichier appartient à un autre utilisateur (uid %d) : refusé ; supprimez-le ou choisissez un autre nom", path, st.Uid)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
