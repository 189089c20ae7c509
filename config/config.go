// Package config reads hypercerts' application.yaml: defaults for every key, secrets
// named by environment variables (never written in the file), and a validation that
// reports every problem at once, each with its key path, its line and what is expected.
//
//	cfg, err := config.Load("application.yaml")
//	var verr *config.ValidationError
//	if errors.As(err, &verr) { for _, p := range verr.Problems { … } }
//	if err := cfg.CheckSecrets(); err != nil { … } // before talking to the outside world
//	engine := domain.NewEngine(deps, cfg.EngineSettings())
//
// Every key is documented in application.example.yaml at the root of the repository
// and in docs/config.md.
package config

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/connectors/apogee/ws/offreformation"
	"hypercerts/connectors/apogee/ws/pedagogique"
	"hypercerts/connectors/apogee/ws/referentiel"
	"hypercerts/domain"
)

// Config is the whole application.yaml.
type Config struct {
	University University `yaml:"university"`
	Apogee     Apogee     `yaml:"apogee"`
	Delivery   Delivery   `yaml:"delivery"`
	Mail       Mail       `yaml:"mail"`
	Store      Store      `yaml:"store"`
	Digiposte  Digiposte  `yaml:"digiposte"`
	Print      Print      `yaml:"print"`
	HubEE      HubEE      `yaml:"hubee"`
	CAS        CAS        `yaml:"cas"`
	Daemon     Daemon     `yaml:"daemon"`
	Verify     Verify     `yaml:"verify"`
	Signing    Signing    `yaml:"signing"`
	Log        Log        `yaml:"log"`
	UI         UI         `yaml:"ui"`

	source string         // file name, for messages
	lines  map[string]int // key path → line in the file (absent: not in the file)
}

// UI is the terminal UI's settings.
type UI struct {
	// ExportDir is where a local UI writes its CSV exports (default: the user's home;
	// the demo's exports folder with --demo). Never the working directory. Over SSH
	// the export is mailed to the manager instead.
	ExportDir string `yaml:"export_dir"`
}

// University is who issues the attestations.
type University struct {
	Name string `yaml:"name"` // printed on attestations and in mails
	City string `yaml:"city"` // "Fait à {city}, le …"
	Logo string `yaml:"logo"` // PNG or JPEG file, optional
	// Address is printed in the attestations' footer.
	Address string `yaml:"address"`
}

// Signing is the university's certificate that signs each attestation PDF (PAdES);
// off when Certificate is empty.
type Signing struct {
	// Certificate is a PEM file (signing certificate first, then its chain) or a
	// PKCS#12 file (.p12, .pfx).
	Certificate string `yaml:"certificate"`
	// KeyEnv names the variable holding the PEM private key (with a PEM certificate).
	KeyEnv string `yaml:"key_env"`
	// PasswordEnv names the variable holding the PKCS#12 file's password.
	PasswordEnv string `yaml:"password_env"`
	// Reason is shown by PDF readers beside the signature.
	Reason string `yaml:"reason"`
	// TSAURL is an RFC 3161 time-stamping authority: each signature is time-stamped
	// (PAdES B-T); empty: no time-stamp.
	TSAURL string `yaml:"tsa_url"`
}

// Verify is the public verification endpoint of the attestations' QR codes (the
// daemon serves it; off by default).
type Verify struct {
	// Listen is the HTTP address of the verification page; empty: off.
	Listen string `yaml:"listen"`
	// PublicURL is the page's address as the public reaches it (behind the university's
	// reverse proxy): the QR codes carry PublicURL/a/TOKEN. Empty: the QR codes carry
	// the bare token, checked with `hypercerts verify`.
	PublicURL string `yaml:"public_url"`
	// RateLimit is the most checks a minute from one client address.
	RateLimit int `yaml:"rate_limit"`
	// TrustedProxies lists the reverse proxies (IP addresses or CIDR networks) whose
	// X-Forwarded-For names the client; empty: the header is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// ParseProxy reads one verify.trusted_proxies entry: an IP address (a one-address
// network) or a CIDR network, as a masked prefix.
func ParseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q n'est pas un réseau CIDR valide", s)
		}
		return unmapPrefix(p).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q n'est pas une adresse IP valide", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// unmapPrefix turns ::ffff:192.0.2.0/120 into 192.0.2.0/24 so that it matches the
