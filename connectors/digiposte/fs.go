package digiposte

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"

	"github.com/pkg/sftp"
)

// remoteFS is the little the exchange needs from a file system: the SFTP server, or a
// local folder (demo, simulator). Paths are slash-separated and relative to the base.
type remoteFS interface {
	Create(name string) (io.WriteCloser, error) // truncates an existing file
	Open(name string) (readFile, error)
	Stat(name string) (fs.FileInfo, error)
	ReadDir(dir string) ([]fs.FileInfo, error)
	Rename(from, to string) error // replaces to when it exists
	Remove(name string) error
	MkdirAll(dir string) error
	// Free is the space left for dir, when the server can say (for "disk full").
	Free(dir string) (uint64, bool)
}

type readFile interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Stat() (fs.FileInfo, error)
}

// localFS is a folder on this machine.
type localFS struct{ base string }

func (l localFS) p(name string) string { return filepath.Join(l.base, filepath.FromSlash(name)) }

func (l localFS) Create(name string) (io.WriteCloser, error) {
	return os.OpenFile(l.p(name), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
}
func (l localFS) Open(name string) (readFile, error)        { return os.Open(l.p(name)) }
func (l localFS) Stat(name string) (fs.FileInfo, error)     { return os.Stat(l.p(name)) }
func (l localFS) Rename(from, to string) error              { return os.Rename(l.p(from), l.p(to)) }
func (l localFS) Remove(name string) error                  { return os.Remove(l.p(name)) }
func (l localFS) MkdirAll(dir string) error                 { return os.MkdirAll(l.p(dir), 0o750) }
func (l localFS) ReadDir(dir string) ([]fs.FileInfo, error) { return readDirInfo(l.p(dir)) }

func (l localFS) Free(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(l.p(dir), &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}

func readDirInfo(dir string) ([]fs.FileInfo, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]fs.FileInfo, 0, len(ents))
	for _, e := range ents {
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // gone meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	return out, nil
}

// sftpFS is the remote folder base on an SFTP server.
type sftpFS struct {
	c     *sftp.Client
	base  string
	posix bool // server has posix-rename@openssh.com (atomic replace)
}

func newSFTPFS(c *sftp.Client, base string) *sftpFS {
	_, posix := c.HasExtension("posix-rename@openssh.com")
	return &sftpFS{c: c, base: base, posix: posix}
}

func (s *sftpFS) p(name string) string {
	if s.base == "" {
		return name
	}
	return path.Join(s.base, name)
}

func (s *sftpFS) Create(name string) (io.WriteCloser, error) {
	return s.c.OpenFile(s.p(name), os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
}

func (s *sftpFS) Open(name string) (readFile, error)        { return s.c.Open(s.p(name)) }
func (s *sftpFS) Stat(name string) (fs.FileInfo, error)     { return s.c.Stat(s.p(name)) }
func (s *sftpFS) ReadDir(dir string) ([]fs.FileInfo, error) { return s.c.ReadDir(s.p(dir)) }
func (s *sftpFS) Remove(name string) error                  { return s.c.Remove(s.p(name)) }
func (s *sftpFS) MkdirAll(dir string) error                 { return s.c.MkdirAll(s.p(dir)) }

func (s *sftpFS) Rename(from, to string) error {
	if s.posix {
		return s.c.PosixRename(s.p(from), s.p(to))
	}
	// Plain SFTP rename refuses an existing target: remove it first. Callers only
	// replace files that are theirs (archived returns), never a final drop.
	if err := s.c.Remove(s.p(to)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return s.c.Rename(s.p(from), s.p(to))
}

func (s *sftpFS) Free(dir string) (uint64, bool) {
	if _, ok := s.c.HasExtension("statvfs@openssh.com"); !ok {
		return 0, false
	}
	st, err := s.c.StatVFS(s.p(dir))
	if err != nil {
		return 0, false
	}
	return st.FreeSpace(), true
}
