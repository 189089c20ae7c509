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
//	└── audit
//	    └── <campaign id>           <8-byte big-endian sequence> → JSON domain.AuditRecord
//
// Other parts of hypercerts (Digiposte vault states, HubEE cases) add their own
// buckets under the root through DB and RootBucket.
//
// bbolt takes an exclusive lock on the file: one process owns it (the daemon when it
// runs). Open waits a short time for the lock, then fails with ErrInUse.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

	keySchema  = []byte("schema")
	keyCreated = []byte("created")
)

// Sentinel errors.
var (
	// ErrInUse: another process (or another Open in this one) holds the file.
	ErrInUse = errors.New("base déjà utilisée par un autre processus hypercerts (démon ?)")
	// ErrSchema: the file was written by a newer hypercerts.
	ErrSchema = errors.New("base écrite par une version plus récente de hypercerts")
	// ErrCorrupt: the file is not a readable hypercerts base.
	ErrCorrupt = errors.New("base illisible ou corrompue")
)

// DefaultTimeout is how long Open waits for the file lock when given no timeout.
const DefaultTimeout = time.Second

// Store is the bbolt implementation of domain.Store.
type Store struct {
	db   *bolt.DB
	path string
	w    *committer // campaign writes, committed in groups (commit.go)
}

var _ domain.Store = (*Store)(nil)

// Open opens (or creates, mode 0600) the base at path. If another process holds it,
// Open gives up after timeout (DefaultTimeout when ≤ 0) with ErrInUse; it never blocks
// forever. A file from a newer schema gives ErrSchema, a damaged one ErrCorrupt.
func Open(path string, timeout time.Duration) (s *Store, err error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	defer func() { // bbolt panics on some damaged files instead of returning an error
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%w : %s (%v) ; restaurez une sauvegarde", ErrCorrupt, path, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("%w : %s ; connectez-vous au démon (ssh -p 2222 serveur) ou arrêtez-le avant de relancer", ErrInUse, path)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
			return nil, fmt.Errorf("%w : %s (%v) ; restaurez une sauvegarde", ErrCorrupt, path, err)
		}
		return nil, fmt.Errorf("ouverture de la base %s : %w", path, err)
	}
	if err := db.Update(initSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("base %s : %w", path, err)
	}
	return &Store{db: db, path: path, w: newCommitter(db)}, nil
}

// initSchema checks the schema version and creates every top-level bucket.
func initSchema(tx *bolt.Tx) error {
	// A root bucket "vN" with N > SchemaVersion means a newer layout.
	if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if v, ok := rootVersion(name); ok && v > SchemaVersion {
			return fmt.Errorf("%w (schéma %d, cette version connaît le schéma %d) : mettez hypercerts à jour", ErrSchema, v, SchemaVersion)
		}
		return nil
	}); err != nil {
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
	if v := meta.Get(keySchema); v != nil {
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return fmt.Errorf("%w : version de schéma %q illisible", ErrCorrupt, v)
		}
		if n > SchemaVersion {
			return fmt.Errorf("%w (schéma %d, cette version connaît le schéma %d) : mettez hypercerts à jour", ErrSchema, n, SchemaVersion)
		}
		return nil
	}
	if err := meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
		return err
	}
	return meta.Put(keyCreated, []byte(time.Now().UTC().Format(time.RFC3339)))
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
	return s.db.Close()
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// DB gives the bbolt handle to extensions adding their own buckets under RootBucket.
func (s *Store) DB() *bolt.DB { return s.db }

// RootBucket is the versioned root bucket's key; extensions nest their buckets in it.
func RootBucket() []byte { return append([]byte(nil), bucketRoot...) }

// WriteTo writes a consistent copy of the whole base to w (a backup that bbolt opens
// as is), from one read transaction: writers are not blocked.
func (s *Store) WriteTo(w io.Writer) (n int64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
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
	err := s.db.View(func(tx *bolt.Tx) error {
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
	err := s.db.View(func(tx *bolt.Tx) error {
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
		v, err := json.Marshal(&entries[i])
		if err != nil {
			return fail(err)
		}
		keys[i], values[i] = []byte(entries[i].Student.Code), v
	}
	done := s.w.queue(func(tx *bolt.Tx) error {
		b := getBucket(tx, bucketEntries, []byte(campaignID))
		if b == nil {
			return notFound("campagne", campaignID)
		}
		for i := range keys {
			if err := b.Put(keys[i], values[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return sync.OnceValue(func() error { return <-done })
}

// Entries lists a campaign's entries sorted by student code.
func (s *Store) Entries(campaignID string) ([]domain.Entry, error) {
	var list []domain.Entry
	err := s.db.View(func(tx *bolt.Tx) error {
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
	err := s.db.View(func(tx *bolt.Tx) error {
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
