package export

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hypercerts/domain"
)

func TestWritePreviewCSV_ReadsBackInASpreadsheet(t *testing.T) {
	rows := []domain.Row{{
		Student: domain.Student{Code: "21000003", LastName: "N'DIAYE", FirstName1: "Fatoumata", INE: "0299056221K"},
		Verdict: domain.Admitted, Session: 2, Mention: domain.Mention{Label: "Bien"}, ECTS: "180",
		Blockings: []domain.Blocking{{Label: "Examens; rattrapage", TypeLabel: "Blocage"}},
		Reasons:   []string{"blocage : x"}, Recipient: "test@univ-demo.fr", RealRecipient: "fatoumata.ndiaye@etu.univ-demo.fr",
	}}
	var buf bytes.Buffer
	if err := WritePreviewCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte("\uFEFF")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Fatalf("want a BOM and CRLF line ends: %q", b)
	}
	r := csv.NewReader(bytes.NewReader(b[3:]))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || len(recs[1]) != len(PreviewHeader) {
		t.Fatalf("records: %q", recs)
	}
	got := recs[1]
	if got[0] != "N'DIAYE" || got[4] != "Reçu" || got[5] != "2" || got[8] != "Blocage : Examens; rattrapage" ||
		got[11] != "test@univ-demo.fr" || got[12] != "fatoumata.ndiaye@etu.univ-demo.fr" {
		t.Fatalf("row: %q", got)
	}
}

func TestWritePreviewCSVFile_OwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "apercu.csv")
	if err := WritePreviewCSVFile(path, nil, false); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600 (students' personal data)", st.Mode().Perm(), err)
	}
	err = WritePreviewCSVFile(filepath.Join(t.TempDir(), "absent", "x.csv"), nil, false)
	if err == nil || !strings.Contains(err.Error(), "choisissez un dossier") {
		t.Fatalf("got %v", err)
	}
}
