package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hypercerts/attest"
	"hypercerts/render"
)

// R02 from the command line, end to end in the demo: an attestation rendered, revoked
// with a reason (required), revoked again with the same reason (nothing changes, exit
// 0) or another (refused); `verify` then says révoquée with the date and the reason,
// and `attestation show` too.
func TestR02_RevokeCommandThenVerifySaysRevoked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pdf := filepath.Join(t.TempDir(), "attestation.pdf")
	if code, out, errs := runCLI(t, "render", "--demo", "--demo-dir", dir, "--student", "21000007", "--out", pdf); code != 0 {
		t.Fatalf("render: %d %s %s", code, out, errs)
	}
	data, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := render.TokenOf(data)
	if err != nil {
		t.Fatal(err)
	}
	claims, _, _, err := attest.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	ref := []string{"", claims.Reference}
	if code, out, errs := runCLI(t, "attestation", "revoke", "--demo", "--demo-dir", dir, ref[1]); code == 0 {
		t.Errorf("revoke without a reason: exit 0\n%s%s", out, errs)
	}
	code, out, errs := runCLI(t, "attestation", "revoke", "--demo", "--demo-dir", dir, ref[1], "--reason", "délivrée par erreur")
	if code != 0 || !strings.Contains(out, "révoquée le") {
		t.Fatalf("revoke: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "attestation", "revoke", "--demo", "--demo-dir", dir, ref[1], "--reason", "délivrée par erreur")
	if code != 0 || !strings.Contains(out, "rien n'a changé") {
		t.Errorf("same revocation again: %d %s %s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "attestation", "revoke", "--demo", "--demo-dir", dir, ref[1], "--reason", "autre"); code == 0 || !strings.Contains(errs, "déjà révoquée") {
		t.Errorf("another reason: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "verify", "--demo", "--demo-dir", dir, pdf)
	if code != 4 || !strings.Contains(out, "RÉVOQUÉE") || !strings.Contains(out, "délivrée par erreur") || !regexp.MustCompile(`révoquée le \d\d/\d\d/\d{4}`).MatchString(out) {
		t.Errorf("verify after: %d\n%s%s", code, out, errs)
	}
	if code, out, _ := runCLI(t, "attestation", "show", "--demo", "--demo-dir", dir, strings.ToLower(ref[1])); code != 0 || !strings.Contains(out, "délivrée par erreur") {
		t.Errorf("show: %d\n%s", code, out)
	}
}
