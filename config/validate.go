package config

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // university.logo is checked by decoding it
	_ "image/png"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/crypto/ssh"

	"hypercerts/domain"
)

// checker holds the helpers of one validation pass.
type checker struct {
	*problems
	c *Config
}

func (c *Config) validate(ps *problems) {
	c.normalize()
	k := checker{problems: ps, c: c}
	k.university()
	k.apogee()
	k.delivery()
	k.mail()
	k.store()
	k.digiposte()
	k.hubee()
	k.cas()
	k.daemon()
	k.verify()
	k.signing()
	k.log()
}

// normalize fills what is derived from other keys.
func (c *Config) normalize() {
	if l := c.Daemon.Metrics.Listen; l != "" && strings.HasPrefix(l, ":") {
		c.Daemon.Metrics.Listen = "127.0.0.1" + l
	}
}

// --- helpers ---

func (k checker) required(key, value, what string) bool {
	if strings.TrimSpace(value) == "" {
		k.at(key, "obligatoire : %s", what)
		return false
	}
	return true
}

func (k checker) oneOf(key, value string, allowed ...string) bool {
	for _, a := range allowed {
		if value == a {
			return true
		}
	}
	k.at(key, "%q n'est pas une valeur possible, attendu %s", value, orList(allowed))
	return false
}

func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " ou " + items[len(items)-1]
}

func (k checker) intRange(key string, v, lo, hi int, what string) {
	if v < lo || v > hi {
		k.at(key, "%d n'est pas %s valide, attendu un entier entre %d et %d", v, what, lo, hi)
	}
}

func (k checker) port(key string, v int) {
	k.intRange(key, v, 1, 65535, "un port")
}

func (k checker) positive(key string, d time.Duration) {
	if d <= 0 {
		k.at(key, "la durée doit être positive, par exemple 30s")
	}
}

// envName checks a *_env key. The value is never repeated in the message: it may be
// the secret itself, pasted in the wrong place.
func (k checker) envName(key, value string, required bool, what string) {
	if value == "" {
		if required {
			k.at(key, "obligatoire : le nom de la variable d'environnement qui contient %s", what)
		}
		return
	}
	if !envNameRe.MatchString(value) {
		k.at(key, "attendu le NOM d'une variable d'environnement (lettres, chiffres, _ ; par exemple "+
			"HYPERCERTS_SMTP_PASSWORD) qui contient %s, jamais le secret lui-même", what)
		return
	}
	if !conventionalEnvName(value) {
		k.at(key, "la valeur indiquée ressemble à une valeur, pas à un nom de variable (elle n'est pas répétée ici) : "+
			"attendu le NOM, en majuscules, d'une variable d'environnement (par exemple HYPERCERTS_SMTP_PASSWORD) qui contient %s", what)
	}
}

func (k checker) email(key, value string) {
	if value == "" {
		return
	}
	a, err := mail.ParseAddress(value)
	if err != nil || !strings.Contains(a.Address, "@") {
		k.at(key, "%q n'est pas une adresse e-mail valide, attendu par exemple scolarite@univ.fr", value)
	}
}

func (k checker) httpURL(key, value string, requireHTTPS bool) {
	if value == "" {
		return
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		k.at(key, "%q n'est pas une adresse web valide, attendu par exemple https://serveur.univ.fr/chemin", value)
		return
	}
	if requireHTTPS && u.Scheme != "https" && !isLoopbackHost(u.Hostname()) {
		k.at(key, "%q : https est exigé (http n'est accepté que sur localhost)", value)
	}
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (k checker) listen(key, value string) {
	if value == "" {
		return
	}
	host, port, err := net.SplitHostPort(value)
	if err != nil {
		k.at(key, "%q n'est pas une adresse d'écoute valide, attendu hôte:port, par exemple 127.0.0.1:2222 ou :2222", value)
		return
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		k.at(key, "%q : le port doit être un entier entre 1 et 65535", value)
		return
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		k.at(key, "%q : l'hôte doit être une adresse IP ou localhost", value)
	}
}

func (k checker) file(key, path string) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		k.at(key, "fichier %s introuvable ou illisible", path)
	case st.IsDir():
		k.at(key, "%s est un dossier, attendu un fichier", path)
	}
}

