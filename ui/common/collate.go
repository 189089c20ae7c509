package common

import (
	"bytes"
	"slices"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"hypercerts/domain"
)

// NameKey orders students the French way (golang.org/x/text/collate, CLDR's French
// rules): "LEMAÎTRE Éric" before "LEMAÎTRE Valentin", "Émile" with the E's, case and
// accents only breaking ties; then the student code, so the order never depends on
// arrival.
type NameKey struct {
	last, first []byte
	code        string
}

var (
	collatorMu sync.Mutex // a collator is not safe for concurrent use
	collator   = collate.New(language.French)
	keyBuf     collate.Buffer
)

// KeyOf is the sort key of a student.
func KeyOf(s domain.Student) NameKey {
	collatorMu.Lock()
	defer collatorMu.Unlock()
	k := NameKey{code: s.Code}
	k.last = slices.Clone(collator.KeyFromString(&keyBuf, s.LastName))
	keyBuf.Reset()
	k.first = slices.Clone(collator.KeyFromString(&keyBuf, s.FirstNames()))
	keyBuf.Reset()
	return k
}

// Compare orders two keys (negative: a first).
func (a NameKey) Compare(b NameKey) int {
	if c := bytes.Compare(a.last, b.last); c != 0 {
		return c
	}
	if c := bytes.Compare(a.first, b.first); c != 0 {
		return c
	}
	switch {
	case a.code < b.code:
		return -1
	case a.code > b.code:
		return 1
	}
	return 0
}

// SortByName sorts idx (indices into keys) by name, the French way.
func SortByName(idx []int, keys []NameKey) {
	slices.SortStableFunc(idx, func(i, j int) int { return keys[i].Compare(keys[j]) })
}

// MergeByName inserts the indices added (any order) into sorted, which stays sorted:
// rows streamed in take their place at once, so nothing jumps when the stream ends.
func MergeByName(sorted, added []int, keys []NameKey) []int {
	SortByName(added, keys)
	out := make([]int, 0, len(sorted)+len(added))
	i, j := 0, 0
	for i < len(sorted) && j < len(added) {
		if keys[added[j]].Compare(keys[sorted[i]]) < 0 {
			out = append(out, added[j])
			j++
		} else {
			out = append(out, sorted[i])
			i++
		}
	}
	out = append(out, sorted[i:]...)
	return append(out, added[j:]...)
}
