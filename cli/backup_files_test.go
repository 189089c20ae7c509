package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/config"
	"hypercerts/control"
	"hypercerts/domain"
	"hypercerts/internal/backupfiles"
	"hypercerts/store"
)

// TestBackup_CarriesHubEEFilesAndRestorePutsThemBack: the HubEE files beside the base
// travel in the same backup file (0600), after a base part identical to the plain
// copy of the base; restore puts them back and keeps the replaced folder.
func TestBackup_CarriesHubEEFilesAndRestorePutsThemBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Demo(dir)
	pdf := bytes.Repeat([]byte("%PDF-1.7 pièce jointe "), 5000)
	st, err := store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCampaign(&domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "AVANT", Version: "1"}}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ c, k string }{{"case-1", "piece.pdf"}, {"case/2", "..%réponse"}} {
		if err := st.PutHubEEFile(f.c, f.k, pdf); err != nil {
			t.Fatal(err)
		}
	}
	var plain bytes.Buffer
	if _, err := st.WriteTo(&plain); err != nil {
		t.Fatal(err)
	}
	st.Close()

	backup := filepath.Join(t.TempDir(), "b.db")
	code, out, errs := runCLI(t, "backup", "--demo", "--demo-dir", dir, backup)
	if code != 0 || !strings.Contains(out, "2 fichiers HubEE") {
		t.Fatalf("backup: exit %d %q %q", code, out, errs)
	}
	fi, err := os.Stat(backup)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	f, err := os.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, files, err := backupfiles.Split(f, fi.Size())
	if err != nil || files == nil {
		t.Fatalf("split: %d %v %v", n, files, err)
	}
	// The base part is a bbolt copy as before: page-aligned, a base on its own, the
	// size the plain copy has.
	head := make([]byte, n)
	if _, err := f.ReadAt(head, 0); err != nil || n != int64(plain.Len()) || n%4096 != 0 {
		t.Fatalf("the base part has %d bytes, the plain copy %d: %v", n, plain.Len(), err)
	}
	alone := filepath.Join(t.TempDir(), "base.db")
	os.WriteFile(alone, head, 0o600)
	if info, err := control.Inspect(alone); err != nil || info.Campaigns != 1 {
		t.Fatalf("base part alone: %+v %v", info, err)
	}

	// After the backup: one file gone, another added.
	st, err = store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	filesDir := st.HubEEFilesDir()
	if err := st.PutHubEEFile("case-3", "plus-tard.pdf", []byte("%PDF plus tard")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := os.RemoveAll(filepath.Join(filesDir, "case-1")); err != nil {
		t.Fatal(err)
	}

	code, out, errs = runCLI(t, "restore", "--demo", "--demo-dir", dir, backup)
	if code != 0 || !strings.Contains(out, "2 fichiers HubEE") || !strings.Contains(out, "anciens fichiers HubEE sont gardés") {
		t.Fatalf("restore: exit %d %q %q", code, out, errs)
	}
	if fi, err := os.Stat(cfg.Store.Path); err != nil || fi.Size() != n {
		t.Fatalf("restored base: %v %v, want %d bytes (no files part)", fi, err, n)
	}
	st, err = store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, f := range []struct{ c, k string }{{"case-1", "piece.pdf"}, {"case/2", "..%réponse"}} {
		r, size, err := st.OpenHubEEFile(f.c, f.k)
		if err != nil {
			t.Fatalf("%s/%s after restore: %v", f.c, f.k, err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if size != int64(len(pdf)) || !bytes.Equal(got, pdf) {
			t.Errorf("%s/%s: %d bytes back, want %d", f.c, f.k, len(got), len(pdf))
		}
	}
	if _, _, err := st.OpenHubEEFile("case-3", "plus-tard.pdf"); err == nil {
		t.Error("a file written after the backup is still in hubee-files/ after restore")
	}
	kept, _ := filepath.Glob(filesDir + ".avant-restauration-*")
	if len(kept) != 1 {
		t.Fatalf("old hubee-files kept as %v", kept)
	}
	if _, err := os.Stat(filepath.Join(kept[0], "case-3", "plus-tard.pdf")); err != nil {
		t.Errorf("kept folder: %v", err)
	}
	err = filepath.WalkDir(filesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		if want := os.FileMode(0o600); d.IsDir() {
			want = 0o700
			if info.Mode().Perm() != want {
				t.Errorf("%s: mode %v", p, info.Mode().Perm())
			}
		} else if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v", p, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The kept folder holds personal data: it follows the retention of the kept bases.
	removed, err := store.PruneRestoreCopies(cfg.Store.Path, time.Now().Add(time.Hour))
	if err != nil || len(removed) != 2 {
		t.Errorf("prune: %v %v, want the kept base and the kept folder", removed, err)
	}
	if _, err := os.Lstat(kept[0]); !os.IsNotExist(err) {
		t.Errorf("kept folder still there after prune: %v", err)
	}
}

// TestBackup_WithoutHubEEFilesIsThePlainBase: no HubEE file, no trailer: the backup
// is the base copy alone, as before (older backups restore the same way).
func TestBackup_WithoutHubEEFilesIsThePlainBase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Demo(dir)
	st, err := store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	st.WriteTo(&plain)
	st.Close()
	backup := filepath.Join(t.TempDir(), "b.db")
	_, info, err := Backup(context.Background(), cfg, backup, false)
	if err != nil || info.HubEEFiles != 0 {
		t.Fatalf("backup: %+v %v", info, err)
	}
	got, _ := os.ReadFile(backup)
	n, files, err := backupfiles.Split(bytes.NewReader(got), int64(len(got)))
	if len(got) != plain.Len() || n != int64(len(got)) || files != nil || err != nil {
		t.Fatalf("backup without HubEE files: %d bytes (base part %d, files %v, %v), plain copy %d", len(got), n, files, err, plain.Len())
	}
}
