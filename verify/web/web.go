// Package web is the public verification page the attestations' QR codes open: a
// small French page, readable on a phone and accessible, that says whether an
// attestation is authentic and shows what it states, or that it was revoked, or that
// the token is invalid. It shows nothing but what the token itself carries plus its
// revocation status: no listing, no search. Checks are rate-limited per client
// address; logs name the reference only.
package web

import (
	"context"
	"html/template"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/internal/httpserve"
	"hypercerts/verify"
)

// Options configure the handler.
type Options struct {
	University string
	// Keys gives the university's public keys (current and retired).
	Keys func() (attest.PublicKeys, error)
	// Checker holds the store's revocation look-up (its Keys are set from Keys).
	Checker verify.Checker
	// RatePerMinute bounds checks per client address (default 30).
	RatePerMinute int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client
	// (verify.trusted_proxies); empty: the header is ignored.
	TrustedProxies []netip.Prefix
	Log            *slog.Logger
	Now            func() time.Time
}

// Handler serves / (what this is), /a/TOKEN (a check) and the key list.
func Handler(o Options) http.Handler {
	if o.RatePerMinute <= 0 {
		o.RatePerMinute = 30
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &handler{o: o, lim: newLimiter(o.RatePerMinute, maxClients, o.Now)}
	mux := http.NewServeMux()
	// GET patterns answer HEAD too (net/http writes no body).
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET "+attest.PathPrefix+"{token}", h.check)
	mux.HandleFunc("GET "+attest.WellKnownPath, h.keys)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.page(w, http.StatusNotFound, pageData{Title: "Page introuvable", Verdict: "absent",
			Message: "Cette adresse ne correspond à aucune vérification. Scannez le QR code de l'attestation."})
	})
	return secure(onlyGet(h, mux))
}

// maxClients bounds the rate limiter's memory: past that many client addresses seen
// in a minute, the newcomers share one bucket (see limiter).
const maxClients = 10000

// onlyGet answers any other method than GET and HEAD with 405 and a French page: the
// page reads nothing, changes nothing. (The mux's catch-all would say 404.)
func onlyGet(h *handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			h.page(w, http.StatusMethodNotAllowed, pageData{Title: "Méthode non autorisée", Verdict: "absent",
				Message: "Cette page se consulte seulement : ouvrez l'adresse du QR code dans un navigateur."})
			return
		}
		next.ServeHTTP(w, r)
	})
}

type handler struct {
	o   Options
	lim *limiter
}

// secure sets the headers every answer carries: nothing cached (the URL holds the
// token), no referrer leaked, nothing but inline styles, no framing.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		hd.Set("X-Frame-Options", "DENY") // frame-ancestors for browsers that predate it
		next.ServeHTTP(w, r)
	})
}

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	h.page(w, http.StatusOK, pageData{Title: "Vérification des attestations", Verdict: "info",
		Message: "Pour vérifier une attestation de réussite de " + h.o.University +
			", scannez le QR code imprimé en bas de l'attestation avec l'appareil photo d'un téléphone."})
}

func (h *handler) keys(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r) { // each answer reads the base: limited like a check
		return
	}
	keys, err := h.o.Keys()
	if err != nil {
		h.o.Log.Warn("vérification : clés illisibles", "erreur", err)
		http.Error(w, "clés indisponibles", http.StatusServiceUnavailable)
		return
	}
	data, err := keys.JWKS()
	if err != nil {
		http.Error(w, "clés indisponibles", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=3600") // public keys: cacheable
	// Public data: a verifier's web page elsewhere may fetch it to check offline.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(data)
}

// allow spends one of the client's checks, or answers 429 and says false.
func (h *handler) allow(w http.ResponseWriter, r *http.Request) bool {
	if h.lim.allow(clientKey(r, h.o.TrustedProxies)) {
		return true
	}
	w.Header().Set("Retry-After", "60")
	h.page(w, http.StatusTooManyRequests, pageData{Title: "Trop de vérifications", Verdict: "absent",
		Message: "Trop de vérifications depuis votre adresse : réessayez dans une minute."})
	return false
}

func (h *handler) check(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r) {
		return
	}
	token := r.PathValue("token")
	if !isBase64URL(token) { // what a QR code of ours carries, nothing else: no store read
		h.o.Log.Info("vérification d'attestation", "référence", "", "résultat", string(verify.Invalid))
		h.page(w, http.StatusBadRequest, resultPage(verify.Result{Verdict: verify.Invalid}, h.o.University))
		return
	}
	keys, err := h.o.Keys()
	if err != nil {
		h.o.Log.Warn("vérification : clés illisibles", "erreur", err)
		h.page(w, http.StatusServiceUnavailable, pageData{Title: "Service indisponible", Verdict: "absent",
			Message: "La vérification est momentanément indisponible. Réessayez plus tard."})
		return
	}
	chk := h.o.Checker
	chk.Keys = keys
	res := chk.Token(token)
	// No personal data in logs: the reference and the verdict only. A token that is
	// not the university's may carry anything where the reference goes: only a
	// well-formed reference is logged.
	ref := res.Claims.Reference
	if _, err := domain.ParseReference(ref); err != nil {
		ref = ""
	}
	h.o.Log.Info("vérification d'attestation", "référence", ref, "résultat", string(res.Verdict))
	if res.Verdict == verify.Authentic && !res.RevocationChecked { // the operator must hear of it
		h.o.Log.Warn("vérification : révocation non vérifiée", "référence", ref, "erreur", strings.Join(res.Problems, " ; "))
	}
	status := http.StatusOK // the check was made: its verdict is the page's content
	if res.Verdict == verify.Invalid {
		status = http.StatusBadRequest // not a token at all
	}
	h.page(w, status, resultPage(res, h.o.University))
}