// unmapped client addresses it is compared with.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// TrustedProxyPrefixes returns verify.trusted_proxies parsed (entries already
// validated at load; a bad one is skipped here).
func (v Verify) TrustedProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range v.TrustedProxies {
		if p, err := ParseProxy(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Apogee is how to reach Apogée: its web services and its Oracle database.
type Apogee struct {
	// Embedded serves Apogée from the embedded simulator (SOAP + SQLite): demo and tests.
	Embedded         bool          `yaml:"embedded"`
	WS               WS            `yaml:"ws"`
	DB               DB            `yaml:"db"`
	AbsentNatureCode string        `yaml:"absent_nature_code"` // R04
	Signer           Signer        `yaml:"signer"`             // R16
	Concurrency      int           `yaml:"concurrency"`
	MaxAttempts      int           `yaml:"max_attempts"`
	Backoff          time.Duration `yaml:"backoff"`
}

// WS is Apogée's SOAP web services (apo-commun-servicesMetiers).
type WS struct {
	BaseURL  string        `yaml:"base_url"` // e.g. https://apogee.univ.fr/apo-commun-servicesMetiers
	Timeout  time.Duration `yaml:"timeout"`
	Services Services      `yaml:"services"`
	// MaxResponseBytes bounds one answer (0: the connector's default, 8 MiB).
	MaxResponseBytes int `yaml:"max_response_bytes"`
}

// Services are the four services we call; path and namespace change between releases.
type Services struct {
	OffreFormation Service `yaml:"offre_formation"`
	Etudiant       Service `yaml:"etudiant"`
	Pedagogique    Service `yaml:"pedagogique"`
	Referentiel    Service `yaml:"referentiel"`
}

// Service is one SOAP service: its path under WS.BaseURL and its body namespace.
type Service struct {
	Path      string `yaml:"path"`
	Namespace string `yaml:"namespace"`
}

// URL is BaseURL joined with the service's path.
func (w WS) URL(s Service) string {
	return strings.TrimRight(w.BaseURL, "/") + "/" + strings.TrimLeft(s.Path, "/")
}

// Dialects of the Apogée SQL.
const (
	DialectOracle = "oracle"
	DialectSQLite = "sqlite"
)

// DB is Apogée's database.
type DB struct {
	Dialect      string        `yaml:"dialect"`     // oracle | sqlite
	DSNEnv       string        `yaml:"dsn_env"`     // env var holding oracle://user:pass@host:1521/service
	QueriesDir   string        `yaml:"queries_dir"` // site overrides of the embedded .sql files
	MaxOpenConns int           `yaml:"max_open_conns"`
	QueryTimeout time.Duration `yaml:"query_timeout"`
}

// Signer is the president whose signature goes on attestations (R16).
type Signer struct {
	Code   string `yaml:"code"`    // SIGNATAIRE.COD_SIG
	KeyEnv string `yaml:"key_env"` // env var holding the key that decrypts the signature blob
}

// Print is the print channel: where its batches (one PDF for printing and its CSV)
// are written.
type Print struct {
	Dir string `yaml:"dir"` // empty: no print batches
}

// Delivery is how attestations reach students.
type Delivery struct {
	Mode          string `yaml:"mode"` // mail | digiposte | impression
	TestMode      bool   `yaml:"test_mode"`
	TestRecipient string `yaml:"test_recipient"`
	// PreviewReuse: a campaign launched from a preview younger than this reuses the
	// preview's students and reads only their blockings again; 0: never.
	PreviewReuse time.Duration `yaml:"preview_reuse"`
}

// SMTP security modes.
const (
	SecurityStartTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

// Mail is the outgoing mail (R17).
type Mail struct {
	SMTP         SMTP     `yaml:"smtp"`
	From         string   `yaml:"from"`
	ReplyTo      string   `yaml:"reply_to"`
	Managers     []string `yaml:"managers"` // R17a
	TemplatesDir string   `yaml:"templates_dir"`
	EMLDir       string   `yaml:"eml_dir"` // write .eml files instead of sending (demo)
	// SuspendAfter consecutive transient send failures suspend a campaign
	// ("suspendue : serveur de courriel indisponible"); resumed by campaign resume
	// or the daemon.
	SuspendAfter int `yaml:"suspend_after"`
}

// SMTP is the mail relay.
type SMTP struct {
	Host        string        `yaml:"host"`
	Port        int           `yaml:"port"`
	Security    string        `yaml:"security"` // starttls | tls | none
	Username    string        `yaml:"username"`
	PasswordEnv string        `yaml:"password_env"`
	Timeout     time.Duration `yaml:"timeout"`
	HELO        string        `yaml:"helo"`
	// Chunking: send with BDAT (RFC 3030) when the relay offers CHUNKING; false: DATA
	// always, for a relay or a middlebox that announces CHUNKING and mishandles it.
	Chunking bool `yaml:"chunking"`
}

// Store is the bbolt file.
type Store struct {
	Path        string        `yaml:"path"`
	OpenTimeout time.Duration `yaml:"open_timeout"`
}

// Digiposte is the vault delivery (R19–R22).
type Digiposte struct {
	LocalDir   string  `yaml:"local_dir"` // demo: a folder stands for the SFTP server
	SFTP       SFTP    `yaml:"sftp"`
	Remote     Remote  `yaml:"remote"`
	FormatFile string  `yaml:"format_file"` // a format file of connectors/digiposte
	Format     RawYAML `yaml:"format"`      // entries of that format overridden here; see DecodeFormat
	SenderID   string  `yaml:"sender_id"`
}

// SFTP is the Digiposte drop server.
type SFTP struct {
	Host                  string        `yaml:"host"`
	Port                  int           `yaml:"port"`
	User                  string        `yaml:"user"`
	KeyFile               string        `yaml:"key_file"`
	KeyPassphraseEnv      string        `yaml:"key_passphrase_env"`
	PasswordEnv           string        `yaml:"password_env"`
	KnownHosts            string        `yaml:"known_hosts"`
	InsecureIgnoreHostKey bool          `yaml:"insecure_ignore_host_key"`
	Timeout               time.Duration `yaml:"timeout"`
}

// Remote are the folders on the Digiposte server.
type Remote struct {
	// Base is the folder the others are relative to; empty: the SFTP account's login
	// folder. An absolute path when the account lands elsewhere than the exchange tree.
	Base        string `yaml:"base"`
	AdhesionDir string `yaml:"adhesion_dir"`
	DepositDir  string `yaml:"deposit_dir"`
	ReturnDir   string `yaml:"return_dir"`
	ArchiveDir  string `yaml:"archive_dir"`
}

// HubEE environments.
const (
	HubEEPreprod = "preprod"
	HubEERecette = "recette"
	HubEEProd    = "prod"
	HubEESim     = "sim"
)

// HubEE is the State's exchange hub, where we act as service instructeur.
type HubEE struct {
	Environment     string        `yaml:"environment"` // preprod | recette | prod | sim
	TokenURL        string        `yaml:"token_url"`   // empty: the environment's
	APIURL          string        `yaml:"api_url"`     // empty: the environment's
	EditorName      string        `yaml:"editor_name"`
	ApplicationName string        `yaml:"application_name"`
	SoftwareVersion string        `yaml:"software_version"`
	StatusUpdate    string        `yaml:"status_update"` // patch_then_event | event_only
	MaxResult       int           `yaml:"max_result"`
	Timeout         time.Duration `yaml:"timeout"`
	// IdleTimeout bounds a download without progress (not its whole length).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// Retries of a call on a transient failure (5xx, 429, network); 1 = no retry.
	Retries int `yaml:"retries"`
	// RetryAfterMax caps the wait a Retry-After asks for; a longer one ends the attempt.
	RetryAfterMax time.Duration `yaml:"retry_after_max"`
	// CaseAttempts: runs a case may fail in a row on transient errors before a person
	// is asked to retry it.
	CaseAttempts int `yaml:"case_attempts"`
	// MethodOverride sends PATCH as POST with X-HTTP-Method-Override (proxies that
	// block PATCH).
	MethodOverride bool           `yaml:"method_override"`
	Processes      []HubEEProcess `yaml:"processes"`
}

// Process roles.
const (
	RoleAttestationRequest = "attestation_request"
	RoleOther              = "other"
)

// HubEEProcess is one démarche the university subscribed to, with its credentials.
type HubEEProcess struct {
	Code            string   `yaml:"code"`
	ClientID        string   `yaml:"client_id"`
	ClientSecretEnv string   `yaml:"client_secret_env"`
	Role            string   `yaml:"role"` // attestation_request | other
	Identity        Identity `yaml:"identity"`
}

// Identity sources.
const (
	IdentityPartnerAttributes = "partner_attributes"
	IdentityAttachment        = "attachment"
)

// Identity says where the student's identity is in a case.
type Identity struct {
	Source         string         `yaml:"source"`          // partner_attributes | attachment
	AttachmentName string         `yaml:"attachment_name"` // file name (glob) of the attachment
	Format         string         `yaml:"format"`          // json | xml
	Fields         IdentityFields `yaml:"fields"`
}

// IdentityFields name the attributes (or JSON keys / XML elements) holding the identity.
type IdentityFields struct {
	StudentCode string `yaml:"student_code"`
	INE         string `yaml:"ine"`
	LastName    string `yaml:"last_name"`
	FirstName   string `yaml:"first_name"`
	BirthDate   string `yaml:"birth_date"`
}

// CAS is the sign-in (R01).
type CAS struct {
	URL                string        `yaml:"url"`     // e.g. https://cas.univ.fr/cas
	Service            string        `yaml:"service"` // service URL registered in the CAS
	CAFile             string        `yaml:"ca_file"`
	Timeout            time.Duration `yaml:"timeout"`
	UserMapping        UserMapping   `yaml:"user_mapping"`
	SimulatorUsersFile string        `yaml:"simulator_users_file"` // demo: embedded CAS
	DemoUser           string        `yaml:"demo_user"`            // demo: no sign-in at all
}

// UserMapping turns a CAS user id into an Apogée user code.
type UserMapping struct {
	Attribute   string            `yaml:"attribute"`    // CAS attribute holding the code; empty: the user id
	Case        string            `yaml:"case"`         // keep | upper | lower
	StripDomain bool              `yaml:"strip_domain"` // "jdupont@univ.fr" → "jdupont"
	Overrides   map[string]string `yaml:"overrides"`    // CAS id → Apogée code, first
}

// Map applies the mapping to a CAS user id and its attributes.
func (m UserMapping) Map(casUser string, attributes map[string]string) string {
	if code, ok := m.Overrides[casUser]; ok {
		return code
	}
	u := casUser
	if m.Attribute != "" {
		u = attributes[m.Attribute]
	}
	if m.StripDomain {
		u, _, _ = strings.Cut(u, "@")
	}
	switch m.Case {
	case "upper":
		u = strings.ToUpper(u)
	case "lower":
		u = strings.ToLower(u)
	}
	return u
}

// Daemon is the headless mode.
type Daemon struct {
	Schedules       Schedules     `yaml:"schedules"`
	SSH             SSH           `yaml:"ssh"`
	Metrics         Metrics       `yaml:"metrics"`
	RetentionDays   int           `yaml:"retention_days"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// Schedules are cron expressions (robfig/cron standard syntax, @every, @daily…);
// empty disables the job.
type Schedules struct {
	ResumeCampaigns string `yaml:"resume_campaigns"`
	DigiposteCycle  string `yaml:"digiposte_cycle"`
	HubEESync       string `yaml:"hubee_sync"`
	Purge           string `yaml:"purge"`
}

// Jobs lists the schedules by job name (the names the daemon registers).
func (s Schedules) Jobs() map[string]string {
	return map[string]string{
		"resume_campaigns": s.ResumeCampaigns,
		"digiposte_cycle":  s.DigiposteCycle,
		"hubee_sync":       s.HubEESync,
		"purge":            s.Purge,
	}
}

// SSH is the daemon's SSH server serving the TUI.
type SSH struct {
	Listen         string              `yaml:"listen"`
	HostKey        string              `yaml:"host_key"` // created on first start
	AuthorizedKeys map[string][]string `yaml:"authorized_keys"`
	PasswordAuth   bool                `yaml:"password_auth"` // CAS-checked password login
	IdleTimeout    time.Duration       `yaml:"idle_timeout"`
}

// Metrics is the optional /healthz + Prometheus listener.
type Metrics struct {
	Listen string `yaml:"listen"` // empty: off; ":9090" means 127.0.0.1:9090
}

// Log is the log/slog output.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // text | json
}

// Default is the configuration with every default and nothing site-specific.
// It does not validate on its own: university, Apogée and mail keys are required.
func Default() *Config {
	return &Config{
		Apogee: Apogee{
			WS: WS{
				Timeout: 30 * time.Second,
				// Apogée 6.40.30's paths and namespaces, generated from its WSDLs
				// (ReferentielMetier_21062012_Impl.wsdl serves …/services/ReferentielMetier
				// with a dated namespace).
				Services: Services{
					OffreFormation: Service{Path: offreformation.DefaultPath, Namespace: offreformation.Namespace},
					Etudiant:       Service{Path: etudiant.DefaultPath, Namespace: etudiant.Namespace},
					Pedagogique:    Service{Path: pedagogique.DefaultPath, Namespace: pedagogique.Namespace},
					Referentiel:    Service{Path: referentiel.DefaultPath, Namespace: referentiel.Namespace},
				},
			},
			DB: DB{
				Dialect:      DialectOracle,
				DSNEnv:       "HYPERCERTS_APOGEE_DSN",
				MaxOpenConns: 4,
				QueryTimeout: 30 * time.Second,
			},
			AbsentNatureCode: "9",
			Signer:           Signer{KeyEnv: "HYPERCERTS_SIGNER_KEY"},
			Concurrency:      8,
			MaxAttempts:      4,
			Backoff:          200 * time.Millisecond,
		},
		Delivery: Delivery{Mode: string(domain.ModeMail), PreviewReuse: domain.DefaultPreviewReuse},
		Mail: Mail{
			SMTP:         SMTP{Port: 587, Security: SecurityStartTLS, Timeout: 30 * time.Second, Chunking: true},
			SuspendAfter: domain.DefaultSuspendAfter,
		},
		Store: Store{Path: "./hypercerts.db", OpenTimeout: time.Second},
		Digiposte: Digiposte{
			SFTP: SFTP{Port: 22, Timeout: 30 * time.Second},
			Remote: Remote{
				AdhesionDir: "adhesions",
				DepositDir:  "depots",
				ReturnDir:   "retours",
				ArchiveDir:  "archives",
			},
		},
		HubEE: HubEE{
			Environment:     HubEEPreprod,
			ApplicationName: "hypercerts",
			StatusUpdate:    "patch_then_event",
			MaxResult:       25,
			Timeout:         30 * time.Second,
			IdleTimeout:     60 * time.Second,
			Retries:         3,
			RetryAfterMax:   2 * time.Minute,
			CaseAttempts:    5,
		},
		CAS: CAS{
			Timeout:     10 * time.Second,
			UserMapping: UserMapping{Case: "keep"},
		},
		Daemon: Daemon{
			Schedules: Schedules{
				ResumeCampaigns: "@every 5m",
				DigiposteCycle:  "0 6 * * *",
				HubEESync:       "@every 15m",
				Purge:           "30 3 * * *",
			},
			SSH: SSH{
				Listen:       "127.0.0.1:2222",
				HostKey:      "./hypercerts_host_ed25519",
				PasswordAuth: true,
				IdleTimeout:  30 * time.Minute,
			},
			RetentionDays:   365,
			ShutdownTimeout: 30 * time.Second,
		},
		Verify:  Verify{RateLimit: 30},
		Signing: Signing{Reason: "Attestation de réussite délivrée par l'université"},
		Log:     Log{Level: "info", Format: "text"},
		lines:   map[string]int{},
	}
}

// defaults fills a list element before it is decoded.
func (p *HubEEProcess) defaults() {
	p.Role = RoleAttestationRequest
	p.Identity = Identity{
		Source:         IdentityPartnerAttributes,
		AttachmentName: "*.json",
		Format:         "json",
		Fields: IdentityFields{
			StudentCode: "codeEtudiant",
			INE:         "ine",
			LastName:    "nom",
			FirstName:   "prenom",
			BirthDate:   "dateNaissance",
		},
	}
}

// DemoUser is the Apogée user the demo signs in as, without CAS.
const DemoUser = "gestionnaire" // the embedded Apogée's manager (connectors/apogee/sim.DemoUser)

// Demo is the whole product on one machine: the embedded Apogée (SQLite dialect), the
// store, the .eml mails and the Digiposte folder all under dir, test mode off, the demo
// user signed in without CAS, the HubEE simulator.
func Demo(dir string) *Config {
	c := Default()
	c.source = "démo"
	c.University = University{Name: "Université de Démonstration", City: "Besançon"}
	c.Apogee.Embedded = true
	c.Apogee.WS.BaseURL = ""
	c.Apogee.DB.Dialect = DialectSQLite
	c.Apogee.DB.DSNEnv = ""
	c.Apogee.Signer = Signer{Code: "PRES"}
	c.Delivery = Delivery{Mode: string(domain.ModeMail), PreviewReuse: domain.DefaultPreviewReuse}
	c.Mail.From = "Scolarité <scolarite@univ-demo.fr>"
	c.Mail.Managers = []string{"scolarite@univ-demo.fr"}
	c.Mail.EMLDir = filepath.Join(dir, "mails")
	c.Print.Dir = filepath.Join(dir, "impression")
	c.UI.ExportDir = filepath.Join(dir, "exports")
	c.Store.Path = filepath.Join(dir, "hypercerts.db")
	c.Digiposte.LocalDir = filepath.Join(dir, "digiposte")
	c.Digiposte.SenderID = "UNIV-DEMO"
	c.HubEE.Environment = HubEESim
	c.HubEE.SoftwareVersion = "demo"
	p := HubEEProcess{}
	p.defaults()
	p.Code = "AttestationReussite"
	p.ClientID = "demo"
	c.HubEE.Processes = []HubEEProcess{p}
	c.CAS.DemoUser = DemoUser
	c.Daemon.Schedules.DigiposteCycle = "@every 1m"
	c.Daemon.Schedules.HubEESync = "@every 1m"
	c.Daemon.SSH.HostKey = filepath.Join(dir, "ssh_host_ed25519")
	c.University.Address = "1 place de la Démonstration, 25000 Besançon"
	// The demo daemon serves the verification page on loopback.
	c.Verify.Listen = "127.0.0.1:8089"
	c.Verify.PublicURL = "http://127.0.0.1:8089"
	return c
}

// EngineSettings maps the configuration to the engine's settings.
func (c *Config) EngineSettings() domain.Settings {
	return domain.Settings{
		Concurrency:   c.Apogee.Concurrency,
		MaxAttempts:   c.Apogee.MaxAttempts,
		Backoff:       c.Apogee.Backoff,
		Mode:          domain.Mode(c.Delivery.Mode),
		TestMode:      c.Delivery.TestMode,
		TestRecipient: c.Delivery.TestRecipient,
		University:    c.University.Name,
		Managers:      append([]string(nil), c.Mail.Managers...),
		SuspendAfter:  c.Mail.SuspendAfter,
		PreviewReuse:  previewReuse(c.Delivery.PreviewReuse),
	}
}

// Source is the file the configuration came from ("démo" for Demo, "" for Default).
func (c *Config) Source() string { return c.source }

// Line is the line of a key path in the file (e.g. "mail.smtp.port",
// "hubee.processes[0].code"), 0 when the key is not in the file. Other packages use
// it to name the line in their own messages about a key.
func (c *Config) Line(path string) int { return c.lines[path] }

// Has tells whether a key path is written in the file.
func (c *Config) Has(path string) bool {
	_, ok := c.lines[path]
	return ok
}

// String is the configuration as YAML. It never holds a secret: the file only names
// environment variables, and secrets are read from them when asked for.
func (c Config) String() string {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return "config: " + err.Error()
	}
	_ = enc.Close()
	return b.String()
}

// HubEEURLs gives the token and API URLs: the configured ones, else the environment's.
func (h HubEE) HubEEURLs() (tokenURL, apiURL string) {
	tokenURL, apiURL = h.TokenURL, h.APIURL
	var t, a string
	switch h.Environment {
	case HubEEPreprod:
		t, a = "https://auth.bas.hubee.numerique.gouv.fr/oauth2/token", "https://api.bas.hubee.numerique.gouv.fr"
	case HubEERecette:
		t, a = "https://auth.basrec.hubee.numerique.gouv.fr/oauth2/token", "https://api.basrec.hubee.numerique.gouv.fr"
	case HubEEProd:
		t, a = "https://auth.hubee.numerique.gouv.fr/oauth2/token", "https://api.hubee.numerique.gouv.fr"
	}
	if tokenURL == "" {
		tokenURL = t
	}
	if apiURL == "" {
		apiURL = a
	}
	return tokenURL, apiURL
}

// Process finds a HubEE démarche by code.
func (h HubEE) Process(code string) (HubEEProcess, bool) {
	for _, p := range h.Processes {
		if p.Code == code {
			return p, true
		}
	}
	return HubEEProcess{}, false
}

// previewReuse maps delivery.preview_reuse to the engine's setting: 0 there means
// never, which the engine spells negative (its 0 is the default).
func previewReuse(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
