// Package cas signs a user in through the university's CAS with the CAS REST protocol
// (R01), the only CAS flow that works in a terminal:
//
//  1. POST {cas}/v1/tickets with the form fields username and password
//     → 201 Created, Location: {cas}/v1/tickets/TGT-… (the ticket-granting ticket);
//  2. POST {TGT} with the form field service → 200, the body is a service ticket ST-…;
//  3. GET {cas}/p3/serviceValidate?service=…&ticket=ST-… → the XML
//     cas:serviceResponse, with cas:authenticationSuccess (cas:user, cas:attributes)
//     or cas:authenticationFailure (code);
//  4. DELETE {TGT}, so that no single sign-on session is left behind.
//
// The password only lives in the arguments of Login and in the body of the first
// request: it is never kept in a struct, never logged, never put in an error. Ticket
// ids are bearer secrets too: the logs show only their prefix.
//
// The package returns the CAS identity as the CAS gives it; turning the CAS user id
// into an Apogée user code is config.UserMapping.Map, applied by the caller (see
// Identity.Flat).
package cas

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// DefaultTimeout bounds each HTTP exchange with the CAS when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxBody bounds what is read from any CAS answer.
const maxBody = 1 << 20

// Config says where the CAS is and how to reach it.
type Config struct {
	URL     string // CAS base URL, e.g. https://cas.univ.fr/cas (no trailing slash needed)
	Service string // service URL registered in the CAS for hypercerts
	// CAFile is a PEM file of the CA(s) that sign the CAS certificate. When set (or
	// RootCAs), it replaces the system roots; when both are empty, the system roots.
	CAFile  string
	RootCAs *x509.CertPool
	// Timeout bounds each HTTP exchange (DefaultTimeout when zero).
	Timeout time.Duration
	// HTTPClient, when set, is used as is (CAFile, RootCAs and Timeout are ignored).
	HTTPClient *http.Client
	// Log receives DEBUG lines for each step and INFO/WARN for outcomes (nil: none).
	Log *slog.Logger
}

// Identity is who the CAS says the user is.
type Identity struct {
	User       string              // cas:user
	Attributes map[string][]string // cas:attributes, by local element name, in order
}

// Attribute returns the first value of the attribute name, or "".
func (id Identity) Attribute(name string) string {
	if v := id.Attributes[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Flat returns the first value of each attribute, the shape config.UserMapping.Map
// takes: mapping.Map(id.User, id.Flat()).
func (id Identity) Flat() map[string]string {
	m := make(map[string]string, len(id.Attributes))
	for k, v := range id.Attributes {
		if len(v) > 0 {
			m[k] = v[0]
		}
	}
	return m
}

// Client talks to one CAS for one service. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	service string
	http    *http.Client
	log     *slog.Logger
}

// New checks the configuration and builds the HTTP client (TLS ≥ 1.2, the configured CA
// or the system roots, a timeout on each exchange, no redirects followed).
func New(c Config) (*Client, error) {
	if c.URL == "" {
		return nil, errors.New("CAS : cas.url est vide")
	}
	base, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("CAS : cas.url %q n'est pas une URL http(s) absolue", c.URL)
	}
	if c.Service == "" {
		return nil, errors.New("CAS : cas.service est vide (l'URL de service d'hypercerts enregistrée dans le CAS)")
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := c.HTTPClient
	if hc == nil {
		roots := c.RootCAs
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("CAS : cas.ca_file : %w", err)
			}
			if roots == nil {
				roots = x509.NewCertPool()
			}
			if !roots.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CAS : cas.ca_file %s ne contient aucun certificat PEM", c.CAFile)
			}
		}
		timeout := c.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
		hc = &http.Client{
			Transport: tr,
			Timeout:   timeout,
			// A redirect would turn the POST into a GET (or resend the password
			// elsewhere): report it instead, it means cas.url is wrong.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Client{base: base, service: c.Service, http: hc, log: log}, nil
}

