package daemon_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"hypercerts/connectors/cas"
	"hypercerts/daemon"
	"hypercerts/domain"
)

// fakeCAS plays app.LoginFunc: password "bon" for everyone except "VERROU" (locked).
type fakeCAS struct {
	calls atomic.Int32
	delay time.Duration
}

func (f *fakeCAS) login(ctx context.Context, user, password string) (domain.User, error) {
	f.calls.Add(1)
	time.Sleep(f.delay)
	switch {
	case strings.EqualFold(user, "verrou"):
		return domain.User{}, &cas.Error{Kind: cas.ErrLocked, Op: "tickets"}
	case password != "bon":
		return domain.User{}, &cas.Error{Kind: cas.ErrBadCredentials, Op: "tickets"}
	}
	return domain.User{Code: strings.ToUpper(user)}, nil
}

func startPasswordDaemon(t *testing.T, o daemon.SSHOptions) *daemon.Daemon {
	t.Helper()
	st := openStore(t)
	o.Listen, o.HostKey = "127.0.0.1:0", filepath.Join(t.TempDir(), "hote")
	d, err := daemon.New(daemon.Options{Engine: newEngine(st), Store: st, SSH: o})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	waitFor(t, "SSH listening", 5*time.Second, func() bool { return d.SSHAddr() != "" })
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("daemon did not stop")
		}
	})
	return d
}

func clientConfig(user string, auth ...gossh.AuthMethod) *gossh.ClientConfig {
	return &gossh.ClientConfig{User: user, Auth: auth, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
}

// R01: 40 parallel wrong passwords from one address reach CAS at most as often as the
// limit allows: the attempt is reserved before CAS is called.
func TestR01_ParallelWrongPasswordsDoNotAllReachCAS(t *testing.T) {
	f := &fakeCAS{delay: 100 * time.Millisecond}
	d := startPasswordDaemon(t, daemon.SSHOptions{Password: f.login, MaxFailures: 5, MaxAccountFailures: 100,
		MaxPendingPerAddr: 100, MaxPending: 100})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := gossh.Dial("tcp", d.SSHAddr(), clientConfig("u"+string(rune('a'+i%26)), gossh.Password("faux")))
			if err == nil {
				c.Close()
			}
		}()
	}
	wg.Wait()
	if n := f.calls.Load(); n > 5 {
		t.Fatalf("CAS called %d times by 40 parallel tries from one address, limit 5", n)
	}
	// One account is not guessed from many addresses either: 3 per account by default.
	f2 := &fakeCAS{}
	d2 := startPasswordDaemon(t, daemon.SSHOptions{Password: f2.login})
	for range 6 {
		if c, err := gossh.Dial("tcp", d2.SSHAddr(), clientConfig("gest", gossh.Password("faux"))); err == nil {
			c.Close()
		}
	}
	if n := f2.calls.Load(); n != daemon.DefaultMaxAccountFailures {
		t.Fatalf("CAS called %d times for one account, want %d (below CAS's own lock)", n, daemon.DefaultMaxAccountFailures)
	}
}

// R01: keyboard-interactive tells why the previous try failed, in ASCII-safe French,
// and a locked account ends with a French banner instead of OpenSSH's English.
func TestR01_KeyboardInteractiveSaysWhyInFrench(t *testing.T) {
	f := &fakeCAS{}
	d := startPasswordDaemon(t, daemon.SSHOptions{Password: f.login})
	var instructions []string
	answers := []string{"faux", "bon"}
	ki := gossh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		instructions = append(instructions, instruction)
		for _, q := range questions {
			if strings.ContainsFunc(q, func(r rune) bool { return r >= 0x80 }) {
				t.Errorf("non-ASCII prompt %q", q)
			}
		}
		a := answers[0]
		answers = answers[1:]
		return []string{a}, nil
	})
	c, err := gossh.Dial("tcp", d.SSHAddr(), clientConfig("gest", ki))
	if err != nil {
		t.Fatalf("second try with the right password: %v", err)
	}
	// Agent forwarding is refused: no channel could ever be opened back.
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := agent.RequestAgentForwarding(s); err == nil {
		t.Error("agent forwarding request accepted")
	}
	s.Close()
	c.Close()
	if len(instructions) != 2 || !strings.Contains(instructions[1], "mot de passe refuse") {
		t.Fatalf("instructions = %q; want the 2nd to say the password was refused", instructions)
	}
	for _, in := range instructions {
		if strings.ContainsFunc(in, func(r rune) bool { return r >= 0x80 }) {
			t.Errorf("non-ASCII instruction %q", in)
		}
	}

	var banners []string
	var mu sync.Mutex
	cfg := clientConfig("verrou", gossh.KeyboardInteractive(func(_, _ string, q []string, _ []bool) ([]string, error) {
		return []string{"bon"}, nil
	}), gossh.Password("bon"))
	cfg.BannerCallback = func(m string) error { mu.Lock(); banners = append(banners, m); mu.Unlock(); return nil }
	if c, err := gossh.Dial("tcp", d.SSHAddr(), cfg); err == nil {
		c.Close()
		t.Fatal("locked account signed in")
	}
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(banners, "")
	if !strings.Contains(all, "compte verrouille") || !strings.Contains(all, "connexion fermee") {
		t.Fatalf("banners = %q; want the locked account explained and the connection closed", banners)
	}
	if n := f.calls.Load(); n != 3 { // faux, bon, then the locked account once: not retried by the password method
		t.Errorf("CAS called %d times, want 3", n)
	}
}

// Connections that do not sign in are bounded: a deadline, and a cap per address.
func TestSSH_UnauthenticatedConnectionsAreBounded(t *testing.T) {
	d := startPasswordDaemon(t, daemon.SSHOptions{Password: (&fakeCAS{}).login, AuthTimeout: 300 * time.Millisecond,
		MaxPendingPerAddr: 2})
	closed := func(c net.Conn, within time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(within))
		buf := make([]byte, 1024)
		for {
			if _, err := c.Read(buf); err != nil {
				var ne net.Error
				return !(errors.As(err, &ne) && ne.Timeout())
			}
		}
	}
	idle, err := net.Dial("tcp", d.SSHAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if !closed(idle, 5*time.Second) {
		t.Fatal("an idle unauthenticated connection was not closed after the auth deadline")
	}

	d2 := startPasswordDaemon(t, daemon.SSHOptions{Password: (&fakeCAS{}).login, AuthTimeout: time.Minute, MaxPendingPerAddr: 2})
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", d2.SSHAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// The server admits them in any order: exactly one of the three is refused at once.
	refused := 0
	for _, c := range conns {
		if closed(c, time.Second) {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("%d of 3 connections in progress from one address refused, want 1 (cap 2)", refused)
	}
	for _, c := range conns {
		c.Close()
	}
	// Places are given back: a real login still works.
	time.Sleep(100 * time.Millisecond)
	c, err := gossh.Dial("tcp", d2.SSHAddr(), clientConfig("gest", gossh.Password("bon")))
	if err != nil {
		t.Fatalf("login after the idle connections left: %v", err)
	}
	c.Close()
}
