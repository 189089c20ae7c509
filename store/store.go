// Package store keeps hypercerts' campaigns, their per-student entries and their audit
// logs in one bbolt file. It implements domain.Store.
//
// The bucket tree (schema version 1):
//
//	v1                              versioned root bucket
//	├── meta                        schema → "1", created → RFC 3339 time
//	├── campaigns                   <campaign id> → JSON domain.Campaign
//	├── campaign_order              <8-byte big-endian sequence> → <campaign id>
//	│                               (creation order: newest first = cursor from Last)
//	├── entries
//	│   └── <campaign id>           <student code> → JSON domain.Entry
//	├── audit
//	│   └── <campaign id>           <8-byte big-endian sequence> → JSON domain.AuditRecord
//	├── attestations                <reference> → JSON domain.IssuedAttestation (attestation.go)
//	├── revocations                 <reference> → JSON domain.Revocation
//	├── attestation_keys            "current" → key id, "k/<key id>" → JSON keyRecord
//	├── hubee_cases                 <case id> → JSON domain.HubEECase (hubee.go)
//	├── hubee_files                 (bases of earlier versions only)
//	│   └── <case id>               <file key> → bytes
//	├── rights                      <user code> → JSON {components, at} (rights.go)
//	└── health                      <job name> → JSON daemon.Health (health.go)
//
// The buckets after audit are created on first write. Only this package imports
// bbolt: the rest of hypercerts goes through Store's methods (an arch test checks it).
//
// bbolt takes an exclusive lock on the file: one process owns it (the daemon when it
// runs). Open waits a short time for the lock, then fails with ErrInUse.
package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"hypercerts/domain"
)

// SchemaVersion is the layout this code reads and writes.
const SchemaVersion = 1

// Bucket keys. Every top-level bucket of the tree above is created at Open.
var (
	bucketRoot          = []byte("v1")
	bucketMeta          = []byte("meta")
	bucketCampaigns     = []byte("campaigns")
	bucketCampaignOrder = []byte("campaign_order")
	bucketEntries       = []byte("entries")
	bucketAudit         = []byte("audit")

	keySchema     = []byte("schema")
	keyCreated    = []byte("created")
	keyID         = []byte("id")          // 16 random bytes: which base a journal continues
	keyJournalSeq = []byte("journal_seq") // the last journal record copied into the base
)

// Sentinel errors.
var (
	// ErrInUse: another process (or another Open in this one) holds the file.
	ErrInUse = errors.New("base déjà utilisée par un autre processus hypercerts (démon ?)")
	// ErrSchema: the file was written by a newer hypercerts.
	ErrSchema = errors.New("base écrite par une version plus récente de hypercerts")
	// ErrCorrupt: the file is not a readable hypercerts base.
	ErrCorrupt = errors.New("base illisible ou corrompue")
	// ErrMissing: a read-only open found no file (it never creates one).
	ErrMissing = errors.New("base absente")
	// ErrSymlink: store.path is a symbolic link. The base holds personal data and the
	// attestations' signing key: it is never opened through a link (one planted there
	// would send them elsewhere).
	ErrSymlink = errors.New("la base est un lien symbolique : refusé (les données et la clé de signature des attestations iraient ailleurs) ; mettez le chemin du vrai fichier dans store.path")
)

// initialMmapSize is the address space bbolt maps when it opens a base for writing
// (address space only: pages are read, and count in memory, as they are touched).
// bbolt maps a new base with 32 KB and doubles the mapping whenever the file outgrows
// it; each remap inside a write transaction copies every key and value that
// transaction touched out of the old mapping (Bucket.dereference): a launch storing
// its students did so at 64 KB, 128 KB, … the size of its entries. Below 64 MB no
// remap happens. The price: bbolt then grows the file by 16 MB at a time
// (AllocSize, as it already does for any base over 16 MB), so a new base's file is
// 16 MB long, mostly a hole on disk; backups copy the data only (Tx.WriteTo).
const initialMmapSize = 64 << 20

