package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"hypercerts/domain"
)

// idleMax: a connection unused for longer is closed rather than reused (servers
// usually drop idle sessions after a few minutes).
const idleMax = 60 * time.Second

// SMTP sends the mails of R17 through an SMTP server with go-mail. It keeps up to
// MaxConns connections open and reuses them from one mail to the next, reconnects
// when the server dropped one, and is safe for concurrent use: each Send holds one
// connection for its whole transaction.
type SMTP struct {
	cfg    SMTPConfig
	comp   *composer
	client *gomail.Client // dial settings (host, TLS, HELO, auth); connections are ours
	log    *slog.Logger
	tls    *tls.Config
	from   string // envelope sender, "<addr>"

	slots chan struct{} // one token per send in flight (≤ MaxConns)
	idle  chan *conn    // connections ready for the next mail

	// noBDAT: the relay announced CHUNKING but answered BDAT as an unknown command;
	// DATA is used for the rest of the mailer's life (see deliver).
	noBDAT atomic.Bool
}

type conn struct {
	c        *smtp.Client
	raw      net.Conn // the TCP connection under it, closed on context cancellation
	chunking bool     // send with BDAT: the server offered CHUNKING (RFC 3030) and it is not turned off
	sent     int
	lastUsed time.Time
}

var _ domain.Mailer = (*SMTP)(nil)

// NewSMTP checks cfg and prepares the mailer; it does not connect (see Check).
// tpl nil means the embedded templates; log nil discards.
func NewSMTP(cfg SMTPConfig, tpl *Templates, log *slog.Logger) (*SMTP, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	comp, err := newComposer(tpl, cfg.From, cfg.ReplyTo, cfg.TestRecipient, log, "SMTP")
	if err != nil {
		return nil, err
	}
	s := &SMTP{
		cfg:   cfg,
		comp:  comp,
		log:   comp.log,
		tls:   &tls.Config{ServerName: cfg.Host, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		from:  (&netmail.Address{Address: comp.from.Address}).String(),
		slots: make(chan struct{}, cfg.MaxConns),
		idle:  make(chan *conn, cfg.MaxConns),
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(s.dialContext),
	}
	switch cfg.Security {
	case SecurityStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default: // tls: our dialer does the handshake; none: nothing to do
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	if cfg.Username != "" {
		mech := gomail.SMTPAuthType(cfg.AuthMechanism)
		if cfg.Security == SecurityNone {
			// A local relay without TLS: the password crosses in clear, as configured.
			switch mech {
			case gomail.SMTPAuthPlain:
				mech = gomail.SMTPAuthPlainNoEnc
			case gomail.SMTPAuthLogin:
				mech = gomail.SMTPAuthLoginNoEnc
			}
			comp.log.Warn("SMTP : authentification sans chiffrement (security: none)", "serveur", cfg.Host)
		}
		opts = append(opts, gomail.WithSMTPAuth(mech), gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password))
	}
	if s.client, err = gomail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("configuration SMTP : %w", err)
	}
	return s, nil
}

// Send renders m, then delivers it in one SMTP transaction (MAIL, RCPT, then BDAT
// when the server offers CHUNKING, DATA otherwise) on a pooled connection. Errors
// are *domain.ExternalError (see classify). A mail whose To is not the test address
// in test mode is refused before any connection.
func (s *SMTP) Send(ctx context.Context, m domain.Mail) error {
	msg, id, err := s.comp.compose(m)
	if err != nil {
		return err
	}
	// The whole message is written out before a connection is taken: BDAT needs its
	// size, and neither command then waits on composing.
	buf := getWireBuf()
	defer putWireBuf(buf)
	if err := msg.writeTo(&buf.b); err != nil {
		return s.comp.permanent("préparation", "%v", err)
	}
	body := buf.b.Bytes()
	if !canonical(body) {
		body = appendCanonical(nil, body)
	}
	rcpt := (&netmail.Address{Address: mustAddr(m.To)}).String()
	if err := s.deliver(ctx, body, rcpt); err != nil {
		return err
	}
	s.log.Debug("courriel envoyé", "id_message", id, "type", string(m.Kind),
		"campagne", m.CampaignID, "étudiant", m.StudentCode)
	return nil
}

