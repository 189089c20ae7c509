package pades_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hypercerts/pades"
)

var (
	idRe        = regexp.MustCompile(`/ID \[<([0-9a-f]{32})> <([0-9a-f]{32})>\]`)
	startxrefRe = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	prevRe      = regexp.MustCompile(`/Prev (\d+)\D`)
	entryRe     = regexp.MustCompile(`(?m)^(\d+) 1\r?\n(\d{10}) 00000 n \n`)
)

// lastTrailer is the trailer dictionary of pdf's last section.
func lastTrailer(t *testing.T, pdf []byte) string {
	t.Helper()
	i := bytes.LastIndex(pdf, []byte("trailer"))
	if i < 0 {
		t.Fatal("no trailer")
	}
	return string(pdf[i:])
}

// The update is chained to the original section (/Prev is its startxref), each of its
// cross-reference entries points at its object, and the file identifier keeps the
// original's first string while the second one changes (ISO 32000-1 §14.4).
func TestSignUpdateChainedAndFirstIDKept(t *testing.T) {
	s, err := pades.EnsureDemo(t.TempDir(), "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	orig := attestation(t)
	oid := idRe.FindStringSubmatch(lastTrailer(t, orig))
	ox := startxrefRe.FindSubmatch(orig)
	if oid == nil || ox == nil {
		t.Fatalf("original trailer unexpected:\n%s", lastTrailer(t, orig))
	}
	var seconds []string
	for _, at := range []time.Time{time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)} {
		signed, err := pades.Sign(orig, s, at)
		if err != nil {
			t.Fatal(err)
		}
		tr := lastTrailer(t, signed)
		if p := prevRe.FindStringSubmatch(tr); p == nil || p[1] != string(ox[1]) {
			t.Errorf("/Prev in %q, want %s", tr, ox[1])
		}
		id := idRe.FindStringSubmatch(tr)
		if id == nil || id[1] != oid[1] {
			t.Fatalf("trailer %q: the first identifier must stay %s", tr, oid[1])
		}
		if id[2] == oid[2] {
			t.Errorf("the second identifier did not change with the update")
		}
		seconds = append(seconds, id[2])
		x := startxrefRe.FindSubmatch(signed)
		xref, _ := strconv.Atoi(string(x[1]))
		if !bytes.HasPrefix(signed[xref:], []byte("xref\n")) {
			t.Fatalf("startxref %d does not point at a cross-reference section", xref)
		}
		entries := entryRe.FindAllSubmatch(signed[xref:], -1)
		if len(entries) != 4 {
			t.Fatalf("%d entries in the update's section, want 4 (catalog, page, field, signature)", len(entries))
		}
		for _, e := range entries {
			off, _ := strconv.Atoi(string(e[2]))
			if want := string(e[1]) + " 0 obj"; off < len(orig) || !bytes.HasPrefix(signed[off:], []byte(want)) {
				t.Errorf("entry of object %s: offset %d does not hold %q", e[1], off, want)
			}
		}
	}
	if seconds[0] == seconds[1] {
		t.Error("two updates at different times have the same second identifier")
	}
}

// A PDF already signed, or updated by another tool, is refused with a French message
// naming why: Sign writes one update over the renderer's single section.
func TestSignRefusesUpdatedPDF(t *testing.T) {
	s, err := pades.EnsureDemo(t.TempDir(), "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	orig := attestation(t)
	signed, err := pades.Sign(orig, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pades.Sign(signed, s, time.Now()); err == nil || !strings.Contains(err.Error(), "déjà signé") {
		t.Errorf("Sign(signed) = %v, want « déjà signé »", err)
	}
	// An empty update, as a tool that only rewrote the trailer would leave it.
	tr := lastTrailer(t, orig)
	dict := tr[strings.Index(tr, "<<")+2 : strings.LastIndex(tr, ">>")]
	ox := startxrefRe.FindSubmatch(orig)
	updated := fmt.Appendf(bytes.Clone(orig), "xref\n0 0\ntrailer\n<<%s/Prev %s\n>>\nstartxref\n%d\n%%%%EOF\n", dict, ox[1], len(orig))
	if _, err := pades.Sign(updated, s, time.Now()); err == nil || !strings.Contains(err.Error(), "déjà mis à jour") {
		t.Errorf("Sign(updated) = %v, want « déjà mis à jour »", err)
	}
}

// The original's first identifier is kept however its hexadecimal string is written
// (white space, a missing last digit: ISO 32000-1 §7.3.4.3); an identifier that
// cannot be read is refused rather than replaced.
func TestSignFirstIDReadAsWritten(t *testing.T) {
	s, err := pades.EnsureDemo(t.TempDir(), "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	orig := attestation(t)
	m := idRe.FindSubmatchIndex(orig)
	if m == nil {
		t.Fatal("no /ID in the original")
	}
	// The trailer follows the cross-reference section: rewriting it moves no object.
	withID := func(id string) []byte {
		return append(append(bytes.Clone(orig[:m[0]]), id...), orig[m[1]:]...)
	}
	for _, c := range []struct{ id, want string }{
		{"/ID[ <0A1B 2C3D\n4E5F> <00>]", "0a1b2c3d4e5f"},
		{"/ID [<ABC> <ABC>]", "abc0"},
	} {
		signed, err := pades.Sign(withID(c.id), s, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		if tr := lastTrailer(t, signed); !strings.Contains(tr, "/ID [<"+c.want+"> <") {
			t.Errorf("%s: trailer %q, want the first identifier %s kept", c.id, tr, c.want)
		}
	}
	for _, id := range []string{"/ID [(abc) (abc)]", "/ID [<0G> <00>]", "/ID <00>"} {
		if _, err := pades.Sign(withID(id), s, time.Now()); err == nil || !strings.Contains(err.Error(), "/ID") {
			t.Errorf("%s: Sign = %v, want an error naming /ID", id, err)
		}
	}
}

// The page Sign annotates is a page: a first kid that is not one (a deeper page tree)
// is refused, not given a widget.
func TestSignFirstKidMustBePage(t *testing.T) {
	s, err := pades.EnsureDemo(t.TempDir(), "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	orig := attestation(t)
	kids := regexp.MustCompile(`/Kids \[(\d+) 0 R`).FindSubmatchIndex(orig)
	pages := regexp.MustCompile(`(?m)^(\d+) 0 obj\n<</Type /Pages`).FindSubmatch(orig)
	if kids == nil || pages == nil || len(pages[1]) != kids[3]-kids[2] {
		t.Fatalf("the renderer's page tree changed (kid %q, Pages %q): adapt the test", orig[kids[2]:kids[3]], pages)
	}
	// The kid made to point at the Pages node itself (same length: no offset moves).
	bad := append(append(bytes.Clone(orig[:kids[2]]), pages[1]...), orig[kids[3]:]...)
	if _, err := pades.Sign(bad, s, time.Now()); err == nil || !strings.Contains(err.Error(), "n'est pas une page") {
		t.Errorf("Sign with a Pages node as first kid = %v", err)
	}
}