// isBase64URL says whether s is a non-empty base64url string (RFC 4648 §5, no padding)
// short enough to be a token.
func isBase64URL(s string) bool {
	if s == "" || len(s) > attest.MaxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

type pageData struct {
	Title, Verdict, Message string
	Fields                  [][2]string
	Details                 []string
	University              string
}

func resultPage(res verify.Result, university string) pageData {
	p := pageData{Verdict: string(res.Verdict), University: university}
	switch res.Verdict {
	case verify.Authentic:
		p.Title = "Attestation authentique"
		p.Message = "Cette attestation a bien été délivrée par " + res.Claims.Issuer + ". Vérifiez que le document présenté indique exactement ce qui suit."
		p.Fields = res.Claims.Fields()
		if !res.RevocationChecked { // never "authentique" without the caveat
			p.Title = "Attestation authentique, révocation non vérifiée"
			p.Details = append(p.Details, "Le statut de révocation n'a pas pu être vérifié : l'université a pu la révoquer. Réessayez plus tard avant de l'accepter.")
		}
	case verify.Revoked:
		p.Title = "Attestation révoquée"
		p.Message = "Cette attestation a été révoquée par l'université le " + res.Revocation.At.Format("02/01/2006") +
			". Motif : " + res.Revocation.Reason + ". Elle ne doit plus être acceptée."
		p.Fields = res.Claims.Fields()
	case verify.UnknownKey:
		p.Title = "Signature inconnue"
		p.Message = "Ce QR code n'a pas été signé par " + university + " : l'attestation n'est pas authentique."
	case verify.Modified:
		p.Title = "Attestation non valide"
		p.Message = "Le contenu de ce QR code a été modifié après sa signature : l'attestation n'est pas authentique."
	default:
		p.Title = "QR code invalide"
		p.Message = "Ce QR code n'est pas celui d'une attestation de " + university + ", ou il est incomplet."
	}
	return p
}

func (h *handler) page(w http.ResponseWriter, status int, p pageData) {
	if p.University == "" {
		p.University = h.o.University
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTpl.Execute(w, p); err != nil {
		h.o.Log.Warn("vérification : page non écrite", "erreur", err)
	}
}

// clientKey names the client for the rate limit. An IPv6 client usually holds a whole
// /64: one bucket per /64, or it could draw a fresh address for each request.
func clientKey(r *http.Request, trusted []netip.Prefix) string {
	addr, ok := clientAddr(r, trusted)
	if !ok {
		return r.RemoteAddr
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// clientAddr is the client's address: the connection's peer, or, when the peer is a
// trusted reverse proxy, the right-most X-Forwarded-For address that is not itself a
// trusted proxy (the entries to its left are the client's to write, so never read).
// A malformed entry met before that address, or a header from an untrusted peer, is
// not believed: the peer is the client. Every entry trusted: the left-most one.
func clientAddr(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok || !isTrusted(peer, trusted) {
		return peer, ok
	}
	// Several X-Forwarded-For lines are one list, in order (RFC 9110 §5.3).
	var entries []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		entries = append(entries, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(entries[i]))
		if !ok {
			return peer, true
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client, true
}

// parseAddr reads an address with or without a port (some proxies add it), unmapped
// (::ffff:192.0.2.1 is 192.0.2.1) and without its IPv6 zone.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(s)
		if err2 != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.WithZone("").Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// limiter is a token bucket per client, refilled at perMinute a minute. Its memory is
// bounded: buckets idle for a minute (full again) are forgotten, and past maxClients
// clients the newcomers share one overflow bucket, so a flood from many addresses
// slows down the flood's share, not the clients already known.
type limiter struct {
	mu         sync.Mutex
	perMinute  float64
	maxClients int
	now        func() time.Time
	buckets    map[string]*bucket
	overflow   bucket
	lastSweep  time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMinute, maxClients int, now func() time.Time) *limiter {
	return &limiter{perMinute: float64(perMinute), maxClients: maxClients, now: now, buckets: map[string]*bucket{},
		overflow: bucket{tokens: float64(perMinute), at: now()}}
}

func (l *limiter) allow(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) > time.Minute { // forget clients whose bucket is full again
		l.sweep(now)
	}
	b := l.buckets[client]
	if b == nil && len(l.buckets) >= l.maxClients {
		if now.Sub(l.lastSweep) > time.Second { // a sweep walks the whole table: not on every request
			l.sweep(now)
		}
		if len(l.buckets) >= l.maxClients {
			b = &l.overflow
		}
	}
	if b == nil {
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[client] = b
	}
	b.tokens = min(l.perMinute, b.tokens+max(0, now.Sub(b.at).Minutes())*l.perMinute)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.at) > time.Minute {
			delete(l.buckets, k)
		}
	}
	l.lastSweep = now
}

// clients is how many clients the limiter remembers (for tests).
func (l *limiter) clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// Timeouts of the public server: a client that sends its request slowly (slowloris)
// or reads the answer slowly is cut off; a request line or headers past
// maxHeaderBytes get 431 (a token is ~400 characters, its URL well under 1 KiB).
var (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 30 * time.Second
)

const maxHeaderBytes = 16 << 10

// Serve serves h on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return httpserve.Serve(ctx, ln, newServer(h))
}

func newServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: log.New(io.Discard, "", 0)} // net/http's own lines name client addresses
}