// image checks that path opens and decodes as a PNG or JPEG (its header), so that a
// logo the renderer cannot read is reported now, not at the first attestation.
func (k checker) image(key, path string) {
	f, err := os.Open(path)
	if err != nil {
		if st, serr := os.Stat(path); serr == nil && !st.IsDir() {
			k.at(key, "fichier %s illisible (droits) : le compte du service doit pouvoir le lire", path)
			return
		}
		k.file(key, path)
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		k.at(key, "%s est un dossier, attendu un fichier", path)
		return
	}
	if _, format, err := image.DecodeConfig(f); err != nil || (format != "png" && format != "jpeg") {
		k.at(key, "%s n'est pas une image PNG ou JPEG lisible", path)
	}
}

func (k checker) dir(key, path string) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		k.at(key, "dossier %s introuvable ou illisible", path)
	case !st.IsDir():
		k.at(key, "%s n'est pas un dossier", path)
	}
}

func (k checker) maxLen(key, value string, n int) {
	if len([]rune(value)) > n {
		k.at(key, "%d caractères au plus (HubEE refuse au-delà), %d donnés", n, len([]rune(value)))
	}
}

// cronParser is the daemon's: five fields, descriptors (@every 15m, @daily), CRON_TZ=.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (k checker) schedule(key, spec string) {
	if strings.TrimSpace(spec) == "" {
		return // job disabled
	}
	if _, err := ParseSchedule(spec); err != nil {
		k.at(key, "%q n'est pas une planification valide (%v) ; attendu une expression cron à 5 champs "+
			"« minute heure jour mois jour-de-la-semaine » comme « 0 6 * * * », ou « @every 15m », « @daily » ; "+
			"laisser vide désactive la tâche", spec, err)
	}
}

// --- sections ---

func (k checker) university() {
	u := k.c.University
	k.required("university.name", u.Name, "le nom de l'université, imprimé sur les attestations et dans les mails")
	k.required("university.city", u.City, "la ville, pour « Fait à … » sur les attestations")
	if u.Logo != "" {
		switch strings.ToLower(filepath.Ext(u.Logo)) {
		case ".png", ".jpg", ".jpeg":
			k.image("university.logo", u.Logo)
		default:
			k.at("university.logo", "%s : attendu une image PNG ou JPEG (.png, .jpg)", u.Logo)
		}
	}
}

