package sshtest

import (
	"io"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Session is one interactive SSH session with a PTY, as a manager's terminal opens
// it: keys can be typed, the output is kept whole, and Closed says when the server
// ended the session.
type Session struct {
	client *gossh.Client
	sess   *gossh.Session
	stdin  io.WriteCloser
	out    Buffer
	closed chan struct{}
}

// Open signs in to addr as user with auth and opens a session with a PTY of
// cols×rows. The terminal queries of the session's renderer (background colour,
// device attributes) are answered as a terminal would.
func Open(t testing.TB, addr, user string, auth gossh.AuthMethod, cols, rows int) *Session {
	t.Helper()
	client, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{auth},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("SSH login as %s: %v", user, err)
	}
	t.Cleanup(func() { client.Close() })
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", rows, cols, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	s := &Session{client: client, sess: sess, stdin: stdin, closed: make(chan struct{})}
	go func() {
		_, _ = io.Copy(&s.out, stdout)
		_ = sess.Wait()
		close(s.closed)
	}()
	go s.answerQueries()
	return s
}

// answerQueries answers the renderer's one terminal query (device attributes, sent
// with the background colour request) the way xterm does.
func (s *Session) answerQueries() {
	for {
		select {
		case <-s.closed:
			return
		case <-time.After(20 * time.Millisecond):
		}
		if strings.Contains(s.out.String(), "\x1b[c") {
			_, _ = s.stdin.Write([]byte("\x1b]11;rgb:0000/0000/0000\x07\x1b[?62;22c"))
			return
		}
	}
}

// Output is everything the server wrote so far, escape sequences included.
func (s *Session) Output() string { return s.out.String() }

// Mark is the length of the output so far, for WaitAfter.
func (s *Session) Mark() int { return len(s.out.String()) }

// Closed is closed once the server has ended the session.
func (s *Session) Closed() <-chan struct{} { return s.closed }

// Type sends keys as a terminal does (runes as typed; "\r" is Entrée).
func (s *Session) Type(t testing.TB, keys string) {
	t.Helper()
	if _, err := s.stdin.Write([]byte(keys)); err != nil {
		t.Fatalf("typing %q: %v", keys, err)
	}
}

// WaitFor waits up to timeout for want anywhere in the output and returns the output.
func (s *Session) WaitFor(t testing.TB, want string, timeout time.Duration) string {
	t.Helper()
	return s.WaitAfter(t, 0, want, timeout)
}

// WaitAfter waits up to timeout for want in the output written after mark (a Mark
// taken before the key that should bring it), and returns that part of the output.
func (s *Session) WaitAfter(t testing.TB, mark int, want string, timeout time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; {
		if out := s.out.String(); len(out) >= mark && strings.Contains(out[mark:], want) {
			return out[mark:]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q on the SSH screen within %s; output after the mark:\n%q", want, timeout, tail(s.out.String(), mark))
		}
		select {
		case <-s.closed:
			if out := s.out.String(); len(out) >= mark && strings.Contains(out[mark:], want) {
				return out[mark:]
			}
			t.Fatalf("the session closed without %q; output after the mark:\n%q", want, tail(s.out.String(), mark))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func tail(out string, mark int) string {
	if mark > len(out) {
		mark = len(out)
	}
	out = out[mark:]
	if len(out) > 4000 {
		out = "…" + out[len(out)-4000:]
	}
	return out
}
