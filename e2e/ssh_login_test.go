package e2e

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"hypercerts/daemon"
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
	var logs sshtest.Buffer
	d := exec.Command(bin, "--daemon", "--config", cfgPath, "--demo-students", "60", "--ssh-listen", "127.0.0.1:0")
	d.Stdout, d.Stderr = &logs, &logs
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- d.Wait() }()
	t.Cleanup(func() {
		if d.ProcessState == nil {
			_ = d.Process.Kill()
			<-exited
		}
	})
	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == ""; {
		if s, err := daemon.ReadHealthFile(daemon.HealthFilePath(filepath.Join(dir, "hypercerts.db"))); err == nil && s.SSH != "" {
			addr = s.SSH
		}
		select {
		case err := <-exited:
			t.Fatalf("daemon exited early: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon's SSH server did not start:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

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

	if err := d.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("daemon exit: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop on SIGTERM")
	}
	out := logs.String()
	if strings.Contains(out, casPassword) {
		t.Fatalf("the password appears in the daemon's logs:\n%s", out)
	}
	if !strings.Contains(out, "127.0.0.1") || !strings.Contains(out, "refus") {
		t.Errorf("the failed login is not logged with its source address:\n%s", out)
	}
}
