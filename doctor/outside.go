package doctor

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"hypercerts/config"
	"hypercerts/connectors/apogee"
	cassim "hypercerts/connectors/cas/sim"
	"hypercerts/connectors/digiposte"
	"hypercerts/connectors/hubee"
	"hypercerts/connectors/mail"
	"hypercerts/domain"
)

// wsKeys are the configuration keys of the four services (apogee.ws.services.<key>).
var wsKeys = map[string]string{
	apogee.ServiceOffreFormation: "offre_formation",
	apogee.ServiceEtudiant:       "etudiant",
	apogee.ServicePedagogique:    "pedagogique",
	apogee.ServiceReferentiel:    "referentiel",
}

// checkWS probes each service with apogee.(*WS).Probe: one real operation, built by the
// same generated request code as the real calls (and so validated against AMUE's XSDs by
// the connector's tests), for a code that does not exist. Apogée's "no data" fault is an
// answer: the service is up. The namespace is compared on the answer or on Apogée's
// exception element; a fault of Axis itself (its detail holds only
// {http://xml.apache.org/axis/}hostname) says nothing about the service namespace.
func checkWS(ctx context.Context, cfg *config.Config, baseURL string) Result {
	res := Result{Name: "Apogée : web services"}
	if baseURL == "" {
		res.Status, res.Detail, res.Fix = Fail, "apogee.ws.base_url vide", "renseignez apogee.ws.base_url"
		return res
	}
	svc := cfg.Apogee.WS.Services
	ws, err := apogee.NewWS(apogee.WSConfig{
		BaseURL: baseURL, Timeout: cfg.Apogee.WS.Timeout, MaxResponseBytes: int64(cfg.Apogee.WS.MaxResponseBytes),
		Services: map[string]apogee.ServiceConfig{
			apogee.ServiceOffreFormation: {Path: svc.OffreFormation.Path, Namespace: svc.OffreFormation.Namespace},
			apogee.ServiceEtudiant:       {Path: svc.Etudiant.Path, Namespace: svc.Etudiant.Namespace},
			apogee.ServicePedagogique:    {Path: svc.Pedagogique.Path, Namespace: svc.Pedagogique.Namespace},
			apogee.ServiceReferentiel:    {Path: svc.Referentiel.Path, Namespace: svc.Referentiel.Namespace},
		},
	})
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez apogee.ws"
		return res
	}
	var ok, bad []string
	var fixes []string
	for _, name := range apogee.Services {
		key := "apogee.ws.services." + wsKeys[name]
		err := ws.Probe(ctx, name)
		var nse *apogee.NamespaceError
		switch {
		case err == nil:
			ok = append(ok, name)
			continue
		case errors.As(err, &nse):
			bad = append(bad, fmt.Sprintf("%s : l'espace de noms répondu est %q, la configuration dit %q", name, nse.Got, nse.Want))
			fixes = append(fixes, fmt.Sprintf("mettez %s.namespace à %q (il change entre versions d'Apogée)", key, nse.Got))
		case errors.Is(err, apogee.ErrUnknownOperation):
			bad = append(bad, fmt.Sprintf("%s (%s) : %v", name, ws.Endpoint(name), err))
			fixes = append(fixes, fmt.Sprintf("le service à cette adresse ne connaît pas l'opération dans l'espace de noms configuré : vérifiez %s.path et %s.namespace (valeur du targetNamespace du WSDL de ce service)", key, key))
		case domain.IsTransient(err):
			bad = append(bad, fmt.Sprintf("%s (%s) : %v", name, ws.Endpoint(name), err))
			fixes = append(fixes, "vérifiez apogee.ws.base_url et que ce serveur joint Apogée (pare-feu, proxy)")
		default:
			bad = append(bad, fmt.Sprintf("%s (%s) : %v", name, ws.Endpoint(name), err))
			fixes = append(fixes, fmt.Sprintf("vérifiez apogee.ws.base_url et le chemin du service (%s.path)", key))
		}
	}
	if len(bad) > 0 {
		res.Status, res.Detail = Fail, strings.Join(bad, "\n")
		if len(ok) > 0 {
			res.Detail += "\nrépondent : " + strings.Join(ok, ", ")
		}
		res.Fix = strings.Join(uniq(fixes), " ; ")
		return res
	}
	res.Status, res.Detail = OK, fmt.Sprintf("%d services répondent, espaces de noms conformes (%s)", len(ok), strings.Join(ok, ", "))
	return res
}

