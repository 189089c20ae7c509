package sim

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
)

// The generated database is cached (Options.CacheDir) so that `hypercerts --demo`
// does not generate the same 1,500 students at every start: the generator is
// deterministic, so its output depends only on the seed, the size, the signature key
// and the generator itself. The cache holds, per seed and size, the database file
// and a JSON sidecar saying what produced it and the file's SHA-256. Open reuses the
// file only if every one of those matches; otherwise it generates and replaces it.
// A cache that cannot be read or written is never an error: Open generates.

// sources is the generator itself: every file of this package (Go, SQL, anything
// added later), so that any change to it, even a test, invalidates the cache.
//
//go:embed *
var sources embed.FS

// cacheFormat changes when the sidecar's meaning changes.
const cacheFormat = 1

type cacheMeta struct {
	Format    int               `json:"format"`
	Generator string            `json:"generator"` // SHA-256 of the sources, Go and deps versions
	Seed      int64             `json:"seed"`
	Students  int               `json:"students"`
	KeyHash   string            `json:"key"` // SHA-256 of the signature key, never the key
	SHA256    string            `json:"sha256"`
	Cases     map[string]string `json:"cases"`
}

// generatorID identifies the generator: its sources, the Go version (math/rand/v2,
// the standard library) and the versions of the modules it uses.
var generatorID = sync.OnceValue(func() string {
	h := sha256.New()
	var names []string
	_ = fs.WalkDir(sources, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		data, _ := sources.ReadFile(n)
		fmt.Fprintf(h, "%s %d\n", n, len(data))
		h.Write(data)
	}
	fmt.Fprintln(h, runtime.Version())
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "golang.org/x/text", "modernc.org/sqlite":
				fmt.Fprintln(h, d.Path, d.Version, d.Sum)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
})

// cacheLocks holds one mutex per cache entry (its database path) of this process.
var cacheLocks sync.Map

func cacheLock(dbPath, _ string) *sync.Mutex {
	mu, _ := cacheLocks.LoadOrStore(dbPath, new(sync.Mutex))
	return mu.(*sync.Mutex)
}

func keyHash(key string) string {
	s := sha256.Sum256([]byte("hypercerts-sim-cache:" + key))
	return hex.EncodeToString(s[:])
}

func (a *Apogee) cachePaths() (db, meta string) {
	base := filepath.Join(a.opts.CacheDir, fmt.Sprintf("apogee-sim-seed%d-n%d", a.opts.Seed, a.opts.Students))
	return base + ".db", base + ".json"
}

func (a *Apogee) wantMeta() cacheMeta {
	return cacheMeta{Format: cacheFormat, Generator: generatorID(), Seed: a.opts.Seed,
		Students: a.opts.Students, KeyHash: keyHash(a.opts.SignatureKey)}
}

// loadCache copies a valid cached database to dst and returns its rule cases; ok is
// false when there is none or it does not match.
func (a *Apogee) loadCache(dst string) (cases map[string]string, ok bool) {
	dbPath, metaPath := a.cachePaths()
	raw, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, false
	}
	var m cacheMeta
	if json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	want := a.wantMeta()
	if m.Format != want.Format || m.Generator != want.Generator || m.Seed != want.Seed ||
		m.Students != want.Students || m.KeyHash != want.KeyHash || len(m.Cases) == 0 {
		return nil, false
	}
	sum, err := copyFile(dst, dbPath, sha256.New())
	if err != nil || sum != m.SHA256 { // truncated, damaged or replaced meanwhile
		os.Remove(dst)
		return nil, false
	}
	return m.Cases, true
}

// saveCache writes a standalone copy of the filled database (VACUUM INTO, so the WAL
// is folded in) and its sidecar, each by temporary file and rename: a reader never
// sees half a file, and two processes saving at once leave one whole pair.
func (a *Apogee) saveCache() error {
	if err := os.MkdirAll(a.opts.CacheDir, 0o700); err != nil {
		return err
	}
	dbPath, metaPath := a.cachePaths()
	tmp, err := os.CreateTemp(a.opts.CacheDir, ".apogee-sim-*.tmp")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	tmp.Close()
	os.Remove(tmpName) // VACUUM INTO wants to create the file itself
	defer os.Remove(tmpName)
	if _, err := a.db.Exec("VACUUM INTO ?", tmpName); err != nil {
		return err
	}
	if err := os.Chmod(tmpName, 0o600); err != nil { // generated people, still kept private
		return err
	}
	sum, err := hashFile(tmpName)
	if err != nil {
		return err
	}
	if err := os.Rename(tmpName, dbPath); err != nil {
		return err
	}
	m := a.wantMeta()
	m.SHA256, m.Cases = sum, a.cases
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmpMeta := metaPath + ".tmp"
	if err := os.WriteFile(tmpMeta, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmpMeta, metaPath)
}

// copyFile copies src to dst (created 0600, not through an existing file) and returns
// the hex digest of what it copied.
func copyFile(dst, src string, h hash.Hash) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, io.TeeReader(in, h))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
