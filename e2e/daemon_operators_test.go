package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"hypercerts/internal/daemontest"
	"hypercerts/internal/smtptest"
	"hypercerts/internal/sshtest"
	"hypercerts/internal/testenv"
)

// startDaemon runs the built binary as the daemon (internal/daemontest) and waits
// until it has started. dbPath is the store the configuration names.
func startDaemon(t *testing.T, dbPath string, args ...string) *daemontest.Proc {
	t.Helper()
	return daemontest.Start(t, buildBinary(t), dbPath, args...)
}

// daemonConfig is writeConfig's configuration (embedded Apogée, SMTP at smtpAddr, no
// démarche) with the SSH host key inside dir, not in the working directory.
func daemonConfig(t *testing.T, dir, smtpAddr string) string {
	t.Helper()
	path := writeConfig(t, dir, smtpAddr)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("daemon:\n  ssh:\n    host_key: " + filepath.Join(dir, "ssh_host_ed25519") + "\n"); err != nil {
		t.Fatal(err)
	}
	return path
}

// startManaged starts the daemon on the demo configuration (in dir) mailing through
// smtpAddr, with an SSH key for the manager (gestionnaire), whose authentication it
// returns.
func startManaged(t *testing.T, dir, smtpAddr string) (*daemontest.Proc, gossh.AuthMethod) {
	t.Helper()
	cfg := daemonConfig(t, dir, smtpAddr)
	signer, pub := managerKey(t, dir)
	d := startDaemon(t, filepath.Join(dir, "hypercerts.db"), "--config", cfg, "--demo-students", "60",
		"--ssh-listen", "127.0.0.1:0", "--ssh-authorized-key", "gestionnaire="+pub)
	return d, gossh.PublicKeys(signer)
}

// managerKey makes an SSH key pair for the manager and writes its public half in dir.
func managerKey(t *testing.T, dir string) (gossh.Signer, string) {
	t.Helper()
	_, signer := sshtest.NewKey(t)
	pub := filepath.Join(dir, "gestionnaire.pub")
	if err := os.WriteFile(pub, gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	return signer, pub
}

// A daemon stopping (SIGTERM) tells the managers connected over SSH why before it
// closes their session, then exits 0. The notice is drawn after the session has left
// the alternate screen, so it stays in the manager's terminal once disconnected.
func TestDaemonSIGTERMTellsConnectedManagersWhy(t *testing.T) {
	testenv.Long(t, "test de bout en bout")
	dir := t.TempDir()
	sink := startSMTPSink(t)
	d, auth := startManaged(t, dir, sink.addr)
	sess := sshtest.Open(t, d.SSHAddr(t), "gestionnaire", auth, 110, 30)
	sess.WaitFor(t, "Campagnes", 20*time.Second)

	mark := sess.Mark()
	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	farewell := sess.WaitAfter(t, mark, "s'arrête", 20*time.Second)
	select {
	case <-sess.Closed():
	case <-time.After(30 * time.Second):
		t.Fatalf("the session is still open 30 s after SIGTERM:\n%q", sess.Output())
	}
	d.WaitExit(t)

	out := sess.Output()[mark:]
	for _, want := range []string{"Le serveur hypercerts s'arrête", "maintenance", "reconnectez-vous"} {
		if !strings.Contains(out, want) {
			t.Errorf("the farewell does not say %q:\n%q", want, farewell)
		}
	}
	// Left on the terminal: the notice is written after the last exit from the
	// alternate screen (ESC [?1049l), where the manager still reads it.
	last := strings.LastIndex(out, "\x1b[?1049l")
	if last < 0 || !strings.Contains(out[last:], "s'arrête") {
		t.Errorf("the farewell is not left on the manager's terminal once the session is closed:\n%q", out)
	}
	logs := d.Logs.String()
	if !strings.Contains(logs, "démon arrêté") {
		t.Errorf("no clean stop in the logs:\n%s", logs)
	}
	// The session in the logs, with the keys of docs/ops.md (not wish's English).
	if !regexp.MustCompile(`msg="session SSH ouverte" utilisateur=gestionnaire adresse=127\.0\.0\.1:\d+ terminal="xterm-256color 110x30"`).MatchString(logs) ||
		!regexp.MustCompile(`msg="session SSH fermée" utilisateur=gestionnaire adresse=127\.0\.0\.1:\d+ durée=`).MatchString(logs) {
		t.Errorf("the SSH session is not logged in French with its keys:\n%s", logs)
	}
}

// Every start used to log a WARN about hubee_sync when no démarche is configured.
// Without a démarche the job is left out quietly (an INFO line says so); with one
// (the demo's), it is scheduled.
func TestDaemonWithoutDemarcheNoHubEEWarning(t *testing.T) {
	testenv.Long(t, "test de bout en bout")
	dir := t.TempDir()
	sink := startSMTPSink(t)
	cfg := daemonConfig(t, dir, sink.addr)
	d := startDaemon(t, filepath.Join(dir, "hypercerts.db"), "--config", cfg, "--demo-students", "20", "--ssh-listen", "off")
	d.WaitLog(t, "tâche terminée")
	d.Stop(t)
	logs := d.Logs.String()
	for _, line := range strings.Split(logs, "\n") { // a plain start has nothing to warn about
		if strings.Contains(line, "level=WARN") {
			t.Errorf("a WARN at a plain start (no démarche): %s", line)
		}
	}
	started := regexp.MustCompile(`msg="démon démarré" tâches="\[([^]]*)\]"`).FindStringSubmatch(logs)
	if started == nil || strings.Contains(started[1], "hubee_sync") || !strings.Contains(started[1], "digiposte_cycle") {
		t.Errorf("jobs scheduled without a démarche: %v\n%s", started, logs)
	}
	if !strings.Contains(logs, "tâche=hubee_sync") || !strings.Contains(logs, "rien à faire dans cette configuration") {
		t.Errorf("no INFO line saying why hubee_sync is not scheduled:\n%s", logs)
	}

	// The demo configures the AttestationReussite démarche: the job is scheduled.
	demo := t.TempDir()
	d = startDaemon(t, filepath.Join(demo, "hypercerts.db"), "--demo", "--demo-dir", demo, "--demo-students", "20", "--ssh-listen", "off")
	d.Stop(t)
	started = regexp.MustCompile(`msg="démon démarré" tâches="\[([^]]*)\]"`).FindStringSubmatch(d.Logs.String())
	if started == nil || !strings.Contains(started[1], "hubee_sync=") {
		t.Errorf("hubee_sync not scheduled with a démarche: %v\n%s", started, d.Logs.String())
	}
	// Nor is the demo's schedule warned about: its fast Digiposte cycle plays on a local
	// folder, where R22's one-drop-a-day limit of the real Digiposte is no concern. (Its
	// verification page's fixed port may be taken by another demo: that WARN may come.)
	for _, line := range strings.Split(d.Logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") && (strings.Contains(line, "planification") || strings.Contains(line, "hubee")) {
			t.Errorf("a WARN about the schedules at the demo's start: %s", line)
		}
	}
}

