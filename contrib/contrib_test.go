// Package contrib holds what a server installation needs beside the binary: the
// systemd unit and the secrets file example. Its test checks the unit with
// systemd-analyze verify (Debian package: systemd).
package contrib

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hypercerts/internal/testenv"
)

func TestUnitPassesSystemdAnalyzeVerify(t *testing.T) {
	analyze := testenv.Tool(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile("hypercerts.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=hypercerts", "ProtectSystem=strict", "ReadWritePaths=/var/lib/hypercerts",
		"EnvironmentFile=/etc/hypercerts/hypercerts.env", "Restart=on-failure", "KillSignal=SIGTERM", "TimeoutStopSec="} {
		if !strings.Contains(string(unit), want+"") {
			t.Errorf("unit lacks %s", want)
		}
	}
	// verify wants the executables to exist: point them at a stand-in.
	dir := t.TempDir()
	bin := filepath.Join(dir, "hypercerts")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/hypercerts", bin)
	file := filepath.Join(dir, "hypercerts.service")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", file)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=warning")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "hypercerts.service") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestSecretsExampleNamesTheConfigDefaults(t *testing.T) {
	env, err := os.ReadFile("hypercerts.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"HYPERCERTS_APOGEE_DSN=", "HYPERCERTS_SIGNER_KEY=", "HYPERCERTS_SMTP_PASSWORD="} {
		if !strings.Contains(string(env), "\n"+name) {
			t.Errorf("hypercerts.env.example lacks %s", name)
		}
	}
}
