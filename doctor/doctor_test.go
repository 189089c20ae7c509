package doctor

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/ssh"

	"hypercerts/config"
	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	cassim "hypercerts/connectors/cas/sim"
	hubeesim "hypercerts/connectors/hubee/sim"
	"hypercerts/control"
	"hypercerts/domain"
	"hypercerts/internal/sshtest"
	"hypercerts/internal/testenv"
	"hypercerts/store"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func want(t *testing.T, res Result, status Status, parts ...string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %s, want %s: %s (%s)", res.Name, res.Status.symbol(), status.symbol(), res.Detail, res.Fix)
	}
	for _, p := range parts {
		if !strings.Contains(res.Detail+" → "+res.Fix, p) {
			t.Errorf("%s: %q lacks %q", res.Name, res.Detail+" → "+res.Fix, p)
		}
	}
}

func TestDemoConfigAllGreenAndPrinted(t *testing.T) {
	cfg := config.Demo(t.TempDir())
	results := Run(ctx(t), cfg, Options{})
	var b bytes.Buffer
	if n := Print(&b, results); n != 0 {
		t.Fatalf("%d failures on the demo:\n%s", n, b.String())
	}
	for _, name := range []string{"configuration", "secrets", "base (store)", "Apogée : base de données", "Apogée : web services",
		"signature du président", "courriel", "Digiposte", "HubEE", "CAS"} {
		if !strings.Contains(b.String(), name) {
			t.Errorf("report lacks %q:\n%s", name, b.String())
		}
	}
	if !strings.Contains(b.String(), "tout est en ordre") {
		t.Errorf("report:\n%s", b.String())
	}
	t.Logf("\n%s", b.String())
}

func TestConfigEveryErrorAtOnce(t *testing.T) {
	_, err := config.Parse([]byte("university:\n  name: U\ndelivery:\n  tset_mode: true\nmail:\n  smtp:\n    port: 70000\n"), "application.yaml")
	res := ConfigFailure("application.yaml", err)
	want(t, res, Fail, "mail.smtp.port", "delivery.tset_mode", "application.example.yaml")
	var b bytes.Buffer
	if Print(&b, []Result{res}) != 1 || !strings.Contains(b.String(), "✗ configuration") {
		t.Errorf("print:\n%s", b.String())
	}
}

