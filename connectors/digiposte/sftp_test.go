package digiposte

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"hypercerts/domain"
	"hypercerts/internal/sshtest"
	"hypercerts/internal/testenv"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func students(n, from int) []domain.VaultStudent {
	var out []domain.VaultStudent
	for i := from; i < from+n; i++ {
		out = append(out, domain.VaultStudent{
			Code: fmt.Sprintf("2100%04d", i), INE: fmt.Sprintf("0A1B2C%05d", i), LastName: "DUPONT-" + fmt.Sprint(i),
			FirstNames: "Marie Hélène", Email: fmt.Sprintf("etu%d@univ.example.fr", i),
			BirthDate: time.Date(2002, 3, i%28+1, 0, 0, 0, 0, time.UTC),
		})
	}
	return out
}

// fakePDF is a deterministic, incompressible "PDF" of size bytes.
func fakePDF(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, "%PDF-1.4\n")
	return b
}

func deposits(codes []string, size int) []domain.Deposit {
	var out []domain.Deposit
	for i, c := range codes {
		pdf := fakePDF(uint64(i), size)
		out = append(out, domain.Deposit{StudentCode: c, FileName: "attestation-" + c + ".pdf",
			Title: "Attestation de réussite", PDF: func(w io.Writer) error { _, err := w.Write(pdf); return err }})
	}
	return out
}

// readZip opens a zip on disk and returns name → content.
func readZip(t *testing.T, file string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("%s : %v", file, err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s/%s : %v", file, f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func ls(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func statusesByCode(rs []domain.VaultReturn) map[string]domain.EntryState {
	m := map[string]domain.EntryState{}
	for _, r := range rs {
		for _, s := range r.Statuses {
			m[s.StudentCode] = s.State
		}
	}
	return m
}

func ids(rs []domain.VaultReturn) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func kindOf(t *testing.T, err error, kind error, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("attendu une erreur %v, reçu nil", kind)
	}
	var xe *domain.ExternalError
	if !errors.As(err, &xe) {
		t.Fatalf("attendu *domain.ExternalError, reçu %T : %v", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("attendu %v, reçu : %v", kind, err)
	}
	t.Logf("message : %v", err)
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Fatalf("le message %q ne contient pas %q", err.Error(), c)
		}
	}
}

