package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"hypercerts/domain"
)

const examplePath = "../application.example.yaml"

// minimal is the smallest valid real configuration; tests add top-level sections to it.
const minimal = `university:
  name: Université de Test
  city: Testville
apogee:
  ws:
    base_url: https://apogee.test/apo-commun-servicesMetiers
  signer:
    code: PRES
mail:
  from: scolarite@univ.test
  smtp:
    host: smtp.univ.test
cas:
  url: https://cas.univ.test/cas
  service: https://hypercerts.univ.test
`

func mustParse(t *testing.T, doc string) *Config {
	t.Helper()
	c, err := Parse([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func mustFail(t *testing.T, doc string) *ValidationError {
	t.Helper()
	_, err := Parse([]byte(doc), "test.yaml")
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	return verr
}

// problem finds the problem about key, failing the test when there is none.
func problem(t *testing.T, verr *ValidationError, key string) Problem {
	t.Helper()
	for _, p := range verr.Problems {
		if p.Key == key {
			return p
		}
	}
	t.Fatalf("no problem for %s in:\n%v", key, verr)
	return Problem{}
}

func noProblem(t *testing.T, verr *ValidationError, key string) {
	t.Helper()
	for _, p := range verr.Problems {
		if p.Key == key {
			t.Fatalf("unexpected problem %v", p)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := Default()
	checks := map[string][2]any{
		"concurrency":       {c.Apogee.Concurrency, 8},
		"max_attempts":      {c.Apogee.MaxAttempts, 4},
		"backoff":           {c.Apogee.Backoff, 200 * time.Millisecond},
		"absent_nature":     {c.Apogee.AbsentNatureCode, "9"},
		"dialect":           {c.Apogee.DB.Dialect, "oracle"},
		"ref path":          {c.Apogee.WS.Services.Referentiel.Path, "/services/ReferentielMetier"},
		"ref ns":            {c.Apogee.WS.Services.Referentiel.Namespace, "gouv.education.apogee.commun.servicesmetiers.ReferentielMetier_21062012"},
		"etu ns":            {c.Apogee.WS.Services.Etudiant.Namespace, "gouv.education.apogee.commun.servicesmetiers.EtudiantMetier"},
		"offre path":        {c.Apogee.WS.Services.OffreFormation.Path, "/services/OffreFormationMetier"},
		"mode":              {c.Delivery.Mode, "mail"},
		"test_mode":         {c.Delivery.TestMode, false},
		"smtp port":         {c.Mail.SMTP.Port, 587},
		"smtp security":     {c.Mail.SMTP.Security, "starttls"},
		"smtp chunking":     {c.Mail.SMTP.Chunking, true},
		"store path":        {c.Store.Path, "./hypercerts.db"},
		"store timeout":     {c.Store.OpenTimeout, time.Second},
		"sftp port":         {c.Digiposte.SFTP.Port, 22},
		"insecure":          {c.Digiposte.SFTP.InsecureIgnoreHostKey, false},
		"hubee env":         {c.HubEE.Environment, "preprod"},
		"max_result":        {c.HubEE.MaxResult, 25},
		"ssh listen":        {c.Daemon.SSH.Listen, "127.0.0.1:2222"},
		"metrics listen":    {c.Daemon.Metrics.Listen, ""},
		"resume":            {c.Daemon.Schedules.ResumeCampaigns, "@every 5m"},
		"log level":         {c.Log.Level, "info"},
		"log format":        {c.Log.Format, "text"},
		"dsn env":           {c.Apogee.DB.DSNEnv, "HYPERCERTS_APOGEE_DSN"},
		"signer env":        {c.Apogee.Signer.KeyEnv, "HYPERCERTS_SIGNER_KEY"},
		"retention":         {c.Daemon.RetentionDays, 365},
		"mapping case":      {c.CAS.UserMapping.Case, "keep"},
		"application name ": {c.HubEE.ApplicationName, "hypercerts"},
	}
	for name, got := range checks {
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Errorf("%s: got %v, want %v", name, got[0], got[1])
		}
	}
	// Defaults alone are not a working setup: site keys are required, all named at once.
	err := Default().Validate()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Default().Validate() = %v, want the required keys", err)
	}
	for _, k := range []string{"university.name", "university.city", "apogee.ws.base_url", "apogee.signer.code", "mail.from", "mail.smtp.host", "cas.url"} {
		problem(t, verr, k)
	}
}

func TestMissingKeysGetDefaults(t *testing.T) {
	c := mustParse(t, minimal+"store:\n  path:\n")
	d := Default()
	if c.Store.Path != d.Store.Path || c.Apogee.Concurrency != 8 || c.Mail.SMTP.Port != 587 || c.Log.Level != "info" {
		t.Fatalf("defaults not applied: %+v", c.Store)
	}
	if c.Apogee.WS.Services != d.Apogee.WS.Services {
		t.Fatalf("service defaults lost: %+v", c.Apogee.WS.Services)
	}
	if !c.Has("store.path") || c.Has("store.open_timeout") || c.Line("university.name") != 2 {
		t.Fatalf("key lines wrong: %v", c.lines)
	}
}

func TestExampleFileParsesAndValidates(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("application.example.yaml: %v", err)
	}
	if c.University.Name != "Université d'Exemple" || c.Mail.SMTP.PasswordEnv != "HYPERCERTS_SMTP_PASSWORD" {
		t.Fatalf("unexpected values: %+v", c.University)
	}
	p, ok := c.HubEE.Process("AttestationReussite")
	if !ok || p.Identity.Fields.INE != "ine" || p.Role != RoleAttestationRequest {
		t.Fatalf("process: %+v", p)
	}
	if got := c.Apogee.WS.URL(c.Apogee.WS.Services.Etudiant); got != "https://apogee.univ-exemple.fr/apo-commun-servicesMetiers/services/EtudiantMetier" {
		t.Fatalf("URL = %s", got)
	}
	s := c.EngineSettings()
	want := domain.Settings{Concurrency: 8, MaxAttempts: 4, Backoff: 200 * time.Millisecond, Mode: domain.ModeMail,
		TestRecipient: "recette-scolarite@univ-exemple.fr", University: "Université d'Exemple",
		Managers: []string{"scolarite@univ-exemple.fr"}, SuspendAfter: 5, PreviewReuse: 15 * time.Minute}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("EngineSettings = %+v\nwant %+v", s, want)
	}
	// The example shows every default: parsing only the defaults-bearing keys changes nothing.
	d := Default()
	if c.Apogee.WS.Services != d.Apogee.WS.Services || c.Daemon.Schedules != d.Daemon.Schedules || c.Digiposte.Remote != d.Digiposte.Remote {
		t.Fatal("the example's values differ from the defaults it documents")
	}
}

var indexRe = regexp.MustCompile(`\[\d+\]`)

// TestExampleDocumentsEveryKey: every key of the schema is written in the example, with
// a comment that gives its default or says it is required.
func TestExampleDocumentsEveryKey(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for k := range c.lines {
		present[indexRe.ReplaceAllString(k, "[]")] = true
	}
	for _, k := range KnownKeys() {
		if strings.HasSuffix(k, ".*") {
			continue
		}
		if !present[k] {
			t.Errorf("key %s is not in application.example.yaml", k)
		}
	}

	data, _ := os.ReadFile(examplePath)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, ch := range n.Content {
				walk(ch, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i]
				p := join(path, key.Value)
				// the comment block right above the key (or its list dash)
				comment := ""
				for l := key.Line - 2; l >= 0 && strings.HasPrefix(strings.TrimSpace(lines[l]), "#"); l-- {
					comment = lines[l] + "\n" + comment
				}
				if comment == "" {
					t.Errorf("line %d: key %s has no comment", key.Line, p)
				}
				isSection := n.Content[i+1].Kind == yaml.MappingNode && len(n.Content[i+1].Content) > 0
				if !isSection && !strings.Contains(comment, "Défaut") && !strings.Contains(comment, "Obligatoire") {
					t.Errorf("line %d: the comment of %s gives neither its default nor « Obligatoire »", key.Line, p)
				}
				walk(n.Content[i+1], p)
			}
		}
	}
	walk(&doc, "")
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	c := Demo(dir)
	if err := c.Validate(); err != nil {
		t.Fatalf("Demo config invalid: %v", err)
	}
	if !c.Apogee.Embedded || c.Apogee.DB.Dialect != DialectSQLite || c.Delivery.TestMode {
		t.Fatalf("demo apogee/test mode: %+v %+v", c.Apogee.DB, c.Delivery)
	}
	if c.Store.Path != filepath.Join(dir, "hypercerts.db") || c.Mail.EMLDir != filepath.Join(dir, "mails") ||
		c.Digiposte.LocalDir != filepath.Join(dir, "digiposte") || c.CAS.DemoUser != DemoUser {
		t.Fatalf("demo paths: %s %s %s %s", c.Store.Path, c.Mail.EMLDir, c.Digiposte.LocalDir, c.CAS.DemoUser)
	}
	if err := c.CheckSecrets(); err != nil {
		t.Fatalf("the demo needs no secret: %v", err)
	}
	// Digiposte mode works in the demo too (local folder instead of SFTP).
	c.Delivery.Mode = "digiposte"
	if err := c.Validate(); err != nil {
		t.Fatalf("demo in digiposte mode: %v", err)
	}
	if s := c.EngineSettings(); s.Mode != domain.ModeDigiposte || s.University == "" {
		t.Fatalf("EngineSettings: %+v", s)
	}
}

