// Package wiring turns the configuration into each connector's settings. It is the one
// place that does: app opens the connectors with these settings and doctor probes with
// the very same ones, so a doctor that passes has reached the URLs, paths, namespaces,
// folders, ports and timeouts the product will use, with its credentials.
//
// Nothing here opens a connection: each function maps configuration keys (and reads
// the secrets they name) to a connector's Config. The caller adds what is its own: the
// app its HTTP clients with metrics and its logger, doctor its probe timeout.
package wiring

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	_ "github.com/sijms/go-ora/v2" // Oracle driver for Apogée

	"hypercerts/config"
	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	"hypercerts/connectors/cas"
	cassim "hypercerts/connectors/cas/sim"
	"hypercerts/connectors/digiposte"
	"hypercerts/connectors/hubee"
	"hypercerts/connectors/mail"
	"hypercerts/version"
)

// ApogeeWS is the web services' settings (apogee.ws), against baseURL: the configured
// apogee.ws.base_url, or the embedded Apogée's address.
func ApogeeWS(cfg *config.Config, baseURL string) apogee.WSConfig {
	svc := cfg.Apogee.WS.Services
	return apogee.WSConfig{
		BaseURL:          baseURL,
		Timeout:          cfg.Apogee.WS.Timeout,
		MaxResponseBytes: int64(cfg.Apogee.WS.MaxResponseBytes),
		Services: map[string]apogee.ServiceConfig{
			apogee.ServiceOffreFormation: {Path: svc.OffreFormation.Path, Namespace: svc.OffreFormation.Namespace},
			apogee.ServiceEtudiant:       {Path: svc.Etudiant.Path, Namespace: svc.Etudiant.Namespace},
			apogee.ServicePedagogique:    {Path: svc.Pedagogique.Path, Namespace: svc.Pedagogique.Namespace},
			apogee.ServiceReferentiel:    {Path: svc.Referentiel.Path, Namespace: svc.Referentiel.Namespace},
		},
	}
}

// ServiceKey is the configuration key of a web service (apogee.ws.services.<key>).
func ServiceKey(service string) string {
	return "apogee.ws.services." + map[string]string{
		apogee.ServiceOffreFormation: "offre_formation",
		apogee.ServiceEtudiant:       "etudiant",
		apogee.ServicePedagogique:    "pedagogique",
		apogee.ServiceReferentiel:    "referentiel",
	}[service]
}

// ErrNoDSN: apogee.db.dsn_env names no variable (the embedded Apogée has none).
var ErrNoDSN = errors.New("base Apogée : pas de DSN (apogee.db.dsn_env)")

// ApogeeDB opens (without connecting) the Oracle database of apogee.db.dsn_env, its
// pool bounded by apogee.db.max_open_conns. The error of a missing or unreadable DSN is
// cfg.ApogeeDSN's (a *config.SecretError when the variable is unset); it never shows
// the DSN.
func ApogeeDB(cfg *config.Config) (*sql.DB, error) {
	dsn, err := cfg.ApogeeDSN()
	if err != nil {
		return nil, err
	}
	if !dsn.IsSet() {
		return nil, ErrNoDSN
	}
	db, err := sql.Open("oracle", dsn.Reveal())
	if err != nil {
		return nil, fmt.Errorf("base Apogée : %w", err)
	}
	if cfg.Apogee.DB.MaxOpenConns > 0 {
		db.SetMaxOpenConns(cfg.Apogee.DB.MaxOpenConns)
	}
	return db, nil
}

// SignerKey is the key that decrypts the president's signature (apogee.signer.key_env);
// with the embedded Apogée and no key given, the simulator's demo key.
func SignerKey(cfg *config.Config, getenv func(string) string) (string, error) {
	env := cfg.Apogee.Signer.KeyEnv
	if cfg.Apogee.Embedded && (env == "" || getenv(env) == "") {
		return sim.SignatureKey, nil
	}
	if env == "" {
		return "", nil
	}
	k, err := cfg.SignerKey()
	if err != nil {
		return "", err
	}
	return k.Reveal(), nil
}

// SMTP is the relay's settings (mail.smtp, mail.from, mail.reply_to), the password read
// from mail.smtp.password_env; as many connections as apogee.concurrency, and the test
// address in test mode (R18: the mailer itself refuses any other recipient).
func SMTP(cfg *config.Config) (mail.SMTPConfig, error) {
	s := cfg.Mail.SMTP
	password, err := cfg.SMTPPassword()
	if err != nil {
		return mail.SMTPConfig{}, err
	}
	return mail.SMTPConfig{Host: s.Host, Port: s.Port, Security: mail.Security(s.Security), Username: s.Username,
		Password: password.Reveal(), Timeout: s.Timeout, HELO: s.HELO, From: cfg.Mail.From, ReplyTo: cfg.Mail.ReplyTo,
		MaxConns: cfg.Apogee.Concurrency, TestRecipient: TestRecipient(cfg), DisableChunking: !s.Chunking}, nil
}