// Two full cycles against a real sshd: adhesion drop → Digiposte (simulator) answers →
// statuses read and acknowledged → deposit drop → cancellations acknowledged.
func TestR19_R20_R21_TwoCyclesOverSFTP(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	ctx := testCtx(t)
	sim, err := NewSimulator(srv.Base, SimOptions{RefuseEvery: 3, CancelEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := srv.client(t, "", nil)
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	f := DefaultFormat()
	adhDir := filepath.Join(srv.Base, f.AdhesionDir)

	// --- cycle 1: R19 adhesions
	batch1 := students(6, 1)
	if err := c.RequestAdhesions(ctx, "A20250601", batch1); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, adhDir); len(got) != 1 || got[0] != "UNIV_ADH_A20250601.zip" {
		t.Fatalf("dossier des adhésions : %v", got)
	}
	zipPath := filepath.Join(adhDir, "UNIV_ADH_A20250601.zip")
	files := readZip(t, zipPath)
	recs := readCSV(t, files["UNIV_ADH_A20250601.csv"])
	if len(recs) != 7 || strings.Join(recs[0], ";") != "NUMERO;INE;NOM_NAISSANCE;PRENOM_ELE;DATE_NAISSANCE;EMAIL_ELE" {
		t.Fatalf("CSV d'adhésion : %v", recs)
	}
	if recs[1][0] != "21000001" || recs[1][3] != "Marie Hélène" || recs[1][4] != "02/03/2002" || recs[1][5] != "etu1@univ.example.fr" {
		t.Fatalf("ligne d'adhésion : %v", recs[1])
	}
	// Same batch again (a crash before the store recorded it): nothing is re-sent.
	before, _ := os.Stat(zipPath)
	if err := c.RequestAdhesions(ctx, "A20250601", students(2, 50)); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(zipPath)
	if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Fatal("un lot déjà déposé a été réécrit")
	}

	// Digiposte opens vaults: RefuseEvery 3 → students 3 and 6 refused.
	rep, err := sim.Step()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Opened != 4 || rep.Refused != 2 || rep.ReturnFile == "" {
		t.Fatalf("simulateur : %+v", rep)
	}

	// R20 sync: statuses, then acknowledgement.
	rets, err := c.Returns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rets) != 1 || rets[0].Err != nil || len(rets[0].Statuses) != 6 {
		t.Fatalf("retours : %+v", rets)
	}
	st := statusesByCode(rets)
	var open []string
	for _, s := range batch1 {
		want := domain.EntryVaultOpen
		if s.Code == "21000003" || s.Code == "21000006" {
			want = domain.EntryVaultRefused
		} else {
			open = append(open, s.Code)
		}
		if st[s.Code] != want {
			t.Fatalf("%s : %s, attendu %s", s.Code, st[s.Code], want)
		}
	}
	if rets[0].Statuses[0].At.IsZero() {
		t.Fatal("date de statut non lue")
	}
	// Not acknowledged yet: read again identically (crash between read and ack).
	again, err := c.Returns(ctx)
	if err != nil || len(again) != 1 || again[0].ID != rets[0].ID {
		t.Fatalf("relecture avant acquittement : %v %v", again, err)
	}
	if err := c.Acknowledge(ctx, ids(rets)); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, filepath.Join(srv.Base, f.ArchiveDir)); len(got) != 1 || got[0] != rets[0].ID {
		t.Fatalf("archives : %v", got)
	}
	if rs, err := c.Returns(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("retours après acquittement : %v %v", rs, err)
	}
	if err := c.Acknowledge(ctx, ids(rets)); err != nil {
		t.Fatalf("second acquittement : %v", err)
	}

	// R20 deposit for the open vaults.
	deps := deposits(open, 30_000)
	if err := c.Deposit(ctx, "D20250601", deps); err != nil {
		t.Fatal(err)
	}
	depDir := filepath.Join(srv.Base, f.DepositDir)
	if got := ls(t, depDir); len(got) != 1 || got[0] != "UNIV_DEP_D20250601.zip" {
		t.Fatalf("dossier des dépôts : %v", got)
	}
	files = readZip(t, filepath.Join(depDir, "UNIV_DEP_D20250601.zip"))
	man := readCSV(t, files["UNIV_DEP_D20250601.csv"])
	if len(man) != len(open)+1 || strings.Join(man[0], ";") != "NUMERO;FICHIER;TITRE;TAILLE;SHA256" {
		t.Fatalf("manifeste : %v", man)
	}
	for i, row := range man[1:] {
		pdf := fakePDF(uint64(i), 30_000)
		sum := sha256.Sum256(pdf)
		if row[0] != open[i] || row[1] != "documents/attestation-"+open[i]+".pdf" || row[3] != "30000" || row[4] != hex.EncodeToString(sum[:]) {
			t.Fatalf("manifeste ligne %d : %v", i+1, row)
		}
		if !bytes.Equal(files[row[1]], pdf) {
			t.Fatalf("%s : contenu différent", row[1])
		}
	}

	// --- cycle 2: vaults 2 and 4 opened are cancelled, then the documents arrive.
	rep, err = sim.Step()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cancelled != 2 || rep.Integrated != 2 || rep.Rejected != 2 { // cancelled before the documents arrived: "non intégré"
		t.Fatalf("simulateur, 2e passage : %+v", rep)
	}
	// A new adhesion batch in the same cycle.
	if err := c.RequestAdhesions(ctx, "A20250602", students(2, 7)); err != nil {
		t.Fatal(err)
	}
	rets, err = c.Returns(ctx)
	if err != nil || len(rets) != 1 {
		t.Fatalf("retours, cycle 2 : %v %v", rets, err)
	}
	st = statusesByCode(rets)
	if len(st) != 2 || st[open[1]] != domain.EntryCancelled || st[open[3]] != domain.EntryCancelled {
		t.Fatalf("R21 résiliations : %v", st)
	}
	for _, s := range rets[0].Statuses {
		if s.Reason == "" {
			t.Fatalf("résiliation sans motif : %+v", s)
		}
	}
	if err := c.Acknowledge(ctx, ids(rets)); err != nil {
		t.Fatal(err)
	}
	rep, err = sim.Step()
	if err != nil || rep.Opened != 2 {
		t.Fatalf("simulateur, 3e passage : %+v %v", rep, err)
	}
	rets, err = c.Returns(ctx)
	if err != nil || len(rets) != 1 || len(rets[0].Statuses) != 2 {
		t.Fatalf("retours, cycle 2 bis : %v %v", rets, err)
	}
	if err := c.Acknowledge(ctx, ids(rets)); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, filepath.Join(srv.Base, f.ArchiveDir)); len(got) != 3 {
		t.Fatalf("archives : %v", got)
	}
	if got := ls(t, adhDir); len(got) != 2 {
		t.Fatalf("adhésions : %v", got)
	}
	// No temporary file anywhere.
	_ = filepath.Walk(srv.Base, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") {
			t.Errorf("fichier temporaire resté : %s", p)
		}
		return nil
	})
	vaults, docs, err := sim.Vaults()
	if err != nil {
		t.Fatal(err)
	}
	if vaults[open[0]] != "open" || vaults[open[1]] != "cancelled" || len(docs[open[0]]) != 1 {
		t.Fatalf("coffres simulés : %v %v", vaults, docs)
	}
}

