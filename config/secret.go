package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Secret is a password, key or DSN read from an environment variable. It never shows
// itself: fmt (every verb), log/slog, encoding/json, YAML and text marshalling all
// print "[secret]". Reveal gives the value to the code that must use it.
type Secret struct {
	v *string // a pointer, so that even fmt's reflection on an enclosing struct shows no text
}

// NewSecret wraps a value.
func NewSecret(s string) Secret { return Secret{v: &s} }

const redacted = "[secret]"

// Reveal is the value; call it only where the value is handed to a library.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsSet tells whether the secret has a non-empty value.
func (s Secret) IsSet() bool { return s.v != nil && *s.v != "" }

func (s Secret) String() string {
	if !s.IsSet() {
		return ""
	}
	return redacted
}

// GoString serves %#v.
func (s Secret) GoString() string { return "config.Secret(" + redacted + ")" }

// Format serves every fmt verb, %x and %q included.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// LogValue serves log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText serves encoding/json, encoding/xml and others.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML serves gopkg.in/yaml.v3.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// conventionalEnvRe: variable names are written in capitals (HYPERCERTS_SMTP_PASSWORD);
// anything else in a *_env key is most likely a value pasted in the wrong place.
var conventionalEnvRe = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

func conventionalEnvName(s string) bool { return conventionalEnvRe.MatchString(s) }

// lookupEnv is os.LookupEnv, replaceable in tests.
var lookupEnv = os.LookupEnv

// SecretError says which variable is missing and which key names it.
type SecretError struct {
	Key  string // the *_env key, e.g. "mail.smtp.password_env"
	Line int
	Env  string // the variable, e.g. HYPERCERTS_SMTP_PASSWORD
}

func (e *SecretError) Error() string {
	return e.problem().Error()
}

func (e *SecretError) problem() Problem {
	if !conventionalEnvName(e.Env) { // likely the secret itself: never repeat it
		return Problem{Key: e.Key, Line: e.Line, Message: "la valeur indiquée ressemble à une valeur, pas à un nom de variable " +
			"(elle n'est pas répétée ici) ; indiquez le NOM d'une variable d'environnement en majuscules, par exemple " +
			"HYPERCERTS_SMTP_PASSWORD, et mettez le secret dans cette variable"}
	}
	return Problem{Key: e.Key, Line: e.Line, Message: fmt.Sprintf(
		"la variable d'environnement %s n'est pas définie ou est vide ; exportez-la avant de lancer hypercerts "+
			"(pour le service systemd : dans son EnvironmentFile)", e.Env)}
}

// Secret reads the environment variable envName. An unset or empty variable is an
// error naming it.
func (c *Config) Secret(envName string) (Secret, error) {
	return c.secret("", envName)
}

func (c *Config) secret(key, envName string) (Secret, error) {
	if v, ok := lookupEnv(envName); ok && v != "" {
		return NewSecret(v), nil
	}
	if key == "" {
		key = c.keyNaming(envName)
	}
	return Secret{}, &SecretError{Key: key, Line: c.Line(key), Env: envName}
}

// keyNaming finds the *_env key that names envName, for messages.
func (c *Config) keyNaming(envName string) string {
	for _, r := range c.secretRefs(false) {
		if r.Env == envName {
			return r.Key
		}
	}
	return "(environnement)"
}

// optional reads envName when it is configured; an empty name gives an empty secret.
func (c *Config) optional(key, envName string) (Secret, error) {
	if envName == "" {
		return Secret{}, nil
	}
	return c.secret(key, envName)
}

// ApogeeDSN is the go-ora DSN (oracle://user:pass@host:1521/service) from apogee.db.dsn_env.
// A DSN that is not such a URL is refused here with a message that never shows it: it
// holds the password, and the error go-ora would give on the first query (net/url's)
// quotes it whole, up to the logs.
func (c *Config) ApogeeDSN() (Secret, error) {
	const key = "apogee.db.dsn_env"
	dsn, err := c.optional(key, c.Apogee.DB.DSNEnv)
	if err != nil || !dsn.IsSet() {
		return dsn, err
	}
	if u, err := url.Parse(dsn.Reveal()); err != nil || u.Host == "" {
		return Secret{}, Problem{Key: key, Line: c.Line(key), Message: fmt.Sprintf(
			"le DSN de la variable %s est illisible (il n'est pas affiché : il contient le mot de passe) ; "+
				"attendu oracle://utilisateur:motdepasse@hôte:1521/service, les caractères spéciaux du mot de passe "+
				"encodés (%%40 pour @, %%25 pour %%, %%2F pour /, %%3A pour :)", c.Apogee.DB.DSNEnv)}
	}
	return dsn, nil
}

