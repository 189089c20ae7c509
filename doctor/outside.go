package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"hypercerts/config"
	"hypercerts/connectors/apogee"
	"hypercerts/connectors/cas"
	"hypercerts/connectors/digiposte"
	"hypercerts/connectors/hubee"
	"hypercerts/connectors/mail"
	"hypercerts/domain"
	"hypercerts/wiring"
)

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
	ws, err := apogee.NewWS(wiring.ApogeeWS(cfg, baseURL))
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez apogee.ws"
		return res
	}
	var ok, bad []string
	var fixes []string
	for _, name := range apogee.Services {
		key := wiring.ServiceKey(name)
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
	sc, err := wiring.SMTP(cfg)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "voir la ligne « secrets »"
		return res
	}
	sc.MaxConns = 1 // one connection is the probe
	s := cfg.Mail.SMTP
	smtp, err := mail.NewSMTP(sc, tpl, nil)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez la section mail.smtp"
		return res
	}
	defer smtp.Close()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	bdat, err := smtp.CheckRelay(ctx)
	if err != nil {
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
	send := "envoi par DATA"
	switch {
	case bdat:
		send = "envoi par BDAT (le relais annonce CHUNKING, RFC 3030)"
	case !s.Chunking:
		send += " (mail.smtp.chunking: false)"
	}
	res.Status, res.Detail = OK, fmt.Sprintf("%s : %s ; %s ; aucun courriel envoyé", addr, strings.Join(how, ", "), send)
	return res
}

// checkDigiposte: connects, host key known, folders present and writable (a probe
// file is written then removed in each); or the local folder in the demo.
func checkDigiposte(ctx context.Context, cfg *config.Config) Result {
	res := Result{Name: "Digiposte (SFTP)"}
	d := cfg.Digiposte
	f, err := wiring.DigiposteFormat(cfg)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez digiposte.format"
		return res
	}
	dirs := []string{f.AdhesionDir, f.DepositDir, f.ReturnDir} // the connector's own folders
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
	addr := wiring.DigiposteAddr(cfg)
	dc, err := wiring.Digiposte(cfg)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez la section digiposte (voir aussi la ligne « secrets »)"
		return res
	}
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

// checkHubEE asks a token for each configured démarche, with the sync's own client
// settings (wiring.HubEE): the same URLs, scope and partner headers.
func checkHubEE(ctx context.Context, cfg *config.Config, timeout time.Duration) []Result {
	h := cfg.HubEE
	if len(h.Processes) == 0 {
		return []Result{{Name: "HubEE", Status: Skip, Detail: "aucune démarche configurée (hubee.processes)"}}
	}
	if h.Environment == config.HubEESim {
		return []Result{{Name: "HubEE", Status: OK, Detail: "simulateur HubEE (démo) : aucun appel réel"}}
	}
	var out []Result
	for i, p := range h.Processes {
		res := Result{Name: "HubEE : " + p.Code}
		creds, err := wiring.HubEECredentials(cfg, p)
		if err != nil {
			res.Status, res.Detail, res.Fix = Fail, err.Error(), "voir la ligne « secrets »"
			out = append(out, res)
			continue
		}
		hc := wiring.HubEE(cfg, map[string]hubee.Credentials{p.Code: creds})
		hc.MaxAttempts, hc.CallTimeout = 1, timeout // a probe: one try, doctor's bound
		s, err := session(hc, p.Code)
		if err != nil {
			res.Status, res.Detail, res.Fix = Fail, err.Error(), "corrigez la section hubee"
			out = append(out, res)
			continue
		}
		expiry, err := s.Token(ctx)
		if err != nil {
			res.Status, res.Detail = Fail, fmt.Sprintf("jeton refusé par %s : %v", hc.TokenURL, err)
			res.Fix = fmt.Sprintf("vérifiez hubee.processes[%d].client_id et le secret (%s), et hubee.environment", i, p.ClientSecretEnv)
			out = append(out, res)
			continue
		}
		res.Status = OK
		res.Detail = "jeton obtenu de " + hc.TokenURL
		if !expiry.IsZero() {
			res.Detail += fmt.Sprintf(" (valable %s)", time.Until(expiry).Round(time.Minute))
		}
		out = append(out, res, checkHubEEProcess(ctx, s, p))
	}
	return out
}