func TestR19_HostKeyUnknownRefused(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	ctx := testCtx(t)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := srv.client(t, "", func(cfg *Config) { cfg.KnownHostsFile = empty })
	err := c.RequestAdhesions(ctx, "A1", students(1, 1))
	kindOf(t, err, domain.ErrPermanent, "clé d'hôte inconnue", ssh.FingerprintSHA256(srv.HostKey), "ajoutez à "+empty)
	if got := ls(t, srv.Base); len(got) != 0 {
		t.Fatalf("rien ne doit être écrit : %v", got)
	}
}

func TestR19_HostKeyChangedRefused(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	ctx := testCtx(t)
	_, other := sshtest.NewKey(t)
	kh := knownHostsFile(t, srv.Addr, other.PublicKey())
	c := srv.client(t, "", func(cfg *Config) { cfg.KnownHostsFile = kh })
	err := c.RequestAdhesions(ctx, "A1", students(1, 1))
	kindOf(t, err, domain.ErrPermanent, "a CHANGÉ", ssh.FingerprintSHA256(srv.HostKey), "attaque")

	// Explicitly insecure: accepted.
	c = srv.client(t, "", func(cfg *Config) { cfg.KnownHostsFile = ""; cfg.InsecureIgnoreHostKey = true; cfg.CreateDirs = true })
	if err := c.RequestAdhesions(ctx, "A1", students(1, 1)); err != nil {
		t.Fatal(err)
	}
}

func TestR19_ConfigWithoutKnownHostsRejected(t *testing.T) {
	_, s := sshtest.NewKey(t)
	_, err := New(Config{Addr: "127.0.0.1:1", User: "u", Signer: s})
	if err == nil || !strings.Contains(err.Error(), "known_hosts") {
		t.Fatalf("attendu une erreur known_hosts, reçu %v", err)
	}
	_, err = New(Config{Addr: "127.0.0.1:1", User: "u", KnownHostsFile: "/nonexistent/kh"})
	if err == nil || !strings.Contains(err.Error(), "ni clé privée ni mot de passe") && !strings.Contains(err.Error(), "ni clé") {
		t.Fatalf("attendu une erreur d'authentification, reçu %v", err)
	}
	_, err = New(Config{Addr: "127.0.0.1:1", User: "u", Signer: s, KnownHostsFile: "/nonexistent/kh"})
	if err == nil || !strings.Contains(err.Error(), "ssh-keyscan") {
		t.Fatalf("attendu une erreur known_hosts illisible, reçu %v", err)
	}
}

