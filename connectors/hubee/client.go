// Package hubee is a client of the HubEE API (Hub d'Échange de l'État): télédossiers
// under /teledossiers/v1 (notifications, folders, cases, events, attachments) and the
// referential under /referential/v1 (subscriptions, organizations, processes), for the
// OSL, SI and ADMIN sides.
//
// Authentication is OAuth2 client credentials (HTTP Basic on the token endpoint, scope
// SI, OSL or ADMIN). HubEE issues one credential pair per démarche (process code): a
// Client holds them all and hands out one Session per process; each session caches its
// token until it expires and renews it once when the hub answers 401.
//
// Errors are *APIError (status, codes and messages of the hub's error body) classified
// as domain.ErrNotFound, domain.ErrTransient or domain.ErrPermanent; network failures
// are transient. Idempotent calls (GET, PUT, PATCH, DELETE) are retried with back-off on
// transient failures; POST (creations) never is.
package hubee

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"hypercerts/domain"
	"hypercerts/internal/textfold"
)

// Path prefixes of the two APIs.
const (
	TeledossiersPrefix = "/teledossiers/v1"
	ReferentialPrefix  = "/referential/v1"
)

// Known environments (see docs/hubee.md).
const (
	PreprodAPI      = "https://api.bas.hubee.numerique.gouv.fr"
	PreprodTokenURL = "https://auth.bas.hubee.numerique.gouv.fr/oauth2/token"
	ProdAPI         = "https://api.hubee.numerique.gouv.fr"
	ProdTokenURL    = "https://auth.hubee.numerique.gouv.fr/oauth2/token"
)

// DefaultMaxResult is the hub's default batch of notifications.
const DefaultMaxResult = 25

// Credentials is the client id and secret HubEE gives for one démarche.
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// Config of a Client.
type Config struct {
	// BaseURL of the API, without the /teledossiers/v1 prefix.
	BaseURL string
	// TokenURL of the OAuth2 server.
	TokenURL string
	// Scope requested: SI (default), OSL or ADMIN.
	Scope string
	// Credentials per process code (démarche).
	Credentials map[string]Credentials
	// Optional partner headers, echoed back by the hub as partnerInfo (≤ 50 characters).
	EditorName, ApplicationName, SoftwareVersion string
	// HTTPClient for the API and the token endpoint. Its own Timeout, if any, bounds
	// whole bodies too: leave it zero and set CallTimeout and IdleTimeout instead.
	HTTPClient *http.Client
	// CallTimeout bounds a call up to its answer's headers, and its whole body unless
	// it is a download (default 30 s).
	CallTimeout time.Duration
	// IdleTimeout abandons a download that received nothing for that long (default
	// 60 s): a big file on a slow link is not cut, a stalled one is.
	IdleTimeout time.Duration
	// MaxAttempts per idempotent call on transient failures (default 3; 1 = no retry).
	// This is the one retry layer of idempotent calls: the engine does not add its own.
	MaxAttempts int
	// Backoff is the first wait between attempts; it doubles each time (default 500 ms).
	Backoff time.Duration
	// RetryAfterMax caps the wait a 429 or 503 asks for with Retry-After (default
	// 2 min): a longer one ends the call with a transient error rather than holding
	// the run.
	RetryAfterMax time.Duration
	// MethodOverride sends PATCH as POST with X-HTTP-Method-Override: PATCH (for proxies
	// that drop PATCH); the contract offers both.
	MethodOverride bool
}

// Client talks to one HubEE platform. It is safe for concurrent use.
type Client struct {
	cfg      Config
	base     string
	hc       *http.Client
	mu       sync.Mutex
	sessions map[string]*Session
	sleep    func(ctx context.Context, d time.Duration) error
}