// deliver runs the transaction for a composed message (canonical, see dot.go) on a
// pooled connection, once, or again when the server has not taken the message: a
// reused connection turned out to be dead before MAIL FROM was accepted, or the
// relay answered BDAT as an unknown command (then by DATA on a new connection).
func (s *SMTP) deliver(ctx context.Context, body []byte, rcpt string) error {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return classify("attente d'une connexion", ctx.Err())
	}
	defer func() { <-s.slots }()

	retried, fresh := false, false
	for {
		if err := ctx.Err(); err != nil {
			return classify("connexion", err)
		}
		var (
			cn     *conn
			reused bool
			err    error
		)
		if fresh {
			cn, err = s.dial(ctx)
		} else {
			cn, reused, err = s.get(ctx)
		}
		if err != nil {
			return classify("connexion", err)
		}
		stage, err := s.transact(ctx, cn, body, rcpt)
		if err == nil {
			s.put(cn)
			return nil
		}
		code := replyCode(err)
		// A reused connection the server has dropped fails at MAIL FROM, before the
		// server accepted anything: open a new one and try once more.
		if stage == "MAIL FROM" && reused && !retried && (code == 0 || code == 421) && ctx.Err() == nil {
			s.discard(cn)
			retried = true
			s.log.Debug("SMTP : connexion fermée par le serveur, reconnexion", "erreur", err)
			continue
		}
		// The relay (or a middlebox) announced CHUNKING but does not know BDAT: it
		// refused the command, so it did not take the message and sending it again
		// cannot make a duplicate. The session is dropped (the server may have read
		// the chunk as commands), DATA is used from now on, and the message goes
		// again at once on a new connection. This happens at most once per Send: with
		// noBDAT set, transact no longer sends BDAT.
		if stage == "BDAT" && bdatNotUnderstood(code) && ctx.Err() == nil {
			s.discard(cn)
			if s.noBDAT.CompareAndSwap(false, true) {
				s.log.Warn("SMTP : le relais annonce CHUNKING (RFC 3030) mais refuse BDAT ; "+
					"les courriels partent désormais par DATA (indiquez mail.smtp.chunking: false pour ne plus voir ce message)",
					"serveur", s.cfg.Host, "port", s.cfg.Port, "erreur", err)
			}
			fresh = true
			continue
		}
		// After a 4xx or 5xx (to BDAT too: RFC 3030 §2 asks for RSET after a failed
		// chunk) the session is still good, unless the server did not understand BDAT
		// (the context was cancelled meanwhile). Anything else (a timeout, a cut after
		// the message was sent) leaves the mail in doubt: the connection is dropped and
		// the mail is not sent again here.
		if code != 0 && code != 421 && !(stage == "BDAT" && bdatNotUnderstood(code)) && s.reset(cn) == nil {
			s.put(cn)
		} else {
			s.discard(cn)
		}
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return classify(stage, err)
	}
}

// transact runs one mail transaction; stage names the command that failed.
func (s *SMTP) transact(ctx context.Context, cn *conn, body []byte, rcpt string) (stage string, err error) {
	stop := context.AfterFunc(ctx, func() { _ = cn.raw.Close() })
	defer stop()
	c := cn.c
	if err := c.UpdateDeadline(s.cfg.Timeout); err != nil {
		return "MAIL FROM", err
	}
	if err := c.Mail(s.from); err != nil {
		return "MAIL FROM", err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return "RCPT TO", err
	}
	if cn.chunking && !s.noBDAT.Load() {
		if err := bdat(c, body, s.cfg.Timeout); err != nil {
			return "BDAT", err
		}
		return "", nil
	}
	if err := data(c, body, s.cfg.Timeout); err != nil {
		return "DATA", err
	}
	return "", nil
}

