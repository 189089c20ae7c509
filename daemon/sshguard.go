package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"hypercerts/connectors/cas"
	"hypercerts/domain"

	"hypercerts/internal/textfold"
)

// Defaults of the SSH login guard (SSHOptions).
const (
	// DefaultMaxAccountFailures is below the lock threshold of usual CAS servers (5):
	// hypercerts is never the reason an account gets locked.
	DefaultMaxAccountFailures = 3
	// DefaultMaxFailures per address is higher: a whole office behind one NAT address.
	DefaultMaxFailures   = 10
	DefaultFailureWindow = 10 * time.Minute
	// DefaultAuthTimeout: a connection not signed in by then is closed.
	DefaultAuthTimeout = 30 * time.Second
	// DefaultMaxPending connections not yet signed in, in all and per address.
	DefaultMaxPending        = 64
	DefaultMaxPendingPerAddr = 8
	// loginTries within one keyboard-interactive exchange before the connection ends.
	loginTries = 3
)

// limiter counts password attempts per source address and per account (R01). An
// attempt is reserved before CAS is called, so parallel tries cannot all get through
// a check made before any failure is counted; a successful login gives its attempt back.
type limiter struct {
	mu              sync.Mutex
	maxAddr, maxAcc int
	window          time.Duration
	addr, acc       map[string][]time.Time
}

func newLimiter(maxAddr, maxAcc int, window time.Duration) *limiter {
	if maxAddr <= 0 {
		maxAddr = DefaultMaxFailures
	}
	if maxAcc <= 0 {
		maxAcc = DefaultMaxAccountFailures
	}
	if window <= 0 {
		window = DefaultFailureWindow
	}
	return &limiter{maxAddr: maxAddr, maxAcc: maxAcc, window: window, addr: map[string][]time.Time{}, acc: map[string][]time.Time{}}
}

// attempt is a reserved try, given back by release when the login succeeds.
type attempt struct {
	addr, acc string
	at        time.Time
}

// reserve takes an attempt for (addr, account); when a limit is reached it returns
// false and how long until the oldest attempt leaves the window.
func (l *limiter) reserve(addr, account string, now time.Time) (attempt, time.Duration, bool) {
	account = strings.ToUpper(account)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forget(now)
	var wait time.Duration
	for _, c := range []struct {
		times []time.Time
		max   int
	}{{l.addr[addr], l.maxAddr}, {l.acc[account], l.maxAcc}} {
		if len(c.times) >= c.max {
			wait = max(wait, c.times[len(c.times)-c.max].Add(l.window).Sub(now))
		}
	}
	if wait > 0 {
		return attempt{}, wait, false
	}
	l.addr[addr] = append(l.addr[addr], now)
	l.acc[account] = append(l.acc[account], now)
	return attempt{addr: addr, acc: account, at: now}, 0, true
}

// release gives a reserved attempt back (the login succeeded, or CAS was not reached).
func (l *limiter) release(a attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	drop := func(m map[string][]time.Time, k string) {
		ts := m[k]
		for i, t := range ts {
			if t.Equal(a.at) {
				m[k] = append(ts[:i:i], ts[i+1:]...)
				break
			}
		}
		if len(m[k]) == 0 {
			delete(m, k)
		}
	}
	drop(l.addr, a.addr)
	drop(l.acc, a.acc)
}

// forget drops attempts older than the window: the maps stay as small as the recent tries.
func (l *limiter) forget(now time.Time) {
	for _, m := range []map[string][]time.Time{l.addr, l.acc} {
		for k, ts := range m {
			i := 0
			for i < len(ts) && now.Sub(ts[i]) >= l.window {
				i++
			}
			if i == len(ts) {
				delete(m, k)
			} else {
				m[k] = ts[i:]
			}
		}
	}
}

// gate bounds the connections not yet signed in, in all and per address, so that idle
// unauthenticated connections cannot exhaust the file descriptors.
type gate struct {
	mu          sync.Mutex
	max, perAdr int
	total       int
	byAddr      map[string]int
}

func (g *gate) enter(addr string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.total >= g.max || g.byAddr[addr] >= g.perAdr {
		return false
	}
	g.total++
	g.byAddr[addr]++
	return true
}