// New checks the configuration and builds a client.
func New(cfg Config) (*Client, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if _, err := url.ParseRequestURI(base); err != nil || base == "" {
		return nil, fmt.Errorf("%w : HubEE : adresse de l'API invalide %q", domain.ErrInvalid, cfg.BaseURL)
	}
	if _, err := url.ParseRequestURI(cfg.TokenURL); err != nil {
		return nil, fmt.Errorf("%w : HubEE : adresse du serveur de jetons invalide %q", domain.ErrInvalid, cfg.TokenURL)
	}
	for _, h := range []string{cfg.EditorName, cfg.ApplicationName, cfg.SoftwareVersion} {
		if len(asciiHeader(h)) > 50 {
			return nil, fmt.Errorf("%w : HubEE : en-tête partenaire de plus de 50 caractères %q", domain.ErrInvalid, h)
		}
	}
	if cfg.Scope == "" {
		cfg.Scope = ScopeSI
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.RetryAfterMax <= 0 {
		cfg.RetryAfterMax = 2 * time.Minute
	}
	cfg.EditorName = asciiHeader(cfg.EditorName)
	cfg.ApplicationName = asciiHeader(cfg.ApplicationName)
	cfg.SoftwareVersion = asciiHeader(cfg.SoftwareVersion)
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{cfg: cfg, base: base, hc: hc, sessions: map[string]*Session{}, sleep: sleepCtx}, nil
}

// Processes lists the process codes the client holds credentials for.
func (c *Client) Processes() []string {
	out := make([]string, 0, len(c.cfg.Credentials))
	for p := range c.cfg.Credentials {
		out = append(out, p)
	}
	return out
}

// Session returns the session of a démarche (one token per process code).
func (c *Client) Session(process string) (*Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sessions[process]; ok {
		return s, nil
	}
	cr, ok := c.cfg.Credentials[process]
	if !ok {
		return nil, fmt.Errorf("%w : HubEE : aucun identifiant client configuré pour la démarche %q", domain.ErrInvalid, process)
	}
	s := c.NewSession(cr, c.cfg.Scope)
	c.sessions[process] = s
	return s, nil
}

// NewSession opens a session with explicit credentials and scope (OSL or ADMIN tools).
func (c *Client) NewSession(cr Credentials, scope string) *Session {
	return &Session{c: c, tokens: &tokenCache{cc: &clientcredentials.Config{
		ClientID:     cr.ClientID,
		ClientSecret: cr.ClientSecret,
		TokenURL:     c.cfg.TokenURL,
		Scopes:       []string{scope},
		AuthStyle:    oauth2.AuthStyleInHeader,
	}}}
}

// Session calls the API with the token of one credential pair.
type Session struct {
	c      *Client
	tokens *tokenCache
}

// tokenCache keeps a token until it expires; invalidate drops it after a 401.
type tokenCache struct {
	cc      *clientcredentials.Config
	mu      sync.Mutex
	tok     *oauth2.Token
	fetched int // tokens obtained (for tests and logs)
}

func (t *tokenCache) token(ctx context.Context, hc *http.Client) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.Valid() {
		return t.tok, nil
	}
	tok, err := t.cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	if err != nil {
		return nil, tokenError(err)
	}
	t.tok = tok
	t.fetched++
	return tok, nil
}

func (t *tokenCache) invalidate(bad *oauth2.Token) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == bad {
		t.tok = nil
	}
}

// Token obtains the session's OAuth2 token (or reuses the one it holds) within
// CallTimeout, and says until when it is valid: doctor's probe of a démarche's
// credentials, through the same client as the sync.
func (s *Session) Token(ctx context.Context) (expiry time.Time, err error) {
	tctx, cancel := context.WithTimeout(ctx, s.c.cfg.CallTimeout)
	defer cancel()
	tok, err := s.tokens.token(tctx, s.c.hc)
	if err != nil {
		return time.Time{}, err
	}
	return tok.Expiry, nil
}

// TokensFetched is how many tokens this session obtained so far.
func (s *Session) TokensFetched() int {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	return s.tokens.fetched
}

func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		kind := domain.ErrPermanent
		if re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests {
			kind = domain.ErrTransient
		}
		msg := re.ErrorDescription
		if msg == "" {
			msg = re.ErrorCode
		}
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", re.Response.StatusCode)
		}
		if kind == domain.ErrPermanent {
			msg += " (vérifiez l'identifiant et le secret client de la démarche)"
		}
		return &domain.ExternalError{System: "HubEE", Op: "jeton OAuth2", Kind: kind, Msg: msg, Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &domain.ExternalError{System: "HubEE", Op: "jeton OAuth2", Kind: domain.ErrTransient, Err: err}
}