// Login signs the user in: TGT, service ticket, validation, then the TGT is deleted.
// Errors are *Error of kind ErrBadCredentials, ErrLocked, ErrUnreachable or
// ErrValidation; a cancelled ctx gives ctx.Err() wrapped in ErrUnreachable.
func (c *Client) Login(ctx context.Context, username, password string) (Identity, error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return Identity{}, &Error{Kind: ErrBadCredentials, Op: "tickets", Detail: "identifiant ou mot de passe vide"}
	}
	tgt, err := c.grantingTicket(ctx, username, password)
	if err != nil {
		c.log.Info("CAS : connexion refusée", "utilisateur", username, "erreur", err)
		return Identity{}, err
	}
	defer c.logout(ctx, tgt)
	st, err := c.serviceTicket(ctx, tgt)
	if err != nil {
		c.log.Warn("CAS : ticket de service refusé", "utilisateur", username, "erreur", err)
		return Identity{}, err
	}
	id, err := c.Validate(ctx, st)
	if err != nil {
		c.log.Warn("CAS : validation refusée", "utilisateur", username, "erreur", err)
		return Identity{}, err
	}
	c.log.Info("CAS : connexion réussie", "utilisateur", id.User)
	return id, nil
}

var (
	formAction = regexp.MustCompile(`action="([^"]+)"`)
	exception  = regexp.MustCompile(`Account(Locked|Disabled|Expired|PasswordMustChange)Exception|AccountLocked|AccountDisabled`)
)

