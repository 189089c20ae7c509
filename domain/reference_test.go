package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
)

func TestReferenceFormatAndStability(t *testing.T) {
	t.Parallel()
	ref := domain.CampaignReference("20261123-121700-LMATH-201", "21900042")
	if len(ref) != 13 || ref[4] != '-' || ref[9] != '-' {
		t.Fatalf("reference %q, want XXXX-XXXX-XXX", ref)
	}
	if again := domain.CampaignReference("20261123-121700-LMATH-201", "21900042"); again != ref {
		t.Errorf("same campaign and student: %q then %q", ref, again)
	}
	if other := domain.CampaignReference("20261123-121700-LMATH-201", "21900043"); other == ref {
		t.Error("two students share a reference")
	}
	day := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	vdi := domain.VDI{Dip: "LMATH", Version: "201"}
	if domain.SingleReference("2024", vdi, "1", day) == domain.SingleReference("2024", vdi, "1", day.AddDate(0, 0, 1)) {
		t.Error("single attestations of two days share a reference")
	}
	got, err := domain.ParseReference(" " + strings.ToLower(strings.ReplaceAll(ref, "-", "")) + " ")
	if err != nil || got != ref {
		t.Errorf("ParseReference(typed) = %q, %v; want %q", got, err, ref)
	}
}

// The check character catches every single wrong character and every swap of two
// different neighbours (Luhn mod 32), over many references.
func TestReferenceCheckCharacterCatchesTypos(t *testing.T) {
	t.Parallel()
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	for i := 0; i < 300; i++ {
		ref := domain.CampaignReference("C", strings.Repeat("9", i%7)+string(rune('0'+i%10))+strings.Repeat("1", i/10))
		raw := []byte(strings.ReplaceAll(ref, "-", ""))
		for pos := range raw {
			for _, c := range []byte(alphabet) {
				if c == raw[pos] {
					continue
				}
				typo := append([]byte{}, raw...)
				typo[pos] = c
				if _, err := domain.ParseReference(string(typo)); !errors.Is(err, domain.ErrInvalid) {
					t.Fatalf("%s with %c at %d accepted", ref, c, pos)
				}
			}
			if pos+1 < len(raw) && raw[pos] != raw[pos+1] {
				swap := append([]byte{}, raw...)
				swap[pos], swap[pos+1] = swap[pos+1], swap[pos]
				if _, err := domain.ParseReference(string(swap)); !errors.Is(err, domain.ErrInvalid) {
					t.Fatalf("%s with %d and %d swapped accepted", ref, pos, pos+1)
				}
			}
		}
	}
	for _, bad := range []string{"", "ABCD", "ABCD-EFGH-JKU", "ABCD-EFGH-JK!"} {
		if _, err := domain.ParseReference(bad); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParseReference(%q) = %v", bad, err)
		}
	}
}