func TestSecretsMissingNamed(t *testing.T) {
	cfg := config.Default()
	cfg.Apogee.DB.DSNEnv = "HYPERCERTS_DOCTOR_TEST_DSN_ABSENT"
	want(t, checkSecrets(cfg), Fail, "HYPERCERTS_DOCTOR_TEST_DSN_ABSENT", "EnvironmentFile")
	t.Setenv("HYPERCERTS_DOCTOR_TEST_DSN_ABSENT", "oracle://u:p@127.0.0.1:1/x")
	t.Setenv("HYPERCERTS_SIGNER_KEY", "k")
	want(t, checkSecrets(cfg), OK, "HYPERCERTS_DOCTOR_TEST_DSN_ABSENT")
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Demo(dir)
	want(t, checkStore(ctx(t), cfg), OK, "sera créée")

	st, err := store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st.CreateCampaign(&domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "D", Version: "1"}})
	// Held by a daemon answering on its control socket.
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- control.Serve(sctx, control.SocketPath(cfg.Store.Path), st) }()
	for i := 0; !control.Running(context.Background(), control.SocketPath(cfg.Store.Path)); i++ {
		if i > 200 {
			t.Fatal("control socket never answered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	want(t, checkStore(ctx(t), cfg), OK, "tenue par le démon")
	stop()
	<-done
	// Held silently (a TUI).
	want(t, checkStore(ctx(t), cfg), Warn, "ne répond pas")
	st.Close()
	want(t, checkStore(ctx(t), cfg), OK, "schéma 1, 1 campagnes")

	// Damaged.
	os.WriteFile(cfg.Store.Path, bytes.Repeat([]byte{0xAB}, 8192), 0o600)
	want(t, checkStore(ctx(t), cfg), Fail, "hypercerts restore")
	// Folder not writable.
	cfg.Store.Path = filepath.Join(dir, "absent", "sub", "h.db")
	want(t, checkStore(ctx(t), cfg), Fail, "non inscriptible")
}

// startApogee starts the embedded Apogée on loopback.
func startApogee(t *testing.T) (*sim.Apogee, string) {
	t.Helper()
	s, err := sim.Open(sim.Options{Seed: 1, Students: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	return s, base
}

func TestApogeeDatabaseQueriesAndSignature(t *testing.T) {
	s, _ := startApogee(t)
	cfg := config.Demo(t.TempDir())
	r := &run{cfg: cfg, o: Options{Timeout: 10 * time.Second, Getenv: func(string) string { return "" }}}
	res, q := r.checkDB(ctx(t), s.DB())
	want(t, res, OK, "colonnes attendues")
	want(t, r.checkSignature(ctx(t), q), OK, "image déchiffrée")

	// A site override returning the wrong columns: named.
	over := t.TempDir()
	os.WriteFile(filepath.Join(over, "years.sql"), []byte("SELECT 1 AS mauvaise_colonne\n"), 0o600)
	cfg.Apogee.DB.QueriesDir = over
	res, _ = r.checkDB(ctx(t), s.DB())
	want(t, res, Fail, "years.sql", "MAUVAISE_COLONNE")
	cfg.Apogee.DB.QueriesDir = ""

	// Wrong signer, then wrong key.
	cfg.Apogee.Signer.Code = "NOBODY"
	want(t, r.checkSignature(ctx(t), q), Fail, "NOBODY", "apogee.signer.code")
	cfg.Apogee.Signer.Code = config.Demo("x").Apogee.Signer.Code
	cfg.Apogee.Signer.KeyEnv = "HYPERCERTS_DOCTOR_TEST_KEY"
	t.Setenv("HYPERCERTS_DOCTOR_TEST_KEY", "mauvaise-clé")
	r.o.Getenv = os.Getenv
	want(t, r.checkSignature(ctx(t), q), Fail, "apogee.signer")

	// Oracle unreachable (nothing listens).
	cfg = config.Default()
	cfg.Apogee.DB.DSNEnv = "HYPERCERTS_DOCTOR_TEST_DSN"
	t.Setenv("HYPERCERTS_DOCTOR_TEST_DSN", "oracle://u:p@"+closedAddr(t)+"/APOGEE")
	r = &run{cfg: cfg, o: Options{Timeout: 5 * time.Second, Getenv: os.Getenv}}
	r.apogee(ctx(t))
	want(t, r.results[0], Fail, "connexion impossible", "pare-feu")
	want(t, r.results[2], Fail, "non vérifiée")
}

var _ = apogee.OpenDB

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestApogeeWebServices(t *testing.T) {
	_, base := startApogee(t)
	cfg := config.Default()
	want(t, checkWS(ctx(t), cfg, base), OK, "4 services répondent")

	cfg.Apogee.WS.Services.Etudiant.Namespace = "gouv.education.apogee.commun.servicesmetiers.EtudiantMetier_OLD"
	want(t, checkWS(ctx(t), cfg, base), Fail, "EtudiantMetier : l'espace de noms répondu est \"gouv.education.apogee.commun.servicesmetiers.EtudiantMetier\"",
		"namespace", "répondent : OffreFormationMetier, PedagogiqueMetier, ReferentielMetier")

	cfg = config.Default()
	cfg.Apogee.WS.Services.Referentiel.Path = "/services/ReferentielMetierV2"
	want(t, checkWS(ctx(t), cfg, base), Fail, "ReferentielMetier", "HTTP 404", "path")

	want(t, checkWS(ctx(t), config.Default(), "http://"+closedAddr(t)+"/apo"), Fail, "injoignable", "base_url")
}

// TestApogeeWebServices_AxisFaultAdvice: an Axis-level fault (no such operation) has
// only Axis' hostname in its detail; doctor must not advise setting the service
// namespace to http://xml.apache.org/axis/, which would break a correct configuration.
func TestApogeeWebServices_AxisFaultAdvice(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>`+
			`<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>No such operation 'x'</faultstring><detail>`+
			`<ns1:hostname xmlns:ns1="http://xml.apache.org/axis/">apogee</ns1:hostname></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
	}))
	t.Cleanup(srv.Close)
	res := checkWS(ctx(t), config.Default(), srv.URL)
	want(t, res, Fail, "path", "namespace")
	if strings.Contains(res.Fix, "xml.apache.org") {
		t.Errorf("advice points at Axis' namespace: %s", res.Fix)
	}
}

// ---- SMTP: a real SMTP server on loopback (emersion/go-smtp) ----

type smtpBackend struct{ user, pass string }

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

type smtpSession struct{ b *smtpBackend }

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, u, p string) error {
		if u != s.b.user || p != s.b.pass {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}
func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	return errors.New("doctor must not send")
}
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error {
	return errors.New("doctor must not send")
}
func (s *smtpSession) Data(io.Reader) error { return errors.New("doctor must not send") }
func (s *smtpSession) Reset()               {}
func (s *smtpSession) Logout() error        { return nil }

