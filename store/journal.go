package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The journal: campaign state changes made durable with one fdatasync.
//
// A bbolt commit syncs twice (the pages, then the meta page that points at them), and
// that ordering is what keeps the file whole on a power loss: it cannot be reduced to
// one sync. During a campaign nearly every write is one student's new state, and each
// worker waits for its write before its next mail; so these small entry writes are
// appended to a journal beside the base (store.path + ".journal", mode 0600) and
// synced once: a group of them is durable when its record is. The committer keeps
// them in memory and copies them into the base (a checkpoint, one ordinary bbolt
// commit) every few thousand writes, when the writes stop for a moment, before any
// other write and before any read, so that the base alone is always the truth for
// readers. After a crash, Open copies the records the base lacks, then starts a new
// journal.
//
// Which records the base lacks: the journal starts with a header naming the base (a
// random id kept in its meta bucket) and the journal sequence the base had when the
// journal was started, and a random salt; records follow with sequences start+1,
// start+2…, each with a CRC-32C seeded by the salt. A new salt at every start means
// the records of an earlier one, left behind the new ones, never check out (nor bytes
// inside them that an outsider chose, such as a student's name, which could otherwise
// be made to look like a record); the sequence check is a second guard. A checkpoint
// stores the last sequence it copied in the base, in the same
// transaction, then starts the journal again from it. So a journal is replayed only
// onto the base it continues: one whose id and sequence match its header (not a
// restored backup, not another base copied over this one). Reading stops at the
// first record that is short, fails its CRC or breaks the sequence: a torn tail was
// never acknowledged (its sync did not return).

// JournalSuffix is appended to store.path to name the journal.
const JournalSuffix = ".journal"

// JournalPath is the journal of the base at storePath.
func JournalPath(storePath string) string { return storePath + JournalSuffix }

const (
	journalMagic     = "HCJRNL\x00\x01"
	journalHeaderLen = 8 + 16 + 8 + 8 + 4 // magic, base id, start sequence, salt, CRC-32C
	recordHeaderLen  = 4 + 4 + 8          // payload length, CRC-32C of sequence and payload, sequence
	maxRecord        = 64 << 20           // a longer length is damage, not a record
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// entryPut is one PutEntries call: a campaign's entries, encoded, keyed by code.
type entryPut struct {
	campaign     string
	keys, values [][]byte
}

// into writes the entries into b, the campaign's bucket.
func (p *entryPut) into(b *bolt.Bucket) error {
	for i := range p.keys {
		if err := b.Put(p.keys[i], p.values[i]); err != nil {
			return err
		}
	}
	return nil
}

func (p *entryPut) size() int {
	n := len(p.campaign)
	for i := range p.keys {
		n += len(p.keys[i]) + len(p.values[i])
	}
	return n
}

// journal is the open journal file. Only the committer's goroutine uses it.
type journal struct {
	f    *os.File
	id   []byte // the base's id
	off  int64  // where the next record goes
	size int64  // the file's length
	salt uint32 // seeds every record's CRC: the CRC-32C of the header's random salt
	buf  []byte // reused record buffer
}

// openJournal opens (or creates, 0600, never through a symbolic link) the journal at
// path. created tells whether the file is new.
func openJournal(path string) (j *journal, created bool, err error) {
	_, statErr := os.Lstat(path)
	f, err := privateOpen(false)(path, os.O_RDWR|os.O_CREATE, 0o600) // as the base: no link, 0600
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, false, fmt.Errorf("journal %s : %w", path, ErrSymlink)
		}
		return nil, false, fmt.Errorf("journal de la base %s : %w", path, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s n'est pas un fichier ordinaire", path)
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("journal de la base %s : %w", path, err)
	}
	if created = errors.Is(statErr, fs.ErrNotExist); created {
		syncDir(filepath.Dir(path)) // the file itself must survive a power loss
	}
	return &journal{f: f, size: fi.Size()}, created, nil
}

