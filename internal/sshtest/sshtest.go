// Package sshtest opens the managers' UI over SSH in tests, the way a terminal does.
package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"hypercerts/internal/syncbuf"
)

// NewKey makes an Ed25519 key pair for a test's SSH user or host.
func NewKey(t testing.TB) (ed25519.PrivateKey, gossh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv, s
}

// Buffer collects output safely across goroutines.
type Buffer = syncbuf.Buffer

// Screen signs in to addr as user with auth, opens a session with a PTY, answers the
// terminal queries of the session's renderer (background colour, device attributes)
// and waits up to 20 s for want on the screen, which it returns.
func Screen(t testing.TB, addr, user string, auth gossh.AuthMethod, want string) string {
	t.Helper()
	client, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{auth},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("SSH login as %s: %v", user, err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm-256color", 30, 110, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	var screen Buffer
	go io.Copy(&screen, stdout)
	answered := false
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(screen.String(), want); {
		if !answered && strings.Contains(screen.String(), "\x1b[c") {
			stdin.Write([]byte("\x1b]11;rgb:0000/0000/0000\x07\x1b[?62;22c"))
			answered = true
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q on the SSH screen: %q", want, screen.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return screen.String()
}
