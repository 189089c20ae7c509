package mail_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hypercerts/connectors/mail"
	"hypercerts/internal/syncbuf"
	"hypercerts/internal/testenv"
)

// Postfix (Debian's, ≥ 3.4 offers CHUNKING) is the independent judge of our BDAT: a
// private instance on loopback accepts the mails sent with "BDAT <size> LAST" and
// keeps them on hold, where postcat shows what it queued: the PDF intact, dots and all.
func TestSMTP_PostfixAcceptsOurBDAT(t *testing.T) {
	pf := startPostfix(t)
	p := startProxy(t, pf.addr, false)
	cfg := mail.SMTPConfig{Host: "127.0.0.1", Security: mail.SecurityNone, HELO: "hypercerts.test",
		From: "Scolarité <scolarite@univ-test.fr>", Timeout: 10 * time.Second}
	_, port, _ := net.SplitHostPort(p.addr)
	cfg.Port, _ = strconv.Atoi(port)
	s := newSMTP(t, cfg, nil)

	pdf := fakePDF(70<<10, "21901234")
	if err := s.Send(context.Background(), attestationMail("21901234", "marie@etu.univ-test.fr", pdf)); err != nil {
		t.Fatalf("Postfix refuse l'attestation : %v\n%s", err, pf.log())
	}
	dots := "Subject: points\r\n\r\n.\r\n..\r\n.ligne\r\nligne nue\nfin\r\n"
	if err := s.Deliver(context.Background(), []byte(dots), "paul@etu.univ-test.fr"); err != nil {
		t.Fatalf("Postfix refuse le message aux points : %v\n%s", err, pf.log())
	}
	var bdats int
	for _, c := range commands(p.Cmds()) {
		if strings.HasPrefix(c, "BDAT ") && strings.HasSuffix(c, " LAST") {
			bdats++
		}
		if c == "DATA" {
			t.Errorf("DATA envoyé à Postfix, qui annonce CHUNKING")
		}
	}
	if bdats != 2 {
		t.Fatalf("%d BDAT … LAST, 2 attendus (commandes %q)", bdats, p.Cmds())
	}

	queued := pf.held(t, 2)
	var sawPDF, sawDots bool
	for _, m := range queued {
		if bytes.Contains(m, []byte("Subject: points\r\n")) {
			sawDots = true
			_, body, _ := bytes.Cut(m, []byte("\r\n\r\n"))
			if want := ".\r\n..\r\n.ligne\r\nligne nue\r\nfin\r\n"; string(body) != want {
				t.Errorf("corps gardé par Postfix %q, attendu %q", body, want)
			}
			continue
		}
		sawPDF = true
		if got := parseMessage(t, m).Attachments["attestation-21901234.pdf"].Data; !bytes.Equal(got, pdf) {
			t.Errorf("PDF gardé par Postfix altéré (%d octets, %d envoyés)", len(got), len(pdf))
		}
	}
	if !sawPDF || !sawDots {
		t.Errorf("messages en attente : attestation %v, message aux points %v", sawPDF, sawDots)
	}
}

type postfix struct {
	addr, dir, etc string
	bin            string
	out            syncbuf.Buffer // Postfix's own output, shown when a check fails
}

func (p *postfix) log() string { return p.out.String() }

// startPostfix runs Postfix in the foreground with its own configuration, queue and
// port: smtpd, cleanup and the daemons they call, mail kept on hold (header_checks),
// nothing delivered. Postfix's master must start as root.
func startPostfix(t *testing.T) *postfix {
	t.Helper()
	bin := testenv.Need(t, "postfix")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "les droits de root (le master de Postfix démarre en root)", "lancez les tests en root")
	}
	owner, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("utilisateur postfix : %v", err)
	}
	// Postfix's daemons run as the postfix user: the folder must be reachable by it
	// (t.TempDir's parents are 0700).
	dir, err := os.MkdirTemp("", "hypercerts-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &postfix{addr: addr, dir: dir, etc: filepath.Join(dir, "etc"), bin: bin}
	for _, d := range []string{"etc", "queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	uid, _ := strconv.Atoi(owner.Uid)
	if err := os.Chown(filepath.Join(dir, "data"), uid, -1); err != nil {
		t.Fatal(err)
	}
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.test
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
header_checks = regexp:%[1]s/etc/hold
maillog_file = /dev/stdout
`, dir)
	// chroot off (the "n" of the fifth column): nothing to copy into the queue folder.
	masterCF := addr + ` inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
proxymap unix - - n - - proxymap
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
`
	for name, content := range map[string]string{"main.cf": mainCF, "master.cf": masterCF, "hold": "/^Subject:/ HOLD\n"} {
		if err := os.WriteFile(filepath.Join(p.etc, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// start-fg creates the queue's folders with their owners (post-install
	// create-missing), then runs the master in the foreground.
	cmd := exec.Command(bin, "-c", p.etc, "start-fg")
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command(bin, "-c", p.etc, "stop").Run()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("Postfix n'écoute pas sur %s : %v\n%s", addr, err, p.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// held waits for n messages in the hold queue and gives each as postcat shows its
// header and body, lines ended by CRLF again (Postfix stores lines, not line ends).
func (p *postfix) held(t *testing.T, n int) [][]byte {
	t.Helper()
	hold := filepath.Join(p.dir, "queue", "hold")
	var files []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		files, _ = filepath.Glob(filepath.Join(hold, "*"))
		if len(files) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages en attente chez Postfix, %d attendus\n%s", len(files), n, p.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	postcat := filepath.Join(filepath.Dir(p.bin), "postcat")
	var msgs [][]byte
	for _, f := range files {
		out, err := exec.Command(postcat, "-c", p.etc, "-bh", f).Output()
		if err != nil {
			t.Fatalf("postcat %s : %v", f, err)
		}
		msgs = append(msgs, bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n")))
	}
	return msgs
}