func (k checker) apogee() {
	a := k.c.Apogee
	if !a.Embedded {
		if k.required("apogee.ws.base_url", a.WS.BaseURL,
			"l'adresse des web services Apogée, par exemple https://apogee.univ.fr/apo-commun-servicesMetiers") {
			k.httpURL("apogee.ws.base_url", a.WS.BaseURL, false)
		}
	} else {
		k.httpURL("apogee.ws.base_url", a.WS.BaseURL, false)
	}
	k.positive("apogee.ws.timeout", a.WS.Timeout)
	services := a.WS.Services
	for _, ns := range []struct {
		name string
		s    Service
	}{
		{"offre_formation", services.OffreFormation}, {"etudiant", services.Etudiant},
		{"pedagogique", services.Pedagogique}, {"referentiel", services.Referentiel},
	} {
		name, s := ns.name, ns.s
		key := "apogee.ws.services." + name
		if k.required(key+".path", s.Path, "le chemin du service sous base_url, par exemple /services/EtudiantMetier") &&
			!strings.HasPrefix(s.Path, "/") {
			k.at(key+".path", "%q doit commencer par /", s.Path)
		}
		k.required(key+".namespace", s.Namespace, "l'espace de noms SOAP du service (targetNamespace du WSDL)")
	}
	if k.oneOf("apogee.db.dialect", a.DB.Dialect, DialectOracle, DialectSQLite) &&
		a.Embedded && a.DB.Dialect != DialectSQLite {
		k.at("apogee.db.dialect", "l'Apogée embarqué (apogee.embedded: true) utilise le dialecte sqlite")
	}
	k.envName("apogee.db.dsn_env", a.DB.DSNEnv, !a.Embedded,
		"la connexion à la base Apogée (oracle://utilisateur:motdepasse@hôte:1521/service)")
	k.dir("apogee.db.queries_dir", a.DB.QueriesDir)
	k.intRange("apogee.db.max_open_conns", a.DB.MaxOpenConns, 1, 100, "un nombre de connexions")
	k.positive("apogee.db.query_timeout", a.DB.QueryTimeout)
	k.required("apogee.absent_nature_code", a.AbsentNatureCode, "le code de nature de diplôme « absence de diplôme » (9 par défaut)")
	k.required("apogee.signer.code", a.Signer.Code, "le code Apogée du signataire (SIGNATAIRE.COD_SIG), le président de l'université")
	k.envName("apogee.signer.key_env", a.Signer.KeyEnv, !a.Embedded && a.DB.Dialect == DialectOracle,
		"la clé de déchiffrement de la signature")
	if a.WS.MaxResponseBytes < 0 || (a.WS.MaxResponseBytes > 0 && a.WS.MaxResponseBytes < 64<<10) || a.WS.MaxResponseBytes > 1<<30 {
		k.at("apogee.ws.max_response_bytes", "%d invalide : attendu 0 (défaut, 8 Mio) ou une taille entre 65536 et 1073741824 octets", a.WS.MaxResponseBytes)
	}
	k.intRange("apogee.concurrency", a.Concurrency, 1, 256, "un nombre d'appels simultanés")
	k.intRange("apogee.max_attempts", a.MaxAttempts, 1, 20, "un nombre de tentatives")
	k.positive("apogee.backoff", a.Backoff)
	if a.Backoff > time.Minute {
		k.at("apogee.backoff", "%s est trop long, attendu au plus 1m (l'attente double à chaque tentative)", a.Backoff)
	}
}

func (k checker) delivery() {
	d := k.c.Delivery
	k.oneOf("delivery.mode", d.Mode, domain.ModeNames()...)
	if d.PreviewReuse < 0 || d.PreviewReuse > 24*time.Hour {
		k.at("delivery.preview_reuse", "la durée doit être comprise entre 0s (jamais) et 24h, par exemple 15m")
	}
	if d.TestMode && strings.TrimSpace(d.TestRecipient) == "" {
		k.at("delivery.test_recipient", "obligatoire quand delivery.test_mode vaut true : l'adresse qui reçoit tous les mails destinés aux étudiants")
	}
	k.email("delivery.test_recipient", d.TestRecipient)
	if d.Mode == string(domain.ModePrint) && strings.TrimSpace(k.c.Print.Dir) == "" {
		k.at("print.dir", "obligatoire quand delivery.mode vaut impression : le dossier où les lots d'impression sont écrits")
	}
}

func (k checker) mail() {
	m := k.c.Mail
	if k.required("mail.from", m.From, "l'expéditeur des mails, par exemple « Scolarité <scolarite@univ.fr> »") {
		k.email("mail.from", m.From)
	}
	k.email("mail.reply_to", m.ReplyTo)
	for i, a := range m.Managers {
		k.email(fmt.Sprintf("mail.managers[%d]", i), a)
	}
	k.dir("mail.templates_dir", m.TemplatesDir)
	s := m.SMTP
	if m.EMLDir == "" {
		k.required("mail.smtp.host", s.Host, "le serveur SMTP (ou mail.eml_dir pour écrire les mails dans un dossier)")
	}
	k.port("mail.smtp.port", s.Port)
	k.oneOf("mail.smtp.security", s.Security, SecurityStartTLS, SecurityTLS, SecurityNone)
	k.envName("mail.smtp.password_env", s.PasswordEnv, s.Username != "", "le mot de passe SMTP de "+s.Username)
	if s.PasswordEnv != "" && s.Username == "" {
		k.at("mail.smtp.username", "obligatoire quand mail.smtp.password_env est indiqué")
	}
	if s.Security == SecurityNone && s.Username != "" && s.Host != "" && !isLoopbackHost(s.Host) {
		k.at("mail.smtp.security", "none avec un compte (username) enverrait le mot de passe en clair : choisir starttls ou tls")
	}
	k.positive("mail.smtp.timeout", s.Timeout)
	k.intRange("mail.suspend_after", m.SuspendAfter, 1, 1000, "un nombre d'échecs consécutifs")
}