func TestManyErrorsAtOnceWithPathsAndLines(t *testing.T) {
	doc := `university:
  name: U
  city: C
apogee:
  ws:
    base_url: ftp://apogee
  signer:
    code: PRES
  concurrency: 0
delivery:
  mode: pigeon
  test_mode: true
mail:
  from: pas-une-adresse
  smtp:
    host: smtp.univ.test
    port: 70000
    security: ssl
cas:
  url: http://cas.univ.test/cas
  service: https://h.univ.test
log:
  level: verbose
`
	verr := mustFail(t, doc)
	want := []struct {
		key  string
		line int
		msg  string
	}{
		{"apogee.ws.base_url", 6, "n'est pas une adresse web valide"},
		{"apogee.concurrency", 9, "0 n'est pas un nombre d'appels simultanés valide, attendu un entier entre 1 et 256"},
		{"delivery.mode", 11, `"pigeon" n'est pas une valeur possible, attendu mail, digiposte ou impression`},
		{"mail.from", 14, "n'est pas une adresse e-mail valide"},
		{"mail.smtp.port", 17, "70000 n'est pas un port valide, attendu un entier entre 1 et 65535"},
		{"mail.smtp.security", 18, "attendu starttls, tls ou none"},
		{"cas.url", 20, "https est exigé"},
		{"log.level", 23, "attendu debug, info, warn ou error"},
		{"delivery.test_recipient", 0, "obligatoire quand delivery.test_mode vaut true"},
	}
	for _, w := range want {
		p := problem(t, verr, w.key)
		if p.Line != w.line || !strings.Contains(p.Message, w.msg) {
			t.Errorf("%s: got line %d %q, want line %d containing %q", w.key, p.Line, p.Message, w.line, w.msg)
		}
	}
	if len(verr.Problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(verr.Problems), len(want), verr)
	}
	msg := verr.Error()
	if !strings.Contains(msg, "mail.smtp.port (ligne 17) : 70000 n'est pas un port valide, attendu un entier entre 1 et 65535") ||
		!strings.HasPrefix(msg, "test.yaml : 9 erreurs de configuration :") {
		t.Errorf("message:\n%s", msg)
	}
	// File order: lines ascending, keys absent from the file last.
	last := 0
	for _, p := range verr.Problems {
		if p.Line == 0 {
			last = 1 << 30
			continue
		}
		if p.Line < last {
			t.Errorf("problems out of order: %v", verr.Keys())
		}
		last = p.Line
	}
}

