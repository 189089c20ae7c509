package render

import (
	"sync"
	"testing"

	"github.com/go-pdf/fpdf"
)

// A face keeps at most embedCacheMax sets of runes (a campaign of unusual names cannot
// grow memory without end): past the bound a set is produced for its document and not
// kept, and the kept sets are still shared. Concurrent documents asking for a new set
// get one production, shared (run with -race).
func TestEmbedCacheBoundedAndShared(t *testing.T) {
	newRenderer(t) // loads the fonts, which decides fastFonts
	if !fastFonts {
		t.Fatal("fpdf's font structures are not the expected ones (see fonts.go)")
	}
	p, err := prepareFont(fpdf.UTF8CutFont(dejaVuSans, runesOf(coreRanges)), "")
	if err != nil {
		t.Fatal(err)
	}
	set := func(i int) map[int]int { // a set per i: the base runes and one letter of Latin Extended-A
		return map[int]int{0x100 + i: 0x100 + i}
	}

	faces := make([]*embeddedFace, 8)
	var wg sync.WaitGroup
	for g := range faces {
		wg.Go(func() {
			f, err := p.faceFor(set(0))
			if err != nil {
				t.Error(err)
			}
			faces[g] = f
		})
	}
	wg.Wait()
	for g, f := range faces {
		if f == nil || f != faces[0] {
			t.Fatalf("concurrent document %d got its own copy of the same set", g)
		}
	}

	for i := 1; i < embedCacheMax+2; i++ {
		if _, err := p.faceFor(set(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(p.cache.entries); n != embedCacheMax {
		t.Errorf("%d sets kept, want the bound %d", n, embedCacheMax)
	}
	if f, _ := p.faceFor(set(0)); f != faces[0] {
		t.Error("a kept set is no longer shared once the bound is reached")
	}
	over1, err := p.faceFor(set(embedCacheMax + 1))
	if err != nil {
		t.Fatal(err)
	}
	over2, _ := p.faceFor(set(embedCacheMax + 1))
	if over1 == over2 || len(over1.objs) != 7 || len(over2.objs) != 7 {
		t.Errorf("past the bound: kept %v, %d and %d objects; want produced each time, 7 objects", over1 == over2, len(over1.objs), len(over2.objs))
	}
}