func TestSMTP(t *testing.T) {
	srv := smtp.NewServer(&smtpBackend{user: "hypercerts", pass: "secret"})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())

	cfg := config.Default()
	cfg.Mail.From = "scolarite@univ-demo.fr"
	cfg.Mail.SMTP.Host = host
	fmt.Sscan(port, &cfg.Mail.SMTP.Port)
	cfg.Mail.SMTP.Security = config.SecurityNone
	cfg.Mail.SMTP.Username = "hypercerts"
	cfg.Mail.SMTP.PasswordEnv = "HYPERCERTS_DOCTOR_TEST_SMTP"
	cfg.Mail.SMTP.Timeout = 5 * time.Second
	t.Setenv("HYPERCERTS_DOCTOR_TEST_SMTP", "secret")
	want(t, checkMail(ctx(t), cfg), OK, "authentification de hypercerts", "envoi par BDAT", "aucun courriel envoyé")
	cfg.Mail.SMTP.Chunking = false
	want(t, checkMail(ctx(t), cfg), OK, "envoi par DATA (mail.smtp.chunking: false)")
	cfg.Mail.SMTP.Chunking = true

	t.Setenv("HYPERCERTS_DOCTOR_TEST_SMTP", "wrong")
	want(t, checkMail(ctx(t), cfg), Fail, "mail.smtp.username")
	if r := checkMail(ctx(t), cfg); !strings.Contains(strings.ToLower(r.Detail), "auth") {
		t.Errorf("auth failure not said: %s", r.Detail)
	}

	t.Setenv("HYPERCERTS_DOCTOR_TEST_SMTP", "secret")
	cfg.Mail.SMTP.Security = config.SecurityStartTLS // this server offers no STARTTLS
	if r := checkMail(ctx(t), cfg); r.Status != Fail || !strings.Contains(strings.ToUpper(r.Detail), "TLS") {
		t.Errorf("STARTTLS not offered: %+v", r)
	}

	cfg.Mail.SMTP.Security = config.SecurityNone
	cfg.Mail.SMTP.Port = 1
	cfg.Mail.SMTP.Host = "127.0.0.1"
	addr := closedAddr(t)
	h, p, _ := net.SplitHostPort(addr)
	cfg.Mail.SMTP.Host = h
	fmt.Sscan(p, &cfg.Mail.SMTP.Port)
	want(t, checkMail(ctx(t), cfg), Fail, addr)
}

// ---- HubEE and CAS: their simulators on loopback ----