func TestUnknownKeys(t *testing.T) {
	doc := minimal + `store:
  pth: x.db
delivery:
  port: 25
frobnicate: 1
`
	verr := mustFail(t, doc)
	p := problem(t, verr, "store.pth")
	if p.Line != 17 || !strings.Contains(p.Message, "clé inconnue") || !strings.Contains(p.Message, "« store.path »") {
		t.Errorf("store.pth: %v", p)
	}
	p = problem(t, verr, "delivery.port")
	if !strings.Contains(p.Message, "mail.smtp.port") || !strings.Contains(p.Message, "digiposte.sftp.port") {
		t.Errorf("delivery.port: %v", p)
	}
	p = problem(t, verr, "frobnicate")
	if p.Line != 20 || !strings.HasPrefix(p.Message, "clé inconnue") {
		t.Errorf("frobnicate: %v", p)
	}
}

func TestTypeErrors(t *testing.T) {
	doc := minimal + `delivery:
  test_mode: oui
  mode: [mail]
store:
  open_timeout: 5
daemon:
  retention_days: beaucoup
  ssh:
    idle_timeout: soon
log: text
`
	verr := mustFail(t, doc)
	want := map[string]struct {
		line int
		msg  string
	}{
		"delivery.test_mode":      {17, `attendu true ou false, trouvé le texte "oui"`},
		"delivery.mode":           {18, "attendu une valeur texte, trouvé une liste"},
		"store.open_timeout":      {20, "attendu une durée avec son unité"},
		"daemon.retention_days":   {22, `attendu un nombre entier, trouvé le texte "beaucoup"`},
		"daemon.ssh.idle_timeout": {24, `"soon" n'est pas une durée valide`},
		"log":                     {25, "attendu une section"},
	}
	for key, w := range want {
		p := problem(t, verr, key)
		if p.Line != w.line || !strings.Contains(p.Message, w.msg) {
			t.Errorf("%s: got line %d %q, want line %d containing %q", key, p.Line, p.Message, w.line, w.msg)
		}
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	_, err := Parse([]byte("university:\n  name: U\n city: x\n  - y"), "bad.yaml")
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 1 || verr.Problems[0].Line == 0 ||
		!strings.Contains(verr.Problems[0].Message, "syntaxe YAML invalide") {
		t.Fatalf("got %v", err)
	}
}

func TestDuplicateKey(t *testing.T) {
	verr := mustFail(t, minimal+"log:\n  level: info\n  level: debug\n")
	p := problem(t, verr, "log.level")
	if p.Line != 18 || !strings.Contains(p.Message, "déjà définie ligne 17") {
		t.Fatalf("got %v", p)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "application.yaml"))
	if err == nil || !strings.Contains(err.Error(), "introuvable") || !strings.Contains(err.Error(), "application.example.yaml") {
		t.Fatalf("got %v", err)
	}
}