// read gives the puts of the records that continue the base (id, applied), and the
// sequence of the last one; none when the journal belongs to another base or state.
func (j *journal) read(id []byte, applied uint64) (puts []*entryPut, last uint64, err error) {
	data, err := io.ReadAll(io.NewSectionReader(j.f, 0, 1<<62))
	if err != nil {
		return nil, applied, fmt.Errorf("lecture du journal %s : %w", j.f.Name(), err)
	}
	last = applied
	if len(data) < journalHeaderLen || string(data[:8]) != journalMagic ||
		crc32.Checksum(data[:journalHeaderLen-4], castagnoli) != binary.BigEndian.Uint32(data[journalHeaderLen-4:]) ||
		!bytes.Equal(data[8:24], id) || binary.BigEndian.Uint64(data[24:32]) != applied {
		return nil, last, nil
	}
	salt := crc32.Checksum(data[32:40], castagnoli)
	for rest := data[journalHeaderLen:]; len(rest) >= recordHeaderLen; {
		n := binary.BigEndian.Uint32(rest)
		if n > maxRecord || len(rest) < recordHeaderLen+int(n) {
			break
		}
		body := rest[8 : recordHeaderLen+n]
		if crc32.Update(salt, castagnoli, body) != binary.BigEndian.Uint32(rest[4:]) ||
			binary.BigEndian.Uint64(body) != last+1 {
			break
		}
		p, ok := decodePuts(body[8:])
		if !ok {
			break
		}
		puts, last = append(puts, p...), last+1
		rest = rest[recordHeaderLen+n:]
	}
	return puts, last, nil
}

// reset starts the journal again: a header saying it continues the base (id) from
// sequence start, the next record right after it. The file keeps its length (see
// append); the records left behind it are never read again, since their sequences
// are at most start. It is not synced: until a record is, a crash leaves either this
// header or the previous one, and both mean "nothing to replay" for the base.
func (j *journal) reset(id []byte, start uint64) error {
	j.id = id
	h := make([]byte, 0, journalHeaderLen)
	h = append(h, journalMagic...)
	h = append(h, id...)
	h = binary.BigEndian.AppendUint64(h, start)
	h = append(h, make([]byte, 8)...)
	if _, err := rand.Read(h[len(h)-8:]); err != nil {
		return err
	}
	j.salt = crc32.Checksum(h[len(h)-8:], castagnoli)
	h = binary.BigEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
	if _, err := j.f.WriteAt(h, 0); err != nil {
		return err
	}
	j.off, j.size = journalHeaderLen, max(j.size, journalHeaderLen)
	return nil
}

// empty cuts the file to nothing, then resets it and syncs: the old records' bytes (a
// purged campaign's students) leave the file, for good even on a power loss, and no
// record of an earlier history lies behind the new start (see recoverJournal).
func (j *journal) empty(id []byte, start uint64) error {
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	j.size = 0
	if err := j.reset(id, start); err != nil {
		return err
	}
	return fdatasync(j.f)
}

// journalGrowth: the file grows by zeros this long at a time. A sync that extends a
// file also writes its size and block map (a journal commit of the file system):
// ≈ 180 µs here against ≈ 120 µs for overwriting blocks already there. Growing 1 MB at
// a time, only about one record in seventy pays that.
const journalGrowth = 1 << 20

var zeros = make([]byte, journalGrowth)

// append writes one record (seq, puts) and syncs it: the puts are durable when it
// returns nil.
func (j *journal) append(seq uint64, puts []*entryPut) error {
	b := append(j.buf[:0], make([]byte, recordHeaderLen)...)
	for _, p := range puts {
		b = appendPut(b, p)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-recordHeaderLen))
	binary.BigEndian.PutUint64(b[8:], seq)
	binary.BigEndian.PutUint32(b[4:], crc32.Update(j.salt, castagnoli, b[8:]))
	j.buf = b
	for end := j.off + int64(len(b)); j.size < end; j.size += journalGrowth {
		if _, err := j.f.WriteAt(zeros, j.size); err != nil {
			return err
		}
	}
	if _, err := j.f.WriteAt(b, j.off); err != nil {
		return err
	}
	if err := fdatasync(j.f); err != nil {
		return err
	}
	j.off += int64(len(b))
	return nil
}

// close closes the file; remove also deletes it (a clean close leaves no journal).
func (j *journal) close(remove bool) error {
	name := j.f.Name()
	err := j.f.Close()
	if remove {
		if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

func appendPut(b []byte, p *entryPut) []byte {
	b = binary.AppendUvarint(b, uint64(len(p.campaign)))
	b = append(b, p.campaign...)
	b = binary.AppendUvarint(b, uint64(len(p.keys)))
	for i := range p.keys {
		b = binary.AppendUvarint(b, uint64(len(p.keys[i])))
		b = append(b, p.keys[i]...)
		b = binary.AppendUvarint(b, uint64(len(p.values[i])))
		b = append(b, p.values[i]...)
	}
	return b
}

// decodePuts reads a record's payload; ok is false on any inconsistency.
func decodePuts(b []byte) (puts []*entryPut, ok bool) {
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, false
		}
		v := b[k : k+int(n)]
		b = b[k+int(n):]
		return v, true
	}
	for len(b) > 0 {
		campaign, ok := field()
		if !ok {
			return nil, false
		}
		count, k := binary.Uvarint(b)
		if k <= 0 || count > uint64(len(b)) {
			return nil, false
		}
		b = b[k:]
		p := &entryPut{campaign: string(campaign), keys: make([][]byte, count), values: make([][]byte, count)}
		for i := range p.keys {
			if p.keys[i], ok = field(); !ok {
				return nil, false
			}
			if p.values[i], ok = field(); !ok {
				return nil, false
			}
		}
		puts = append(puts, p)
	}
	return puts, true
}