func TestR19_ServerDownIsTransient(t *testing.T) {
	_, s := sshtest.NewKey(t)
	_, hostKey := sshtest.NewKey(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	c, err := New(Config{Addr: addr, User: "u", Signer: s, KnownHostsFile: knownHostsFile(t, addr, hostKey.PublicKey()), DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.RequestAdhesions(testCtx(t), "A1", students(1, 1))
	kindOf(t, err, domain.ErrTransient, "injoignable", addr)
	if time.Since(start) > 5*time.Second {
		t.Fatalf("trop long : %v", time.Since(start))
	}
}

func TestR19_AuthenticationRefused(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	_, wrong := sshtest.NewKey(t)
	c := srv.client(t, "", func(cfg *Config) { cfg.Signer = wrong })
	kindOf(t, c.RequestAdhesions(testCtx(t), "A1", students(1, 1)), domain.ErrPermanent, "authentification refusée")
	c = srv.client(t, "", func(cfg *Config) { cfg.Signer = nil; cfg.Password = "pas-le-bon" })
	kindOf(t, c.RequestAdhesions(testCtx(t), "A1", students(1, 1)), domain.ErrPermanent, "authentification refusée")
}

func TestR20_PermissionDeniedOnRemote(t *testing.T) {
	srv := startSSHD(t, sshdOpts{readOnly: true})
	if _, err := NewSimulator(srv.Base, SimOptions{}); err != nil { // the folders exist
		t.Fatal(err)
	}
	c := srv.client(t, "", nil)
	err := c.Deposit(testCtx(t), "D1", deposits([]string{"1"}, 1000))
	kindOf(t, err, domain.ErrPermanent, "permission refusée", "depots")
	if got := ls(t, filepath.Join(srv.Base, "depots")); len(got) != 0 {
		t.Fatalf("dépôts : %v", got)
	}
}

func TestR20_MissingRemoteFolder(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	c := srv.client(t, "", nil)
	kindOf(t, c.Check(testCtx(t)), domain.ErrPermanent, "introuvable")
	kindOf(t, c.Deposit(testCtx(t), "D1", deposits([]string{"1"}, 1000)), domain.ErrPermanent, "introuvable")
}

// Disk full: a 1 MiB tmpfs mounted on the deposit folder (needs root and mount rights).
func TestR20_DiskFullThenRetry(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	if _, err := NewSimulator(srv.Base, SimOptions{}); err != nil {
		t.Fatal(err)
	}
	depDir := filepath.Join(srv.Base, "depots")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", depDir).CombinedOutput(); err != nil {
		testenv.Missing(t, fmt.Sprintf("le montage d'un tmpfs pour simuler un disque plein (%v %s)", err, out),
			"lancez les tests en root avec le droit de monter (CAP_SYS_ADMIN)")
	}
	mounted := true
	umount := func() {
		if mounted {
			if out, err := exec.Command("umount", depDir).CombinedOutput(); err != nil {
				t.Errorf("umount %s : %v %s", depDir, err, out)
			}
			mounted = false
		}
	}
	t.Cleanup(umount)
	c := srv.client(t, "", func(cfg *Config) { cfg.Format.ZipMethod = ZipStore })
	codes := []string{"1", "2", "3", "4", "5", "6", "7", "8"}
	err := c.Deposit(testCtx(t), "D1", deposits(codes, 300_000)) // 2.4 MB > 1 MiB
	kindOf(t, err, domain.ErrTransient, "disque distant plein")
	if got := ls(t, depDir); len(got) != 0 {
		t.Fatalf("rien ne doit rester dans le dossier plein : %v", got)
	}
	umount() // room again
	if err := c.Deposit(testCtx(t), "D1", deposits(codes, 300_000)); err != nil {
		t.Fatal(err)
	}
	if got := readZip(t, filepath.Join(depDir, "UNIV_DEP_D1.zip")); len(got) != 9 {
		t.Fatalf("archive : %d fichiers", len(got))
	}
}

// A connection cut in the middle of a streamed upload: nothing appears under the final
// name; the next drop of the same batch completes it.
func TestR20_ConnectionCutMidUploadThenRetry(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	if _, err := NewSimulator(srv.Base, SimOptions{}); err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, srv.Addr)
	c := srv.client(t, proxy.Addr, func(cfg *Config) { cfg.Format.ZipMethod = ZipStore })
	var codes []string
	for i := range 200 {
		codes = append(codes, fmt.Sprintf("3000%04d", i))
	}
	deps := deposits(codes, 50_000) // 10 MB
	cut := deposits(codes, 50_000)
	for i := range cut {
		inner := cut[i].PDF
		i := i
		cut[i].PDF = func(w io.Writer) error {
			if i == 100 {
				proxy.cut()
			}
			return inner(w)
		}
	}
	depDir := filepath.Join(srv.Base, "depots")
	err := c.Deposit(testCtx(t), "D7", cut)
	kindOf(t, err, domain.ErrTransient)
	if _, err := os.Stat(filepath.Join(depDir, "UNIV_DEP_D7.zip")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("un fichier est visible sous le nom définitif après la coupure : %v", err)
	}
	t.Logf("après la coupure : %v ; erreur : %v", ls(t, depDir), err)

	if err := c.Deposit(testCtx(t), "D7", deps); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, depDir); len(got) != 1 || got[0] != "UNIV_DEP_D7.zip" {
		t.Fatalf("après reprise : %v", got)
	}
	files := readZip(t, filepath.Join(depDir, "UNIV_DEP_D7.zip"))
	if len(files) != 201 || !bytes.Equal(files["documents/attestation-30000199.pdf"], fakePDF(199, 50_000)) {
		t.Fatalf("archive reprise incomplète : %d fichiers", len(files))
	}
}

