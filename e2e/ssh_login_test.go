package e2e

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"hypercerts/internal/daemontest"
	"hypercerts/internal/sshtest"

	"hypercerts/internal/testenv"
)

const casPassword = "Motdepasse-Tres-Secret-42"

// TestR01_SSHPasswordLoginThroughCASNeverLogsThePassword runs the built daemon with SSH
// password login checked against the (simulated) CAS: the right password opens the UI,
// a wrong one is refused and logged with its source address, and no log line of the
// whole run holds the password.
func TestR01_SSHPasswordLoginThroughCASNeverLogsThePassword(t *testing.T) {
	testenv.Long(t, "test de bout en bout")
	bin := buildBinary(t)
	dir := t.TempDir()
	users := filepath.Join(dir, "cas-users.yaml")
	if err := os.WriteFile(users, []byte("users:\n  - id: gestionnaire\n    password: "+casPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := `university:
  name: "Université de Démonstration"
  city: "Besançon"
apogee:
  embedded: true
  db:
    dialect: sqlite
  signer:
    code: PRES
mail:
  eml_dir: ` + filepath.Join(dir, "mails") + `
  from: "Scolarité <scolarite@univ-demo.fr>"
store:
  path: ` + filepath.Join(dir, "hypercerts.db") + `
cas:
  simulator_users_file: ` + users + `
daemon:
  ssh:
    password_auth: true
    host_key: ` + filepath.Join(dir, "host_key") + `
log:
  level: debug
`
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the metrics
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	cfg = strings.Replace(cfg, "log:\n", "  metrics:\n    listen: "+metricsAddr+"\nlog:\n", 1)
	cfgPath := filepath.Join(dir, "application.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := daemontest.Start(t, bin, filepath.Join(dir, "hypercerts.db"), "--config", cfgPath, "--demo-students", "60", "--ssh-listen", "127.0.0.1:0")
	addr := d.SSHAddr(t)

	// Wrong password: refused, over both password and keyboard-interactive. Two wrong
	// tries only: the account's limit (3 within 10 min, R01) would otherwise refuse the
	// right password below too. The keyboard-interactive client gives up at the second
	// prompt, which must say why the first answer was refused.
	var again string
	prompts := 0
	for _, auth := range []gossh.AuthMethod{gossh.Password("mauvais"), gossh.KeyboardInteractive(
		func(_, instruction string, questions []string, _ []bool) ([]string, error) {
			if len(questions) == 0 {
				return nil, nil
			}
			if prompts++; prompts > 1 {
				again = instruction
				return nil, errors.New("the user gives up")
			}
			return []string{"mauvais"}, nil
		})} {
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "gestionnaire", Auth: []gossh.AuthMethod{auth},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
		if err == nil {
			c.Close()
			t.Fatal("a wrong password opened an SSH session")
		}
	}
	if !strings.Contains(again, "Essai refuse : mot de passe refuse.") {
		t.Errorf("the second keyboard-interactive prompt does not say the first answer was refused: %q", again)
	}

	// Right password: the managers' UI.
	screen := sshtest.Screen(t, addr, "gestionnaire", gossh.Password(casPassword), "Campagnes")
	if strings.Contains(screen, casPassword) {
		t.Fatal("the password is echoed on the screen")
	}

	// The metrics count the CAS logins (two refused, one accepted).
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `hypercerts_external_calls_total{op="login",system="cas"} 3`) {
		t.Errorf("metrics do not count the CAS logins:\n%s", body)
	}

	d.Stop(t)
	out := d.Logs.String()
	if strings.Contains(out, casPassword) {
		t.Fatalf("the password appears in the daemon's logs:\n%s", out)
	}
	if !strings.Contains(out, "127.0.0.1") || !strings.Contains(out, "refus") {
		t.Errorf("the failed login is not logged with its source address:\n%s", out)
	}
}