// DefaultTimeout is how long Open waits for the file lock when given no timeout.
const DefaultTimeout = time.Second

// wayOut tells the operator what to do with a damaged base.
const wayOut = "la base n'a pas été modifiée ; arrêtez hypercerts (démon compris) et restaurez la dernière sauvegarde : hypercerts restore FICHIER_DE_SAUVEGARDE"

// Store is the bbolt implementation of domain.Store.
type Store struct {
	// mu is held shared by every transaction and exclusively by Compact, which swaps db
	// for the compacted file while the daemon keeps serving.
	mu       sync.RWMutex
	db       *bolt.DB
	path     string
	readOnly bool
	w        *committer  // campaign writes, committed in groups (commit.go)
	file     os.FileInfo // the file db has open: is it still the one at path?
}

var _ domain.Store = (*Store)(nil)

// Open opens (or creates, mode 0600) the base at path. If another process holds it,
// Open gives up after timeout (DefaultTimeout when ≤ 0) with ErrInUse; it never blocks
// forever. A file from a newer schema gives ErrSchema, a damaged one ErrCorrupt. An
// existing empty (0-byte) file is damage, not a new base: it is never re-created.
func Open(path string, timeout time.Duration) (*Store, error) {
	return open(path, timeout, false)
}

// OpenReadOnly opens an existing base for commands that only read: nothing is written to
// the file (not even the schema), a missing file gives ErrMissing. It shares the lock
// with other readers and waits, like Open, for a writer (the daemon) to let go.
func OpenReadOnly(path string, timeout time.Duration) (*Store, error) {
	return open(path, timeout, true)
}