// errJournalLeft: a read-only open found writes a crash left in the journal.
var errJournalLeft = errors.New("journal à reprendre")

// baseJournalState reads the base's id and the journal sequence it holds.
func (s *Store) baseJournalState() (id []byte, seq uint64, err error) {
	err = s.viewBase(func(tx *bolt.Tx) error {
		meta := getBucket(tx, bucketMeta)
		if meta == nil {
			return nil
		}
		id = bytes.Clone(meta.Get(keyID))
		if v := meta.Get(keyJournalSeq); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return id, seq, err
}

func putJournalSeq(tx *bolt.Tx, seq uint64) error {
	return getBucket(tx, bucketMeta).Put(keyJournalSeq, binary.BigEndian.AppendUint64(nil, seq))
}

// recoverJournal opens the journal of a base opened for writing, copies into the base
// the writes a crash left there, and starts it again. A journal that cannot be created
// (a directory the service may not write to) means no journal: every write is then a
// bbolt commit, as safe and slower.
func (s *Store) recoverJournal() (j *journal, id []byte, seq uint64, err error) {
	if id, seq, err = s.baseJournalState(); err != nil {
		return nil, nil, 0, err
	}
	path := JournalPath(s.path)
	_, statErr := os.Lstat(path)
	j, _, err = openJournal(path)
	if err != nil {
		if errors.Is(statErr, fs.ErrNotExist) && !errors.Is(err, ErrSymlink) {
			return nil, id, seq, nil
		}
		return nil, nil, 0, err
	}
	puts, last, err := j.read(id, seq)
	if err == nil && len(puts) > 0 {
		err = s.update(func(tx *bolt.Tx) error { return applyPuts(tx, puts, last) })
	}
	if err == nil {
		// Cut, not written over: records reset leaves behind are safe only while their
		// sequences are at most the new start, and a journal that did not continue the
		// base (a backup put back, a restore cut short) may hold higher ones, which
		// would continue the new journal wherever a new record ended where one began.
		err = j.empty(id, last)
	}
	if err != nil {
		j.close(false)
		return nil, nil, 0, fmt.Errorf("reprise du journal %s (les écritures qu'il garde y restent) : %w", path, err)
	}
	return j, id, last, nil
}

// applyPuts writes journaled entries into the base, with the sequence they reach.
func applyPuts(tx *bolt.Tx, puts []*entryPut, seq uint64) error {
	entries := getBucket(tx, bucketEntries)
	for _, p := range puts {
		b := entries.Bucket([]byte(p.campaign))
		if b == nil {
			continue // checked when journaled, and nothing deletes before a checkpoint
		}
		if err := p.into(b); err != nil {
			return err
		}
	}
	return putJournalSeq(tx, seq)
}

// checkNoJournalLeft is a read-only open's check: the base must hold every write
// acknowledged, so writes a crash left in the journal give errJournalLeft.
func (s *Store) checkNoJournalLeft() error {
	f, err := os.OpenFile(JournalPath(s.path), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal de la base %s : %w", s.path, err)
	}
	defer f.Close()
	id, seq, err := s.baseJournalState()
	if err != nil || id == nil {
		return err
	}
	puts, _, err := (&journal{f: f}).read(id, seq)
	if err == nil && len(puts) > 0 {
		err = errJournalLeft
	}
	return err
}

// openAfterReplay serves a read-only open that found writes left in the journal, as
// SQLite does with a hot journal: it opens the base for writing, which copies them in,
// closes it, and opens it read-only again.
func openAfterReplay(path string, timeout time.Duration) (*Store, error) {
	w, err := open(path, timeout, false)
	if err != nil {
		return nil, fmt.Errorf("la base %s garde dans son journal des écritures d'un arrêt brutal, à reprendre avant de la lire : %w", path, err)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return open(path, timeout, true)
}
