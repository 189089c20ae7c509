package mail_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"hypercerts/connectors/mail"
	"hypercerts/domain"
	"hypercerts/internal/syncbuf"
)

// RFC 3030 (CHUNKING, BDAT) against the real go-smtp server, which offers CHUNKING.
// A proxy in front of it (plain SMTP, security: none) writes down the client's
// commands and, for a relay that does not offer CHUNKING, takes it out of the EHLO
// reply.

type smtpProxy struct {
	addr  string
	strip bool // remove CHUNKING from the server's EHLO reply
	// breakBDAT passes BDAT on as an unknown command, as a middlebox that announces
	// CHUNKING without handling it: the server answers 500 and reads the chunk as
	// commands.
	breakBDAT bool
	// rejectBDAT, when set, is the reply the proxy gives to BDAT itself (e.g. "502
	// 5.5.1 …"), as a relay that announces CHUNKING and does not implement BDAT:
	// neither the command nor its chunk reach the server.
	rejectBDAT string

	mu    sync.Mutex
	cmds  []string // client commands in order, message data left out
	conns []net.Conn
}

func startProxy(t testing.TB, target string, strip bool) *smtpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &smtpProxy{addr: ln.Addr().String(), strip: strip}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			wg.Go(func() { p.fromClient(c, s) })
			wg.Go(func() { p.fromServer(s, c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	return p
}

// config is ts's client configuration pointed at the proxy.
func (p *smtpProxy) config(ts *testServer) mail.SMTPConfig {
	cfg := ts.config()
	_, port, _ := net.SplitHostPort(p.addr)
	cfg.Port, _ = strconv.Atoi(port)
	return cfg
}

func (p *smtpProxy) Cmds() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.cmds...)
}

// fromClient forwards the client's bytes as they are and notes each command; a
// BDAT chunk (its size is in the command) and DATA's lines up to "." are not commands.
func (p *smtpProxy) fromClient(c, s net.Conn) {
	defer s.Close()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n") // as the client sent it
		p.mu.Lock()
		p.cmds = append(p.cmds, cmd)
		reject, brk := p.rejectBDAT, p.breakBDAT // set by the test under mu
		p.mu.Unlock()
		f := strings.Fields(strings.ToUpper(cmd))
		isBDAT := len(f) >= 2 && f[0] == "BDAT"
		if isBDAT && reject != "" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			if _, err := io.CopyN(io.Discard, r, n); err != nil {
				return
			}
			if _, err := io.WriteString(c, reject+"\r\n"); err != nil {
				return
			}
			continue
		}
		if isBDAT && brk {
			line = "XBDT" + line[4:]
		}
		if _, err := io.WriteString(s, line); err != nil {
			return
		}
		switch {
		case isBDAT:
			n, _ := strconv.ParseInt(f[1], 10, 64)
			if _, err := io.CopyN(s, r, n); err != nil {
				return
			}
		case len(f) == 1 && f[0] == "DATA":
			for line != ".\r\n" {
				if line, err = r.ReadString('\n'); err != nil {
					return
				}
				if _, err := io.WriteString(s, line); err != nil {
					return
				}
			}
		}
	}
}

// fromServer forwards the server's replies; with strip, the CHUNKING line of a
// multi-line reply is left out (and the line before it ends the reply if it was last).
func (p *smtpProxy) fromServer(s, c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(s)
	var pending []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if !p.strip || len(line) < 4 {
			io.WriteString(c, line)
			continue
		}
		chunking := strings.EqualFold(strings.TrimSpace(line[4:]), "CHUNKING")
		if line[3] == '-' {
			if !chunking {
				pending = append(pending, line)
			}
			continue
		}
		if chunking && len(pending) > 0 {
			last := pending[len(pending)-1]
			pending[len(pending)-1] = last[:3] + " " + last[4:]
			line = ""
		}
		io.WriteString(c, strings.Join(pending, "")+line)
		pending = nil
	}
}

