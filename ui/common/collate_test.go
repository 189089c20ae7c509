package common

import (
	"flag"
	"slices"
	"testing"

	"hypercerts/domain"
)

func student(last, first, code string) domain.Student {
	return domain.Student{LastName: last, FirstName1: first, Code: code}
}

// French collation: accents and case break ties only; "Éric" sorts with the E's.
func TestFrenchCollation(t *testing.T) {
	t.Parallel()
	in := []domain.Student{
		student("LEMAÎTRE", "Valentin", "3"),
		student("ZOLA", "Émile", "5"),
		student("LEMAÎTRE", "Éric", "2"),
		student("ÉTIENNE", "Anne", "4"),
		student("DUPONT", "Zoé", "1"),
		student("LEMAITRE", "Adèle", "6"),
	}
	keys := make([]NameKey, len(in))
	idx := make([]int, len(in))
	for i, s := range in {
		keys[i], idx[i] = KeyOf(s), i
	}
	SortByName(idx, keys)
	var got []string
	for _, i := range idx {
		got = append(got, in[i].LastName+" "+in[i].FirstName1)
	}
	want := []string{"DUPONT Zoé", "ÉTIENNE Anne", "LEMAITRE Adèle", "LEMAÎTRE Éric", "LEMAÎTRE Valentin", "ZOLA Émile"}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %q\nwant %q", got, want)
	}
	// Streamed in two batches, merged as they come: the same order.
	sorted := MergeByName(nil, []int{0, 1, 2}, keys)
	sorted = MergeByName(sorted, []int{5, 3, 4}, keys)
	if !slices.Equal(sorted, idx) {
		t.Fatalf("merged %v, sorted %v", sorted, idx)
	}
}

// update is the UI goldens' flag (go test ./ui/... -update): accepted here too.
var _ = flag.Bool("update", false, "rewrite the goldens (none in this package)")

// At 200 columns names stop at their Max and the reason takes the rest; at 80 every
// column keeps at least its minimum.
func TestLayoutMaxGivesWidthToReasons(t *testing.T) {
	t.Parallel()
	cols := []Column{{Width: 8, Flex: 2, Max: 22}, {Width: 8, Flex: 2, Max: 22}, {Width: 8}, {Width: 16, Flex: 5}}
	w := Layout(cols, 200)
	if w[0] != 22 || w[1] != 22 || w[0]+w[1]+w[2]+w[3]+3 != 200 {
		t.Fatalf("200: %v", w)
	}
	w = Layout(cols, 60)
	if w[0] < 8 || w[3] < 16 || w[0]+w[1]+w[2]+w[3]+3 != 60 {
		t.Fatalf("60: %v", w)
	}
}
