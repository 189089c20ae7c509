package mail

import (
	"crypto/x509"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"
)

// Security is how the SMTP connection is protected.
type Security string

const (
	// SecurityStartTLS: plain TCP, then STARTTLS is mandatory (port 587 or 25).
	SecurityStartTLS Security = "starttls"
	// SecurityTLS: implicit TLS from the first byte (port 465).
	SecurityTLS Security = "tls"
	// SecurityNone: no encryption at all (a local relay only).
	SecurityNone Security = "none"
)

// Defaults applied by NewSMTP to zero fields.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMaxConns   = 4
	DefaultMaxPerConn = 100
	DefaultAuthMech   = "PLAIN"
	defaultAttachName = "attestation-reussite.pdf"
	defaultDemoFrom   = "Scolarité (démonstration) <scolarite@demo.hypercerts.invalid>"
)

// SMTPConfig is everything NewSMTP needs. The password is given by the caller (read
// from the environment variable named in application.yaml); it is never logged.
type SMTPConfig struct {
	Host     string
	Port     int      // 0: 587 for starttls, 465 for tls, 25 for none
	Security Security // "" means starttls
	Username string   // empty: no SMTP AUTH
	Password string
	// AuthMechanism is PLAIN (default), LOGIN or CRAM-MD5.
	AuthMechanism string
	Timeout       time.Duration // per connection and per command; 0: DefaultTimeout
	HELO          string        // EHLO name; empty: the machine's host name
	From          string        // "Scolarité Université X <scolarite@univ-x.fr>"
	ReplyTo       string        // optional
	// RootCAs replaces the system roots to verify the server (tests, private CAs).
	RootCAs *x509.CertPool
	// MaxConns bounds the connections kept open at once (= sends in flight).
	MaxConns int
	// MaxPerConn: after that many mails a connection is closed and a new one opened
	// (some relays refuse more per session). 0: DefaultMaxPerConn.
	MaxPerConn int
	// DisableChunking sends with DATA even when the server offers CHUNKING (RFC 3030
	// BDAT, used by default then): for a relay or a middlebox that announces it and
	// mishandles it (mail.smtp.chunking: false).
	DisableChunking bool
	// TestRecipient, when non-empty, is test mode (R18): any mail to another address
	// is refused before anything is sent.
	TestRecipient string
}

func (c SMTPConfig) withDefaults() SMTPConfig {
	if c.Security == "" {
		c.Security = SecurityStartTLS
	}
	c.Security = Security(strings.ToLower(string(c.Security)))
	if c.Port == 0 {
		switch c.Security {
		case SecurityTLS:
			c.Port = 465
		case SecurityNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxPerConn <= 0 {
		c.MaxPerConn = DefaultMaxPerConn
	}
	if c.AuthMechanism == "" {
		c.AuthMechanism = DefaultAuthMech
	}
	c.AuthMechanism = strings.ToUpper(c.AuthMechanism)
	return c
}

// validate checks the configuration and says what to fix, in French like every
// message a user may read.
func (c SMTPConfig) validate() error {
	var errs []error
	if strings.TrimSpace(c.Host) == "" {
		errs = append(errs, errors.New("serveur SMTP (host) non renseigné"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port SMTP %d invalide (1 à 65535)", c.Port))
	}
	switch c.Security {
	case SecurityStartTLS, SecurityTLS, SecurityNone:
	default:
		errs = append(errs, fmt.Errorf("sécurité SMTP %q inconnue : starttls, tls ou none", c.Security))
	}
	switch c.AuthMechanism {
	case "PLAIN", "LOGIN", "CRAM-MD5":
	default:
		errs = append(errs, fmt.Errorf("mécanisme d'authentification SMTP %q inconnu : PLAIN, LOGIN ou CRAM-MD5", c.AuthMechanism))
	}
	if c.Username != "" && c.Password == "" {
		errs = append(errs, fmt.Errorf("utilisateur SMTP %q sans mot de passe : renseignez la variable d'environnement prévue", c.Username))
	}
	if _, err := parseAddr(c.From); err != nil {
		errs = append(errs, fmt.Errorf("expéditeur (from) %q invalide : %v", c.From, err))
	}
	if c.ReplyTo != "" {
		if _, err := parseAddr(c.ReplyTo); err != nil {
			errs = append(errs, fmt.Errorf("adresse de réponse (reply_to) %q invalide : %v", c.ReplyTo, err))
		}
	}
	if c.TestRecipient != "" {
		if _, err := parseAddr(c.TestRecipient); err != nil {
			errs = append(errs, fmt.Errorf("adresse de test %q invalide : %v", c.TestRecipient, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuration SMTP : %w", errors.Join(errs...))
	}
	return nil
}

func parseAddr(s string) (*netmail.Address, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("adresse vide")
	}
	return netmail.ParseAddress(s)
}

// sameAddress compares two addresses on their addr-spec, ignoring display names and
// the case of the domain and local part (university relays are case-insensitive).
func sameAddress(a, b string) bool {
	pa, err1 := parseAddr(a)
	pb, err2 := parseAddr(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(pa.Address, pb.Address)
}