func (k checker) store() {
	s := k.c.Store
	k.required("store.path", s.Path, "le fichier bbolt des campagnes, par exemple ./hypercerts.db")
	k.positive("store.open_timeout", s.OpenTimeout)
}

func (k checker) digiposte() {
	d := k.c.Digiposte
	s := d.SFTP
	sftp := k.c.usesSFTP()
	if k.c.Delivery.Mode == "digiposte" {
		k.required("digiposte.sender_id", d.SenderID, "l'identifiant d'émetteur attribué par Digiposte")
		if !sftp && d.LocalDir == "" {
			k.at("digiposte.sftp.host", "obligatoire quand delivery.mode vaut digiposte : le serveur SFTP de Digiposte "+
				"(ou digiposte.local_dir, un dossier local, pour la démo)")
		}
		if k.c.Daemon.Schedules.DigiposteCycle == "" {
			k.at("daemon.schedules.digiposte_cycle", "obligatoire quand delivery.mode vaut digiposte : le cycle Digiposte "+
				"(adhésions, coffres, dépôts) ne tourne que planifié")
		}
	}
	if sftp && d.LocalDir != "" {
		k.at("digiposte.local_dir", "à ne pas indiquer avec digiposte.sftp : choisir un dossier local (démo) ou le serveur SFTP")
	}
	if sftp {
		k.required("digiposte.sftp.host", s.Host, "le serveur SFTP de Digiposte")
		k.port("digiposte.sftp.port", s.Port)
		k.required("digiposte.sftp.user", s.User, "le compte SFTP")
		if s.KeyFile == "" && s.PasswordEnv == "" {
			k.at("digiposte.sftp", "indiquer key_file (clé privée) ou password_env (variable du mot de passe) pour se connecter")
		}
		k.file("digiposte.sftp.key_file", s.KeyFile)
		if s.KnownHosts == "" && !s.InsecureIgnoreHostKey {
			k.at("digiposte.sftp.known_hosts", "obligatoire : le fichier known_hosts qui contient la clé du serveur "+
				"(ssh-keyscan -p PORT HÔTE > known_hosts) ; insecure_ignore_host_key: true l'évite, à vos risques")
		}
		k.file("digiposte.sftp.known_hosts", s.KnownHosts)
		k.positive("digiposte.sftp.timeout", s.Timeout)
		r := d.Remote
		k.required("digiposte.remote.adhesion_dir", r.AdhesionDir, "le dossier distant des adhésions")
		k.required("digiposte.remote.deposit_dir", r.DepositDir, "le dossier distant des dépôts")
		k.required("digiposte.remote.return_dir", r.ReturnDir, "le dossier distant des retours")
		k.required("digiposte.remote.archive_dir", r.ArchiveDir, "le dossier distant des retours traités")
	}
	k.envName("digiposte.sftp.password_env", s.PasswordEnv, false, "le mot de passe SFTP")
	k.envName("digiposte.sftp.key_passphrase_env", s.KeyPassphraseEnv, false, "la phrase de passe de la clé SFTP")
	if s.KeyPassphraseEnv != "" && s.KeyFile == "" {
		k.at("digiposte.sftp.key_file", "obligatoire quand key_passphrase_env est indiqué")
	}
	k.file("digiposte.format_file", d.FormatFile)
}