func TestHubEETokens(t *testing.T) {
	s := hubeesim.New()
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddClient(hubeesim.Client{ID: "si-ok", Secret: "good", Scopes: []string{"SI"}})
	cfg := config.Default()
	cfg.HubEE.Environment = config.HubEEPreprod
	cfg.HubEE.TokenURL, cfg.HubEE.APIURL = s.TokenURL(), base
	cfg.HubEE.Processes = []config.HubEEProcess{
		{Code: "AttestationReussite", ClientID: "si-ok", ClientSecretEnv: "HYPERCERTS_DOCTOR_HUB_OK"},
		{Code: "AutreDemarche", ClientID: "si-ok", ClientSecretEnv: "HYPERCERTS_DOCTOR_HUB_BAD"},
	}
	t.Setenv("HYPERCERTS_DOCTOR_HUB_OK", "good")
	t.Setenv("HYPERCERTS_DOCTOR_HUB_BAD", "bad")
	res := checkHubEE(ctx(t), cfg, 5*time.Second)
	if len(res) != 3 {
		t.Fatalf("results = %+v", res)
	}
	want(t, res[0], OK, "jeton obtenu")
	// The SI token cannot read the démarche's settings (ADMIN only): what to have
	// confirmed by the HubEE team is spelled out.
	want(t, res[1], Warn, "jeton SI")
	if !strings.Contains(res[1].Fix, "messageToTransmitter") || !strings.Contains(res[1].Fix, "application/pdf") {
		t.Errorf("à demander : %q", res[1].Fix)
	}
	want(t, res[2], Fail, "jeton refusé", "hubee.processes[1].client_id", "HYPERCERTS_DOCTOR_HUB_BAD")
	if r := checkHubEE(ctx(t), config.Default(), time.Second); r[0].Status != Skip {
		t.Errorf("no démarche: %+v", r)
	}
}

func TestCAS(t *testing.T) {
	s := cassim.New(nil)
	u, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := config.Default()
	cfg.CAS.URL, cfg.CAS.Service, cfg.CAS.Timeout = u, "https://hypercerts.univ-demo.fr/", 5*time.Second
	want(t, checkCAS(ctx(t), cfg), OK, "répond en CAS")
	s.FailWith(502)
	want(t, checkCAS(ctx(t), cfg), Fail, "HTTP 502", "cas.url")
	s.FailWith(0)
	cfg.CAS.URL = strings.TrimSuffix(u, "/cas") + "/pas-cas"
	want(t, checkCAS(ctx(t), cfg), Fail, "sans réponse CAS")
	cfg.CAS.URL = u
	s.Down()
	want(t, checkCAS(ctx(t), cfg), Fail, "injoignable")
}

// The CAS simulator (cas.simulator_users_file, no cas.url) is configured: doctor
// probes it like a real CAS instead of saying « non configuré ».
func TestCASSimulator(t *testing.T) {
	cfg := config.Default()
	cfg.CAS.SimulatorUsersFile, cfg.CAS.Timeout = filepath.Join("..", "connectors", "cas", "sim", "testdata", "users.yaml"), 5*time.Second
	want(t, checkCAS(ctx(t), cfg), OK, "CAS simulé", "répond en CAS")
	cfg.CAS.SimulatorUsersFile = filepath.Join(t.TempDir(), "absent.yaml")
	want(t, checkCAS(ctx(t), cfg), Fail, "cas.simulator_users_file")
}

// ---- SFTP: OpenSSH's sshd and sftp-server on loopback ----

