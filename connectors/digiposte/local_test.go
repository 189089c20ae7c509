package digiposte

import (
	"archive/zip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
)

func newLocal(t *testing.T, f Format) (*LocalDir, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := NewLocalDir(dir, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l, dir
}

// The demo: LocalDir and the simulator on one folder, same layout as over SFTP.
func TestR19_R20_LocalDirCycleWithSimulator(t *testing.T) {
	l, dir := newLocal(t, Format{})
	ctx := testCtx(t)
	sim, err := NewSimulator(dir, SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.RequestAdhesions(ctx, "A1", students(10, 1)); err != nil {
		t.Fatal(err)
	}
	rep, err := sim.Step()
	if err != nil || rep.Opened != 9 || rep.Refused != 1 { // default: every 7th refused
		t.Fatalf("%+v %v", rep, err)
	}
	rets, err := l.Returns(ctx)
	if err != nil || len(rets) != 1 {
		t.Fatalf("%v %v", rets, err)
	}
	var open []string
	for _, s := range rets[0].Statuses {
		if s.State == domain.EntryVaultOpen {
			open = append(open, s.StudentCode)
		}
	}
	if err := l.Acknowledge(ctx, ids(rets)); err != nil {
		t.Fatal(err)
	}
	if err := l.Deposit(ctx, "D1", deposits(open, 2000)); err != nil {
		t.Fatal(err)
	}
	rep, err = sim.Step()
	if err != nil || rep.Cancelled != 1 || rep.Integrated+rep.Rejected != 9 || rep.Rejected != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if got := ls(t, filepath.Join(dir, "depots")); len(got) != 1 || got[0] != "UNIV_DEP_D1.zip" {
		t.Fatalf("%v", got)
	}
	// Another simulator on the same folder (a restarted demo) remembers everything.
	rep, err = Simulate(dir, SimOptions{})
	if err != nil || rep.ReturnFile != "" || rep.AdhesionFiles != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestR21_ReturnsParsing(t *testing.T) {
	l, dir := newLocal(t, Format{})
	ctx := testCtx(t)
	ret := filepath.Join(dir, "retours")
	writeFile(t, filepath.Join(ret, "UNIV_RET_001.csv"), "\uFEFFnumero ; Statut;DATE;MOTIF\n"+
		"1;OUVERT;2025-06-01 10:00:00;\n"+
		"2;résilié;2025-06-02;résiliation par l'usager\n"+
		"3;PERDU;2025-06-02;\n"+
		"4;REFUSE;hier;\n"+
		"\n")
	// a zip of CSV files
	zf, err := os.Create(filepath.Join(ret, "UNIV_RET_002.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("statuts.csv")
	_, _ = w.Write([]byte("NUMERO;STATUT;DATE;MOTIF\n5;REFUSE;01/06/2025;adresse invalide\n"))
	_ = zw.Close()
	_ = zf.Close()
	writeFile(t, filepath.Join(ret, ".UNIV_RET_003.csv.part"), "NUMERO;STATUT\n9;OUVERT\n") // being written
	writeFile(t, filepath.Join(ret, "LISEZMOI.txt"), "pas un retour")
	writeFile(t, filepath.Join(ret, "UNIV_RET_004.csv"), "CODE;ETAT\n1;OUVERT\n") // wrong header

	rets, err := l.Returns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rets) != 3 || rets[0].ID != "UNIV_RET_001.csv" || rets[1].ID != "UNIV_RET_002.zip" || rets[2].ID != "UNIV_RET_004.csv" {
		t.Fatalf("%v", ids(rets))
	}
	r := rets[0]
	if len(r.Statuses) != 2 || r.Statuses[0].State != domain.EntryVaultOpen || r.Statuses[1].State != domain.EntryCancelled ||
		r.Statuses[1].Reason != "résiliation par l'usager" || r.Statuses[0].At.Hour() != 10 {
		t.Fatalf("%+v", r.Statuses)
	}
	if r.Err == nil || !strings.Contains(r.Err.Error(), `statut "PERDU" inconnu`) || !strings.Contains(r.Err.Error(), `date "hier"`) ||
		!errors.Is(r.Err, domain.ErrPermanent) {
		t.Fatalf("erreur attendue : %v", r.Err)
	}
	if z := rets[1]; z.Err != nil || len(z.Statuses) != 1 || z.Statuses[0].State != domain.EntryVaultRefused ||
		!z.Statuses[0].At.Equal(time.Date(2025, 6, 1, 0, 0, 0, 0, time.Local)) {
		t.Fatalf("%+v", z)
	}
	if rets[2].Err == nil || !strings.Contains(rets[2].Err.Error(), `colonne "NUMERO" absente`) {
		t.Fatalf("%v", rets[2].Err)
	}
	// Acknowledge: only known return names; archived.
	if err := l.Acknowledge(ctx, []string{"../etc/passwd"}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("%v", err)
	}
	if err := l.Acknowledge(ctx, []string{"UNIV_RET_002.zip"}); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, filepath.Join(dir, "retours", "archives")); len(got) != 1 {
		t.Fatalf("%v", got)
	}
}

func TestR21_AcknowledgeDelete(t *testing.T) {
	l, dir := newLocal(t, Format{AckMode: AckDelete})
	writeFile(t, filepath.Join(dir, "retours", "UNIV_RET_1.csv"), "NUMERO;STATUT\n1;OUVERT\n")
	ctx := testCtx(t)
	rets, err := l.Returns(ctx)
	if err != nil || len(rets) != 1 {
		t.Fatal(rets, err)
	}
	for range 2 { // idempotent
		if err := l.Acknowledge(ctx, ids(rets)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ls(t, filepath.Join(dir, "retours")); len(got) != 1 || got[0] != "archives" {
		t.Fatalf("%v", got)
	}
}

func TestR19_InvalidBatches(t *testing.T) {
	l, _ := newLocal(t, Format{})
	ctx := testCtx(t)
	for _, err := range []error{
		l.RequestAdhesions(ctx, "../x", students(1, 1)),
		l.RequestAdhesions(ctx, "", students(1, 1)),
		l.RequestAdhesions(ctx, "A1", append(students(1, 1), students(1, 1)...)),
		l.Deposit(ctx, "D1", deposits([]string{"1", "1"}, 10)),
		l.Deposit(ctx, "D1", []domain.Deposit{{StudentCode: "1", FileName: "a/b.pdf", PDF: func(w io.Writer) error { return nil }}}),
	} {
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("attendu ErrInvalid, reçu %v", err)
		}
	}
	if err := l.Deposit(ctx, "D1", nil); err != nil { // nothing to do
		t.Fatal(err)
	}
}

// A site adapts the contract from configuration only.
func TestFormat_OverridesAndValidation(t *testing.T) {
	f := Format{
		Partner: "UPARIS", Separator: ",", AdhesionDir: "in/adh", DepositPDFPath: "{code}/{file}",
		AdhesionColumns: []Column{{"id", FieldCode}, {"mail", FieldEmail}},
		StatusOpen:      []string{"O"},
	}
	l, dir := newLocal(t, f)
	ctx := testCtx(t)
	if err := l.RequestAdhesions(ctx, "B2", students(1, 1)); err != nil {
		t.Fatal(err)
	}
	files := readZip(t, filepath.Join(dir, "in", "adh", "UPARIS_ADH_B2.zip"))
	if got := string(files["UPARIS_ADH_B2.csv"]); got != "id,mail\n21000001,etu1@univ.example.fr\n" {
		t.Fatalf("%q", got)
	}
	if err := l.Deposit(ctx, "B3", deposits([]string{"7"}, 10)); err != nil {
		t.Fatal(err)
	}
	if files := readZip(t, filepath.Join(dir, "depots", "UPARIS_DEP_B3.zip")); files["7/attestation-7.pdf"] == nil {
		t.Fatalf("%v", files)
	}

	for _, bad := range []Format{
		{AdhesionZip: "ADH.zip"},
		{DepositZip: "x/{batch}.zip"},
		{AdhesionColumns: []Column{{"X", "shoe_size"}}},
		{ReturnColumns: []Column{{"NUMERO", FieldCode}}},
		{Separator: ";;"},
		{AckMode: "burn"},
		{ZipMethod: "rar"},
		{ArchiveDir: "../elsewhere"},
	} {
		if err := bad.WithDefaults().Validate(); err == nil {
			t.Errorf("format accepté à tort : %+v", bad)
		}
	}
	if err := DefaultFormat().Validate(); err != nil {
		t.Fatal(err)
	}
}