func (g *gate) leave(addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if g.byAddr[addr]--; g.byAddr[addr] <= 0 {
		delete(g.byAddr, addr)
	}
}

// pending is the state of one connection until it is signed in.
type pending struct {
	conn    net.Conn
	once    sync.Once
	leave   func()
	timer   *time.Timer
	mu      sync.Mutex
	reason  string // why the last password try failed (ASCII-safe French), for the banner
	stop    bool   // end the connection after the banner
	authed  bool
	timeout bool
}

func (p *pending) signedIn() {
	p.mu.Lock()
	p.authed = true
	p.mu.Unlock()
	p.timer.Stop()
	p.once.Do(p.leave)
}

func (p *pending) setFailure(reason string, stop bool) {
	p.mu.Lock()
	p.reason, p.stop = reason, stop
	p.mu.Unlock()
}

type pendingKey struct{}

// guard is the SSH server's login protection: limits, deadline, caps, feedback.
type guard struct {
	lim      *limiter
	gate     *gate
	timeout  time.Duration
	password func(ctx context.Context, user, password string) (domain.User, error)
	log      *slog.Logger
	now      func() time.Time
}

func newGuard(o SSHOptions, log *slog.Logger) *guard {
	g := &guard{lim: newLimiter(o.MaxFailures, o.MaxAccountFailures, o.FailureWindow), password: o.Password, log: log,
		gate: &gate{max: o.MaxPending, perAdr: o.MaxPendingPerAddr, byAddr: map[string]int{}}, timeout: o.AuthTimeout, now: time.Now}
	if g.gate.max <= 0 {
		g.gate.max = DefaultMaxPending
	}
	if g.gate.perAdr <= 0 {
		g.gate.perAdr = DefaultMaxPendingPerAddr
	}
	if g.timeout <= 0 {
		g.timeout = DefaultAuthTimeout
	}
	return g
}

// connCallback admits a new connection if the caps allow and arms its auth deadline.
func (g *guard) connCallback(ctx ssh.Context, c net.Conn) net.Conn {
	addr := hostOf(c.RemoteAddr())
	if !g.gate.enter(addr) {
		g.log.Warn("connexion SSH refusée : trop de connexions en cours d'authentification", "adresse", addr)
		return nil
	}
	p := &pending{conn: c, leave: func() { g.gate.leave(addr) }}
	p.timer = time.AfterFunc(g.timeout, func() {
		p.mu.Lock()
		authed := p.authed
		p.timeout = !authed
		p.mu.Unlock()
		if !authed {
			g.log.Warn("connexion SSH fermée : pas d'authentification dans le délai", "adresse", addr, "délai", g.timeout.String())
			c.Close()
		}
	})
	ctx.SetValue(pendingKey{}, p)
	return &guardedConn{Conn: c, p: p}
}

// guardedConn frees the connection's place in the gate when it closes before sign-in.
type guardedConn struct {
	net.Conn
	p *pending
}

func (c *guardedConn) Close() error {
	c.p.timer.Stop()
	c.p.once.Do(c.p.leave)
	return c.Conn.Close()
}

func pendingOf(ctx ssh.Context) *pending {
	p, _ := ctx.Value(pendingKey{}).(*pending)
	return p
}

// serverConfig adds the auth log callback: it frees the gate at sign-in, and after a
// refused password sends the reason as a French banner (ASCII-safe), then ends the
// connection when no further try makes sense.
func (g *guard) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{AuthLogCallback: func(conn gossh.ConnMetadata, method string, err error) {
		p := pendingOf(ctx)
		if p == nil {
			return
		}
		if err == nil {
			p.signedIn()
			return
		}
		if method != "password" && method != "keyboard-interactive" {
			return
		}
		p.mu.Lock()
		reason, stop := p.reason, p.stop
		p.reason = ""
		p.mu.Unlock()
		if b, ok := conn.(interface{ SendAuthBanner(string) error }); ok && reason != "" {
			msg := "hypercerts : " + reason + "\r\n"
			if stop {
				msg += "hypercerts : connexion fermee.\r\n"
			}
			_ = b.SendAuthBanner(msg)
		}
		if stop {
			p.conn.Close()
		}
	}}
}