// A PDF callback failing mid-way aborts the drop and leaves nothing behind.
func TestR20_RenderFailureLeavesNothing(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	c := srv.client(t, "", func(cfg *Config) { cfg.CreateDirs = true })
	deps := deposits([]string{"1", "2", "3", "4"}, 10_000)
	bad := append([]domain.Deposit(nil), deps...)
	errFont := fmt.Errorf("%w : police introuvable", domain.ErrPermanent)
	bad[2].PDF = func(w io.Writer) error {
		_, _ = w.Write([]byte("%PDF-1.4 début"))
		return errFont
	}
	err := c.Deposit(testCtx(t), "D1", bad)
	if !errors.Is(err, errFont) || !strings.Contains(err.Error(), "étudiant 3") || !strings.Contains(err.Error(), "rien n'a été déposé") {
		t.Fatalf("l'erreur du rendu doit être rendue telle quelle : %v", err)
	}
	t.Logf("message : %v", err)
	depDir := filepath.Join(srv.Base, "depots")
	if got := ls(t, depDir); len(got) != 0 {
		t.Fatalf("rien ne doit rester : %v", got)
	}
	if err := c.Deposit(testCtx(t), "D1", deps); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, depDir); len(got) != 1 {
		t.Fatalf("%v", got)
	}
}

// Cancelling the context interrupts a drop as a transient failure.
func TestR22_ContextCancelledIsTransient(t *testing.T) {
	srv := startSSHD(t, sshdOpts{})
	c := srv.client(t, "", func(cfg *Config) { cfg.CreateDirs = true })
	ctx, cancel := context.WithCancel(testCtx(t))
	deps := deposits([]string{"1", "2", "3"}, 10_000)
	deps[1].PDF = func(w io.Writer) error { cancel(); _, err := w.Write([]byte("x")); return err }
	err := c.Deposit(ctx, "D1", deps)
	kindOf(t, err, domain.ErrTransient)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("attendu context.Canceled : %v", err)
	}
	if _, err := os.Stat(filepath.Join(srv.Base, "depots", "UNIV_DEP_D1.zip")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("dépôt visible après annulation")
	}
}

// digiposte.remote.*: the folders are relative to the account's login folder, or to
// the base folder (digiposte.remote.base → Config.RemoteDir) when set. Here the
// account lands (sftp-server -d) in a folder other than the exchange tree.
func TestR19_RemoteFoldersRelativeToLoginOrBase(t *testing.T) {
	landing := t.TempDir()
	srv := startSSHD(t, sshdOpts{landing: landing})
	ctx := testCtx(t)
	f := DefaultFormat()
	for _, dir := range []string{filepath.Join(srv.Base, f.AdhesionDir), filepath.Join(landing, f.AdhesionDir)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Without a base: relative to where the account lands.
	c := srv.client(t, "", func(c *Config) { c.RemoteDir = "" })
	if err := c.RequestAdhesions(ctx, "A1", students(2, 1)); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, filepath.Join(landing, f.AdhesionDir)); len(got) != 1 {
		t.Fatalf("sans dossier de base, dépôt dans le dossier de connexion attendu : %v", got)
	}
	// With the base: under it, nothing more in the landing folder.
	c = srv.client(t, "", func(c *Config) { c.RemoteDir = srv.Base })
	if err := c.RequestAdhesions(ctx, "A2", students(2, 3)); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, filepath.Join(srv.Base, f.AdhesionDir)); len(got) != 1 || got[0] != "UNIV_ADH_A2.zip" {
		t.Fatalf("avec le dossier de base : %v", got)
	}
	if got := ls(t, filepath.Join(landing, f.AdhesionDir)); len(got) != 1 {
		t.Errorf("dossier de connexion : %v", got)
	}
}