func TestCrossFieldChecks(t *testing.T) {
	t.Run("test mode needs a recipient", func(t *testing.T) {
		verr := mustFail(t, minimal+"delivery:\n  test_mode: true\n")
		problem(t, verr, "delivery.test_recipient")
		mustParse(t, minimal+"delivery:\n  test_mode: true\n  test_recipient: test@univ.test\n")
	})
	t.Run("digiposte mode needs sftp", func(t *testing.T) {
		verr := mustFail(t, minimal+"delivery:\n  mode: digiposte\n")
		problem(t, verr, "digiposte.sftp.host")
		problem(t, verr, "digiposte.sender_id")
	})
	t.Run("sftp needs auth, user and known_hosts", func(t *testing.T) {
		verr := mustFail(t, minimal+"delivery:\n  mode: digiposte\ndigiposte:\n  sender_id: X\n  sftp:\n    host: sftp.digiposte.test\n")
		problem(t, verr, "digiposte.sftp.user")
		problem(t, verr, "digiposte.sftp")
		problem(t, verr, "digiposte.sftp.known_hosts")
	})
	t.Run("a complete digiposte setup", func(t *testing.T) {
		dir := t.TempDir()
		kh := filepath.Join(dir, "known_hosts")
		key := filepath.Join(dir, "id_ed25519")
		for _, f := range []string{kh, key} {
			if err := os.WriteFile(f, []byte("x\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		c := mustParse(t, minimal+fmt.Sprintf(`delivery:
  mode: digiposte
digiposte:
  sender_id: UNIV
  sftp:
    host: sftp.digiposte.test
    user: univ
    key_file: %s
    known_hosts: %s
`, key, kh))
		if c.Digiposte.SFTP.Port != 22 || c.Digiposte.Remote.DepositDir != "depots" {
			t.Fatalf("sftp defaults: %+v", c.Digiposte)
		}
	})
	t.Run("sftp file paths must exist", func(t *testing.T) {
		verr := mustFail(t, minimal+"digiposte:\n  sftp:\n    host: h\n    user: u\n    key_file: /nonexistent/key\n    insecure_ignore_host_key: true\n")
		p := problem(t, verr, "digiposte.sftp.key_file")
		if !strings.Contains(p.Message, "/nonexistent/key") {
			t.Fatal(p)
		}
		noProblem(t, verr, "digiposte.sftp.known_hosts")
	})
	t.Run("local folder or sftp, not both", func(t *testing.T) {
		verr := mustFail(t, minimal+"digiposte:\n  local_dir: /tmp/x\n  sftp:\n    host: h\n    user: u\n    password_env: P\n    insecure_ignore_host_key: true\n")
		problem(t, verr, "digiposte.local_dir")
	})
	t.Run("digiposte mode needs the cycle scheduled", func(t *testing.T) {
		verr := mustFail(t, minimal+"delivery:\n  mode: digiposte\ndigiposte:\n  local_dir: /tmp/d\n  sender_id: X\ndaemon:\n  schedules:\n    digiposte_cycle: \"\"\n")
		problem(t, verr, "daemon.schedules.digiposte_cycle")
	})
	t.Run("signing.tsa_url is a web address, only with a certificate", func(t *testing.T) {
		problem(t, mustFail(t, minimal+"signing:\n  tsa_url: \"ftp://tsa.test\"\n"), "signing.tsa_url")
		p := problem(t, mustFail(t, minimal+"signing:\n  tsa_url: \"http://tsa.univ.test/tsa\"\n"), "signing.tsa_url")
		if !strings.Contains(p.Message, "signing.certificate") {
			t.Errorf("message %q does not say it needs signing.certificate", p.Message)
		}
		cert := filepath.Join(t.TempDir(), "sig.pem")
		if err := os.WriteFile(cert, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := mustParse(t, minimal+"signing:\n  certificate: "+cert+"\n  key_env: HC_KEY\n  tsa_url: \"http://tsa.univ.test/tsa\"\n")
		if c.Signing.TSAURL != "http://tsa.univ.test/tsa" {
			t.Errorf("tsa_url = %q", c.Signing.TSAURL)
		}
	})
	t.Run("smtp username needs a password variable", func(t *testing.T) {
		doc := strings.Replace(minimal, "    host: smtp.univ.test\n", "    host: smtp.univ.test\n    username: hc\n", 1)
		problem(t, mustFail(t, doc), "mail.smtp.password_env")
	})
	t.Run("no plain-text smtp password", func(t *testing.T) {
		doc := strings.Replace(minimal, "    host: smtp.univ.test\n", "    host: smtp.univ.test\n    security: none\n    username: hc\n    password_env: P\n", 1)
		problem(t, mustFail(t, doc), "mail.smtp.security")
		mustParse(t, strings.Replace(doc, "smtp.univ.test", "127.0.0.1", 1))
	})
	t.Run("eml_dir replaces the smtp host", func(t *testing.T) {
		doc := strings.Replace(minimal, "    host: smtp.univ.test\n", "", 1)
		problem(t, mustFail(t, doc), "mail.smtp.host")
		mustParse(t, strings.Replace(doc, "mail:\n", "mail:\n  eml_dir: /tmp/mails\n", 1))
	})
	t.Run("emails", func(t *testing.T) {
		verr := mustFail(t, minimal+"delivery:\n  test_recipient: nobody\n")
		problem(t, verr, "delivery.test_recipient")
		doc := strings.Replace(minimal, "mail:\n", "mail:\n  managers: [a@univ.test, pas une adresse]\n", 1)
		p := problem(t, mustFail(t, doc), "mail.managers[1]")
		if p.Line != 10 {
			t.Fatal(p)
		}
	})
	t.Run("embedded apogee is sqlite and needs no url nor dsn", func(t *testing.T) {
		doc := strings.Replace(minimal, "    base_url: https://apogee.test/apo-commun-servicesMetiers\n", "", 1)
		verr := mustFail(t, doc)
		problem(t, verr, "apogee.ws.base_url")
		verr = mustFail(t, strings.Replace(doc, "apogee:\n", "apogee:\n  embedded: true\n", 1))
		p := problem(t, verr, "apogee.db.dialect")
		if !strings.Contains(p.Message, "sqlite") {
			t.Fatal(p)
		}
		noProblem(t, verr, "apogee.ws.base_url")
		mustParse(t, strings.Replace(doc, "apogee:\n", "apogee:\n  embedded: true\n  db:\n    dialect: sqlite\n", 1))
	})
	t.Run("cas: url or simulator or demo user", func(t *testing.T) {
		doc := strings.Replace(minimal, "  url: https://cas.univ.test/cas\n", "", 1)
		problem(t, mustFail(t, doc), "cas.url")
		verr := mustFail(t, minimal+"  demo_user: DEMO\n")
		problem(t, verr, "cas.demo_user")
		doc = strings.Replace(minimal, "  url: https://cas.univ.test/cas\n  service: https://hypercerts.univ.test\n", "  demo_user: DEMO\n", 1)
		mustParse(t, doc)
	})
	t.Run("hubee processes", func(t *testing.T) {
		verr := mustFail(t, minimal+`hubee:
  environment: prod
  editor_name: "un nom d'éditeur beaucoup trop long pour l'en-tête editorName de HubEE"
  processes:
    - code: A
      client_id: id
      client_secret_env: S
    - code: A
      role: other
    - code: B
      client_id: id
      client_secret_env: S
      identity:
        source: attachment
        format: csv
        fields: {student_code: "", ine: "", last_name: ""}
`)
		problem(t, verr, "hubee.editor_name")
		if p := problem(t, verr, "hubee.processes[1].code"); p.Line != 23 || !strings.Contains(p.Message, "déjà déclarée") {
			t.Error(p)
		}
		if p := problem(t, verr, "hubee.processes[1].client_id"); p.Line != 23 {
			t.Errorf("a key not written gets its list element's line: %v", p)
		}
		problem(t, verr, "hubee.processes[1].client_secret_env")
		problem(t, verr, "hubee.processes[2].identity.format")
		problem(t, verr, "hubee.processes[2].identity.fields")
		noProblem(t, verr, "hubee.processes[0].code")
	})
	t.Run("listen addresses", func(t *testing.T) {
		verr := mustFail(t, minimal+"daemon:\n  ssh:\n    listen: localhost\n  metrics:\n    listen: \"127.0.0.1:99999\"\n")
		problem(t, verr, "daemon.ssh.listen")
		problem(t, verr, "daemon.metrics.listen")
		c := mustParse(t, minimal+"daemon:\n  metrics:\n    listen: \":9090\"\n")
		if c.Daemon.Metrics.Listen != "127.0.0.1:9090" {
			t.Fatalf("metrics on loopback by default, got %s", c.Daemon.Metrics.Listen)
		}
	})
}

func TestCronValidation(t *testing.T) {
	for _, ok := range []string{"0 6 * * *", "@every 15m", "@daily", "*/20 * * * 1-5", "CRON_TZ=Europe/Paris 0 6 * * *", ""} {
		c := mustParse(t, minimal+fmt.Sprintf("daemon:\n  schedules:\n    digiposte_cycle: %q\n", ok))
		if c.Daemon.Schedules.DigiposteCycle != ok {
			t.Errorf("%q not kept", ok)
		}
	}
	for _, bad := range []string{"every day", "0 6 * *", "0 0 6 * * *", "@every", "@every 15", "61 * * * *", "@hourlyish"} {
		verr := mustFail(t, minimal+fmt.Sprintf("daemon:\n  schedules:\n    hubee_sync: %q\n", bad))
		p := problem(t, verr, "daemon.schedules.hubee_sync")
		if p.Line != 18 || !strings.Contains(p.Message, "n'est pas une planification valide") {
			t.Errorf("%q: %v", bad, p)
		}
	}
	jobs := Default().Daemon.Schedules.Jobs()
	if len(jobs) != 4 || jobs["digiposte_cycle"] != "0 6 * * *" {
		t.Fatalf("Jobs() = %v", jobs)
	}
}

// A malformed DSN is named by its key and variable, never shown: it holds the password
// (net/url's parse error, which go-ora returns as is, quotes the whole DSN).
func TestApogeeDSN_MalformedIsNamedNotShown(t *testing.T) {
	c := mustParse(t, minimal)
	c.Apogee.DB.DSNEnv = "HC_TEST_APOGEE_DSN"
	for _, bad := range []string{"oracle://apo:p%zzword@db:1521/APO", "oracle://apo:password@db:15x21/APO", "apo/password@db:1521/APO"} {
		t.Setenv("HC_TEST_APOGEE_DSN", bad)
		_, err := c.ApogeeDSN()
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "word") || !strings.Contains(msg, "apogee.db.dsn_env") ||
			!strings.Contains(msg, "HC_TEST_APOGEE_DSN") {
			t.Errorf("%q: %v", bad, msg)
		}
	}
	t.Setenv("HC_TEST_APOGEE_DSN", "oracle://apo:p%40ss@db:1521/APO")
	if dsn, err := c.ApogeeDSN(); err != nil || dsn.Reveal() != "oracle://apo:p%40ss@db:1521/APO" {
		t.Fatal(err)
	}
}

func TestSecretsFromEnvironment(t *testing.T) {
	const pw = "s3cr3t-Sm7p!"
	doc := strings.Replace(minimal, "    host: smtp.univ.test\n",
		"    host: smtp.univ.test\n    username: hc\n    password_env: HC_TEST_SMTP_PASSWORD\n", 1)
	c := mustParse(t, doc)

	// Unset: each required variable named with its key and line, all at once.
	err := c.CheckSecrets()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("CheckSecrets = %v", err)
	}
	if got := verr.Keys(); !reflect.DeepEqual(got, []string{"mail.smtp.password_env", "apogee.db.dsn_env", "apogee.signer.key_env"}) {
		t.Fatalf("missing secrets = %v\n%v", got, verr)
	}
	p := problem(t, verr, "mail.smtp.password_env")
	if p.Line != 14 || !strings.Contains(p.Message, "HC_TEST_SMTP_PASSWORD") {
		t.Fatalf("problem = %v", p)
	}
	_, err = c.SMTPPassword()
	var se *SecretError
	if !errors.As(err, &se) || se.Env != "HC_TEST_SMTP_PASSWORD" || !strings.Contains(err.Error(), "mail.smtp.password_env (ligne 14)") {
		t.Fatalf("SMTPPassword error = %v", err)
	}

	t.Setenv("HC_TEST_SMTP_PASSWORD", pw)
	t.Setenv("HYPERCERTS_APOGEE_DSN", "oracle://apo:dbpass@db:1521/APO")
	t.Setenv("HYPERCERTS_SIGNER_KEY", "signkey")
	if err := c.CheckSecrets(); err != nil {
		t.Fatal(err)
	}
	s, err := c.SMTPPassword()
	if err != nil || s.Reveal() != pw || !s.IsSet() {
		t.Fatalf("SMTPPassword = %v, %v", s.Reveal(), err)
	}
	if dsn, err := c.ApogeeDSN(); err != nil || dsn.Reveal() != "oracle://apo:dbpass@db:1521/APO" {
		t.Fatal(dsn.Reveal(), err)
	}
	if k, err := c.Secret("HYPERCERTS_SIGNER_KEY"); err != nil || k.Reveal() != "signkey" {
		t.Fatal(k.Reveal(), err)
	}
	// Not configured: empty, no error.
	if s, err := c.SFTPPassword(); err != nil || s.IsSet() {
		t.Fatal(s.IsSet(), err)
	}

	// Redaction everywhere.
	holder := struct {
		Password Secret
		inner    Secret
		Cfg      *Config
	}{s, s, c}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("smtp", "password", s, "holder", holder)
	js, _ := json.Marshal(holder)
	yml, _ := yaml.Marshal(holder)
	outputs := []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.String(),
		fmt.Sprintf("%v", s), fmt.Sprintf("%s", s), fmt.Sprintf("%q", s), fmt.Sprintf("%x", s), fmt.Sprintf("%#v", s),
		fmt.Sprintf("%v", holder), fmt.Sprintf("%+v", holder), fmt.Sprintf("%#v", holder),
		logs.String(), string(js), string(yml), fmt.Sprint(err),
	}
	for i, out := range outputs {
		if strings.Contains(out, pw) || strings.Contains(out, fmt.Sprintf("%x", pw)) {
			t.Errorf("output %d shows the secret: %s", i, out)
		}
	}
	if fmt.Sprintf("%v", s) != "[secret]" || !strings.Contains(logs.String(), `"password":"[secret]"`) {
		t.Errorf("redaction marker missing: %q %s", fmt.Sprintf("%v", s), logs.String())
	}
}

func TestEnvKeyHoldingASecretIsNotEchoed(t *testing.T) {
	const leaked = "hunter2!pass word"
	doc := strings.Replace(minimal, "    host: smtp.univ.test\n",
		"    host: smtp.univ.test\n    username: hc\n    password_env: \""+leaked+"\"\n", 1)
	verr := mustFail(t, doc)
	p := problem(t, verr, "mail.smtp.password_env")
	if !strings.Contains(p.Message, "NOM d'une variable") || strings.Contains(verr.Error(), leaked) {
		t.Fatalf("got %v", verr)
	}
}

func TestHubEEClientSecretsAndURLs(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.HubEEClientSecret("AttestationReussite"); err == nil || !strings.Contains(err.Error(), "HYPERCERTS_HUBEE_SECRET_ATTESTATION") {
		t.Fatalf("err = %v", err)
	}
	t.Setenv("HYPERCERTS_HUBEE_SECRET_ATTESTATION", "cs")
	if s, err := c.HubEEClientSecret("AttestationReussite"); err != nil || s.Reveal() != "cs" {
		t.Fatal(err)
	}
	if _, err := c.HubEEClientSecret("Inconnue"); err == nil {
		t.Fatal("unknown process accepted")
	}
	tok, api := c.HubEE.HubEEURLs()
	if tok != "https://auth.bas.hubee.numerique.gouv.fr/oauth2/token" || api != "https://api.bas.hubee.numerique.gouv.fr" {
		t.Fatal(tok, api)
	}
	h := HubEE{Environment: HubEEProd, APIURL: "https://api.local.test"}
	if tok, api := h.HubEEURLs(); tok != "https://auth.hubee.numerique.gouv.fr/oauth2/token" || api != "https://api.local.test" {
		t.Fatal(tok, api)
	}
}

func TestAuthorizedKeys(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl jdupont@poste"
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pub")
	bad := filepath.Join(dir, "bad.pub")
	_ = os.WriteFile(good, []byte("# clés\n"+key+"\n\n"), 0o600)
	_ = os.WriteFile(bad, []byte("ssh-ed25519 notbase64\n"), 0o600)
	c := mustParse(t, minimal+fmt.Sprintf("daemon:\n  ssh:\n    authorized_keys:\n      JDUPONT:\n        - %q\n        - %s\n", key, good))
	if len(c.Daemon.SSH.AuthorizedKeys["JDUPONT"]) != 2 {
		t.Fatal(c.Daemon.SSH.AuthorizedKeys)
	}
	verr := mustFail(t, minimal+fmt.Sprintf("daemon:\n  ssh:\n    authorized_keys:\n      A: [\"ssh-rsa AAAA\"]\n      B: [%s]\n      C: [/nonexistent]\n      D: []\n", bad))
	for _, k := range []string{"daemon.ssh.authorized_keys.A[0]", "daemon.ssh.authorized_keys.B[0]", "daemon.ssh.authorized_keys.C[0]", "daemon.ssh.authorized_keys.D"} {
		problem(t, verr, k)
	}
}

func TestUserMapping(t *testing.T) {
	m := UserMapping{Case: "upper", StripDomain: true, Overrides: map[string]string{"admin": "ADM01"}}
	if got := m.Map("jdupont@univ.fr", nil); got != "JDUPONT" {
		t.Error(got)
	}
	if got := m.Map("admin", nil); got != "ADM01" {
		t.Error(got)
	}
	m = UserMapping{Attribute: "codeApogee", Case: "keep"}
	if got := m.Map("jdupont", map[string]string{"codeApogee": "Jd1"}); got != "Jd1" {
		t.Error(got)
	}
}

func TestKnownKeys(t *testing.T) {
	keys := strings.Join(KnownKeys(), "\n")
	for _, k := range []string{"mail.smtp.port", "hubee.processes[].identity.fields.ine", "digiposte.format.*", "daemon.ssh.authorized_keys.*"} {
		if !strings.Contains(keys, k+"\n") {
			t.Errorf("KnownKeys lacks %s", k)
		}
	}
}

// TestDocsListEveryKey keeps docs/config.md in step with the schema.
func TestDocsListEveryKey(t *testing.T) {
	data, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, k := range KnownKeys() {
		if strings.HasSuffix(k, ".*") {
			continue
		}
		// sections are headings or prefixes of documented keys
		if !strings.Contains(doc, "`"+k+"`") && !strings.Contains(doc, "`"+k+".") && !strings.Contains(doc, "`"+k+"[]") {
			t.Errorf("docs/config.md does not document %s", k)
		}
	}
}

func TestNotAConfiguration(t *testing.T) {
	verr := mustFail(t, "hello\n")
	if len(verr.Problems) != 1 || verr.Problems[0].Line != 1 || !strings.Contains(verr.Problems[0].Message, "sections") {
		t.Fatalf("got %v", verr)
	}
	// An empty file is a configuration with every default: the required keys are named.
	verr = mustFail(t, "")
	problem(t, verr, "university.name")
}

// testFormat stands for connectors/digiposte's Format.
type testFormat struct {
	Partner   string `yaml:"partner"`
	Separator string `yaml:"separator"`
	BOM       bool   `yaml:"bom"`
	Columns   []struct {
		Header string `yaml:"header"`
		Field  string `yaml:"field"`
	} `yaml:"adhesion_columns"`
	StatusOpen []string `yaml:"status_open"`
}

func TestDigiposteFormatOverrides(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "format.yaml")
	if err := os.WriteFile(file, []byte("partner: FROMFILE\nseparator: \",\"\nstatus_open: [OUVERT]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, minimal+fmt.Sprintf(`digiposte:
  format_file: %s
  format:
    separator: ";"
    bom: true
    adhesion_columns:
      - {header: NUMERO, field: code}
      - {header: EMAIL_ELE, field: email}
`, file))
	f := testFormat{Partner: "DEFAULT", Separator: "|"}
	if err := c.Digiposte.DecodeFormat(&f); err != nil {
		t.Fatal(err)
	}
	if f.Partner != "FROMFILE" || f.Separator != ";" || !f.BOM || len(f.Columns) != 2 || f.Columns[1].Header != "EMAIL_ELE" ||
		len(f.StatusOpen) != 1 {
		t.Fatalf("format = %+v", f)
	}
	if !strings.Contains(c.String(), "EMAIL_ELE") {
		t.Fatalf("String() lost the raw section:\n%s", c)
	}

	c = mustParse(t, minimal+"digiposte:\n  format:\n    separatr: \";\"\n    bom: maybe\n")
	err := c.Digiposte.DecodeFormat(&f)
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 2 {
		t.Fatalf("got %v", err)
	}
	if p := problem(t, verr, "digiposte.format.separatr"); p.Line != 18 || !strings.Contains(p.Message, "digiposte.format.separator") {
		t.Fatal(p)
	}
	if p := problem(t, verr, "digiposte.format.bom"); p.Line != 19 {
		t.Fatal(p)
	}
	verr = mustFail(t, minimal+"digiposte:\n  format: [a]\n")
	problem(t, verr, "digiposte.format")
}

// verify.trusted_proxies: IP addresses or CIDR networks; a bad one is named in French.
func TestVerifyTrustedProxies(t *testing.T) {
	c := mustParse(t, minimal+"verify:\n  trusted_proxies: [192.0.2.10, 10.0.0.0/8, \"2001:db8::/32\", \"::ffff:198.51.100.0/120\"]\n")
	got := c.Verify.TrustedProxyPrefixes()
	want := []string{"192.0.2.10/32", "10.0.0.0/8", "2001:db8::/32", "198.51.100.0/24"}
	if len(got) != len(want) {
		t.Fatalf("prefixes %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("entry %d: %s, want %s", i, got[i], want[i])
		}
	}
	if d := Default().Verify.TrustedProxies; len(d) != 0 {
		t.Errorf("default trusted proxies %v, want none", d)
	}
	verr := mustFail(t, minimal+"verify:\n  trusted_proxies: [192.0.2.10, proxy.univ.fr, 10.0.0.0/33]\n")
	noProblem(t, verr, "verify.trusted_proxies[0]")
	p := problem(t, verr, "verify.trusted_proxies[1]")
	if !strings.Contains(p.Message, `"proxy.univ.fr" n'est pas une adresse IP valide`) || !strings.Contains(p.Message, "attendu l'adresse IP ou le réseau CIDR") {
		t.Errorf("message: %s", p.Message)
	}
	p = problem(t, verr, "verify.trusted_proxies[2]")
	if !strings.Contains(p.Message, `"10.0.0.0/33" n'est pas un réseau CIDR valide`) {
		t.Errorf("message: %s", p.Message)
	}
	if !strings.Contains(verr.Error(), "verify.trusted_proxies[1]") {
		t.Errorf("the error does not name the key:\n%s", verr)
	}
}

// mail.smtp.chunking turns BDAT off; it is a boolean like the others.
func TestSMTPChunkingKey(t *testing.T) {
	with := func(v string) string {
		return strings.Replace(minimal, "    host: smtp.univ.test\n", "    host: smtp.univ.test\n    chunking: "+v+"\n", 1)
	}
	if c := mustParse(t, minimal); !c.Mail.SMTP.Chunking {
		t.Error("chunking absent: BDAT should stay on")
	}
	if c := mustParse(t, with("false")); c.Mail.SMTP.Chunking {
		t.Error("chunking: false ignored")
	}
	if p := problem(t, mustFail(t, with("non")), "mail.smtp.chunking"); !strings.Contains(p.Message, "attendu true ou false") {
		t.Errorf("chunking: non → %q", p.Message)
	}
}
