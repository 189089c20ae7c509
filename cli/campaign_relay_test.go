package cli

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"hypercerts/domain"
	"hypercerts/store"
)

// relay is a real SMTP server (emersion/go-smtp) on loopback with AUTH PLAIN. Like
// Postfix, it queues a message (keeps it) before replying 250. While down is set it
// refuses new sessions at EHLO and answers MAIL FROM with 421 on open ones, as a
// relay whose queue is unavailable.
type relay struct {
	addr string
	mu   sync.Mutex
	down bool
	// refuseFirst: the first student (…@etu.univ-demo.fr) seen is refused for good at RCPT (550).
	refuseFirst bool
	refused     string
	// failKind: mails of that kind (X-Hypercerts-Kind) get a 451 after DATA.
	failKind string
	ids      []string // Message-IDs of the messages queued
	// downAfter > 0: the relay goes down once that many mails are queued (set under the
	// lock that queues them, so the run cannot outpace a watcher).
	downAfter int
	queued    map[string]int // per recipient
	total     int
}

const relayUser, relayPass = "hypercerts", "mot-de-passe-du-relais"

func startRelay(t *testing.T) *relay {
	t.Helper()
	r := &relay{queued: map[string]int{}}
	srv := smtp.NewServer(r)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback, security: none
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

// setDown sets the relay down or up (up for good: downAfter no longer applies).
func (r *relay) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	if !down {
		r.downAfter = 0
	}
	r.mu.Unlock()
}

func (r *relay) counts() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.queued))
	for k, v := range r.queued {
		out[k] = v
	}
	return out, r.total
}

// NewSession runs at EHLO: a relay that is down refuses new sessions there.
func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return nil, errors.New("queue unavailable, try again later")
	}
	return &relaySession{r: r}, nil
}

type relaySession struct {
	r     *relay
	auth  bool
	rcpts []string
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *relaySession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != relayUser || pass != relayPass {
			return smtp.ErrAuthFailed
		}
		s.auth = true
		return nil
	}), nil
}
func (s *relaySession) Mail(string, *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.down {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "queue unavailable, try again later"}
	}
	return nil
}
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.refuseFirst && strings.HasSuffix(to, "@etu.univ-demo.fr") && (s.r.refused == "" || s.r.refused == to) {
		s.r.refused = to
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	s.rcpts = append(s.rcpts, strings.ToLower(to))
	return nil
}
func (s *relaySession) Data(rd io.Reader) error {
	msg, err := mail.ReadMessage(rd)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, msg.Body); err != nil {
		return err
	}
	s.r.mu.Lock() // queued before the reply
	defer s.r.mu.Unlock()
	if s.r.failKind != "" && msg.Header.Get("X-Hypercerts-Kind") == s.r.failKind {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "local error in processing"}
	}
	s.r.ids = append(s.r.ids, msg.Header.Get("Message-ID"))
	for _, to := range s.rcpts {
		s.r.queued[to]++
		s.r.total++
	}
	if s.r.downAfter > 0 && s.r.total >= s.r.downAfter {
		s.r.down = true
	}
	s.rcpts = nil
	return nil
}
func (s *relaySession) Reset()        { s.rcpts = nil }
func (s *relaySession) Logout() error { return nil }

// relayConfig writes an application.yaml using the embedded Apogée and the relay.
// The SMTP timeout is long: this relay queues a message before it replies (as real ones
// do), so a reply that times out on a loaded machine leaves a mail in doubt, which is
// resent — a duplicate these tests would wrongly blame on the engine.
func relayConfig(t *testing.T, addr string, extra string) (cfgPath, dbPath string) {
	t.Helper()
	passEnv := relayPasswordEnv(t)
	dir := t.TempDir()
	host, port, _ := strings.Cut(addr, ":")
	dbPath = filepath.Join(dir, "hypercerts.db")
	cfg := fmt.Sprintf(`university:
  name: "Université de Démonstration"
  city: "Besançon"
apogee:
  embedded: true
  max_attempts: 2
  backoff: 10ms
  db:
    dialect: sqlite
  signer:
    code: PRES
mail:
  smtp:
    host: %s
    port: %s
    security: none
    username: %s
    password_env: %s
    timeout: 60s
  from: "Scolarité <scolarite@univ-demo.fr>"
%s
store:
  path: %s
cas:
  demo_user: gestionnaire
`, host, port, relayUser, passEnv, extra, dbPath)
	cfgPath = filepath.Join(dir, "application.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

// relayPasswordEnv names the variable that holds the relay's password for test t: one
// variable per test, so that the tests can run in parallel (t.Setenv forbids it).
func relayPasswordEnv(t *testing.T) string {
	return "HYPERCERTS_TEST_SMTP_PASSWORD_" + strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToUpper(t.Name())) // capitals: config refuses other variable names
}

// setRelayPassword puts the password in test t's variable for the rest of the test.
func setRelayPassword(t *testing.T, pass string) {
	t.Helper()
	env := relayPasswordEnv(t)
	if err := os.Setenv(env, pass); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Unsetenv(env) })
}