func (k checker) hubee() {
	h := k.c.HubEE
	k.oneOf("hubee.environment", h.Environment, HubEEPreprod, HubEERecette, HubEEProd, HubEESim)
	k.httpURL("hubee.token_url", h.TokenURL, true)
	k.httpURL("hubee.api_url", h.APIURL, true)
	k.maxLen("hubee.editor_name", h.EditorName, 50)
	k.maxLen("hubee.application_name", h.ApplicationName, 50)
	k.maxLen("hubee.software_version", h.SoftwareVersion, 50)
	k.oneOf("hubee.status_update", h.StatusUpdate, "patch_then_event", "event_only")
	k.intRange("hubee.max_result", h.MaxResult, 1, 1000, "une taille de lot")
	k.positive("hubee.timeout", h.Timeout)
	k.positive("hubee.idle_timeout", h.IdleTimeout)
	k.intRange("hubee.retries", h.Retries, 1, 20, "un nombre d'essais")
	k.positive("hubee.retry_after_max", h.RetryAfterMax)
	k.intRange("hubee.case_attempts", h.CaseAttempts, 1, 100, "un nombre de passages")
	sim := h.Environment == HubEESim
	codes := map[string]int{}
	for i, p := range h.Processes {
		key := fmt.Sprintf("hubee.processes[%d]", i)
		if k.required(key+".code", p.Code, "le code de la démarche HubEE") {
			if prev, dup := codes[p.Code]; dup {
				k.at(key+".code", "démarche %q déjà déclarée (hubee.processes[%d])", p.Code, prev)
			}
			codes[p.Code] = i
		}
		if !sim {
			k.required(key+".client_id", p.ClientID, "l'identifiant OAuth2 de l'abonnement à la démarche")
		}
		k.envName(key+".client_secret_env", p.ClientSecretEnv, !sim, "le secret OAuth2 de la démarche")
		k.oneOf(key+".role", p.Role, RoleAttestationRequest, RoleOther)
		id := p.Identity
		if p.Role != RoleAttestationRequest {
			continue
		}
		k.oneOf(key+".identity.source", id.Source, IdentityPartnerAttributes, IdentityAttachment)
		if id.Source == IdentityAttachment {
			if k.required(key+".identity.attachment_name", id.AttachmentName, "le nom (ou motif, ex. *.json) de la pièce jointe d'identité") {
				if _, err := filepath.Match(id.AttachmentName, ""); err != nil {
					k.at(key+".identity.attachment_name", "%q n'est pas un motif de nom de fichier valide", id.AttachmentName)
				}
			}
			k.oneOf(key+".identity.format", id.Format, "json", "xml")
		}
		f := id.Fields
		if f.StudentCode == "" && f.INE == "" && (f.LastName == "" || f.FirstName == "" || f.BirthDate == "") {
			k.at(key+".identity.fields", "il faut de quoi identifier l'étudiant : student_code, ine, "+
				"ou last_name + first_name + birth_date")
		}
	}
}

func (k checker) cas() {
	c := k.c.CAS
	switch {
	case c.URL == "" && c.SimulatorUsersFile == "" && c.DemoUser == "":
		k.at("cas.url", "obligatoire : l'adresse du serveur CAS, par exemple https://cas.univ.fr/cas "+
			"(pour la démo : cas.simulator_users_file ou cas.demo_user)")
	case c.URL != "" && c.SimulatorUsersFile != "":
		k.at("cas.simulator_users_file", "à ne pas indiquer avec cas.url : le simulateur CAS remplace le vrai serveur")
	case c.URL != "" && c.DemoUser != "":
		k.at("cas.demo_user", "à ne pas indiquer avec cas.url : l'utilisateur de démo se passe de toute connexion")
	}
	k.httpURL("cas.url", c.URL, true)
	if c.URL != "" && k.required("cas.service", c.Service, "l'adresse du service déclarée dans le CAS, par exemple https://hypercerts.univ.fr") {
		k.httpURL("cas.service", c.Service, false)
	}
	k.file("cas.ca_file", c.CAFile)
	k.positive("cas.timeout", c.Timeout)
	k.oneOf("cas.user_mapping.case", c.UserMapping.Case, "keep", "upper", "lower")
	k.file("cas.simulator_users_file", c.SimulatorUsersFile)
}