var pageTpl = template.Must(template.New("page").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}} — {{.University}}</title>
<style>
:root { color-scheme: light; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; font-size: 1.05rem; line-height: 1.5; color: #1b1b1b; background: #f6f6f6; }
header { background: #000091; color: #fff; padding: .9rem 1rem; }
header p { margin: 0; font-weight: 700; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
.verdict { border-radius: .5rem; padding: 1rem 1.1rem; margin: .5rem 0 1.2rem; border: 3px solid; background: #fff; }
.verdict h1 { font-size: 1.45rem; margin: 0 0 .4rem; }
.verdict p { margin: 0; }
.authentique { border-color: #18753c; } .authentique h1 { color: #18753c; }
.révoquée, .modifiée, .clé.inconnue, .illisible, .absent { border-color: #ce0500; } .révoquée h1, .modifiée h1, .clé.inconnue h1, .illisible h1, .absent h1 { color: #ce0500; }
.info { border-color: #000091; }
.mark { font-size: 1.6rem; margin-right: .4rem; }
dl { background: #fff; border-radius: .5rem; padding: .6rem 1.1rem; margin: 0; }
dt { font-weight: 700; font-size: .92rem; color: #3a3a3a; margin-top: .6rem; }
dd { margin: 0 0 .2rem; overflow-wrap: anywhere; font-size: 1.1rem; }
footer { font-size: .9rem; color: #3a3a3a; max-width: 40rem; margin: 0 auto; padding: 1rem; }
</style>
</head>
<body>
<header><p>{{.University}}</p></header>
<main>
<section class="verdict {{.Verdict}}" role="status" aria-live="polite">
<h1>{{if eq .Verdict "authentique"}}<span class="mark" aria-hidden="true">✔</span>{{else if eq .Verdict "info"}}{{else}}<span class="mark" aria-hidden="true">✖</span>{{end}}{{.Title}}</h1>
<p>{{.Message}}</p>
{{range .Details}}<p>{{.}}</p>{{end}}
</section>
{{if .Fields}}<h2 style="font-size:1.15rem">Ce que l'attestation indique</h2>
<dl>
{{range .Fields}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>
{{end}}</dl>{{end}}
</main>
<footer><p>Vérification fondée sur la signature électronique du QR code par l'université. Cette page n'affiche que ce que le QR code contient.</p></footer>
</body>
</html>
`))