// commands keeps the verbs of interest, with BDAT's arguments.
func commands(cmds []string) []string {
	var out []string
	for _, c := range cmds {
		v, _, _ := strings.Cut(c, " ")
		switch strings.ToUpper(v) {
		case "BDAT", "DATA", "RSET":
			out = append(out, c)
		case "MAIL":
			out = append(out, "MAIL")
		}
	}
	return out
}

// BDAT is used when the relay offers CHUNKING and it is not turned off; DATA
// otherwise. The mail arrives whole either way.
func TestSMTP_BDATOnlyWhenOffered(t *testing.T) {
	ts := startServer(t, serverOpts{security: mail.SecurityNone, noAuth: true})
	pdf := fakePDF(40<<10, "21901234")
	for _, tc := range []struct {
		name    string
		strip   bool
		disable bool
		want    string
	}{
		{"CHUNKING offered", false, false, "BDAT"},
		{"CHUNKING not offered", true, false, "DATA"},
		{"CHUNKING offered, chunking: false", false, true, "DATA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProxy(t, net.JoinHostPort(ts.Host, strconv.Itoa(ts.Port)), tc.strip)
			cfg := p.config(ts)
			cfg.DisableChunking = tc.disable
			before := len(ts.Msgs())
			if bdat, err := newSMTP(t, cfg, nil).CheckRelay(context.Background()); err != nil || bdat != (tc.want == "BDAT") {
				t.Errorf("CheckRelay : BDAT %v (%v), %v attendu", bdat, err, tc.want == "BDAT")
			}
			if err := newSMTP(t, cfg, nil).Send(context.Background(), attestationMail("21901234", "a@etu.univ-test.fr", pdf)); err != nil {
				t.Fatal(err)
			}
			cmds := commands(p.Cmds())
			if len(cmds) != 2 || cmds[0] != "MAIL" || !strings.HasPrefix(cmds[1], tc.want) {
				t.Fatalf("commandes %q : MAIL puis %s attendus", cmds, tc.want)
			}
			if tc.want == "BDAT" {
				f := strings.Fields(cmds[1])
				if len(f) != 3 || f[2] != "LAST" {
					t.Errorf("%q : « BDAT <taille> LAST » attendu (un seul morceau)", cmds[1])
				}
			}
			msgs := ts.Msgs()
			if len(msgs) != before+1 {
				t.Fatalf("%d messages reçus", len(msgs)-before)
			}
			if got := parseMessage(t, msgs[len(msgs)-1].Data).Attachments["attestation-21901234.pdf"].Data; !bytes.Equal(got, pdf) {
				t.Errorf("PDF altéré (%d octets reçus, %d envoyés)", len(got), len(pdf))
			}
		})
	}
}

