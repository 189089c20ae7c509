package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	bm "github.com/charmbracelet/wish/bubbletea"

	"hypercerts/app"
	"hypercerts/config"
	"hypercerts/control"
	"hypercerts/daemon"
	"hypercerts/domain"
	"hypercerts/logging"
	"hypercerts/metrics"
	"hypercerts/store"
	"hypercerts/ui"
	"hypercerts/ui/common"
	"hypercerts/verify"
	"hypercerts/verify/web"
)

func init() {
	register(command{name: "daemon", summary: "mode serveur (--daemon) : tâches planifiées, interface servie en SSH", run: runDaemon})
}

// daemonJobs lets other parts of the CLI add daemon jobs by name (the HubEE sync, the
// purge) from their own file, in an init: daemonJobs[daemon.JobHubEESync] = func(a) {…}.
var daemonJobs = map[string]func(a *app.App) daemon.JobFunc{}

// sessionModel makes the model of each SSH session: the managers' TUI over the
// daemon's engine, styled with the session's renderer.
var sessionModel = func(a *app.App) daemon.ModelFactory {
	return func(s ssh.Session, user domain.User) tea.Model {
		c := common.New(s.Context(), common.Options{Engine: a.Engine, User: user, Renderer: bm.MakeRenderer(s), MailDir: a.MailDir})
		return ui.New(c)
	}
}

// demoSimulatorEvery is how often the demo's Digiposte simulator plays Digiposte.
const demoSimulatorEvery = 30 * time.Second