func storedCampaigns(t *testing.T, dbPath string) ([]domain.Campaign, *store.Store) {
	t.Helper()
	st, err := store.Open(dbPath, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	camps, err := st.Campaigns()
	if err != nil {
		t.Fatal(err)
	}
	return camps, st
}

var runArgs = []string{"campaign", "run", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201", "--demo-students", "300"}

// A wrong SMTP password: nothing is recorded, nothing sent, the message says what to
// fix, and the exit code says the relay failed.
func TestR17_RelayCheckedBeforeTheFirstStudent(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	cfg, db := relayConfig(t, r.addr, "")
	setRelayPassword(t, "mauvais")
	_, errOut, code := runMain(t, append(runArgs, "--config", cfg)...)
	if code != ExitRelay {
		t.Fatalf("exit %d, want %d (relay): %s", code, ExitRelay, errOut)
	}
	for _, want := range []string{"serveur de courriel indisponible", "535", "mail.smtp.password_env", "n'a pas été créée"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "mauvais") {
		t.Error("the password is in the message")
	}
	if camps, _ := storedCampaigns(t, db); len(camps) != 0 {
		t.Errorf("a campaign was recorded: %+v", camps[0])
	}
	if _, total := r.counts(); total != 0 {
		t.Errorf("%d mails sent", total)
	}
}

// The relay fails mid-run: after mail.suspend_after consecutive transient failures
// the campaign is suspended (exit 4), the students of the failing streak are not
// spent; resume finishes it once the relay answers (exit 0), nobody twice.
func TestR17_RelayDownSuspendsThenResumeCarriesOn(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	cfg, db := relayConfig(t, r.addr, "  suspend_after: 3")
	setRelayPassword(t, relayPass)
	r.downAfter = 5 // the relay goes down once a few mails are through
	_, errOut, code := runMain(t, append(runArgs, "--config", cfg)...)
	if code != ExitSuspended {
		t.Fatalf("exit %d, want %d (suspended): %s", code, ExitSuspended, errOut)
	}
	if !strings.Contains(errOut, "suspendue : serveur de courriel indisponible") || !strings.Contains(errOut, "campaign resume") {
		t.Errorf("stderr:\n%s", errOut)
	}
	camps, st := storedCampaigns(t, db)
	if len(camps) != 1 || camps[0].State != domain.CampaignSuspended {
		t.Fatalf("campaigns %+v, want one suspended", camps)
	}
	entries, _ := st.Entries(camps[0].ID)
	eligible, students := 0, map[string]bool{}
	for _, en := range entries {
		if en.State != domain.EntryExcluded {
			eligible++
			students[strings.ToLower(en.Student.Email)] = true
		}
	}
	st.Close()
	_, sentBefore := r.counts()
	if sentBefore >= eligible {
		t.Fatalf("%d sent of %d eligible: the relay went down too late", sentBefore, eligible)
	}

	// Still down: resume refuses before the first student and changes nothing.
	_, errOut, code = runMain(t, "campaign", "resume", "--config", cfg, "--demo-students", "300")
	if code != ExitRelay {
		t.Fatalf("resume with the relay down: exit %d: %s", code, errOut)
	}
	r.setDown(false)
	out, errOut, code := runMain(t, "campaign", "resume", "--config", cfg, "--demo-students", "300")
	if code != ExitOK || !strings.Contains(out, "1 campagne reprise") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
	}
	byRcpt, _ := r.counts()
	for to := range students {
		if n := byRcpt[to]; n != 1 {
			t.Errorf("student %s got %d mails", to, n)
		}
	}
	camps, st = storedCampaigns(t, db)
	if camps[0].State != domain.CampaignFinished {
		t.Errorf("state %s after resume", camps[0].State)
	}
	audit, _ := st.Audit(camps[0].ID)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if !strings.Contains(strings.Join(actions, ","), "suspension,reprise") {
		t.Errorf("audit: %v", actions)
	}
}

// A student refused for good: the campaign ends, the exit code says some were not served.
func TestR07_ExitCodeSaysSomeStudentsWereNotServed(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	r.mu.Lock()
	r.refuseFirst = true
	r.mu.Unlock()
	cfg, _ := relayConfig(t, r.addr, "")
	setRelayPassword(t, relayPass)
	out, errOut, code := runMain(t, append(runArgs, "--config", cfg)...)
	if code != ExitPartial || !strings.Contains(errOut, "1 étudiant éligible sans attestation") || !strings.Contains(errOut, "campaign relaunch") {
		t.Fatalf("exit %d, want %d:\n%s\n%s", code, ExitPartial, out, errOut)
	}
}

func (r *relay) idsOf(kind string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, id := range r.ids {
		if strings.HasPrefix(id, "<"+kind+".") {
			out = append(out, id)
		}
	}
	return out
}

// R17a: the creation mail is a stored step: left pending when the relay refused it,
// sent by the next resume, once. R17b: each end summary has its own Message-ID.
func TestR17_ManagerMailsStoredStepAndOneMessageIDPerSummary(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	r.mu.Lock()
	r.refuseFirst, r.failKind = true, "campaign_created"
	r.mu.Unlock()
	cfg, db := relayConfig(t, r.addr, "  managers: [\"direction-etudes@univ-demo.fr\"]")
	setRelayPassword(t, relayPass)
	out, errOut, code := runMain(t, append(runArgs, "--config", cfg)...)
	if code != ExitPartial {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	id := strings.Fields(strings.SplitN(out, "campagne ", 2)[1])[0]
	camps, st := storedCampaigns(t, db)
	if mm := camps[0].ManagerMails; len(mm) != 1 || mm[0].State != domain.ManagerMailPending || !strings.Contains(mm[0].Error, "451") {
		t.Fatalf("creation mail after a refusal: %+v", mm)
	}
	st.Close()

	r.mu.Lock()
	r.refuseFirst, r.failKind = false, ""
	r.mu.Unlock()
	if _, errOut, code := runMain(t, "campaign", "relaunch", id, "--config", cfg, "--demo-students", "300"); code != ExitOK {
		t.Fatalf("relaunch: exit %d: %s", code, errOut)
	}
	for range 2 { // the first resume sends it, the second finds nothing to do
		if _, errOut, code := runMain(t, "campaign", "resume", "--config", cfg, "--demo-students", "300"); code != ExitOK {
			t.Fatalf("resume: exit %d: %s", code, errOut)
		}
	}
	if created := r.idsOf("campaign_created"); len(created) != 1 || !strings.Contains(created[0], "direction-etudes-univ-demo-fr") {
		t.Errorf("creation mails queued: %v", created)
	}
	summaries := r.idsOf("campaign_finished")
	if len(summaries) != 2 || summaries[0] == summaries[1] {
		t.Errorf("end summaries: %v, want two with distinct Message-IDs", summaries)
	}
	camps, st = storedCampaigns(t, db)
	if mm := camps[0].ManagerMails; mm[0].State != domain.ManagerMailSent {
		t.Errorf("creation mail state %+v", mm)
	}
	audit, _ := st.Audit(id)
	found := false
	for _, a := range audit {
		found = found || a.Action == domain.AuditMail && strings.Contains(a.Detail, "création de la campagne envoyé à direction-etudes@univ-demo.fr")
	}
	if !found {
		t.Errorf("no audit record of the creation mail: %+v", audit)
	}
}