// data runs the DATA command as go-mail's Client.Data and its closer do (354, the
// message, "." and 250), on the connection's textproto.Conn, which this Send holds
// alone, with writeDotStuffed in place of textproto's byte-by-byte DotWriter.
func data(c *smtp.Client, body []byte, timeout time.Duration) error {
	t := c.Text
	id, err := t.Cmd("DATA")
	if err != nil {
		return err
	}
	t.StartResponse(id)
	_, _, err = t.ReadResponse(354)
	t.EndResponse(id)
	if err != nil {
		return err
	}
	if err := c.UpdateDeadline(timeout); err != nil { // the message itself gets a full timeout
		return err
	}
	if err := writeDotStuffed(t.W, body); err != nil {
		return err // the connection is discarded: the server waits for the end of data
	}
	_, _, err = t.ReadResponse(250)
	return err
}

// bdat sends the message as one chunk, "BDAT <size> LAST" followed by exactly size
// octets (RFC 3030 §2): no dot-stuffing on either side, the server reads a counted
// chunk. There is no intermediate reply: the one reply, after the chunk, is the
// message's acceptance, like DATA's after ".", and is handled the same way (a 4xx or
// 5xx is classified and the transaction reset with RSET, as RFC 3030 requires after
// a failed BDAT; a timeout or a cut leaves the mail in doubt and the connection is
// dropped).
func bdat(c *smtp.Client, body []byte, timeout time.Duration) error {
	t := c.Text
	if err := c.UpdateDeadline(timeout); err != nil { // the message gets a full timeout
		return err
	}
	id := t.Next()
	t.StartRequest(id)
	t.W.WriteString("BDAT ")
	t.W.WriteString(strconv.Itoa(len(body)))
	t.W.WriteString(" LAST\r\n")
	t.W.Write(body)
	err := t.W.Flush()
	t.EndRequest(id)
	t.StartResponse(id)
	defer t.EndResponse(id)
	if err != nil {
		// The write failed: the server may have refused BDAT at once (a relay that
		// does not implement it, a size it will not take) and closed without reading
		// the chunk. Its reply, if it came, is the outcome: a server cannot have
		// taken a chunk it did not receive whole, so a refusal read here is no doubt
		// (and a 500/501/502/504 lets deliver fall back to DATA). Without a refusal
		// the write error stands and the mail is in doubt.
		var tp *textproto.Error
		if _, _, rerr := t.ReadResponse(250); errors.As(rerr, &tp) && tp.Code >= 400 {
			return rerr
		}
		return err
	}
	_, _, err = t.ReadResponse(250)
	return err
}

// get takes an idle connection, or opens one.
func (s *SMTP) get(ctx context.Context) (*conn, bool, error) {
	for {
		select {
		case cn := <-s.idle:
			if time.Since(cn.lastUsed) > idleMax {
				s.discard(cn)
				continue
			}
			return cn, true, nil
		default:
			cn, err := s.dial(ctx)
			return cn, false, err
		}
	}
}

// put gives a connection back, or closes it after MaxPerConn mails.
func (s *SMTP) put(cn *conn) {
	cn.sent++
	cn.lastUsed = time.Now()
	if cn.sent >= s.cfg.MaxPerConn {
		s.quit(cn)
		return
	}
	select {
	case s.idle <- cn:
	default: // cannot happen: at most MaxConns connections exist
		s.quit(cn)
	}
}

func (s *SMTP) reset(cn *conn) error {
	if err := cn.c.UpdateDeadline(s.cfg.Timeout); err != nil {
		return err
	}
	return cn.c.Reset()
}

func (s *SMTP) quit(cn *conn) {
	_ = cn.c.UpdateDeadline(s.cfg.Timeout)
	if err := cn.c.Quit(); err != nil {
		_ = cn.raw.Close()
	}
}

func (s *SMTP) discard(cn *conn) {
	_ = cn.raw.Close()
	_ = cn.c.Close()
}