const down, enter = "\x1b[B", "\r"

// step types keys (one write per key, "\x00" between them, as typed) and waits for
// want in what the screen draws next.
func step(t *testing.T, sess *sshtest.Session, keys, want string) string {
	t.Helper()
	mark := sess.Mark()
	for _, k := range strings.Split(keys, "\x00") {
		sess.Type(t, k)
		time.Sleep(50 * time.Millisecond)
	}
	return sess.WaitAfter(t, mark, want, 30*time.Second)
}

// toPreview goes from the campaign list to the preview of the Licence Mathématiques,
// 2024-2025, every VET. The demo's Apogée opens 2025 and 2024 (newest first): the
// last year, then the last component (SCI).
func toPreview(t *testing.T, sess *sshtest.Session) {
	t.Helper()
	step(t, sess, "n", "Choisissez l'ann")
	step(t, sess, down+"\x00"+down+"\x00"+enter, "Choisissez la composante")
	step(t, sess, down+"\x00"+down+"\x00"+down+"\x00"+enter, "tapez pour filtrer")
	step(t, sess, "lmath", "LMATH/201")
	step(t, sess, enter, "cochées")
	step(t, sess, enter, "lancer") // the footer offers l lancer once every student is read
}

// Over SSH the sessions stay current: a campaign launched in one session appears in
// another one without r (the daemon publishes the change to every open session).
func TestSSHSessionsStayCurrent(t *testing.T) {
	testenv.Long(t, "test de bout en bout")
	dir := t.TempDir()
	mb := startMailbox(t)
	d, auth := startManaged(t, dir, mb.Addr)
	addr := d.SSHAddr(t)
	watcher := sshtest.Open(t, addr, "gestionnaire", auth, 120, 30)
	watcher.WaitFor(t, "Aucune campagne", 20*time.Second)
	sess := sshtest.Open(t, addr, "gestionnaire", auth, 120, 30)
	sess.WaitFor(t, "Campagnes", 20*time.Second)
	toPreview(t, sess)
	mark := watcher.Mark()
	step(t, sess, "l", "pour lancer")
	step(t, sess, "o", "terminée")
	watcher.WaitAfter(t, mark, "1 campagne", 20*time.Second) // nothing typed in this session
	d.Stop(t)
}

// startMailbox is a real SMTP server on loopback that keeps every message whole,
// with its envelope (internal/smtptest).
func startMailbox(t *testing.T) *smtptest.Server { return smtptest.Start(t, true) }