// TestRecipient is where every student mail goes in test mode; "" otherwise.
func TestRecipient(cfg *config.Config) string {
	if cfg.Delivery.TestMode {
		return cfg.Delivery.TestRecipient
	}
	return ""
}

// DigiposteFormat is the exchange's file format and folders (digiposte.sender_id,
// digiposte.remote.*, digiposte.format).
func DigiposteFormat(cfg *config.Config) (digiposte.Format, error) {
	d := cfg.Digiposte
	f := digiposte.DefaultFormat()
	f.Partner = d.SenderID
	for dst, v := range map[*string]string{&f.AdhesionDir: d.Remote.AdhesionDir, &f.DepositDir: d.Remote.DepositDir,
		&f.ReturnDir: d.Remote.ReturnDir, &f.ArchiveDir: d.Remote.ArchiveDir} {
		if v != "" {
			*dst = v
		}
	}
	if err := d.DecodeFormat(&f); err != nil {
		return digiposte.Format{}, err
	}
	return f, nil
}

// Digiposte is the SFTP server's settings (digiposte.sftp, port 22 by default), the
// password and key passphrase read from their variables, and the exchange's format.
func Digiposte(cfg *config.Config) (digiposte.Config, error) {
	d := cfg.Digiposte
	f, err := DigiposteFormat(cfg)
	if err != nil {
		return digiposte.Config{}, err
	}
	password, err := cfg.SFTPPassword()
	if err != nil {
		return digiposte.Config{}, err
	}
	passphrase, err := cfg.SFTPKeyPassphrase()
	if err != nil {
		return digiposte.Config{}, err
	}
	return digiposte.Config{Addr: DigiposteAddr(cfg), User: d.SFTP.User, KeyFile: d.SFTP.KeyFile,
		KeyPassphrase: passphrase.Reveal(), Password: password.Reveal(), KnownHostsFile: d.SFTP.KnownHosts,
		InsecureIgnoreHostKey: d.SFTP.InsecureIgnoreHostKey, DialTimeout: d.SFTP.Timeout, Format: f,
		RemoteDir: d.Remote.Base}, nil
}

// DigiposteAddr is host:port of the SFTP server (port 22 by default).
func DigiposteAddr(cfg *config.Config) string {
	port := cfg.Digiposte.SFTP.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(cfg.Digiposte.SFTP.Host, strconv.Itoa(port))
}

// HubEE is the hub client's settings (hubee.*) for the given credentials: the
// environment's URLs, the partner headers (hubee.software_version empty: the binary's
// version), the timeouts and the retries.
func HubEE(cfg *config.Config, creds map[string]hubee.Credentials) hubee.Config {
	h := cfg.HubEE
	tokenURL, apiURL := h.HubEEURLs()
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = config.Default().HubEE.Timeout
	}
	softwareVersion := h.SoftwareVersion
	if softwareVersion == "" { // documented default: the binary's version
		softwareVersion = version.Get().Version
	}
	return hubee.Config{BaseURL: apiURL, TokenURL: tokenURL, Scope: hubee.ScopeSI, Credentials: creds,
		EditorName: h.EditorName, ApplicationName: h.ApplicationName, SoftwareVersion: softwareVersion,
		CallTimeout: timeout, IdleTimeout: h.IdleTimeout, MaxAttempts: h.Retries, RetryAfterMax: h.RetryAfterMax,
		MethodOverride: h.MethodOverride}
}

// HubEECredentials are a démarche's client id and secret (hubee.processes[].client_id,
// client_secret_env).
func HubEECredentials(cfg *config.Config, p config.HubEEProcess) (hubee.Credentials, error) {
	secret, err := cfg.HubEEClientSecret(p.Code)
	if err != nil {
		return hubee.Credentials{}, err
	}
	return hubee.Credentials{ClientID: p.ClientID, ClientSecret: secret.Reveal()}, nil
}

// CAS is the CAS server's settings (cas.url, cas.service, cas.ca_file, cas.timeout).
func CAS(cfg *config.Config) cas.Config {
	c := cfg.CAS
	return cas.Config{URL: c.URL, Service: c.Service, CAFile: c.CAFile, Timeout: c.Timeout}
}

// CASSimulator starts the embedded CAS of cas.simulator_users_file (demo, tests; the
// configuration refuses it beside cas.url) on loopback and gives the settings to reach
// it, the service defaulting to a local one. No simulator configured: nil.
func CASSimulator(cfg *config.Config, log *slog.Logger) (*cassim.Server, cas.Config, error) {
	c := CAS(cfg)
	if cfg.CAS.SimulatorUsersFile == "" {
		return nil, c, nil
	}
	users, err := cassim.LoadUsers(cfg.CAS.SimulatorUsersFile)
	if err != nil {
		return nil, c, err
	}
	s := cassim.New(users)
	s.Log = log
	if c.URL, err = s.Start(); err != nil {
		return nil, c, fmt.Errorf("CAS simulé : %w", err)
	}
	if c.Service == "" {
		c.Service = "http://localhost/hypercerts"
	}
	return s, c, nil
}