type slotKey struct{}

type connSlot struct{ raw net.Conn }

// dial opens a connection: TCP (and TLS for security: tls) by dialContext, then
// go-mail does EHLO, STARTTLS and AUTH. go-mail does not close the connection when
// one of those fails, so dialContext records it and we do.
func (s *SMTP) dial(ctx context.Context) (*conn, error) {
	slot := &connSlot{}
	c, err := s.client.DialToSMTPClientWithContext(context.WithValue(ctx, slotKey{}, slot))
	if err != nil {
		if slot.raw != nil {
			_ = slot.raw.Close()
		}
		return nil, err
	}
	cn := &conn{c: c, raw: slot.raw, lastUsed: time.Now()}
	cn.chunking, _ = c.Extension("CHUNKING")
	cn.chunking = cn.chunking && !s.cfg.DisableChunking
	return cn, nil
}

func (s *SMTP) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: s.cfg.Timeout}
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if slot, ok := ctx.Value(slotKey{}).(*connSlot); ok {
		slot.raw = raw
	}
	if s.cfg.Security != SecurityTLS {
		return raw, nil
	}
	tc := tls.Client(raw, s.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return tc, nil
}

// Check connects, says EHLO, does STARTTLS and AUTH as configured, then QUIT:
// nothing is sent. For `hypercerts doctor` and for the engine before the first
// student of a run (domain.RelayChecker). A failure is an *domain.ExternalError whose
// Msg ends with what to fix.
func (s *SMTP) Check(ctx context.Context) error {
	_, err := s.CheckRelay(ctx)
	return err
}

// CheckRelay is Check, and also says whether mails will go by BDAT: the relay lists
// CHUNKING in its EHLO reply and chunking is not turned off. (A relay that announces
// CHUNKING but refuses BDAT only shows it when a mail is sent: see deliver.)
func (s *SMTP) CheckRelay(ctx context.Context) (bdat bool, err error) {
	cn, err := s.dial(ctx)
	if err != nil {
		ee := classify("vérification du relais", err).(*domain.ExternalError)
		ee.Msg = strings.TrimPrefix(firstNonEmpty(ee.Msg, errText(ee.Err))+" ; "+relayAdvice(err), " ; ")
		return false, ee
	}
	bdat = cn.chunking && !s.noBDAT.Load()
	s.quit(cn)
	return bdat, nil
}

// Close ends the idle connections (QUIT). The SMTP stays usable: a later Send opens
// new ones.
func (s *SMTP) Close() error {
	for {
		select {
		case cn := <-s.idle:
			s.quit(cn)
		default:
			return nil
		}
	}
}

// Config gives the configuration in use, defaults applied (password included: do
// not log it; SMTPConfig's LogValue hides it).
func (s *SMTP) Config() SMTPConfig { return s.cfg }

func mustAddr(s string) string {
	a, err := parseAddr(s)
	if err != nil {
		return s
	}
	return a.Address
}

// LogValue hides the password when a configuration is logged with slog.
func (c SMTPConfig) LogValue() slog.Value {
	pw := ""
	if c.Password != "" {
		pw = "***"
	}
	return slog.GroupValue(
		slog.String("serveur", c.Host), slog.Int("port", c.Port),
		slog.String("sécurité", string(c.Security)), slog.String("compte", c.Username),
		slog.String("mot_de_passe", pw), slog.String("expéditeur", c.From),
		slog.String("destinataire_test", c.TestRecipient),
	)
}

// String hides the password when a configuration is printed with fmt.
func (c SMTPConfig) String() string {
	pw := ""
	if c.Password != "" {
		pw = "***"
	}
	return fmt.Sprintf("SMTP{host=%s port=%d security=%s user=%s password=%s from=%s}",
		c.Host, c.Port, c.Security, c.Username, pw, c.From)
}

// GoString hides the password for %#v as well.
func (c SMTPConfig) GoString() string { return c.String() }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