// What the server keeps is byte for byte the same by BDAT and by DATA: lines starting
// with ".", a line made of a lone ".", bare LF (turned into CRLF both ways, as
// net/textproto does for DATA), a lone CR, 8-bit headers and body, 2 MB.
func TestSMTP_BDATAndDATADeliverTheSameBytes(t *testing.T) {
	ts := startServer(t, serverOpts{security: mail.SecurityNone, noAuth: true})
	target := net.JoinHostPort(ts.Host, strconv.Itoa(ts.Port))
	pb, pd := startProxy(t, target, false), startProxy(t, target, true)
	sb, sd := newSMTP(t, pb.config(ts), nil), newSMTP(t, pd.config(ts), nil)

	big := bigMessage(2 << 20)
	for _, tc := range []struct{ name, in, want string }{
		{"dots",
			".début\r\nSubject: x\r\n\r\n.\r\n..\r\n.ligne\r\nfin\r\n",
			".début\r\nSubject: x\r\n\r\n.\r\n..\r\n.ligne\r\nfin\r\n"},
		{"bare LF and no final line break",
			"Subject: x\n\nligne\n.\npoint\r\nfin",
			"Subject: x\r\n\r\nligne\r\n.\r\npoint\r\nfin\r\n"},
		{"lone CR",
			"Subject: x\r\n\r\na\rb\r\n\r.\r\n",
			"Subject: x\r\n\r\na\rb\r\n\r.\r\n"},
		{"8-bit headers and body",
			"Subject: Relevé de notes – Marie-Hélène Lefèvre\r\nX-Octets: \xe9\xff\x80\r\n\r\nCorps \xe0 8 bits : é, ß, 中文\r\n",
			"Subject: Relevé de notes – Marie-Hélène Lefèvre\r\nX-Octets: \xe9\xff\x80\r\n\r\nCorps \xe0 8 bits : é, ß, 中文\r\n"},
		{"2 MB", big, big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [2][]byte
			for i, s := range []*mail.SMTP{sb, sd} {
				n := len(ts.Msgs())
				if err := s.Deliver(context.Background(), []byte(tc.in), "a@etu.univ-test.fr"); err != nil {
					t.Fatal(err)
				}
				msgs := ts.Msgs()
				if len(msgs) != n+1 {
					t.Fatalf("%d messages reçus", len(msgs)-n)
				}
				got[i] = msgs[n].Data
			}
			if !bytes.Equal(got[0], got[1]) {
				t.Fatalf("BDAT et DATA diffèrent :\nBDAT %.300q\nDATA %.300q", got[0], got[1])
			}
			if string(got[0]) != tc.want {
				t.Errorf("reçu %.300q\nattendu %.300q", got[0], tc.want)
			}
		})
	}
	if b, d := commands(pb.Cmds()), commands(pd.Cmds()); !strings.HasPrefix(strings.Join(b, ","), "MAIL,BDAT ") ||
		!strings.HasPrefix(strings.Join(d, ","), "MAIL,DATA") || strings.Contains(strings.Join(d, ","), "BDAT") {
		t.Errorf("commandes : %q par le premier relais, %q par le second", b, d)
	}
}

// bigMessage is a message of about n bytes: base64-like lines, some starting with a dot.
func bigMessage(n int) string {
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/."
	var b strings.Builder
	b.WriteString("Subject: gros\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := make([]byte, 76)
	for b.Len() < n {
		for i := range line {
			line[i] = alphabet[r.IntN(len(alphabet))]
		}
		b.Write(line)
		b.WriteString("\r\n")
	}
	return b.String()
}

// A 4xx or 5xx reply to the message is classified the same by BDAT and by DATA
// (transient or permanent, with the server's reply), the transaction is reset
// (RSET: RFC 3030 §2 after a failed BDAT) and the connection serves the next mail.
func TestSMTP_RefusedMessageSameByBDATAndDATA(t *testing.T) {
	for _, mode := range []string{"BDAT", "DATA"} {
		t.Run(mode, func(t *testing.T) {
			ts := startServer(t, serverOpts{security: mail.SecurityNone, noAuth: true, onData: func(b []byte) error {
				switch {
				case bytes.Contains(b, []byte("C-2024-0007.451@")):
					return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "local error in processing")
				case bytes.Contains(b, []byte("C-2024-0007.554@")):
					return smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "message refused by content filter")
				}
				return nil
			}})
			p := startProxy(t, net.JoinHostPort(ts.Host, strconv.Itoa(ts.Port)), mode == "DATA")
			s := newSMTP(t, p.config(ts), nil)
			ctx := context.Background()

			err := s.Send(ctx, attestationMail("451", "a@etu.univ-test.fr", fakePDF(30<<10, "451")))
			ee := externalError(t, err)
			if !domain.IsTransient(err) || ee.Op != mode || ee.Msg != "451 4.3.0 local error in processing" {
				t.Errorf("451 : %v (Op %q Msg %q) : temporaire au %s attendue", err, ee.Op, ee.Msg, mode)
			}
			err = s.Send(ctx, attestationMail("554", "a@etu.univ-test.fr", fakePDF(30<<10, "554")))
			ee = externalError(t, err)
			if !errors.Is(err, domain.ErrPermanent) || ee.Op != mode || ee.Msg != "554 5.7.1 message refused by content filter" {
				t.Errorf("554 : %v (Op %q Msg %q) : définitive au %s attendue", err, ee.Op, ee.Msg, mode)
			}
			if err := s.Send(ctx, attestationMail("1", "a@etu.univ-test.fr", fakePDF(30<<10, "1"))); err != nil {
				t.Fatal(err)
			}
			if len(ts.Msgs()) != 1 || ts.Conns() != 1 {
				t.Errorf("%d messages sur %d connexions, 1 et 1 attendus", len(ts.Msgs()), ts.Conns())
			}
			var want []string
			for range 2 {
				want = append(want, "MAIL", mode, "RSET")
			}
			want = append(want, "MAIL", mode)
			got := commands(p.Cmds())
			for i := range got {
				got[i], _, _ = strings.Cut(got[i], " ") // BDAT's size
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("commandes %q, attendues %q", got, want)
			}
		})
	}
}