// SignerKey is the key that decrypts the signature blob, from apogee.signer.key_env.
func (c *Config) SignerKey() (Secret, error) {
	return c.optional("apogee.signer.key_env", c.Apogee.Signer.KeyEnv)
}

// SMTPPassword is from mail.smtp.password_env; empty when no password is configured.
func (c *Config) SMTPPassword() (Secret, error) {
	return c.optional("mail.smtp.password_env", c.Mail.SMTP.PasswordEnv)
}

// SFTPPassword is from digiposte.sftp.password_env; empty when not configured.
func (c *Config) SFTPPassword() (Secret, error) {
	return c.optional("digiposte.sftp.password_env", c.Digiposte.SFTP.PasswordEnv)
}

// SFTPKeyPassphrase is from digiposte.sftp.key_passphrase_env; empty when not configured.
func (c *Config) SFTPKeyPassphrase() (Secret, error) {
	return c.optional("digiposte.sftp.key_passphrase_env", c.Digiposte.SFTP.KeyPassphraseEnv)
}

// HubEEClientSecret is the OAuth2 client secret of a démarche, from its client_secret_env.
// In the "sim" environment a démarche without client_secret_env gets an empty secret.
func (c *Config) HubEEClientSecret(processCode string) (Secret, error) {
	for i, p := range c.HubEE.Processes {
		if p.Code == processCode {
			return c.optional(fmt.Sprintf("hubee.processes[%d].client_secret_env", i), p.ClientSecretEnv)
		}
	}
	return Secret{}, fmt.Errorf("hubee.processes : aucune démarche de code %q dans la configuration", processCode)
}

// SecretRef is one environment variable the configuration names.
type SecretRef struct {
	Key      string // e.g. "mail.smtp.password_env"
	Env      string // e.g. "HYPERCERTS_SMTP_PASSWORD"
	Required bool   // the configured features need it
}

// SecretRefs lists the environment variables named in the configuration, and whether
// the features in use need them.
func (c *Config) SecretRefs() []SecretRef { return c.secretRefs(false) }

func (c *Config) secretRefs(requiredOnly bool) []SecretRef {
	var refs []SecretRef
	add := func(key, env string, required bool) {
		if env == "" || (requiredOnly && !required) {
			return
		}
		refs = append(refs, SecretRef{Key: key, Env: env, Required: required})
	}
	real := !c.Apogee.Embedded
	add("apogee.db.dsn_env", c.Apogee.DB.DSNEnv, real)
	add("apogee.signer.key_env", c.Apogee.Signer.KeyEnv, real && c.Apogee.DB.Dialect == DialectOracle)
	add("mail.smtp.password_env", c.Mail.SMTP.PasswordEnv, c.Mail.EMLDir == "")
	sftp := c.usesSFTP()
	add("digiposte.sftp.password_env", c.Digiposte.SFTP.PasswordEnv, sftp)
	add("digiposte.sftp.key_passphrase_env", c.Digiposte.SFTP.KeyPassphraseEnv, sftp)
	for i, p := range c.HubEE.Processes {
		add(fmt.Sprintf("hubee.processes[%d].client_secret_env", i), p.ClientSecretEnv, true)
	}
	if c.Signing.Certificate != "" {
		p12 := strings.HasSuffix(strings.ToLower(c.Signing.Certificate), ".p12") || strings.HasSuffix(strings.ToLower(c.Signing.Certificate), ".pfx")
		add("signing.key_env", c.Signing.KeyEnv, !p12)
		add("signing.password_env", c.Signing.PasswordEnv, p12)
	}
	return refs
}

// CheckSecrets reads every environment variable the features in use need and reports
// all the missing ones at once (a *ValidationError naming each variable and its key).
// The daemon, the TUI and doctor call it at start-up, before any outside call.
func (c *Config) CheckSecrets() error {
	ps := &problems{file: c.source, lines: c.lines}
	for _, r := range c.secretRefs(true) {
		if _, err := c.secret(r.Key, r.Env); err != nil {
			var se *SecretError
			if asSecretError(err, &se) {
				ps.list = append(ps.list, se.problem())
			}
		}
	}
	return ps.err()
}

func asSecretError(err error, target **SecretError) bool {
	se, ok := err.(*SecretError)
	if ok {
		*target = se
	}
	return ok
}

// usesSFTP: the Digiposte SFTP server is configured (its host is set).
func (c *Config) usesSFTP() bool {
	return strings.TrimSpace(c.Digiposte.SFTP.Host) != ""
}
