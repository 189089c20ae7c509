package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	bm "github.com/charmbracelet/wish/bubbletea"
	wrecover "github.com/charmbracelet/wish/recover"
	gossh "golang.org/x/crypto/ssh"

	"hypercerts/config"
	"hypercerts/domain"
)

// ModelFactory makes the root model of one SSH session (one tea.Program per session,
// over the daemon's one engine). Styles come from bubbletea.MakeRenderer(s), never
// from the global renderer (which reads the server's terminal).
type ModelFactory func(s ssh.Session, user domain.User) tea.Model

// SSHOptions configure the SSH server serving the TUI.
type SSHOptions struct {
	Listen string // daemon.ssh.listen, e.g. "127.0.0.1:2222" (":0" picks a port)
	// HostKey is the host key file, generated (ed25519) on first start and kept.
	HostKey string
	// AuthorizedKeys: Apogée user code → public keys in authorized_keys format
	// (daemon.ssh.authorized_keys). The SSH user name is the Apogée code.
	AuthorizedKeys map[string][]string
	IdleTimeout    time.Duration
	// Model makes each session's model; nil: Placeholder.
	Model ModelFactory
	// User completes the user signed in (name, e-mail) from its code; optional.
	User func(code string) domain.User
	// Password checks an SSH password (or keyboard-interactive answer) against CAS
	// (app.LoginFunc); nil: keys only (daemon.ssh.password_auth false).
	Password func(ctx context.Context, user, password string) (domain.User, error)
	// Password attempts within FailureWindow (default 10 min) before refusing outright:
	// MaxFailures per source address (default 10: an office behind one NAT address),
	// MaxAccountFailures per account (default 3, below CAS's own lock threshold).
	MaxFailures        int
	MaxAccountFailures int
	FailureWindow      time.Duration
	// AuthTimeout closes a connection not signed in by then (default 30 s).
	AuthTimeout time.Duration
	// MaxPending connections not yet signed in, in all and MaxPendingPerAddr per source
	// address (defaults 64 and 8): idle connections cannot exhaust the descriptors.
	MaxPending        int
	MaxPendingPerAddr int
}

type signedInKey struct{}

func hostOf(a net.Addr) string {
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

type userKey struct{}

// authorized is the parsed daemon.ssh.authorized_keys.
type authorized map[string][]ssh.PublicKey

func parseAuthorized(keys map[string][]string) (authorized, error) {
	a := authorized{}
	var errs []error
	for user, lines := range keys {
		for i, line := range lines {
			k, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
			if err != nil {
				errs = append(errs, fmt.Errorf("daemon.ssh.authorized_keys.%s[%d] : clé publique illisible (%v) ; attendu une ligne « ssh-ed25519 AAAA… commentaire »", user, i, err))
				continue
			}
			a[user] = append(a[user], k)
		}
	}
	return a, errors.Join(errs...)
}

// user finds the Apogée code an SSH user name and key sign in as.
func (a authorized) user(name string, key ssh.PublicKey) (string, bool) {
	for code, keys := range a {
		if code != name && !strings.EqualFold(code, name) {
			continue
		}
		if slices.ContainsFunc(keys, func(k ssh.PublicKey) bool { return ssh.KeysEqual(k, key) }) {
			return code, true
		}
	}
	return "", false
}

func newSSHServer(o SSHOptions, log *slog.Logger) (*ssh.Server, error) {
	auth, err := parseAuthorized(o.AuthorizedKeys)
	if err != nil {
		return nil, err
	}
	if len(auth) == 0 {
		log.Warn("aucune clé autorisée (daemon.ssh.authorized_keys) : personne ne peut se connecter en SSH")
	}
	if o.HostKey == "" {
		return nil, errors.New("daemon.ssh.host_key : chemin de la clé d'hôte SSH manquant")
	}
	if err := os.MkdirAll(filepath.Dir(o.HostKey), 0o700); err != nil {
		return nil, fmt.Errorf("daemon.ssh.host_key %s : %w", o.HostKey, err)
	}
	if _, err := os.Stat(o.HostKey); errors.Is(err, os.ErrNotExist) {
		log.Info("clé d'hôte SSH créée (ed25519)", "fichier", o.HostKey)
	}
	model := o.Model
	if model == nil {
		model = Placeholder
	}
	handler := func(s ssh.Session) (tea.Model, []tea.ProgramOption) {
		code, _ := s.Context().Value(userKey{}).(string)
		user := domain.User{Code: code}
		if u, ok := s.Context().Value(signedInKey{}).(domain.User); ok {
			user = u
		} else if o.User != nil {
			user = o.User(code)
		}
		// Without its own signal handler: every session's program would otherwise quit
		// on the daemon's SIGTERM at once, before the farewell (ui: BusMsg.Closing)
		// could be drawn. The daemon's stop ends the sessions itself.
		return model(s, user), []tea.ProgramOption{tea.WithAltScreen(), tea.WithoutSignalHandler()}
	}
	logger := slogPrintf{log}
	opts := []ssh.Option{
		wish.WithHostKeyPath(o.HostKey),
		wish.WithPublicKeyAuth(func(ctx ssh.Context, key ssh.PublicKey) bool {
			code, ok := auth.user(ctx.User(), key)
			if ok {
				ctx.SetValue(userKey{}, code)
			} else {
				log.Warn("connexion SSH refusée", "utilisateur", ctx.User(), "adresse", ctx.RemoteAddr().String(),
					"clé", gossh.FingerprintSHA256(key))
			}
			return ok
		}),
		// The last listed runs first: logging, then activeterm, then the program.
		wish.WithMiddleware(wrecover.MiddlewareWithLogger(logger,
			bm.Middleware(handler),
			requirePTY(),
			sessionLog(log),
		)),
	}
	if o.Password != nil {
		g := newGuard(o, log)
		opts = append(opts,
			wish.WithPasswordAuth(g.passwordAuth),
			wish.WithKeyboardInteractiveAuth(g.keyboardInteractive),
			func(s *ssh.Server) error {
				s.ConnCallback = g.connCallback
				s.ServerConfigCallback = g.serverConfig
				return nil
			})
	} else {
		g := newGuard(o, log) // keys only: the caps and the deadline still apply
		opts = append(opts, func(s *ssh.Server) error {
			s.ConnCallback = g.connCallback
			s.ServerConfigCallback = g.serverConfig
			return nil
		})
	}
	opts = append(opts, func(s *ssh.Server) error {
		s.ChannelHandlers = map[string]ssh.ChannelHandler{"session": noAgent(ssh.DefaultSessionHandler)}
		return nil
	})
	if o.IdleTimeout > 0 {
		opts = append(opts, wish.WithIdleTimeout(o.IdleTimeout))
	}
	srv, err := wish.NewServer(opts...)
	if err != nil {
		return nil, fmt.Errorf("serveur SSH (clé d'hôte %s) : %w", o.HostKey, err)
	}
	return srv, nil
}

// requirePTY refuses a session without a terminal, in French (wish's activeterm says
// "Requires an active PTY").
func requirePTY() wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(s ssh.Session) {
			if _, _, ok := s.Pty(); !ok {
				wish.Fatalln(s, "hypercerts : l'interface a besoin d'un terminal interactif (PTY) ; connectez-vous avec « ssh -t … » depuis un terminal")
				return
			}
			next(s)
		}
	}
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("daemon.ssh.listen %s : écoute impossible (%v) ; port déjà pris par un autre démon ?", addr, err)
	}
	return ln, nil
}

