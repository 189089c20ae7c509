package safefile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"hypercerts/internal/safefile"
)

func write(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWrite_NewFileIsPrivateAndComplete(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "export.csv")
	if err := safefile.Write(path, safefile.Options{}, write("données")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(path); string(b) != "données" {
		t.Fatalf("content = %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*partiel*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestWrite_RefusesAPlantedSymlinkEvenWithForce(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "passwd")
	os.WriteFile(victim, []byte("root:x:0:0"), 0o644)
	link := filepath.Join(dir, "export.csv")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		err := safefile.Write(link, safefile.Options{Force: force}, write("données d'étudiants"))
		if !errors.Is(err, safefile.ErrSymlink) {
			t.Fatalf("force=%v: err = %v, want ErrSymlink", force, err)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "root:x:0:0" {
		t.Fatalf("the link's target was written: %q", b)
	}
}

func TestWrite_ExistingFileNeedsForceAndIsThenReplacedPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attestation.pdf")
	os.WriteFile(path, []byte("ancien"), 0o644)
	os.Chmod(path, 0o666) // pre-created world-readable and writable
	err := safefile.Write(path, safefile.Options{}, write("nouveau"))
	if !errors.Is(err, safefile.ErrExists) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v, want ErrExists naming --force", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "ancien" {
		t.Fatal("refused write changed the file")
	}
	if err := safefile.Write(path, safefile.Options{Force: true}, write("nouveau")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != "nouveau" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after --force: %q mode %v", b, fi.Mode())
	}
}

func TestWrite_FailedFillLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sauvegarde.db")
	err := safefile.Write(path, safefile.Options{}, func(io.Writer) error { return errors.New("coupure") })
	if err == nil {
		t.Fatal("no error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestCreate_FileAppearingMeanwhileIsNotClobbered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	f, err := safefile.Create(path, safefile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "nous")
	os.WriteFile(path, []byte("eux"), 0o644) // created by someone else meanwhile
	if err := f.Commit(); !errors.Is(err, safefile.ErrExists) {
		t.Fatalf("Commit = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "eux" {
		t.Fatal("the other file was replaced")
	}
}

func TestOpenAppend_RefusesLinksAndOthersFilesAndTightensMode(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "shadow")
	os.WriteFile(victim, []byte("x"), 0o600)
	link := filepath.Join(dir, "hypercerts.log")
	os.Symlink(victim, link)
	if _, err := safefile.OpenAppend(link); !errors.Is(err, safefile.ErrSymlink) {
		t.Fatalf("symlink: %v, want ErrSymlink", err)
	}
	hard := filepath.Join(dir, "hard.log")
	if err := os.Link(victim, hard); err != nil {
		t.Fatal(err)
	}
	if _, err := safefile.OpenAppend(hard); err == nil {
		t.Fatal("a file with another hard link was opened")
	}
	open := filepath.Join(dir, "ouvert.log")
	os.WriteFile(open, []byte("début\n"), 0o644)
	os.Chmod(open, 0o644)
	f, err := safefile.OpenAppend(open)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Stat(open); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode())
	}
	if os.Geteuid() == 0 { // root can hand a file to another user: as an attacker would pre-create it
		other := filepath.Join(dir, "autre.log")
		os.WriteFile(other, nil, 0o600)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := safefile.OpenAppend(other); err == nil || !strings.Contains(err.Error(), "autre utilisateur") {
			t.Fatalf("file of another user: %v", err)
		}
	}
}