func session(hc hubee.Config, process string) (*hubee.Session, error) {
	c, err := hubee.New(hc)
	if err != nil {
		return nil, err
	}
	return c.Session(process)
}

// checkHubEEProcess reads a démarche's settings from the referential (getProcessById)
// and says what to ask the HubEE team for when one hypercerts needs is missing
// (docs/hubee.md, « Prérequis d'une démarche »). The functional specification reserves
// that read to ADMIN (and OSL in the OpenAPI description): with a SI token the hub
// answers 403, and the prerequisites are then listed to be confirmed by the team.
func checkHubEEProcess(ctx context.Context, s *hubee.Session, p config.HubEEProcess) Result {
	res := Result{Name: "HubEE : " + p.Code + " (réglages de la démarche)"}
	answers := p.Role == "" || p.Role == config.RoleAttestationRequest
	ask := "demandez à l'équipe HubEE (contact-nhube@data.gouv.fr) pour la démarche " + p.Code + " : " +
		strings.Join(hubee.MissingPrerequisites(hubee.Process{}, answers, 0)[:1+btoi(answers)], " ; ")
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

// checkCAS validates a ticket that does not exist with the sign-in's own client and
// settings (wiring.CAS: cas.url, cas.service, cas.ca_file, cas.timeout; the same
// p3/serviceValidate): every CAS refuses it with an authenticationFailure, without side
// effect. The embedded CAS simulator (cas.simulator_users_file) is probed the same way,
// so a broken users file shows here rather than at the first login.
func checkCAS(ctx context.Context, cfg *config.Config) Result {
	res := Result{Name: "CAS"}
	sim, cc, err := wiring.CASSimulator(cfg, nil)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez cas.simulator_users_file"
		return res
	}
	simulated := ""
	if sim != nil {
		defer sim.Close()
		simulated = "CAS simulé (" + cfg.CAS.SimulatorUsersFile + ") : "
	}
	if cc.URL == "" {
		res.Status, res.Detail = Skip, "non configuré"
		if cfg.CAS.DemoUser != "" {
			res.Detail += " : utilisateur de démonstration " + cfg.CAS.DemoUser + " sans connexion"
		}
		return res
	}
	client, err := cas.New(cc)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez cas.url, cas.service et cas.ca_file"
		return res
	}
	_, err = client.Validate(ctx, "ST-hypercerts-doctor")
	endpoint := strings.TrimRight(cc.URL, "/") + "/p3/serviceValidate"
	var ce *cas.Error
	switch {
	case errors.As(err, &ce) && errors.Is(err, cas.ErrValidation) && ce.Code != "":
		res.Status, res.Detail = OK, simulated+fmt.Sprintf("%s répond en CAS (validation d'un ticket d'essai refusée, comme attendu : %s)", cc.URL, ce.Code)
	case err == nil:
		res.Status, res.Detail = Fail, endpoint+" valide un ticket inventé : ce n'est pas un CAS"
		res.Fix = "vérifiez cas.url (l'adresse de base du CAS, ex. https://cas.univ.fr/cas)"
	case errors.As(err, &ce) && ce.Status != 0:
		res.Status, res.Detail = Fail, fmt.Sprintf("%s répond HTTP %d sans réponse CAS : %v", endpoint, ce.Status, err)
		res.Fix = "vérifiez cas.url (l'adresse de base du CAS, ex. https://cas.univ.fr/cas) et l'état du serveur CAS"
	default:
		res.Status, res.Detail = Fail, "injoignable : "+err.Error()
		res.Fix = "vérifiez cas.url, le DNS et le pare-feu ; pour un certificat interne, cas.ca_file"
	}
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