func uniq(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// checkMail: connects, EHLO, STARTTLS and AUTH as configured, QUIT (nothing sent); or
// the .eml folder is writable.
func checkMail(ctx context.Context, cfg *config.Config) Result {
	res := Result{Name: "courriel (SMTP)"}
	if cfg.Mail.EMLDir != "" {
		res.Name = "courriel (dossier .eml)"
		if err := os.MkdirAll(cfg.Mail.EMLDir, 0o700); err != nil {
			res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez mail.eml_dir"
			return res
		}
		if err := probeDir(cfg.Mail.EMLDir); err != nil {
			res.Status, res.Detail, res.Fix = Fail, err.Error(), "le dossier mail.eml_dir doit être inscriptible"
			return res
		}
		res.Status, res.Detail = OK, "courriels écrits comme fichiers .eml dans "+cfg.Mail.EMLDir+" (rien n'est envoyé)"
		return res
	}
	tpl, err := mail.LoadTemplates(cfg.Mail.TemplatesDir)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez les modèles de mail.templates_dir"
		return res
	}
	password := ""
	if cfg.Mail.SMTP.PasswordEnv != "" {
		p, err := cfg.SMTPPassword()
		if err != nil {
			res.Status, res.Detail, res.Fix = Fail, err.Error(), "voir la ligne « secrets »"
			return res
		}
		password = p.Reveal()
	}
	s := cfg.Mail.SMTP
	smtp, err := mail.NewSMTP(mail.SMTPConfig{Host: s.Host, Port: s.Port, Security: mail.Security(s.Security), Username: s.Username,
		Password: password, Timeout: s.Timeout, HELO: s.HELO, From: cfg.Mail.From, ReplyTo: cfg.Mail.ReplyTo, MaxConns: 1}, tpl, nil)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez la section mail.smtp"
		return res
	}
	defer smtp.Close()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	if err := smtp.Check(ctx); err != nil {
		res.Status, res.Detail = Fail, addr+" : "+err.Error()
		res.Fix = "vérifiez mail.smtp.host/port/security, le compte (mail.smtp.username, mail.smtp.password_env) et que le relais accepte ce serveur"
		return res
	}
	how := []string{"connexion"}
	switch s.Security {
	case config.SecurityStartTLS:
		how = append(how, "STARTTLS")
	case config.SecurityTLS:
		how = append(how, "TLS")
	}
	if s.Username != "" {
		how = append(how, "authentification de "+s.Username)
	}
	res.Status, res.Detail = OK, fmt.Sprintf("%s : %s ; aucun courriel envoyé", addr, strings.Join(how, ", "))
	return res
}