// A reply that does not come after the message was sent leaves the mail in doubt: the
// error is transient, the connection is dropped, and the mailer does not send the
// message again on its own (the engine decides, R17's Message-ID marks a duplicate).
func TestSMTP_NoReplyAfterMessageIsInDoubtNotResent(t *testing.T) {
	for _, disable := range []bool{false, true} {
		mode := map[bool]string{false: "BDAT", true: "DATA"}[disable]
		t.Run(mode, func(t *testing.T) {
			var calls atomic.Int32
			release := make(chan struct{})
			ts := startServer(t, serverOpts{onData: func([]byte) error {
				if calls.Add(1) == 1 {
					select { // a relay slow to queue the message
					case <-release:
					case <-time.After(5 * time.Second):
					}
				}
				return nil
			}})
			cfg := ts.config()
			cfg.Timeout = 300 * time.Millisecond
			cfg.DisableChunking = disable
			s := newSMTP(t, cfg, nil)
			err := s.Send(context.Background(), attestationMail("1", "a@etu.univ-test.fr", fakePDF(30<<10, "1")))
			ee := externalError(t, err)
			if !domain.IsTransient(err) || ee.Op != mode || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("%v (Op %q) : délai dépassé au %s, temporaire, attendu", err, ee.Op, mode)
			}
			close(release)
			time.Sleep(100 * time.Millisecond)
			if n := calls.Load(); n != 1 {
				t.Errorf("le serveur a reçu le message %d fois, 1 attendue", n)
			}
			if err := s.Send(context.Background(), attestationMail("2", "a@etu.univ-test.fr", fakePDF(30<<10, "2"))); err != nil {
				t.Fatal(err)
			}
			if c := ts.Conns(); c != 2 {
				t.Errorf("%d connexions : celle du message en doute doit être abandonnée", c)
			}
		})
	}
}