// grantingTicket is step 1; it returns the absolute TGT URL.
func (c *Client) grantingTicket(ctx context.Context, username, password string) (*url.URL, error) {
	const op = "tickets"
	endpoint := c.base.JoinPath("v1", "tickets")
	form := url.Values{"username": {username}, "password": {password}}
	c.log.Debug("CAS : demande de TGT", "url", endpoint.String(), "utilisateur", username)
	resp, body, err := c.do(ctx, http.MethodPost, endpoint.String(), form)
	if err != nil {
		return nil, &Error{Kind: ErrUnreachable, Op: op, Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusCreated:
	case resp.StatusCode == http.StatusLocked:
		return nil, &Error{Kind: ErrLocked, Op: op, Status: resp.StatusCode}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusBadRequest ||
		resp.StatusCode == http.StatusForbidden:
		switch m := exception.FindString(body); {
		case m == "AccountPasswordMustChangeException":
			return nil, &Error{Kind: ErrBadCredentials, Op: op, Status: resp.StatusCode, Code: m,
				Detail: "mot de passe à changer : changez-le sur l'ENT"}
		case m != "":
			return nil, &Error{Kind: ErrLocked, Op: op, Status: resp.StatusCode, Code: m}
		}
		return nil, &Error{Kind: ErrBadCredentials, Op: op, Status: resp.StatusCode}
	default:
		return nil, unexpected(op, resp, body)
	}
	loc := resp.Header.Get("Location")
	if loc == "" { // some CAS versions only give the HTML form
		if m := formAction.FindStringSubmatch(body); m != nil {
			loc = m[1]
		}
	}
	if loc == "" {
		return nil, &Error{Kind: ErrUnreachable, Op: op, Status: resp.StatusCode, Detail: "réponse 201 sans Location : est-ce bien l'API REST du CAS ?"}
	}
	tgt, err := endpoint.Parse(loc)
	if err != nil || tgt.Host != c.base.Host || tgt.Scheme != c.base.Scheme {
		return nil, &Error{Kind: ErrValidation, Op: op, Detail: "le CAS a donné un TGT hors de son adresse"}
	}
	c.log.Debug("CAS : TGT obtenu", "tgt", redact(tgt.Path))
	return tgt, nil
}

// serviceTicket is step 2.
func (c *Client) serviceTicket(ctx context.Context, tgt *url.URL) (string, error) {
	const op = "service ticket"
	c.log.Debug("CAS : demande de ticket de service", "tgt", redact(tgt.Path), "service", c.service)
	resp, body, err := c.do(ctx, http.MethodPost, tgt.String(), url.Values{"service": {c.service}})
	if err != nil {
		return "", &Error{Kind: ErrUnreachable, Op: op, Err: err}
	}
	if resp.StatusCode >= 500 || resp.StatusCode/100 == 3 {
		return "", unexpected(op, resp, body)
	}
	st := strings.TrimSpace(body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(st, "ST-") {
		return "", &Error{Kind: ErrValidation, Op: op, Status: resp.StatusCode, Detail: firstLine(body)}
	}
	c.log.Debug("CAS : ticket de service obtenu", "ticket", redact(st))
	return st, nil
}

type serviceResponse struct {
	XMLName xml.Name `xml:"serviceResponse"`
	Success *struct {
		User       string `xml:"user"`
		Attributes *struct {
			Items []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"attributes"`
	} `xml:"authenticationSuccess"`
	Failure *struct {
		Code    string `xml:"code,attr"`
		Message string `xml:",chardata"`
	} `xml:"authenticationFailure"`
}

// Validate is step 3: it validates a service ticket for the configured service and
// returns the identity. It is exported for callers that obtain tickets otherwise.
func (c *Client) Validate(ctx context.Context, ticket string) (Identity, error) {
	const op = "serviceValidate"
	endpoint := c.base.JoinPath("p3", "serviceValidate")
	endpoint.RawQuery = url.Values{"service": {c.service}, "ticket": {ticket}}.Encode()
	c.log.Debug("CAS : validation du ticket", "ticket", redact(ticket))
	resp, body, err := c.do(ctx, http.MethodGet, endpoint.String(), nil)
	if err != nil {
		return Identity{}, &Error{Kind: ErrUnreachable, Op: op, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusNotFound || resp.StatusCode/100 == 3 {
			return Identity{}, unexpected(op, resp, body)
		}
		return Identity{}, &Error{Kind: ErrValidation, Op: op, Status: resp.StatusCode, Detail: firstLine(body)}
	}
	var sr serviceResponse
	if err := xml.Unmarshal([]byte(body), &sr); err != nil {
		return Identity{}, &Error{Kind: ErrUnreachable, Op: op, Status: resp.StatusCode, Detail: "réponse XML illisible : est-ce bien un CAS ?", Err: err}
	}
	switch {
	case sr.Failure != nil:
		return Identity{}, &Error{Kind: ErrValidation, Op: op, Status: resp.StatusCode,
			Code: strings.TrimSpace(sr.Failure.Code), Detail: strings.TrimSpace(sr.Failure.Message)}
	case sr.Success == nil || strings.TrimSpace(sr.Success.User) == "":
		return Identity{}, &Error{Kind: ErrValidation, Op: op, Status: resp.StatusCode, Detail: "réponse sans utilisateur"}
	}
	id := Identity{User: strings.TrimSpace(sr.Success.User), Attributes: map[string][]string{}}
	if a := sr.Success.Attributes; a != nil {
		for _, it := range a.Items {
			id.Attributes[it.XMLName.Local] = append(id.Attributes[it.XMLName.Local], strings.TrimSpace(it.Value))
		}
	}
	c.log.Debug("CAS : ticket validé", "utilisateur", id.User, "attributs", len(id.Attributes))
	return id, nil
}

// logout is step 4: it deletes the TGT, even if ctx was cancelled meanwhile. A failure
// is only logged: the session was obtained and the TGT will expire anyway.
func (c *Client) logout(ctx context.Context, tgt *url.URL) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	resp, _, err := c.do(ctx, http.MethodDelete, tgt.String(), nil)
	switch {
	case err != nil:
		c.log.Debug("CAS : suppression du TGT impossible", "tgt", redact(tgt.Path), "erreur", err)
	case resp.StatusCode/100 != 2:
		c.log.Debug("CAS : suppression du TGT refusée", "tgt", redact(tgt.Path), "statut_http", resp.StatusCode)
	default:
		c.log.Debug("CAS : TGT supprimé", "tgt", redact(tgt.Path))
	}
}

// do sends one request (form-encoded when form is not nil) and reads a bounded body.
// The request body never appears in an error: net/http errors only name the URL.
func (c *Client) do(ctx context.Context, method, target string, form url.Values) (*http.Response, string, error) {
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/plain, application/xml, text/xml, */*")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, "", err
	}
	return resp, string(b), nil
}

// unexpected classifies an answer that is not part of the protocol: 5xx, redirects,
// 404 (REST API not enabled or wrong cas.url) and the like.
func unexpected(op string, resp *http.Response, body string) *Error {
	e := &Error{Kind: ErrUnreachable, Op: op, Status: resp.StatusCode}
	switch {
	case resp.StatusCode/100 == 3:
		e.Detail = fmt.Sprintf("HTTP %d, redirection vers %s : corrigez cas.url", resp.StatusCode, resp.Header.Get("Location"))
	case resp.StatusCode == http.StatusNotFound:
		e.Detail = "HTTP 404 : l'API REST du CAS n'est pas activée ou cas.url est faux"
	default:
		e.Detail = fmt.Sprintf("HTTP %d %s", resp.StatusCode, firstLine(body))
	}
	e.Detail = strings.TrimSpace(e.Detail)
	return e
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// redact keeps the kind and serial of a ticket ("TGT-12-…"), never its secret part.
func redact(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	parts := strings.SplitN(s, "-", 3)
	if len(parts) < 3 {
		return "…"
	}
	return parts[0] + "-" + parts[1] + "-…"
}