func (k checker) daemon() {
	d := k.c.Daemon
	k.schedule("daemon.schedules.resume_campaigns", d.Schedules.ResumeCampaigns)
	k.schedule("daemon.schedules.digiposte_cycle", d.Schedules.DigiposteCycle)
	k.schedule("daemon.schedules.hubee_sync", d.Schedules.HubEESync)
	k.schedule("daemon.schedules.purge", d.Schedules.Purge)
	k.listen("daemon.ssh.listen", d.SSH.Listen)
	if d.SSH.Listen != "" {
		k.required("daemon.ssh.host_key", d.SSH.HostKey, "le fichier de la clé d'hôte SSH (créé au premier démarrage)")
	}
	users := make([]string, 0, len(d.SSH.AuthorizedKeys))
	for user := range d.SSH.AuthorizedKeys {
		users = append(users, user)
	}
	sort.Strings(users)
	for _, user := range users {
		keys := d.SSH.AuthorizedKeys[user]
		key := "daemon.ssh.authorized_keys." + user
		if len(keys) == 0 {
			k.at(key, "attendu une liste de clés publiques (ssh-ed25519 AAAA…) ou de fichiers authorized_keys")
		}
		for i, entry := range keys {
			k.authorizedKey(fmt.Sprintf("%s[%d]", key, i), entry)
		}
	}
	k.positive("daemon.ssh.idle_timeout", d.SSH.IdleTimeout)
	k.listen("daemon.metrics.listen", d.Metrics.Listen)
	k.intRange("daemon.retention_days", d.RetentionDays, 0, 36500, "un nombre de jours")
	k.positive("daemon.shutdown_timeout", d.ShutdownTimeout)
}

func (k checker) signing() {
	sg := k.c.Signing
	k.httpURL("signing.tsa_url", sg.TSAURL, false) // RFC 3161 tokens are signed: http is usual
	if sg.Certificate == "" {
		if sg.TSAURL != "" {
			k.at("signing.tsa_url", "sans effet sans signing.certificate : seules les signatures des PDF sont horodatées")
		}
		return
	}
	if _, err := os.Stat(sg.Certificate); err != nil {
		k.at("signing.certificate", "fichier illisible : %v", err)
	}
	lower := strings.ToLower(sg.Certificate)
	if strings.HasSuffix(lower, ".p12") || strings.HasSuffix(lower, ".pfx") {
		k.required("signing.password_env", sg.PasswordEnv, "la variable d'environnement du mot de passe du fichier PKCS#12")
	} else {
		k.required("signing.key_env", sg.KeyEnv, "la variable d'environnement qui contient la clé privée PEM")
	}
}

func (k checker) verify() {
	v := k.c.Verify
	k.listen("verify.listen", v.Listen)
	if v.PublicURL != "" {
		u, err := url.Parse(v.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			k.at("verify.public_url", "%q : attendu une adresse http(s) sans paramètres, par exemple https://verification.univ.fr", v.PublicURL)
		}
	}
	if v.Listen != "" && v.PublicURL == "" {
		k.at("verify.public_url", "obligatoire avec verify.listen : l'adresse publique de la page, imprimée dans les QR codes")
	}
	k.intRange("verify.rate_limit", v.RateLimit, 1, 100000, "un nombre de vérifications par minute et par adresse")
	for i, s := range v.TrustedProxies {
		if _, err := ParseProxy(s); err != nil {
			k.at(fmt.Sprintf("verify.trusted_proxies[%d]", i), "%v ; attendu l'adresse IP ou le réseau CIDR du proxy inverse, par exemple 192.0.2.10 ou 10.0.0.0/8", err)
		}
	}
}

// authorizedKey accepts a public key line or a file of them.
func (k checker) authorizedKey(key, entry string) {
	entry = strings.TrimSpace(entry)
	if looksLikePublicKey(entry) {
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(entry)); err != nil {
			k.at(key, "clé publique illisible (%v) ; attendu une ligne comme « ssh-ed25519 AAAA… commentaire »", err)
		}
		return
	}
	data, err := os.ReadFile(entry)
	if err != nil {
		k.at(key, "ni une clé publique ni un fichier lisible : %s", entry)
		return
	}
	n := 0
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err != nil {
			k.at(key, "%s, ligne %d : clé publique illisible (%v)", entry, i+1, err)
			return
		}
		n++
	}
	if n == 0 {
		k.at(key, "%s ne contient aucune clé publique", entry)
	}
}