func open(path string, timeout time.Duration, readOnly bool) (s *Store, err error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	fi, statErr := os.Stat(path)
	switch {
	case statErr == nil && fi.IsDir():
		return nil, fmt.Errorf("%w : %s est un dossier, pas une base", ErrCorrupt, path)
	case statErr == nil && fi.Size() == 0:
		// bbolt would silently initialise it: an emptied base must not become a new one.
		return nil, corrupt(path, "fichier vide (0 octet)")
	case errors.Is(statErr, fs.ErrNotExist) && readOnly:
		return nil, fmt.Errorf("%w : %s n'existe pas (vérifiez store.path ; le démon la crée à son premier démarrage)", ErrMissing, path)
	}
	if statErr == nil {
		if have, want := fileSizes(path); have < want {
			// bbolt would fault on the missing pages (or say "file size too small").
			return nil, corrupt(path, fmt.Sprintf("fichier tronqué : %d octets sur %d", have, want))
		}
	}
	var db *bolt.DB
	defer func() { // bbolt panics on some damaged files instead of returning an error
		if r := recover(); r != nil {
			if db != nil {
				db.Close() // the lock too: a later open in this process must not find it held
			}
			s, err = nil, corrupt(path, "structure endommagée")
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var file *os.File // the file bbolt opened (and locks)
	openFile := privateOpen(readOnly)
	opts := &bolt.Options{Timeout: timeout, ReadOnly: readOnly,
		OpenFile: func(name string, flag int, perm os.FileMode) (f *os.File, err error) {
			f, err = openFile(name, flag, perm)
			file = f
			return f, err
		}}
	if !readOnly {
		opts.InitialMmapSize = initialMmapSize
	}
	for tries := 1; ; tries++ {
		db, err = bolt.Open(path, 0o600, opts)
		if err != nil {
			if errors.Is(err, syscall.ELOOP) {
				return nil, fmt.Errorf("%s : %w", path, ErrSymlink)
			}
			return nil, openError(path, err)
		}
		// The lock is on the file opened, which a rename may have replaced meanwhile
		// (Compact, restore): its holder then let go of a file no longer at path. Its
		// journal, named after path, is not this one's: open the file there now.
		if lockedAtPath(file, path) {
			break
		}
		db.Close()
		if tries == 3 {
			return nil, fmt.Errorf("%w : %s remplacée pendant l'ouverture (compactage ou restauration en cours)", ErrInUse, path)
		}
	}
	if readOnly {
		err = db.View(func(tx *bolt.Tx) error { return checkSchema(tx, true) })
	} else {
		err = db.Update(initSchema)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("base %s : %w", path, err)
	}
	st := &Store{db: db, path: path, readOnly: readOnly}
	if st.file, err = file.Stat(); err != nil {
		db.Close()
		return nil, fmt.Errorf("base %s : %w", path, err)
	}
	var (
		j   *journal
		id  []byte
		seq uint64
	)
	if readOnly {
		err = st.checkNoJournalLeft()
	} else {
		j, id, seq, err = st.recoverJournal()
	}
	if err != nil {
		db.Close()
		if readOnly && errors.Is(err, errJournalLeft) {
			return openAfterReplay(path, timeout)
		}
		return nil, err
	}
	st.w = newCommitter(st.update, st.viewBase, st.atPath, j, id, seq)
	return st, nil
}

// lockedAtPath tells whether the file bbolt opened (and locked) is still the one at path.
func lockedAtPath(f *os.File, path string) bool {
	if f == nil {
		return false
	}
	locked, err1 := f.Stat()
	now, err2 := os.Lstat(path)
	return err1 == nil && err2 == nil && os.SameFile(locked, now)
}

// privateOpen opens the base file for bbolt: never through a symbolic link
// (O_NOFOLLOW, atomic with the open), created 0600, and an existing base that others
// may read (an old install, a copy made with a wide umask) is made 0600 when opened
// for writing: it holds personal data and the signing key.
func privateOpen(readOnly bool) func(string, int, os.FileMode) (*os.File, error) {
	return func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag|syscall.O_NOFOLLOW, perm)
		if err != nil || readOnly {
			return f, err
		}
		fi, err := f.Stat()
		if err == nil && fi.Mode().Perm()&0o077 != 0 {
			err = f.Chmod(0o600)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
}

// fileSizes reads the bbolt meta pages of path (layout of go.etcd.io/bbolt's
// internal/common: a 16-byte page header, then magic, version, page size, flags, root,
// freelist, high-water page id, txid) and gives the file's size and the size its newest
// valid meta page says it has. want is 0 when the header cannot be read: bbolt judges.
func fileSizes(path string) (have, want int64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0
	}
	have = fi.Size()
	const magic = 0xED0CDAED
	read := func(off int64) (pageSize uint32, pgid, txid uint64, ok bool) {
		var b [72]byte
		if _, err := f.ReadAt(b[:], off); err != nil {
			return 0, 0, 0, false
		}
		if binary.LittleEndian.Uint32(b[16:]) != magic {
			return 0, 0, 0, false
		}
		return binary.LittleEndian.Uint32(b[24:]), binary.LittleEndian.Uint64(b[56:]), binary.LittleEndian.Uint64(b[64:]), true
	}
	ps, pgid, txid, ok := read(0)
	if !ok || ps < 512 || ps > 1<<20 {
		return have, 0
	}
	if ps1, pgid1, txid1, ok1 := read(int64(ps)); ok1 && ps1 == ps && txid1 > txid {
		pgid = pgid1
	}
	if pgid > 1<<40 {
		return have, 0
	}
	return have, int64(pgid) * int64(ps)
}

// openError says in French why bbolt refused the file, and what to do.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%w : %s ; connectez-vous au démon (ssh -p 2222 serveur) ou arrêtez-le avant de relancer", ErrInUse, path)
	case errors.Is(err, berrors.ErrInvalid):
		return corrupt(path, "en-tête invalide : ce n'est pas une base bbolt")
	case errors.Is(err, berrors.ErrChecksum):
		return corrupt(path, "somme de contrôle des métadonnées fausse")
	case errors.Is(err, berrors.ErrVersionMismatch):
		return corrupt(path, "version de format bbolt inconnue")
	case strings.Contains(err.Error(), "file size too small"):
		return corrupt(path, "fichier tronqué")
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("ouverture de la base %s : droits insuffisants (le service doit tourner sous le compte propriétaire du fichier, mode 0600)", path)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("ouverture de la base %s : dossier absent (créez le dossier de store.path)", path)
	}
	return corrupt(path, "illisible")
}

