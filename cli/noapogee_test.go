package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configWithoutApogee writes the example configuration with Apogée's database and web
// services pointing at a closed port on loopback, and a store in a temporary folder.
func configWithoutApogee(t *testing.T) (cfgPath string, getenv func(string) string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	raw, err := os.ReadFile("../application.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := string(raw)
	s = strings.Replace(s, `"https://apogee.univ-exemple.fr/apo-commun-servicesMetiers"`, `"http://`+closed+`/apo-commun-servicesMetiers"`, 1)
	s = strings.Replace(s, `"/var/lib/hypercerts/hypercerts.db"`, `"`+filepath.Join(dir, "hypercerts.db")+`"`, 1)
	cfgPath = filepath.Join(dir, "application.yaml")
	if err := os.WriteFile(cfgPath, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HYPERCERTS_APOGEE_DSN", "oracle://hyper:secret@"+closed+"/APOGEE")
	for _, k := range []string{"HYPERCERTS_SIGNER_KEY", "HYPERCERTS_SMTP_PASSWORD", "HYPERCERTS_HUBEE_SECRET_ATTESTATION"} {
		t.Setenv(k, "x") // set, never used here
	}
	return cfgPath, os.Getenv
}

// TestStoreOnlyCommands_WorkWithoutApogee: with Apogée's database and web services
// unreachable, what only reads or writes the store works; what needs Apogée fails
// saying so.
func TestStoreOnlyCommands_WorkWithoutApogee(t *testing.T) {
	cfg, getenv := configWithoutApogee(t)
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		// --config right after the command words (flags stop at the first operand).
		n := 1
		if args[0] == "campaign" {
			n = 2
		}
		full := append(append(append([]string{}, args[:n]...), "--config", cfg), args[n:]...)
		code := Main(full, Env{Stdout: &out, Stderr: &errb, Getenv: getenv})
		return out.String(), errb.String(), code
	}
	backup := filepath.Join(t.TempDir(), "copie.db")
	for _, args := range [][]string{
		{"purge", "--days", "30"},
		{"backup", backup},
	} {
		out, errs, code := run(args...)
		if code != 0 {
			t.Errorf("%v with Apogée unreachable: exit %d\n%s%s", args, code, out, errs)
		}
	}
	// Listing campaigns checks the user's rights in Apogée (R02): with no rights ever
	// read for this user (none kept in the store) it fails, saying Apogée is unreachable.
	out, errs, code := run("campaign", "list")
	if code == 0 || !strings.Contains(out+errs, "Apogée") || !strings.Contains(out+errs, "temporaire") {
		t.Errorf("campaign list: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = run("preview", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201")
	if code == 0 || !strings.Contains(out+errs, "Apogée") {
		t.Errorf("preview needs Apogée: exit %d\n%s%s", code, out, errs)
	}
}