func looksLikePublicKey(s string) bool {
	for _, p := range []string{"ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (k checker) log() {
	k.oneOf("log.level", k.c.Log.Level, "debug", "info", "warn", "error")
	k.oneOf("log.format", k.c.Log.Format, "text", "json")
}

// ParseSchedule parses a daemon.schedules value with the parser the validation uses
// (five fields, @every/@daily descriptors, CRON_TZ=); the daemon registers its jobs
// with it so that what validates is what runs. An @every interval must be a minute or
// more: robfig/cron turns a negative, zero or sub-second one into "every second".
// Errors are in French (the parser's own are English).
func ParseSchedule(spec string) (cron.Schedule, error) { return ParseScheduleMin(spec, time.Minute) }

// ParseScheduleMin is ParseSchedule with another shortest @every interval (the demo
// shows a cycle in seconds); a non-positive interval is always refused.
func ParseScheduleMin(spec string, minInterval time.Duration) (cron.Schedule, error) {
	body := strings.TrimSpace(spec)
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		if _, rest, ok := strings.Cut(body, " "); ok {
			body = strings.TrimSpace(rest)
		}
	}
	if rest, ok := strings.CutPrefix(body, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		switch {
		case err != nil:
			return nil, fmt.Errorf("durée %q illisible après @every (exemples : 15m, 1h, 24h)", strings.TrimSpace(rest))
		case d <= 0:
			return nil, fmt.Errorf("intervalle %s négatif ou nul", d)
		case d < minInterval:
			return nil, fmt.Errorf("intervalle %s inférieur à %s", d, minInterval)
		}
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, frenchCronError(err)
	}
	return s, nil
}

// frenchCronError words robfig/cron's English errors in French.
func frenchCronError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "expected exactly 5 fields"), strings.Contains(msg, "expected 5 to"):
		return errors.New("5 champs attendus (minute heure jour mois jour-de-la-semaine)")
	case strings.Contains(msg, "unrecognized descriptor"):
		return errors.New("descripteur inconnu (connus : @yearly, @monthly, @weekly, @daily, @hourly, @every DURÉE)")
	case strings.Contains(msg, "above maximum"), strings.Contains(msg, "below minimum"), strings.Contains(msg, "beyond end of range"), strings.Contains(msg, "below beginning of range"):
		return errors.New("valeur hors limites (minute 0-59, heure 0-23, jour 1-31, mois 1-12, jour de semaine 0-6)")
	case strings.Contains(msg, "empty spec"):
		return errors.New("planification vide")
	case strings.Contains(msg, "provided bad location"):
		return errors.New("fuseau horaire inconnu dans CRON_TZ=")
	}
	return errors.New("expression illisible")
}

// MinInterval is the shortest time between two runs of s (looked at over the next runs).
func MinInterval(s cron.Schedule) time.Duration {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return c.Delay
	}
	t := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	prev := s.Next(t)
	shortest := time.Duration(0)
	for range 400 {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		if gap := next.Sub(prev); shortest == 0 || gap < shortest {
			shortest = gap
		}
		prev = next
	}
	return shortest
}

// DigiposteCycleWarning says, in French, when the Digiposte cycle runs more than once a
// day outside test mode: R22 allows one adhesion drop and one deposit drop a day.
func DigiposteCycleWarning(spec string, testMode bool) string {
	if testMode || strings.TrimSpace(spec) == "" {
		return ""
	}
	s, err := ParseSchedule(spec)
	if err != nil {
		return ""
	}
	if iv := MinInterval(s); iv > 0 && iv < 24*time.Hour {
		return fmt.Sprintf("daemon.schedules.digiposte_cycle = %q tourne plus d'une fois par jour (toutes les %s au plus court) : "+
			"R22 n'admet qu'un dépôt d'adhésions et un dépôt d'attestations par jour ; en production, une fois par jour (ex. « 0 6 * * * »)", spec, iv)
	}
	return ""
}
