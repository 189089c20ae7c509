package digiposte

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"hypercerts/internal/sshtest"
	"hypercerts/internal/testenv"
)

const (
	sshdPath       = "/usr/sbin/sshd"
	sftpServerPath = "/usr/lib/openssh/sftp-server"
)

// sshServer is a real OpenSSH sshd + sftp-server on loopback, started by the test.
type sshServer struct {
	Addr    string
	Base    string // the remote base folder (absolute; same machine)
	User    string
	Signer  ssh.Signer    // the user's key, authorised
	HostKey ssh.PublicKey // the server's host key
	dir     string
	cmd     *exec.Cmd
	log     *bytes.Buffer
	logMu   *sync.Mutex
}

type sshdOpts struct {
	readOnly bool // sftp-server -R: every write refused (permission denied)
	// landing: sftp-server -d: the folder the account lands in (its login folder).
	landing string
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSSHD starts sshd -D -e -f <temporary config>; it is killed at cleanup.
func startSSHD(t testing.TB, o sshdOpts) *sshServer {
	t.Helper()
	for _, p := range []string{sshdPath, sftpServerPath} {
		testenv.File(t, p, "apt-get install -y openssh-server")
	}
	// sshd refuses to start without its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		testenv.Missing(t, "/run/sshd ("+err.Error()+")", "lancez les tests en root, ou créez /run/sshd")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "remote")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	hostPriv, hostSigner := sshtest.NewKey(t)
	blk, err := ssh.MarshalPrivateKey(hostPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	if err := os.WriteFile(hostKeyFile, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	_, userSigner := sshtest.NewKey(t)
	authKeys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(userSigner.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	sub := sftpServerPath + " -l ERROR"
	if o.readOnly {
		sub += " -R"
	}
	if o.landing != "" {
		sub += " -d " + o.landing
	}
	conf := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile none
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
AuthorizedKeysFile %s
AllowUsers %s
Subsystem sftp %s
LogLevel ERROR
MaxStartups 50
`, port, hostKeyFile, authKeys, u.Username, sub)
	confFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &sshServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), Base: base, User: u.Username, Signer: userSigner,
		HostKey: hostSigner.PublicKey(), dir: dir, log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	s.start(t, confFile)
	return s
}

func (s *sshServer) start(t testing.TB, confFile string) {
	t.Helper()
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", confFile)
	cmd.Stdout = io.Discard
	cmd.Stderr = &lockedWriter{w: s.log, mu: s.logMu}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("sshd : %v", err)
	}
	s.cmd = cmd
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("sshd s'est arrêté au démarrage : %s", s.logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd n'écoute pas sur %s après 10 s : %s", s.Addr, s.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *sshServer) logs() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.String()
}

// knownHosts writes a known_hosts file accepting key for addr.
func knownHostsFile(t testing.TB, addr string, key ssh.PublicKey) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	if err := os.WriteFile(f, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// client builds a Client for the server (through addr when a proxy is in between).
func (s *sshServer) client(t testing.TB, addr string, mod func(*Config)) *Client {
	t.Helper()
	if addr == "" {
		addr = s.Addr
	}
	cfg := Config{Addr: addr, User: s.User, Signer: s.Signer, KnownHostsFile: knownHostsFile(t, addr, s.HostKey),
		RemoteDir: s.Base, DialTimeout: 5 * time.Second, IOTimeout: 10 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// cutProxy forwards TCP to target and can cut every connection in flight.
type cutProxy struct {
	Addr  string
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t testing.TB, target string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{Addr: l.Addr().String(), l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close(); p.cut() })
	return p
}

// cut closes every connection in flight, as a network failure would.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