// checkDigiposte: connects, host key known, folders present and writable (a probe
// file is written then removed in each); or the local folder in the demo.
func checkDigiposte(ctx context.Context, cfg *config.Config) Result {
	res := Result{Name: "Digiposte (SFTP)"}
	d := cfg.Digiposte
	dirs := []string{d.Remote.AdhesionDir, d.Remote.DepositDir, d.Remote.ReturnDir}
	if d.LocalDir != "" {
		res.Name = "Digiposte (dossier local)"
		for _, sub := range dirs {
			dir := path.Join(d.LocalDir, sub)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez digiposte.local_dir"
				return res
			}
			if err := probeDir(dir); err != nil {
				res.Status, res.Detail, res.Fix = Fail, err.Error(), "le dossier doit être inscriptible par l'utilisateur du service"
				return res
			}
		}
		res.Status, res.Detail = OK, "dossiers de "+d.LocalDir+" inscriptibles"
		return res
	}
	if strings.TrimSpace(d.SFTP.Host) == "" {
		res.Status, res.Detail = Skip, "non configuré (digiposte.sftp.host vide)"
		if ch, ok := domain.ChannelOf(domain.Mode(cfg.Delivery.Mode)); ok && slices.Contains(ch.Checks(), domain.CheckDigiposte) {
			res.Status, res.Fix = Fail, "delivery.mode vaut digiposte : renseignez digiposte.sftp"
		}
		return res
	}
	password, _ := cfg.SFTPPassword()
	passphrase, _ := cfg.SFTPKeyPassphrase()
	port := d.SFTP.Port
	if port == 0 {
		port = 22
	}
	addr := net.JoinHostPort(d.SFTP.Host, strconv.Itoa(port))
	f := digiposte.DefaultFormat()
	for dst, v := range map[*string]string{&f.AdhesionDir: d.Remote.AdhesionDir, &f.DepositDir: d.Remote.DepositDir,
		&f.ReturnDir: d.Remote.ReturnDir, &f.ArchiveDir: d.Remote.ArchiveDir} {
		if v != "" {
			*dst = v
		}
	}
	dc := digiposte.Config{Addr: addr, User: d.SFTP.User, KeyFile: d.SFTP.KeyFile, KeyPassphrase: passphrase.Reveal(),
		Password: password.Reveal(), KnownHostsFile: d.SFTP.KnownHosts, InsecureIgnoreHostKey: d.SFTP.InsecureIgnoreHostKey,
		DialTimeout: d.SFTP.Timeout, Format: f, RemoteDir: d.Remote.Base}
	if sftpRemoteDir != "" {
		dc.RemoteDir = sftpRemoteDir
	}
	c, err := digiposte.New(dc)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez la section digiposte.sftp"
		return res
	}
	if err := c.Check(ctx); err != nil {
		res.Status, res.Detail = Fail, addr+" : "+err.Error()
		res.Fix = "suivez l'indication ci-dessus (digiposte.sftp.* et digiposte.remote.*)"
		return res
	}
	if err := probeSFTP(ctx, dc, dirs); err != nil {
		res.Status, res.Detail = Fail, addr+" : "+err.Error()
		res.Fix = "demandez à Digiposte les droits d'écriture sur ce dossier pour " + d.SFTP.User
		return res
	}
	hk := "clé d'hôte connue (" + d.SFTP.KnownHosts + ")"
	if d.SFTP.InsecureIgnoreHostKey {
		res.Status, res.Fix = Warn, "digiposte.sftp.insecure_ignore_host_key est vrai : renseignez digiposte.sftp.known_hosts en production"
		hk = "clé d'hôte NON vérifiée"
	} else {
		res.Status = OK
	}
	res.Detail = fmt.Sprintf("%s : connexion, %s, dossiers %s inscriptibles (fichiers d'essai retirés)", addr, hk, strings.Join(dirs, ", "))
	return res
}

// sftpRemoteDir, when set (tests), replaces digiposte.remote.base.
var sftpRemoteDir = ""

