package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/config"
	"hypercerts/daemon"
	"hypercerts/store"
)

func runMain(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return out.String(), errb.String(), code
}

func demoArgs(t *testing.T) []string {
	return []string{"--demo", "--demo-dir", t.TempDir(), "--demo-students", "300"}
}

func TestPreviewCommand_TableAndTotals(t *testing.T) {
	t.Parallel()
	out, errOut, code := runMain(t, append([]string{"preview", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201"}, demoArgs(t)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Nom", "Verdict", "LEFÈVRE", "Reçu", "Non reçu", "Pas de verdict", "délivrance non autorisée", "attestations à produire"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview output lacks %q:\n%s", want, out)
		}
	}
}

func TestPreviewCommand_CSVForLibreOffice(t *testing.T) {
	t.Parallel()
	csvPath := filepath.Join(t.TempDir(), "apercu.csv")
	_, errOut, code := runMain(t, append([]string{"preview", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201", "--csv", csvPath}, demoArgs(t)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(csvPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("CSV of students' personal data: mode %v, %v; want 0600", fi.Mode(), err)
	}
	if !bytes.HasPrefix(b, []byte("\uFEFFNom;Prénoms;Code étudiant;")) {
		t.Fatalf("CSV must start with a BOM and a ';' header: %q", b[:min(len(b), 60)])
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\r\n")
	if len(lines) < 10 {
		t.Fatalf("CSV has %d lines", len(lines))
	}
	cols := strings.Count(lines[0], ";")
	for i, l := range lines[1:] {
		if strings.Count(l, ";") < cols { // quoted fields may hold ';' only inside quotes
			t.Fatalf("line %d has fewer columns than the header: %q", i+2, l)
		}
	}
}

func TestPreviewCommand_BadInputSaysWhatToDo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"preview", "--year", "2024", "--component", "SCI"}, "options obligatoires manquantes : [--vdi]"},
		{[]string{"preview", "--year", "2024", "--component", "SCI", "--vdi", "LMATH"}, "format attendu CODE_DIPLOME/VERSION"},
		{[]string{"preview", "--year", "1999", "--component", "SCI", "--vdi", "LMATH/201"}, "l'année 1999 n'est pas ouverte dans Apogée"},
		{[]string{"preview", "--year", "2024", "--component", "SCI", "--vdi", "NOPE/1"}, "la VDI NOPE/1 n'est pas proposée pour la composante SCI"},
		{[]string{"preview", "--year", "2024", "--component", "IUT", "--vdi", "LMATH/201"}, "n'a pas le droit TRAREF10 sur la composante IUT"},
		{[]string{"preview", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201", "--vet", "BAD/9"}, "la VET BAD/9 n'est pas une VET diplômante"},
	}
	for _, c := range cases {
		_, errOut, code := runMain(t, append(c.args, demoArgs(t)...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

func TestConfigErrorsAreReportedWithTheirLine(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "application.yaml")
	if err := os.WriteFile(cfg, []byte("university:\n  name: U\n  city: V\nmail:\n  smtp:\n    port: 70000\ndelivery:\n  tset_mode: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runMain(t, "preview", "--config", cfg, "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201")
	if code == 0 {
		t.Fatal("a broken configuration was accepted")
	}
	for _, want := range []string{"mail.smtp.port (ligne 6)", "delivery.tset_mode (ligne 8)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestR07_CampaignRunThenRelaunchSendsNothingTwice(t *testing.T) {
	t.Parallel()
	demo := demoArgs(t)
	out, errOut, code := runMain(t, append([]string{"campaign", "run", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201", "--test-mode"}, demo...)...)
	if code != 0 {
		t.Fatalf("campaign run: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "envoyé :") || !strings.Contains(out, "courriels écrits dans") {
		t.Fatalf("campaign run output:\n%s", out)
	}
	id := strings.Fields(strings.SplitN(out, "campagne ", 2)[1])[0]
	mails, _ := filepath.Glob(filepath.Join(demo[2], "mails", "attestation.*.eml"))
	if len(mails) == 0 {
		t.Fatal("no attestation mail written")
	}
	for _, m := range mails[:min(len(mails), 20)] {
		b, _ := os.ReadFile(m)
		if !bytes.Contains(b, []byte("To: <test-scolarite@univ-demo.fr>")) && !bytes.Contains(b, []byte("To: test-scolarite@univ-demo.fr")) {
			t.Fatalf("test mode: %s is not addressed to the test address:\n%s", m, b[:min(len(b), 600)])
		}
	}
	_, errOut, code = runMain(t, append([]string{"campaign", "relaunch", id}, demo...)...)
	if code != 0 {
		t.Fatalf("relaunch: exit %d: %s", code, errOut)
	}
	again, _ := filepath.Glob(filepath.Join(demo[2], "mails", "attestation.*.eml"))
	if len(again) != len(mails) {
		t.Fatalf("relaunch wrote %d attestation mails, want none new (%d before)", len(again)-len(mails), len(mails))
	}
	show, errOut, code := runMain(t, append([]string{"campaign", "show", id}, demo...)...)
	if code != 0 || !strings.Contains(show, "rien à relancer") || !strings.Contains(show, "MODE TEST") {
		t.Fatalf("campaign show: exit %d %s\n%s", code, errOut, show)
	}
}

func TestRenderCommand_WritesTheAttestation(t *testing.T) {
	t.Parallel()
	pdf := filepath.Join(t.TempDir(), "a.pdf")
	out, errOut, code := runMain(t, append([]string{"render", "--student", "21000001", "--out", pdf}, demoArgs(t)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("no PDF written: %v", err)
	}
	if fi, err := os.Stat(pdf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("attestation PDF: mode %v, %v; want 0600", fi.Mode(), err)
	}
	if !strings.Contains(out, "Élodie LEFÈVRE") {
		t.Fatalf("output: %s", out)
	}
	_, errOut, code = runMain(t, append([]string{"render", "--student", "99999999", "--out", pdf, "--force"}, demoArgs(t)...)...)
	if code == 0 || !strings.Contains(errOut, "99999999") {
		t.Fatalf("unknown student: exit %d, %s", code, errOut)
	}
}

// TestEveryCommandHelpHasAnExample: `hypercerts COMMAND --help` explains the command
// and shows at least one example.
func TestEveryCommandHelpHasAnExample(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		name := c.name
		args := []string{name, "--help"}
		if name == "campaign" || name == "hubee" || name == "attestation" {
			continue // their sub-commands are checked below
		}
		_, errOut, code := runMain(t, args...)
		if code != 0 || !strings.Contains(errOut, "Exemple") {
			t.Errorf("%s --help: exit %d, no example:\n%s", name, code, errOut)
		}
	}
	for _, args := range [][]string{{"campaign", "run"}, {"campaign", "list"}, {"campaign", "show"}, {"campaign", "relaunch"},
		{"campaign", "resume"}, {"hubee", "sync"}, {"hubee", "list"},
		{"attestation", "show"}, {"attestation", "revoke"}, {"attestation", "keys"}, {"attestation", "rotate-key"}} {
		_, errOut, code := runMain(t, append(args, "--help")...)
		if code != 0 || !strings.Contains(errOut, "Exemple") {
			t.Errorf("%v --help: exit %d, no example:\n%s", args, code, errOut)
		}
	}
}

// `hypercerts campaign --help` (a command with verbs) was asked for: exit 0, with the
// verbs listed.
func TestCommandWithVerbsHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ cmd, verbs string }{{"campaign", "run, list, show, relaunch, resume"}, {"hubee", "sync, list"}} {
		for _, flag := range []string{"--help", "-h"} {
			_, errOut, code := runMain(t, c.cmd, flag)
			if code != 0 || !strings.Contains(errOut, c.verbs) {
				t.Errorf("%s %s: exit %d:\n%s", c.cmd, flag, code, errOut)
			}
		}
	}
}

func TestSubcommands_UnknownVerbNamesTheKnownOnes(t *testing.T) {
	t.Parallel()
	_, errOut, code := runMain(t, "campaign", "lancer")
	if code == 0 || !strings.Contains(errOut, `sous-commande inconnue "lancer" : run, list, show, relaunch ou resume`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, errOut, code = runMain(t, "hubee")
	if code == 0 || !strings.Contains(errOut, "hypercerts hubee sync|list") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// The daemon holds the store and listens on 12304: `campaign list` says so with the
// port from the daemon's status file, not the default 2222.
func TestCampaignListWhileDaemonRunsNamesItsRealAddress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Demo(dir)
	st, err := store.Open(cfg.Store.Path, time.Second) // held, as the daemon holds it
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	status := daemon.Status{PID: os.Getpid(), Started: time.Now(), Updated: time.Now(), SSH: "127.0.0.1:12304"}
	b, _ := json.Marshal(status)
	if err := os.WriteFile(daemon.HealthFilePath(cfg.Store.Path), b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runMain(t, "campaign", "list", "--demo", "--demo-dir", dir)
	if code == 0 || !strings.Contains(errOut, "-p 12304") || strings.Contains(errOut, "2222") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}