// sessionLog logs each SSH session's opening and closing with the log vocabulary of
// docs/ops.md (wish's logging middleware writes "connect"/"disconnect" lines in
// English, with positional fields).
func sessionLog(log *slog.Logger) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(s ssh.Session) {
			start := time.Now()
			pty, _, _ := s.Pty()
			log.Info("session SSH ouverte", "utilisateur", s.User(), "adresse", s.RemoteAddr().String(),
				"terminal", fmt.Sprintf("%s %dx%d", pty.Term, pty.Window.Width, pty.Window.Height), "client", s.Context().ClientVersion())
			next(s)
			log.Info("session SSH fermée", "utilisateur", s.User(), "adresse", s.RemoteAddr().String(),
				"durée", time.Since(start).Round(time.Millisecond).String())
		}
	}
}

// slogPrintf gives wish's Printf loggers to slog.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, v ...any) {
	l.log.Info("ssh : " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}

// InUseMessage is what a local `hypercerts` says when the daemon holds the store: use
// the TUI the daemon serves over SSH.
func InUseMessage(cfg *config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "la base %s est tenue par le démon hypercerts", cfg.Store.Path)
	if s, err := ReadHealthFile(HealthFilePath(cfg.Store.Path)); err == nil && s.Running() {
		fmt.Fprintf(&b, " (pid %d, démarré le %s)", s.PID, s.Started.Local().Format("02/01/2006 15:04"))
	}
	b.WriteString(".\n")
	if cmd := SSHCommand(cfg); cmd != "" {
		fmt.Fprintf(&b, "Connectez-vous à l'interface qu'il sert :\n\n    %s\n\n", cmd)
		b.WriteString("(avec une clé déclarée pour votre code Apogée dans daemon.ssh.authorized_keys)")
	} else {
		b.WriteString("Le démon ne sert pas l'interface en SSH (daemon.ssh.listen vide) : arrêtez-le avant de relancer.")
	}
	return b.String()
}

// SSHCommand is the ssh command line to reach the daemon's TUI, "" when SSH is off.
func SSHCommand(cfg *config.Config) string {
	listen := cfg.Daemon.SSH.Listen
	if s, err := ReadHealthFile(HealthFilePath(cfg.Store.Path)); err == nil && s.Running() && s.SSH != "" {
		listen = s.SSH // the port really used
	}
	if listen == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		host, port = listen, "22"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if h, err := os.Hostname(); err == nil {
			host = h
		} else {
			host = "localhost"
		}
	}
	user := "CODE_APOGEE"
	if len(cfg.Daemon.SSH.AuthorizedKeys) == 1 {
		for code := range cfg.Daemon.SSH.AuthorizedKeys {
			user = code
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("ssh -p %s %s@%s", port, user, host)
}

// Placeholder is the session model used until the TUI (package ui) is plugged in: it
// says who is signed in and quits on q or Ctrl-C.
func Placeholder(s ssh.Session, user domain.User) tea.Model {
	r := bm.MakeRenderer(s)
	return placeholder{user: user, title: r.NewStyle().Bold(true), faint: r.NewStyle().Faint(true)}
}

type placeholder struct {
	user         domain.User
	width        int
	title, faint lipgloss.Style
}

func (m placeholder) Init() tea.Cmd { return nil }

func (m placeholder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m placeholder) View() string {
	return m.title.Render("hypercerts — attestations de réussite") + "\n\n" +
		"Connecté au démon en tant que " + m.user.Code + ".\n\n" +
		m.faint.Render("q : quitter")
}