// corrupt builds the ErrCorrupt message: which file, what is wrong, the way out.
func corrupt(path, why string) error {
	return fmt.Errorf("%w : %s (%s) ; %s", ErrCorrupt, path, why, wayOut)
}

// initSchema checks the schema version and creates every top-level bucket.
func initSchema(tx *bolt.Tx) error {
	if err := checkSchema(tx, false); err != nil {
		return err
	}
	root, err := tx.CreateBucketIfNotExists(bucketRoot)
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketMeta, bucketCampaigns, bucketCampaignOrder, bucketEntries, bucketAudit} {
		if _, err := root.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := root.Bucket(bucketMeta)
	if meta.Get(keyID) == nil { // a base of an earlier version gets one at its first opening
		id := make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return err
		}
		if err := meta.Put(keyID, id); err != nil {
			return err
		}
	}
	if v := meta.Get(keySchema); v != nil {
		return nil
	}
	if err := meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
		return err
	}
	return meta.Put(keyCreated, []byte(time.Now().UTC().Format(time.RFC3339)))
}

// checkSchema is the check every opening makes (read-write, read-only, a restore's
// candidate): no root bucket of a newer layout, a readable schema version this build
// knows. mustExist: the hypercerts root must be there (read-only, candidates); a base
// being created has none yet, but a bbolt file holding only foreign buckets is refused.
func checkSchema(tx *bolt.Tx, mustExist bool) error {
	foreign := false
	if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		v, ok := rootVersion(name)
		if ok && v > SchemaVersion {
			return fmt.Errorf("%w (schéma %d, cette version connaît le schéma %d) : mettez hypercerts à jour", ErrSchema, v, SchemaVersion)
		}
		foreign = foreign || !ok
		return nil
	}); err != nil {
		return err
	}
	root := tx.Bucket(bucketRoot)
	if root == nil {
		if mustExist || foreign {
			return fmt.Errorf("%w : pas de racine %q, ce n'est pas une base hypercerts", ErrCorrupt, bucketRoot)
		}
		return nil
	}
	meta := root.Bucket(bucketMeta)
	if meta == nil {
		if mustExist {
			return fmt.Errorf("%w : base sans métadonnées ; %s", ErrCorrupt, wayOut)
		}
		return nil
	}
	v := meta.Get(keySchema)
	if v == nil {
		if mustExist {
			return fmt.Errorf("%w : version de schéma absente ; %s", ErrCorrupt, wayOut)
		}
		return nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return fmt.Errorf("%w : version de schéma %q illisible ; %s", ErrCorrupt, v, wayOut)
	}
	if n > SchemaVersion {
		return fmt.Errorf("%w (schéma %d, cette version connaît le schéma %d) : mettez hypercerts à jour", ErrSchema, n, SchemaVersion)
	}
	return nil
}

func rootVersion(name []byte) (int, bool) {
	if len(name) < 2 || name[0] != 'v' {
		return 0, false
	}
	n, err := strconv.Atoi(string(name[1:]))
	return n, err == nil
}

// Close commits the writes already queued, then releases the file.
func (s *Store) Close() error {
	s.w.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Close()
}

// atPath tells whether the base's path still names the file it has open.
func (s *Store) atPath() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fi, err := os.Lstat(s.path)
	return err == nil && os.SameFile(fi, s.file)
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// ReadOnly tells whether the base was opened by OpenReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// view runs fn in a read transaction, once the journaled writes are in the base (it
// then sees every write already acknowledged). A damaged page makes bbolt panic (or
// fault, on a page the file lacks: SetPanicOnFault turns that into a panic too): that
// becomes ErrCorrupt naming the file and the way out, never a crash.
func (s *Store) view(fn func(*bolt.Tx) error) (err error) {
	if err := s.w.settle(); err != nil {
		return err
	}
	return s.viewBase(fn)
}

