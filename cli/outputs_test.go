package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Outputs holding students' data are never written through a planted symbolic link,
// never over an existing file without --force.
func TestOutputs_RefuseSymlinksAndExistingFilesWithoutForce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victime")
	if err := os.WriteFile(victim, []byte("intact"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "lien")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "existant")
	if err := os.WriteFile(existing, []byte("intact"), 0o644); err != nil {
		t.Fatal(err)
	}
	demo := []string{"--demo", "--demo-dir", filepath.Join(dir, "demo"), "--demo-students", "50"}
	preview := []string{"preview", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201"}
	render := []string{"render", "--student", "21000007"}
	if code, _, errOut := runCLI(t, append([]string{"campaign", "list"}, demo...)...); code != 0 { // creates the base
		t.Fatalf("campaign list: %s", errOut)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"preview --csv lien", append(append(preview, "--csv", link), demo...), "lien symbolique"},
		{"preview --csv existant", append(append(preview, "--csv", existing), demo...), "--force"},
		{"render --out lien", append(append(render, "--out", link), demo...), "lien symbolique"},
		{"render --out existant", append(append(render, "--out", existing), demo...), "--force"},
		{"backup lien", append([]string{"backup", link}, demo...), "lien symbolique"},
		{"backup existant", append([]string{"backup", existing}, demo...), "--force"},
		{"ui --log lien", append([]string{"ui", "--log", link}, demo...), "lien symbolique"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(t, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %q; want a refusal saying %q", c.name, code, errOut, c.want)
		}
	}
	for _, f := range []string{victim, existing} {
		if b, _ := os.ReadFile(f); string(b) != "intact" {
			t.Errorf("%s was written: %q", f, b)
		}
	}
	// backup's temporary file is not at a predictable name: a link planted there is never followed.
	planted := filepath.Join(dir, "sauvegarde.db")
	if err := os.Symlink(victim, planted+".partiel"); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, append([]string{"backup", planted}, demo...)...); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(victim); string(b) != "intact" {
		t.Fatalf("backup wrote through the planted link: %q", b)
	}
	if fi, err := os.Lstat(planted); err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
		t.Fatalf("backup file: %v, %v; want a regular 0600 file", fi, err)
	}
	// With --force an existing regular file is replaced, 0600.
	if code, _, errOut := runCLI(t, append(append(render, "--out", existing, "--force"), demo...)...); code != 0 {
		t.Fatalf("render --force: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(existing); !strings.HasPrefix(string(b), "%PDF") {
		t.Fatal("render --force did not replace the file")
	}
	if fi, _ := os.Stat(existing); fi.Mode().Perm() != 0o600 {
		t.Fatalf("render --force: mode %v, want 0600", fi.Mode().Perm())
	}
}