// body is a request body that can be produced again for a replay.
type body struct {
	contentType string
	length      int64
	digest      string
	open        func() (io.Reader, error) // nil: no body
	replayable  bool
}

func jsonBody(v any) (*body, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &body{contentType: "application/json", length: int64(len(b)), replayable: true,
		open: func() (io.Reader, error) { return bytes.NewReader(b), nil }}, nil
}

// call is one operation of the contract.
type call struct {
	op         string // operationId
	method     string
	path       string // with its prefix
	query      url.Values
	body       *body
	idempotent bool
}

// do sends a call: token, partner headers, renewal once on 401, retries with back-off
// for idempotent calls on transient failures. A success (< 400) is returned with its body
// open; the caller closes it.
func (s *Session) do(ctx context.Context, cl call) (*http.Response, error) {
	cfg := s.c.cfg
	wait := cfg.Backoff
	renewed := false
	for attempt := 1; ; {
		resp, tok, err := s.send(ctx, cl)
		if err == nil && resp.StatusCode < 400 {
			return resp, nil
		}
		replayable := cl.body == nil || cl.body.replayable
		if err == nil {
			if resp.StatusCode == http.StatusUnauthorized && !renewed {
				// Expired or revoked token: drop it and try once more with a new one.
				drain(resp)
				s.tokens.invalidate(tok)
				renewed = true
				if replayable {
					continue
				}
				e := &APIError{Op: cl.op, Method: cl.method, Path: cl.path, Status: resp.StatusCode, Kind: domain.ErrTransient,
					Messages: []string{"jeton refusé ; renouvelé pour le prochain essai"}}
				return nil, e
			}
			err = apiError(cl.op, resp.Request, resp)
			drain(resp)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !domain.IsTransient(err) || !cl.idempotent || !replayable || attempt >= cfg.MaxAttempts {
			return nil, err
		}
		pause := wait
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			if ae.RetryAfter > cfg.RetryAfterMax {
				ae.Messages = append(ae.Messages, fmt.Sprintf("Retry-After %s au-delà de %s : nouvel essai au prochain passage", ae.RetryAfter, cfg.RetryAfterMax))
				return nil, err
			}
			pause = ae.RetryAfter
		}
		if err := s.c.sleep(ctx, pause); err != nil {
			return nil, err
		}
		wait *= 2
		attempt++
	}
}

func (s *Session) send(ctx context.Context, cl call) (*http.Response, *oauth2.Token, error) {
	tctx, tcancel := context.WithTimeout(ctx, s.c.cfg.CallTimeout) // the HTTP client has no global timeout
	tok, err := s.tokens.token(tctx, s.c.hc)
	tcancel()
	if err != nil {
		return nil, nil, err
	}
	u := s.c.base + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	method := cl.method
	override := method == http.MethodPatch && s.c.cfg.MethodOverride
	if override {
		method = http.MethodPost
	}
	var rd io.Reader
	if cl.body != nil && cl.body.open != nil {
		if rd, err = cl.body.open(); err != nil {
			return nil, nil, err
		}
	}
	// The call's own context: cancelled after CallTimeout, or when the body closes;
	// a download turns the deadline into an idle timeout (guardedBody.stream).
	cctx, cancel := context.WithCancel(ctx)
	g := &guard{cancel: cancel, timer: time.AfterFunc(s.c.cfg.CallTimeout, cancel)}
	req, err := http.NewRequestWithContext(cctx, method, u, rd)
	if err != nil {
		g.stop()
		return nil, nil, err
	}
	if override {
		req.Header.Set("X-HTTP-Method-Override", http.MethodPatch)
	}
	if cl.body != nil && cl.body.open != nil {
		req.Header.Set("Content-Type", cl.body.contentType)
		req.ContentLength = cl.body.length
		if cl.body.digest != "" {
			req.Header.Set("digest", cl.body.digest)
		}
	}
	req.Header.Set("Accept", "application/json, application/octet-stream")
	tok.SetAuthHeader(req)
	cfg := s.c.cfg
	for k, v := range map[string]string{"editorName": cfg.EditorName, "applicationName": cfg.ApplicationName, "softwareVersion": cfg.SoftwareVersion} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := s.c.hc.Do(req)
	if err != nil {
		g.stop()
		if ctx.Err() != nil {
			return nil, tok, ctx.Err()
		}
		return nil, tok, transportError(cl.op, err)
	}
	resp.Body = &guardedBody{ReadCloser: resp.Body, g: g}
	return resp, tok, nil
}