// probeSFTP writes and removes a probe file in each folder.
func probeSFTP(ctx context.Context, c digiposte.Config, dirs []string) error {
	var auth []ssh.AuthMethod
	if c.KeyFile != "" {
		pem, err := os.ReadFile(c.KeyFile)
		if err != nil {
			return err
		}
		var signer ssh.Signer
		if c.KeyPassphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(c.KeyPassphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(pem)
		}
		if err != nil {
			return err
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		auth = append(auth, ssh.Password(c.Password))
	}
	hostKey := ssh.InsecureIgnoreHostKey()
	if !c.InsecureIgnoreHostKey {
		cb, err := knownhosts.New(c.KnownHostsFile)
		if err != nil {
			return err
		}
		hostKey = cb
	}
	timeout := c.DialTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	sc, chans, reqs, err := ssh.NewClientConn(conn, c.Addr, &ssh.ClientConfig{User: c.User, Auth: auth, HostKeyCallback: hostKey, Timeout: timeout})
	if err != nil {
		return err
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	fs, err := sftp.NewClient(client)
	if err != nil {
		return err
	}
	defer fs.Close()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := ".hypercerts-doctor-" + hex.EncodeToString(rnd[:])
	for _, dir := range dirs {
		p := path.Join(c.RemoteDir, dir, name)
		f, err := fs.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			return fmt.Errorf("dossier %s non inscriptible : %v", dir, err)
		}
		_, werr := f.Write([]byte("hypercerts doctor\n"))
		f.Close()
		if rerr := fs.Remove(p); rerr != nil {
			return fmt.Errorf("fichier d'essai %s impossible à retirer : %v (retirez-le à la main)", p, rerr)
		}
		if werr != nil {
			return fmt.Errorf("dossier %s : écriture refusée : %v", dir, werr)
		}
	}
	return nil
}

// checkHubEE asks a token for each configured démarche.
func checkHubEE(ctx context.Context, cfg *config.Config, timeout time.Duration) []Result {
	h := cfg.HubEE
	if len(h.Processes) == 0 {
		return []Result{{Name: "HubEE", Status: Skip, Detail: "aucune démarche configurée (hubee.processes)"}}
	}
	if h.Environment == config.HubEESim {
		return []Result{{Name: "HubEE", Status: OK, Detail: "simulateur HubEE (démo) : aucun appel réel"}}
	}
	tokenURL, _ := h.HubEEURLs()
	hc := &http.Client{Timeout: timeout}
	var out []Result
	for i, p := range h.Processes {
		res := Result{Name: "HubEE : " + p.Code}
		secret, err := cfg.HubEEClientSecret(p.Code)
		if err != nil {
			res.Status, res.Detail, res.Fix = Fail, err.Error(), "voir la ligne « secrets »"
			out = append(out, res)
			continue
		}
		cc := clientcredentials.Config{ClientID: p.ClientID, ClientSecret: secret.Reveal(), TokenURL: tokenURL,
			Scopes: []string{"SI"}, AuthStyle: oauth2.AuthStyleInHeader}
		tctx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, hc), timeout)
		tok, err := cc.Token(tctx)
		cancel()
		if err != nil {
			res.Status, res.Detail = Fail, fmt.Sprintf("jeton refusé par %s : %v", tokenURL, err)
			res.Fix = fmt.Sprintf("vérifiez hubee.processes[%d].client_id et le secret (%s), et hubee.environment", i, p.ClientSecretEnv)
		} else {
			res.Status = OK
			res.Detail = "jeton obtenu de " + tokenURL
			if !tok.Expiry.IsZero() {
				res.Detail += fmt.Sprintf(" (valable %s)", time.Until(tok.Expiry).Round(time.Minute))
			}
			out = append(out, res)
			out = append(out, checkHubEEProcess(ctx, cfg, p, secret.Reveal(), timeout))
			continue
		}
		out = append(out, res)
	}
	return out
}