// ofKind gives the messages whose X-Hypercerts-Kind is kind.
func ofKind(mb *smtptest.Server, kind string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range mb.Messages() {
		if msg, err := mail.ReadMessage(bytes.NewReader(m.Data)); err == nil && msg.Header.Get("X-Hypercerts-Kind") == kind {
			out = append(out, m)
		}
	}
	return out
}

// attachment gives the decoded subject and the first attachment (name, content type,
// decoded bytes) of a MIME message.
func attachment(t *testing.T, data []byte) (subject, name, ctype string, body []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, data)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	var walk func(ct string, h textproto.MIMEHeader, r io.Reader) bool
	walk = func(ct string, h textproto.MIMEHeader, r io.Reader) bool {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextRawPart() // undecoded: the transfer encoding is checked below
				if err == io.EOF {
					return false
				}
				if err != nil {
					t.Fatalf("MIME part: %v", err)
				}
				if walk(p.Header.Get("Content-Type"), p.Header, p) {
					return true
				}
			}
		}
		disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
		if disp != "attachment" {
			return false
		}
		raw, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "base64":
			body, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
		case "quoted-printable":
			body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		default:
			body = raw
		}
		if err != nil {
			t.Fatalf("attachment decoding: %v", err)
		}
		name, ctype = dparams["filename"], ct
		return true
	}
	if !walk(msg.Header.Get("Content-Type"), textproto.MIMEHeader(msg.Header), msg.Body) {
		t.Fatalf("no attachment in the message:\n%s", data)
	}
	return subject, name, ctype, body
}

// Over SSH the preview's CSV export is not written on the server: it is mailed to the
// manager's own address from Apogée (UTILISATEUR.ADR_MAIL_UTI, as for R17b) as an
// attachment, through the configured SMTP relay, and the status line says so. The
// built daemon, a real SSH session typing the keys, a real SMTP server.
func TestR17b_SSHExportIsMailedToTheManagerBySMTP(t *testing.T) {
	testenv.Long(t, "test de bout en bout")
	dir := t.TempDir()
	mb := startMailbox(t)
	d, auth := startManaged(t, dir, mb.Addr)
	sess := sshtest.Open(t, d.SSHAddr(t), "gestionnaire", auth, 140, 40)
	sess.WaitFor(t, "Campagnes", 20*time.Second)
	toPreview(t, sess)
	screen := step(t, sess, "e", "envoyé en pièce jointe")

	const manager = "scolarite.sciences@univ-demo.fr" // gestionnaire's UTILISATEUR.ADR_MAIL_UTI
	m := regexp.MustCompile(`Aperçu exporté \((\d+) lignes\) : envoyé en pièce jointe à votre adresse ([^\s\x1b]+)`).FindStringSubmatch(screen)
	if m == nil || m[2] != manager {
		t.Fatalf("the status line does not say where the export went: %q", screen)
	}
	var msgs []smtptest.Message
	for deadline := time.Now().Add(10 * time.Second); len(msgs) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		msgs = ofKind(mb, "preview_export")
	}
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != manager {
		t.Fatalf("want one export mail to %s over SMTP, got %d: %+v", manager, len(msgs), msgs)
	}
	subject, name, ctype, body := attachment(t, msgs[0].Data)
	if subject != "Export de l'aperçu : Licence Mathématiques (LMATH/201) (2024-2025)" {
		t.Errorf("subject %q", subject)
	}
	if name != "apercu-LMATH-201-2024.csv" || !strings.HasPrefix(ctype, "text/csv") {
		t.Errorf("attachment %q (%s)", name, ctype)
	}
	if !bytes.HasPrefix(body, []byte("\uFEFF")) {
		t.Errorf("the CSV has no byte-order mark (LibreOffice, Excel): %q", body)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF"))))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the attached CSV does not read back: %v\n%s", err, body)
	}
	if n, _ := strconv.Atoi(m[1]); len(records) != n+1 {
		t.Errorf("the CSV holds %d rows, the screen said %s lines", len(records)-1, m[1])
	}
	found := false
	for _, rec := range records[1:] {
		if slices.Contains(rec, "21000001") && slices.Contains(rec, "LEFÈVRE") && slices.Contains(rec, "elodie.lefevre@etu.univ-demo.fr") {
			found = true
		}
	}
	if !found {
		t.Errorf("LEFÈVRE Élodie (21000001) is not in the attached CSV:\n%s", body)
	}
	// Nothing written on the server: no export file under the daemon's folder.
	_ = filepath.WalkDir(dir, func(path string, _ os.DirEntry, _ error) error {
		if strings.HasSuffix(path, ".csv") {
			t.Errorf("an export was written on the server: %s", path)
		}
		return nil
	})
	d.Stop(t)
}