func TestSFTP(t *testing.T) {
	const sshdPath, sftpServer = "/usr/sbin/sshd", "/usr/lib/openssh/sftp-server"
	for _, p := range []string{sshdPath, sftpServer} {
		testenv.File(t, p, "apt-get install -y openssh-server")
	}
	_ = os.MkdirAll("/run/sshd", 0o755)
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key := func(name string) (ssh.Signer, string) {
		priv, s := sshtest.NewKey(t)
		blk, _ := ssh.MarshalPrivateKey(priv, "")
		file := filepath.Join(dir, name)
		os.WriteFile(file, pem.EncodeToMemory(blk), 0o600)
		return s, file
	}
	hostSigner, hostKeyFile := key("host_key")
	userSigner, userKeyFile := key("user_key")
	authKeys := filepath.Join(dir, "authorized_keys")
	os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(userSigner.PublicKey()), 0o600)
	startSSHD := func(extra string) (addr, port string) {
		addr = closedAddr(t)
		_, port, _ = net.SplitHostPort(addr)
		conf := filepath.Join(dir, "sshd_config_"+port)
		os.WriteFile(conf, []byte(fmt.Sprintf("Port %s\nListenAddress 127.0.0.1\nHostKey %s\nPidFile none\nStrictModes no\nUsePAM no\n"+
			"PermitRootLogin yes\nPubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"+
			"AuthorizedKeysFile %s\nAllowUsers %s\nSubsystem sftp %s -l ERROR%s\nLogLevel ERROR\n", port, hostKeyFile, authKeys, u.Username, sftpServer, extra)), 0o600)
		var logs bytes.Buffer
		cmd := exec.Command(sshdPath, "-D", "-e", "-f", conf)
		cmd.Stderr = &logs
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
			}
		})
		for i := 0; ; i++ {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				return addr, port
			}
			select {
			case <-exited:
				t.Fatalf("sshd stopped: %s", logs.String())
			default:
			}
			if i > 100 {
				t.Fatalf("sshd not listening: %s", logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	_, port := startSSHD("")
	_, roPort := startSSHD(" -R") // sftp-server read-only: every write refused
	remote := filepath.Join(dir, "remote")
	for _, d := range []string{"adhesions", "depots", "retours", "archives"} {
		os.MkdirAll(filepath.Join(remote, d), 0o755)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	hk := string(ssh.MarshalAuthorizedKey(hostSigner.PublicKey()))
	os.WriteFile(knownHosts, []byte("[127.0.0.1]:"+port+" "+hk+"[127.0.0.1]:"+roPort+" "+hk), 0o600)

	cfg := config.Default()
	cfg.Digiposte.SFTP = config.SFTP{Host: "127.0.0.1", User: u.Username, KeyFile: userKeyFile, KnownHosts: knownHosts, Timeout: 5 * time.Second}
	fmt.Sscan(port, &cfg.Digiposte.SFTP.Port)
	sftpRemoteDir = remote
	t.Cleanup(func() { sftpRemoteDir = "" })
	cfg.Digiposte.Remote = config.Remote{AdhesionDir: "adhesions", DepositDir: "depots", ReturnDir: "retours", ArchiveDir: "archives"}
	want(t, checkDigiposte(ctx(t), cfg), OK, "clé d'hôte connue", "inscriptibles")
	left, _ := filepath.Glob(filepath.Join(remote, "*", ".hypercerts-doctor-*"))
	if len(left) > 0 {
		t.Errorf("probe files left behind: %v", left)
	}

	// A server that lets us read but not write.
	fmt.Sscan(roPort, &cfg.Digiposte.SFTP.Port)
	want(t, checkDigiposte(ctx(t), cfg), Fail, "adhesions non inscriptible", "droits d'écriture")
	fmt.Sscan(port, &cfg.Digiposte.SFTP.Port)
	// A missing folder.
	cfg.Digiposte.Remote.ReturnDir = "absent"
	want(t, checkDigiposte(ctx(t), cfg), Fail, "absent")
	cfg.Digiposte.Remote.ReturnDir = "retours"

	// Unknown host key: an empty known_hosts.
	empty := filepath.Join(dir, "known_hosts_empty")
	os.WriteFile(empty, nil, 0o600)
	cfg.Digiposte.SFTP.KnownHosts = empty
	want(t, checkDigiposte(ctx(t), cfg), Fail, "clé d'hôte inconnue")

	// Wrong user key.
	_, otherKey := key("other_key")
	cfg.Digiposte.SFTP.KnownHosts, cfg.Digiposte.SFTP.KeyFile = knownHosts, otherKey
	want(t, checkDigiposte(ctx(t), cfg), Fail, "authentification refusée")

	// Nothing listens.
	h, p, _ := net.SplitHostPort(closedAddr(t))
	cfg.Digiposte.SFTP.Host = h
	fmt.Sscan(p, &cfg.Digiposte.SFTP.Port)
	want(t, checkDigiposte(ctx(t), cfg), Fail, "injoignable")
}