// viewBase is view without settling the journal: the base as it is.
func (s *Store) viewBase(fn func(*bolt.Tx) error) (err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	defer s.recoverDamage(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.View(fn)
}

// update runs fn in a write transaction (see view for damaged files).
func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.readOnly {
		return fmt.Errorf("base %s ouverte en lecture seule : modification refusée", s.path)
	}
	defer s.recoverDamage(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.Update(fn)
}

func (s *Store) recoverDamage(err *error) {
	if r := recover(); r != nil {
		*err = corrupt(s.path, fmt.Sprintf("page endommagée : %v", r))
	}
}

// WriteTo writes a consistent copy of the whole base to w (a backup that bbolt opens
// as is), from one read transaction: writers are not blocked.
func (s *Store) WriteTo(w io.Writer) (n int64, err error) {
	return s.CopyTo(w, nil)
}

// CopyTo is WriteTo telling size, before the first byte, how many bytes the copy has
// (an HTTP Content-Length, for instance); size may be nil.
func (s *Store) CopyTo(w io.Writer, size func(int64)) (n int64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		if size != nil {
			size(tx.Size())
		}
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// getBucket walks the tree from the root; nil when a bucket is missing.
func getBucket(tx *bolt.Tx, keys ...[]byte) *bolt.Bucket {
	b := tx.Bucket(bucketRoot)
	for _, k := range keys {
		if b == nil {
			return nil
		}
		b = b.Bucket(k)
	}
	return b
}

// createBucketIfNotExists walks the tree from the root, creating what is missing.
func createBucketIfNotExists(tx *bolt.Tx, keys ...[]byte) (*bolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists(bucketRoot)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if b, err = b.CreateBucketIfNotExists(k); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func seqKey(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// newID is "20261123-121700-LMATH-201": sortable by time, readable on a command line.
func newID(c *domain.Campaign) string {
	at := c.CreatedAt
	if at.IsZero() {
		at = time.Now()
	}
	id := at.Format("20060102-150405")
	if v := strings.Trim(unsafeID.ReplaceAllString(c.VDI.Dip+"-"+c.VDI.Version, "_"), "-_"); v != "" {
		id += "-" + v
	}
	return id
}

func notFound(what, id string) error {
	return fmt.Errorf("%s %s : %w", what, id, domain.ErrNotFound)
}

// CreateCampaign stores a new campaign, assigns its ID and creates its entry and audit
// buckets.
func (s *Store) CreateCampaign(c *domain.Campaign) error {
	return s.w.update(func(tx *bolt.Tx) error {
		campaigns := getBucket(tx, bucketCampaigns)
		base := newID(c)
		id := base
		for n := 2; campaigns.Get([]byte(id)) != nil; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		order := getBucket(tx, bucketCampaignOrder)
		seq, err := order.NextSequence()
		if err != nil {
			return err
		}
		if err := order.Put(seqKey(seq), []byte(id)); err != nil {
			return err
		}
		if _, err := createBucketIfNotExists(tx, bucketEntries, []byte(id)); err != nil {
			return err
		}
		if _, err := createBucketIfNotExists(tx, bucketAudit, []byte(id)); err != nil {
			return err
		}
		cc := *c
		cc.ID = id
		if err := putJSON(campaigns, []byte(id), cc); err != nil {
			return err
		}
		c.ID = id
		return nil
	})
}

// UpdateCampaign replaces a stored campaign.
func (s *Store) UpdateCampaign(c domain.Campaign) error {
	return s.w.update(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketCampaigns)
		if b.Get([]byte(c.ID)) == nil {
			return notFound("campagne", c.ID)
		}
		return putJSON(b, []byte(c.ID), c)
	})
}

// Campaign reads one campaign; domain.ErrNotFound if absent.
func (s *Store) Campaign(id string) (domain.Campaign, error) {
	var c domain.Campaign
	err := s.view(func(tx *bolt.Tx) error {
		v := getBucket(tx, bucketCampaigns).Get([]byte(id))
		if v == nil {
			return notFound("campagne", id)
		}
		return getJSON(v, &c) // decoding copies out of the transaction
	})
	return c, err
}

// Campaigns lists every campaign, newest first.
func (s *Store) Campaigns() ([]domain.Campaign, error) {
	var list []domain.Campaign
	err := s.view(func(tx *bolt.Tx) error {
		campaigns := getBucket(tx, bucketCampaigns)
		cur := getBucket(tx, bucketCampaignOrder).Cursor()
		for k, id := cur.Last(); k != nil; k, id = cur.Prev() {
			v := campaigns.Get(id)
			if v == nil {
				continue
			}
			var c domain.Campaign
			if err := getJSON(v, &c); err != nil {
				return err
			}
			list = append(list, c)
		}
		return nil
	})
	return list, err
}

// PutEntries writes (creates or replaces) entries of a campaign, keyed by student code,
// all in one transaction.
func (s *Store) PutEntries(campaignID string, entries []domain.Entry) error {
	return s.PutEntriesAsync(campaignID, entries)()
}

var _ domain.AsyncEntryWriter = (*Store)(nil)

// PutEntriesAsync queues the write PutEntries does and returns at once; wait blocks
// until the write is durable and gives its outcome. The entries are encoded before
// it returns: the caller may change them right away.
func (s *Store) PutEntriesAsync(campaignID string, entries []domain.Entry) (wait func() error) {
	fail := func(err error) func() error { return func() error { return err } }
	keys, values := make([][]byte, len(entries)), make([][]byte, len(entries))
	for i := range entries { // encoded here, in parallel, not in the single writer
		if entries[i].Student.Code == "" {
			return fail(fmt.Errorf("campagne %s : entrée sans code étudiant", campaignID))
		}
		v, err := encodeEntry(&entries[i])
		if err != nil {
			return fail(err)
		}
		keys[i], values[i] = []byte(entries[i].Student.Code), v
	}
	put := &entryPut{campaign: campaignID, keys: keys, values: values}
	r := s.w.queueReq(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketEntries, []byte(campaignID))
		if b == nil {
			return notFound("campagne", campaignID)
		}
		return put.into(b)
	}, put)
	return sync.OnceValue(func() error { return s.w.wait(r) })
}