// outcome of one password try.
type outcome struct {
	ok     bool
	reason string // ASCII-safe French, for the user
	final  bool   // no further try on this connection
}

// login checks one password: the attempt is reserved before CAS is called.
func (g *guard) login(ctx ssh.Context, password string) outcome {
	addr, user := hostOf(ctx.RemoteAddr()), ctx.User()
	att, wait, ok := g.lim.reserve(addr, user, g.now())
	if !ok {
		g.log.Warn("connexion SSH refusée : trop d'essais", "utilisateur", user, "adresse", addr, "attente", wait.Round(time.Second).String())
		return outcome{reason: fmt.Sprintf("trop d'essais : réessayez dans %d min.", int((wait+time.Minute-1)/time.Minute)), final: true}
	}
	u, err := g.password(ctx, user, password)
	if err == nil {
		g.lim.release(att)
		ctx.SetValue(userKey{}, u.Code)
		ctx.SetValue(signedInKey{}, u)
		return outcome{ok: true}
	}
	g.log.Warn("connexion SSH refusée", "utilisateur", user, "adresse", addr, "erreur", err)
	switch {
	case errors.Is(err, cas.ErrLocked):
		return outcome{reason: "compte verrouillé ou désactivé par le CAS : contactez le support informatique.", final: true}
	case errors.Is(err, cas.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		g.lim.release(att) // the password was not checked: no guess to count
		return outcome{reason: "CAS injoignable : réessayez dans quelques minutes.", final: true}
	}
	return outcome{reason: "mot de passe refusé."}
}

// password is the "password" method (clients without keyboard-interactive).
func (g *guard) passwordAuth(ctx ssh.Context, password string) bool {
	o := g.login(ctx, password)
	if p := pendingOf(ctx); p != nil && !o.ok {
		p.setFailure(ascii(o.reason), o.final)
	}
	return o.ok
}

// keyboardInteractive asks for the password up to loginTries times in one exchange,
// telling in the instruction why the previous try failed. OpenSSH shows prompts
// through a filter that mangles non-ASCII bytes: the text is folded to ASCII.
func (g *guard) keyboardInteractive(ctx ssh.Context, ch gossh.KeyboardInteractiveChallenge) bool {
	instruction := "Connexion CAS de l'université : votre identifiant et votre mot de passe habituels."
	var last outcome
	for range loginTries {
		answers, err := ch(ctx.User(), ascii(instruction), []string{ascii("Mot de passe : ")}, []bool{false})
		if err != nil || len(answers) != 1 {
			return false
		}
		last = g.login(ctx, answers[0])
		if last.ok {
			return true
		}
		if last.final {
			break
		}
		instruction = "Essai refusé : " + last.reason + " Réessayez."
	}
	if !last.final {
		last = outcome{reason: fmt.Sprintf("%d essais refusés.", loginTries), final: true}
	}
	if p := pendingOf(ctx); p != nil {
		p.setFailure(ascii(last.reason), true)
	}
	return false
}

// ascii folds French text to ASCII (é → e, « → "), for OpenSSH's prompt filter.
func ascii(s string) string { return textfold.ASCII(s) }

// agentRequest is OpenSSH's agent forwarding request: refused, no channel can be opened
// back to the client's agent (charmbracelet/ssh answers true by default).
const agentRequest = "auth-agent-req@openssh.com"

// noAgent wraps the session channel handler so that agent forwarding is refused.
func noAgent(next ssh.ChannelHandler) ssh.ChannelHandler {
	return func(srv *ssh.Server, conn *gossh.ServerConn, newChan gossh.NewChannel, ctx ssh.Context) {
		next(srv, conn, agentlessChannel{newChan}, ctx)
	}
}

type agentlessChannel struct{ gossh.NewChannel }

func (c agentlessChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := c.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
		for r := range reqs {
			if r.Type == agentRequest {
				if r.WantReply {
					_ = r.Reply(false, nil)
				}
				continue
			}
			out <- r
		}
	}()
	return ch, out, nil
}