// checkHubEEProcess reads a démarche's settings from the referential (getProcessById)
// and says what to ask the HubEE team for when one hypercerts needs is missing
// (docs/hubee.md, « Prérequis d'une démarche »). The functional specification reserves
// that read to ADMIN (and OSL in the OpenAPI description): with a SI token the hub
// answers 403, and the prerequisites are then listed to be confirmed by the team.
func checkHubEEProcess(ctx context.Context, cfg *config.Config, p config.HubEEProcess, secret string, timeout time.Duration) Result {
	res := Result{Name: "HubEE : " + p.Code + " (réglages de la démarche)"}
	tokenURL, apiURL := cfg.HubEE.HubEEURLs()
	answers := p.Role == "" || p.Role == config.RoleAttestationRequest
	ask := "demandez à l'équipe HubEE (contact-nhube@data.gouv.fr) pour la démarche " + p.Code + " : " +
		strings.Join(hubee.MissingPrerequisites(hubee.Process{}, answers, 0)[:1+btoi(answers)], " ; ")
	c, err := hubee.New(hubee.Config{BaseURL: apiURL, TokenURL: tokenURL, Scope: hubee.ScopeSI, MaxAttempts: 1,
		Credentials: map[string]hubee.Credentials{p.Code: {ClientID: p.ClientID, ClientSecret: secret}}, CallTimeout: timeout})
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		return res
	}
	s, err := c.Session(p.Code)
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		return res
	}
	proc, err := s.GetProcess(ctx, p.Code)
	switch {
	case hubee.IsStatus(err, http.StatusForbidden) || hubee.IsStatus(err, http.StatusUnauthorized):
		res.Status = Warn
		res.Detail = "réglages illisibles avec le jeton SI (getProcessById est réservé à l'administration HubEE) : prérequis non vérifiés"
		res.Fix = "faites confirmer par écrit — " + ask
	case err != nil:
		res.Status, res.Detail = Warn, "réglages de la démarche illisibles : "+err.Error()
		res.Fix = ask
	default:
		missing := hubee.MissingPrerequisites(proc, answers, 1<<20)
		if len(missing) == 0 {
			res.Status = OK
			res.Detail = "messages à l'OSL autorisés"
			if answers {
				res.Detail += ", PDF accepté des SI"
			}
			return res
		}
		res.Status = Fail
		res.Detail = "il manque à la démarche " + p.Code + " : " + strings.Join(missing, " ; ")
		res.Fix = "demandez à l'équipe HubEE (contact-nhube@data.gouv.fr) de régler la démarche " + p.Code + " : " + strings.Join(missing, " ; ")
	}
	return res
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkCAS: the CAS login page answers.
func checkCAS(ctx context.Context, cfg *config.Config) Result {
	res := Result{Name: "CAS"}
	c := cfg.CAS
	simulated := ""
	if c.URL == "" && c.SimulatorUsersFile != "" && c.DemoUser == "" {
		// The embedded CAS simulator signs managers in (demo, tests): probe it like a
		// real CAS, so a broken users file shows here rather than at the first login.
		users, err := cassim.LoadUsers(c.SimulatorUsersFile)
		if err != nil {
			res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez cas.simulator_users_file"
			return res
		}
		sim := cassim.New(users)
		url, err := sim.Start()
		if err != nil {
			res.Status, res.Detail = Fail, "CAS simulé : "+err.Error()
			return res
		}
		defer sim.Close()
		c.URL, c.Service = url, "http://localhost/hypercerts"
		simulated = fmt.Sprintf("CAS simulé (%d comptes, %s) : ", len(users), c.SimulatorUsersFile)
	}
	if c.URL == "" {
		res.Status, res.Detail = Skip, "non configuré"
		if c.DemoUser != "" {
			res.Detail += " : utilisateur de démonstration " + c.DemoUser + " sans connexion"
		}
		return res
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez cas.ca_file"
			return res
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig.RootCAs = pool
	}
	hc := &http.Client{Transport: tr, Timeout: c.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// A validation of a ticket that does not exist: every CAS answers it with an
	// authenticationFailure, without side effect.
	u := strings.TrimRight(c.URL, "/") + "/serviceValidate?ticket=ST-hypercerts-doctor&service=" + url.QueryEscape(c.Service)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez cas.url"
		return res
	}
	resp, err := hc.Do(req)
	if err != nil {
		res.Status, res.Detail = Fail, "injoignable : "+err.Error()
		res.Fix = "vérifiez cas.url, le DNS et le pare-feu ; pour un certificat interne, cas.ca_file"
		return res
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "serviceResponse") {
		res.Status, res.Detail = Fail, fmt.Sprintf("%s/serviceValidate répond HTTP %d sans réponse CAS", strings.TrimRight(c.URL, "/"), resp.StatusCode)
		res.Fix = "vérifiez cas.url (l'adresse de base du CAS, ex. https://cas.univ.fr/cas) et l'état du serveur CAS"
		return res
	}
	res.Status, res.Detail = OK, simulated+fmt.Sprintf("%s répond en CAS (validation d'un ticket d'essai refusée, comme attendu)", c.URL)
	return res
}

// checkPrint checks the print batches' folder (print.dir): created if needed, and
// writable (a file is written then removed).
func checkPrint(cfg *config.Config) Result {
	res := Result{Name: "lots d'impression"}
	dir := cfg.Print.Dir
	if strings.TrimSpace(dir) == "" {
		res.Status, res.Detail = Skip, "non configuré (print.dir vide)"
		if ch, ok := domain.ChannelOf(domain.Mode(cfg.Delivery.Mode)); ok && slices.Contains(ch.Checks(), domain.CheckPrint) {
			res.Status, res.Fix = Fail, "delivery.mode vaut impression : renseignez print.dir"
		}
		return res
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez print.dir"
		return res
	}
	if err := probeDir(dir); err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "le dossier doit être inscriptible par l'utilisateur du service"
		return res
	}
	res.Status, res.Detail = OK, dir+" inscriptible"
	return res
}