// A relay (or a middlebox) that announces CHUNKING and answers BDAT as an unknown
// command did not take the message: the mailer drops that session (the server may
// have read the chunk as commands), sends the same message again at once by DATA on a
// new connection, and uses DATA for every later mail, with one WARN saying so. Each
// mail arrives once, whole.
func TestSMTP_BDATNotUnderstoodFallsBackToDATA(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(p *smtpProxy)
		code  string
	}{
		// go-smtp gets "XBDT": 500, then reads the chunk's lines as commands.
		{"500, chunk read as commands", func(p *smtpProxy) { p.breakBDAT = true }, "500"},
		{"502 not implemented", func(p *smtpProxy) { p.rejectBDAT = "502 5.5.1 Command not implemented" }, "502"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{security: mail.SecurityNone, noAuth: true})
			p := startProxy(t, net.JoinHostPort(ts.Host, strconv.Itoa(ts.Port)), false)
			p.mu.Lock()
			tc.setup(p)
			p.mu.Unlock()
			var logs syncbuf.Buffer
			s := newSMTP(t, p.config(ts), slog.New(slog.NewTextHandler(&logs, nil)))
			pdfs := [][]byte{fakePDF(30<<10, "1"), fakePDF(30<<10, "2")}
			for i, pdf := range pdfs {
				code := strconv.Itoa(21900001 + i)
				if err := s.Send(context.Background(), attestationMail(code, "a@etu.univ-test.fr", pdf)); err != nil {
					t.Fatalf("courriel %d : %v", i+1, err)
				}
			}
			msgs := ts.Msgs()
			if len(msgs) != len(pdfs) {
				t.Fatalf("%d messages reçus, %d attendus (chacun une fois)", len(msgs), len(pdfs))
			}
			for i, pdf := range pdfs {
				name := "attestation-" + strconv.Itoa(21900001+i) + ".pdf"
				if got := parseMessage(t, msgs[i].Data).Attachments[name].Data; !bytes.Equal(got, pdf) {
					t.Errorf("message %d : %s altéré ou absent (%d octets)", i+1, name, len(got))
				}
			}
			got := commands(p.Cmds())
			for i := range got {
				got[i], _, _ = strings.Cut(got[i], " ") // BDAT's size
			}
			// The refused BDAT, the same message by DATA, the next one straight by DATA.
			if want := "MAIL,BDAT,MAIL,DATA,MAIL,DATA"; strings.Join(got, ",") != want {
				t.Errorf("commandes %q, attendues %s", got, want)
			}
			if c := ts.Conns(); c != 2 {
				t.Errorf("%d connexions : celle où BDAT a été refusé ne sert plus, la suivante sert aux deux courriels", c)
			}
			warns := 0
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "level=WARN") {
					warns++
					if !strings.Contains(line, "refuse BDAT") || !strings.Contains(line, "DATA") ||
						!strings.Contains(line, "mail.smtp.chunking: false") || !strings.Contains(line, "erreur=\""+tc.code+" ") {
						t.Errorf("avertissement %q : BDAT refusé, DATA désormais, la clé à changer et la réponse attendus", line)
					}
				}
			}
			if warns != 1 {
				t.Errorf("%d avertissements, 1 attendu :\n%s", warns, logs.String())
			}
			if bdat, err := s.CheckRelay(context.Background()); err != nil || bdat {
				t.Errorf("CheckRelay après le refus : BDAT %v (%v), DATA attendu", bdat, err)
			}
		})
	}
}

// Several mails in flight when the relay refuses BDAT: each arrives once, and the
// WARN is logged once.
func TestSMTP_BDATNotUnderstoodConcurrentSends(t *testing.T) {
	ts := startServer(t, serverOpts{security: mail.SecurityNone, noAuth: true})
	p := startProxy(t, net.JoinHostPort(ts.Host, strconv.Itoa(ts.Port)), false)
	p.mu.Lock()
	p.rejectBDAT = "502 5.5.1 Command not implemented"
	p.mu.Unlock()
	var logs syncbuf.Buffer
	cfg := p.config(ts)
	cfg.MaxConns = 4
	s := newSMTP(t, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			code := strconv.Itoa(21900001 + i)
			errs[i] = s.Send(context.Background(), attestationMail(code, "a@etu.univ-test.fr", fakePDF(10<<10, code)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range ts.Msgs() {
		for name := range parseMessage(t, m.Data).Attachments {
			seen[name]++
		}
	}
	for i := range n {
		if name := "attestation-" + strconv.Itoa(21900001+i) + ".pdf"; seen[name] != 1 {
			t.Errorf("%s reçu %d fois, 1 attendue", name, seen[name])
		}
	}
	if len(ts.Msgs()) != n {
		t.Errorf("%d messages reçus, %d attendus", len(ts.Msgs()), n)
	}
	if w := strings.Count(logs.String(), "level=WARN"); w != 1 {
		t.Errorf("%d avertissements, 1 attendu", w)
	}
}