// guard cancels a call's context when its timer fires.
type guard struct {
	cancel context.CancelFunc
	timer  *time.Timer
}

func (g *guard) stop() {
	g.timer.Stop()
	g.cancel()
}

// guardedBody is an answer's body that ends its call's context when closed; once
// stream is called, its deadline is an idle timeout re-armed by every byte read.
type guardedBody struct {
	io.ReadCloser
	g    *guard
	idle time.Duration
}

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.idle > 0 {
		b.g.timer.Reset(b.idle)
	}
	return n, err
}

func (b *guardedBody) Close() error {
	b.g.stop()
	return b.ReadCloser.Close()
}

// stream replaces the whole-call deadline by an idle timeout.
func (b *guardedBody) stream(idle time.Duration) {
	b.idle = idle
	b.g.timer.Reset(idle)
}

// doJSON sends a call and decodes a JSON answer into out (when out is not nil).
func (s *Session) doJSON(ctx context.Context, cl call, out any) (http.Header, error) {
	resp, err := s.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return nil, &domain.ExternalError{System: "HubEE", Op: cl.op, Kind: domain.ErrPermanent,
				Msg: "réponse JSON illisible", Err: err}
		}
	}
	return resp.Header, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func td(parts ...string) string { return TeledossiersPrefix + "/" + escJoin(parts) }
func ref(parts ...string) string {
	return ReferentialPrefix + "/" + escJoin(parts)
}

func escJoin(parts []string) string {
	for i, p := range parts {
		if i%2 == 1 { // odd positions are identifiers
			parts[i] = url.PathEscape(p)
		}
	}
	return strings.Join(parts, "/")
}

// Digest returns the base64 SHA-256 the hub uses for attachments, and the size read.
func Digest(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), n, nil
}

// Range is a parsed Content-Range header of the referential ("subscriptions 0-24/57").
type Range struct {
	First, Last, Total int
	Known              bool
}

// ParseContentRange reads "unit first-last/total"; an absent or odd header gives Known false.
func ParseContentRange(h string) Range {
	h = strings.TrimSpace(h)
	if i := strings.LastIndexByte(h, ' '); i >= 0 {
		h = h[i+1:]
	}
	span, total, ok := strings.Cut(h, "/")
	if !ok {
		return Range{}
	}
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return Range{}
	}
	first, err1 := strconv.Atoi(a)
	last, err2 := strconv.Atoi(b)
	tot, err3 := strconv.Atoi(total)
	// RFC 9110 §14.4: first ≤ last < total; anything else is not a range (found by fuzzing).
	if err1 != nil || err2 != nil || err3 != nil || first < 0 || last < first || last >= tot {
		return Range{}
	}
	return Range{First: first, Last: last, Total: tot, Known: true}
}

// maxPages bounds the referential pagination loops.
const maxPages = 10000

// collect pages a referential list: offSet grows by the size of each page until the
// Content-Range total is reached, a page is short or empty.
func collect[T any](ctx context.Context, pageSize int, fetch func(offset int) ([]T, Range, error)) ([]T, error) {
	if pageSize <= 0 {
		pageSize = DefaultMaxResult
	}
	var all []T
	offset := 0
	for range maxPages {
		page, rg, err := fetch(offset)
		if err != nil {
			return all, err
		}
		all = append(all, page...)
		offset += len(page)
		if len(page) == 0 || len(page) < pageSize || (rg.Known && offset >= rg.Total) {
			return all, nil
		}
		if err := ctx.Err(); err != nil {
			return all, err
		}
	}
	return all, nil
}

// asciiHeader transliterates a partner header value to ASCII ("Université d'Exemple"
// → "Universite d'Exemple"): HTTP header values are ASCII (RFC 9110 §5.5), and a proxy
// or the hub's gateway may reject or garble raw UTF-8.
func asciiHeader(s string) string { return textfold.ASCII(s) }