func runDaemon(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "daemon", `hypercerts --daemon [--demo | --config FICHIER] [--schedule TÂCHE=CRON ...] [--ssh-listen ADRESSE] [--ssh-authorized-key CODE=FICHIER.pub ...]

Mode serveur : reprend les campagnes interrompues, lance les tâches planifiées
(daemon.schedules : resume_campaigns, digiposte_cycle, hubee_sync, purge), sert
l'interface des gestionnaires en SSH et s'arrête proprement sur SIGTERM.

Exemples :
  hypercerts --daemon --config /etc/hypercerts/application.yaml
  hypercerts --daemon --demo --ssh-authorized-key gestionnaire=$HOME/.ssh/id_ed25519.pub
  hypercerts --daemon --demo --schedule 'digiposte_cycle=@every 1m'`)
	o := addAppFlags(fs)
	fs.Bool("daemon", true, "mode serveur (implicite pour cette commande)")
	var schedules multiFlag
	fs.Var(&schedules, "schedule", "remplace une planification, ex. digiposte_cycle='@every 2m' (répétable)")
	sshListen := fs.String("ssh-listen", "", "remplace daemon.ssh.listen (\"off\" : pas de serveur SSH)")
	var sshKeys multiFlag
	fs.Var(&sshKeys, "ssh-authorized-key", "ajoute une clé publique SSH d'un utilisateur Apogée : CODE=FICHIER.pub (répétable ; utile en démo)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(o)
	if err != nil {
		return err
	}
	log := logging.New(cfg.Log, env.Stderr, env.Getenv) // journald-friendly under systemd
	overrides := map[string]string{}
	for _, s := range schedules {
		name, spec, ok := strings.Cut(s, "=")
		if _, known := cfg.Daemon.Schedules.Jobs()[name]; !ok || !known {
			return fmt.Errorf("--schedule %q : attendu TÂCHE=CRON avec TÂCHE parmi resume_campaigns, digiposte_cycle, hubee_sync, purge", s)
		}
		overrides[name] = spec
	}

	var m *metrics.Metrics // Prometheus metrics, when daemon.metrics.listen is set
	if cfg.Daemon.Metrics.Listen != "" {
		m = metrics.New()
	}
	opts := o.options(env, false)
	opts.Log = log
	opts.Metrics = m
	a, err := app.Open(ctx, opts)
	if err != nil {
		if errors.Is(err, store.ErrInUse) {
			return errors.New("un démon tourne déjà sur cette base ; " + daemon.InUseMessage(cfg))
		}
		return err
	}
	defer a.Close() // after Run: the store is flushed and closed last
	cfg = a.Config
	for _, w := range cfg.SecurityWarnings() {
		log.Warn("sécurité : " + w)
	}

	// Backups while the daemon runs go through a local socket next to the store.
	ctl, err := control.Listen(control.SocketPath(a.Store.Path()))
	if err != nil {
		return err
	}
	go control.ServeListener(ctx, ctl, a.Store)

	jobs := map[string]daemon.JobFunc{
		daemon.JobResumeCampaigns: daemon.ResumeJob(a.Engine),
		daemon.JobDigiposteCycle:  daemon.DigiposteJob(a.Engine),
	}
	for name, mk := range daemonJobs {
		if job := mk(a); job != nil {
			jobs[name] = job
		}
	}
	if m != nil {
		m.WatchCampaigns(a.Store)
		mln, err := metrics.Listen(cfg.Daemon.Metrics.Listen)
		if err != nil {
			return err
		}
		go m.Serve(ctx, mln)
		log.Info("métriques servies", "adresse", mln.Addr().String())
	}
	if cfg.Verify.Listen != "" { // the public verification page (docs/verify.md)
		vln, err := net.Listen("tcp", cfg.Verify.Listen)
		if err != nil {
			return fmt.Errorf("verify.listen %s : %w", cfg.Verify.Listen, err)
		}
		go web.Serve(ctx, vln, web.Handler(web.Options{University: cfg.University.Name,
			Keys: a.Store.AttestationPublicKeys, Checker: verify.Checker{Revoked: a.Engine.Revoked},
			RatePerMinute: cfg.Verify.RateLimit, Log: log}))
		log.Info("page de vérification des attestations servie", "adresse", vln.Addr().String(), "adresse_publique", cfg.Verify.PublicURL)
	}
	for name, fn := range jobs {
		jobs[name] = metrics.Job(m, name, fn)
	}
	scheds := cfg.Daemon.Schedules.Jobs()
	// A job left out because it is not configured (hubee_sync without a démarche) is
	// not a warning at every start: its default schedule is dropped, and said at INFO.
	for name, mk := range daemonJobs {
		if _, ok := jobs[name]; !ok && mk(a) == nil && scheds[name] != "" {
			if _, asked := overrides[name]; !asked {
				a.Log.Info("tâche non planifiée : rien à faire dans cette configuration", "tâche", name)
				delete(scheds, name)
			}
		}
	}
	for name, spec := range overrides {
		scheds[name] = spec
	}
	sshOpts := daemon.SSHOptions{Listen: cfg.Daemon.SSH.Listen, HostKey: cfg.Daemon.SSH.HostKey,
		AuthorizedKeys: cfg.Daemon.SSH.AuthorizedKeys, IdleTimeout: cfg.Daemon.SSH.IdleTimeout}
	switch *sshListen {
	case "":
	case "off":
		sshOpts.Listen = ""
	default:
		sshOpts.Listen = *sshListen
	}
	for _, kv := range sshKeys {
		code, file, ok := strings.Cut(kv, "=")
		b, err := os.ReadFile(file)
		if !ok || code == "" || err != nil {
			return fmt.Errorf("--ssh-authorized-key %q : attendu CODE=FICHIER.pub lisible (%v)", kv, err)
		}
		keys := map[string][]string{}
		for k, v := range sshOpts.AuthorizedKeys {
			keys[k] = v
		}
		keys[code] = append(keys[code], strings.TrimSpace(string(b)))
		sshOpts.AuthorizedKeys = keys
	}
	sshOpts.User = func(code string) domain.User { // a key's owner acts as that Apogée user
		if a.User.Code != "" && strings.EqualFold(a.User.Code, code) {
			return a.User
		}
		if u, err := a.Apogee.DB.User(ctx, code); err == nil {
			return u
		}
		return domain.User{Code: code}
	}
	if cfg.Daemon.SSH.PasswordAuth { // R01 over SSH: password checked against CAS
		login, err := a.LoginFunc()
		if err != nil {
			return err
		}
		sshOpts.Password = login
	}
	if sessionModel != nil {
		sshOpts.Model = sessionModel(a)
	}
	// Apogée may be down at start: the daemon serves the UI and the store anyway, and
	// reports it in status, /healthz and hypercerts_dependency_up until it answers.
	var apogeeDown atomic.Pointer[string]
	if a.ApogeeErr != nil {
		msg := a.ApogeeErr.Error()
		apogeeDown.Store(&msg)
	}
	if m != nil {
		m.SetHealth(func(context.Context) error {
			if p := apogeeDown.Load(); p != nil {
				return errors.New("Apogée indisponible : " + *p)
			}
			return nil
		})
	}
	watch := []daemon.DependencyCheck{{Name: "Apogée", Check: func(ctx context.Context) error {
		err := a.CheckApogee(ctx)
		if err != nil {
			msg := err.Error()
			apogeeDown.Store(&msg)
		} else {
			apogeeDown.Store(nil)
		}
		return err
	}, OnResult: func(up bool) { m.SetAvailable("Apogée", up) }}}
	d, err := daemon.New(daemon.Options{Engine: a.Engine, Store: a.Store, Schedules: scheds, Jobs: jobs,
		ResumeAtStart: true, ShutdownTimeout: cfg.Daemon.ShutdownTimeout, SSH: sshOpts, Watch: watch, Log: log})
	if err != nil {
		return err
	}
	if a.DigiposteSim != nil { // demo: Digiposte is played on the local folder
		simCtx, stopSim := context.WithCancel(context.Background())
		defer stopSim()
		go a.DigiposteSim.Run(simCtx, demoSimulatorEvery)
		log.Info("démo : simulateur Digiposte actif", "dossier", cfg.Digiposte.LocalDir, "pas", demoSimulatorEvery.String())
	}
	return d.Run(ctx) // SIGTERM/SIGINT end ctx: clean stop, exit 0
}

// loadConfig reads the configuration the app flags name (the demo's, or the file).
func loadConfig(o *appFlags) (*config.Config, error) {
	if *o.demo {
		dir := *o.demoDir
		if dir == "" {
			dir = app.DefaultDemoDir
		}
		return config.Demo(dir), nil
	}
	return config.Load(*o.config)
}

// newLogger is log/slog as the configuration says (log.level, log.format), on stderr.