// Entries lists a campaign's entries sorted by student code.
func (s *Store) Entries(campaignID string) ([]domain.Entry, error) {
	var list []domain.Entry
	err := s.view(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketEntries, []byte(campaignID))
		if b == nil {
			return notFound("campagne", campaignID)
		}
		list = make([]domain.Entry, 0, b.Stats().KeyN)
		return b.ForEach(func(k, v []byte) error {
			var e domain.Entry
			if err := getJSON(v, &e); err != nil {
				return fmt.Errorf("entrée %s : %w", k, err)
			}
			list = append(list, e)
			return nil
		})
	})
	return list, err
}

// AppendAudit adds a record at the end of a campaign's audit log.
func (s *Store) AppendAudit(campaignID string, r domain.AuditRecord) error {
	return s.w.update(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketAudit, []byte(campaignID))
		if b == nil {
			return notFound("campagne", campaignID)
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(b, seqKey(seq), r)
	})
}

// Audit lists a campaign's audit log, oldest first.
func (s *Store) Audit(campaignID string) ([]domain.AuditRecord, error) {
	var list []domain.AuditRecord
	err := s.view(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketAudit, []byte(campaignID))
		if b == nil {
			return notFound("campagne", campaignID)
		}
		return b.ForEach(func(_, v []byte) error {
			var r domain.AuditRecord
			if err := getJSON(v, &r); err != nil {
				return err
			}
			list = append(list, r)
			return nil
		})
	})
	return list, err
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func getJSON(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w : valeur illisible (%v)", ErrCorrupt, err)
	}
	return nil
}
