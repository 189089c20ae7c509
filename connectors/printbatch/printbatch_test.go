package printbatch_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/connectors/printbatch"
	"hypercerts/domain"
	"hypercerts/internal/testenv"
	"hypercerts/render"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var printedAt = time.Date(2025, 7, 3, 14, 5, 0, 0, time.UTC)

func attestation(code, last, first string) domain.Attestation {
	return domain.Attestation{Reference: "REF-" + code,
		Student:      domain.Student{Code: code, LastName: last, FirstName1: first, INE: "INE" + code, BirthDate: time.Date(2003, 5, 14, 0, 0, 0, 0, time.UTC)},
		DiplomaLabel: "Licence Sciences, technologies, santé mention Mathématiques", YearLabel: "2024-2025",
		Mention: domain.Mention{Code: "AB", Label: "Assez bien"}, ECTS: "180", IssuedAt: printedAt,
		Signature: domain.Signature{Name: "Marie Curie", Title: "La Présidente"}}
}

func batch() domain.PrintBatch {
	return domain.PrintBatch{ID: "P20250703-0123456789ab", CreatedAt: printedAt,
		Campaign: domain.Campaign{ID: "20250703-140500-LMATH-201", Year: "2024", VDI: domain.VDI{Dip: "LMATH", Version: "201"},
			Component: domain.Component{Code: "SCI"}, DiplomaLabel: "Licence Sciences, technologies, santé mention Mathématiques",
			Counts: map[domain.EntryState]int{domain.EntryEligible: 3, domain.EntryExcluded: 2}},
		// Not in order: the batch sorts them (byte order would put ÉLODIE last).
		Attestations: []domain.Attestation{attestation("21000003", "EMMA", "Jules"), attestation("21000001", "ÉLODIE", "Anne"),
			attestation("21000002", "EDMOND", "Paul")}}
}

func newFolder(t testing.TB) *printbatch.Folder {
	t.Helper()
	r, err := render.New(render.Options{University: "Université de Démonstration", City: "Besançon"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := printbatch.New(filepath.Join(t.TempDir(), "impression"), r)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var debianPackage = map[string]string{"qpdf": "qpdf", "pdftotext": "poppler-utils"}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(testenv.Tool(t, name, debianPackage[name]), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// The batch is one valid A4 PDF (qpdf --check): the cover, then one attestation per
// page sorted by name in French collation, "Page n / N" on every page; its CSV lists
// the same students in page order. Page 2 is compared with a golden text.
func TestPrintBatch_OnePDFSortedByFrenchCollationWithCoverAndPageNumbers(t *testing.T) {
	t.Parallel()
	f := newFolder(t)
	path, err := f.Print(context.Background(), batch())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(f.Dir(), "20250703-140500-LMATH-201-P20250703-0123456789ab.pdf"); path != want {
		t.Errorf("path %s, want %s", path, want)
	}
	run(t, "qpdf", "--check", path)
	if n := strings.TrimSpace(run(t, "qpdf", "--show-npages", path)); n != "4" {
		t.Fatalf("%s pages, want 4 (cover + 3)", n)
	}
	page := func(n string) string {
		return run(t, "pdftotext", "-enc", "UTF-8", "-layout", "-f", n, "-l", n, path, "-")
	}
	cover := strings.Join(strings.Fields(page("1")), " ")
	for _, want := range []string{"Lot d'impression P20250703-0123456789ab", "Campagne 20250703-140500-LMATH-201",
		"3 attestations dans ce lot", "5 étudiants, dont 2 exclus", "3 juillet 2025", "Page 1 / 4"} {
		if !strings.Contains(cover, want) {
			t.Errorf("cover lacks %q:\n%s", want, cover)
		}
	}
	for i, name := range []string{"Paul EDMOND", "Anne ÉLODIE", "Jules EMMA"} {
		text := strings.Join(strings.Fields(page(string(rune('2'+i)))), " ")
		if !strings.Contains(text, name) || !strings.Contains(text, "Page "+string(rune('2'+i))+" / 4") {
			t.Errorf("page %d: want %s and its page number:\n%s", i+2, name, text)
		}
	}
	golden := filepath.Join("testdata", "page2.golden")
	got := page("2")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("page 2 differs from %s (go test -update rewrites it):\n%s", golden, got)
	}

	data, err := os.ReadFile(strings.TrimSuffix(path, ".pdf") + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\uFEFF")) || !bytes.Contains(data, []byte("\r\n")) {
		t.Error("CSV: no BOM or no CRLF")
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[1][0] != "2" || rows[1][1] != "EDMOND" || rows[2][1] != "ÉLODIE" || rows[3][1] != "EMMA" || rows[3][5] != "REF-21000003" {
		t.Errorf("CSV rows %q", rows)
	}
	entries, _ := os.ReadDir(f.Dir())
	for _, e := range entries {
		info, _ := e.Info()
		if strings.HasSuffix(e.Name(), ".part") || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (want 0600, no temporary file left)", e.Name(), info.Mode().Perm())
		}
	}
}

// A batch written again (an interrupted run resumed) replaces its files whole; a link
// planted in place of a file is refused, never followed.
func TestPrintBatch_WrittenAgainReplacesRefusesALink(t *testing.T) {
	t.Parallel()
	f := newFolder(t)
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := batch()
	link := filepath.Join(f.Dir(), b.Campaign.ID+"-"+b.ID+".csv")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Print(context.Background(), b); err == nil || !strings.Contains(err.Error(), filepath.Base(link)) {
		t.Fatalf("batch written through a planted link: %v", err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep" {
		t.Errorf("the link was followed: victim now %q", data)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for range 2 {
		path, err := f.Print(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fi.Size())
	}
	if entries, _ := os.ReadDir(f.Dir()); len(entries) != 2 || sizes[0] != sizes[1] {
		t.Errorf("written twice: %d files, sizes %v", len(entries), sizes)
	}
}

func TestSortByName_FrenchCollation(t *testing.T) {
	t.Parallel()
	as := []domain.Attestation{attestation("3", "Zola", "Émile"), attestation("2", "éluard", "Paul"), attestation("1", "Eluard", "Nusch"),
		attestation("4", "Dupont", "Ève"), attestation("5", "Dupont", "Eva")}
	printbatch.SortByName(as)
	var got []string
	for _, a := range as {
		got = append(got, a.Student.Code)
	}
	if strings.Join(got, ",") != "5,4,1,2,3" {
		t.Errorf("order %v, want Dupont Eva, Dupont Ève, Eluard Nusch, éluard Paul, Zola", got)
	}
}
