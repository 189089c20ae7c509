// Package serve assembles the daemon (`hypercerts --daemon`): it opens the app, makes
// the jobs (Jobs, the one list), serves the control socket (live backups), the
// Prometheus metrics, the public verification page and the managers' UI over SSH,
// watches Apogée, plays Digiposte in the demo, and runs daemon.Daemon until ctx ends
// (SIGTERM/SIGINT), telling connected managers why before their sessions close.
//
// The daemon package is the mechanism (schedules, health, SSH server); this package
// is the one place that wires it to the product. cli only parses the flags:
//
//	err := serve.Run(ctx, serve.Options{App: opts, Log: stderr, Schedules: overrides})
package serve

import (
	"context"
	"errors"
	"io"
	"maps"
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
	"hypercerts/ui/i18n"
)

// Options are what the command line gives the daemon; everything else is in the
// configuration.
type Options struct {
	// App says how to open the app (--demo, --config…); Log and Metrics are the
	// daemon's own and are set by Run.
	App app.Options
	// LogTo receives the log (stderr: journald under systemd), set up from the
	// configuration's log section.
	LogTo  io.Writer
	Getenv func(string) string
	// Schedules override daemon.schedules, by job name (--schedule JOB=CRON).
	Schedules map[string]string
	// SSHListen overrides daemon.ssh.listen ("": the configuration's; "off": no SSH
	// server).
	SSHListen string
	// AuthorizedKeys are added to daemon.ssh.authorized_keys, by Apogée user code
	// (--ssh-authorized-key).
	AuthorizedKeys map[string][]string
	// Model makes each SSH session's model; nil: the managers' UI (SessionModel).
	Model func(a *app.App, bus *common.Bus) daemon.ModelFactory
}

// Jobs is the one list of the daemon's jobs, by name: each makes its job from the app,
// or nil when this configuration gives it nothing to do (its default schedule is then
// dropped). A new job is one line here.
func Jobs() map[string]func(a *app.App) daemon.JobFunc {
	return map[string]func(a *app.App) daemon.JobFunc{
		daemon.JobResumeCampaigns: resumeJob,
		daemon.JobDigiposteCycle:  digiposteJob,
		daemon.JobHubEESync:       hubeeSyncJob,
		daemon.JobPurge:           purgeJob,
	}
}

// demoSimulatorEvery is how often the demo's Digiposte simulator plays Digiposte.
const demoSimulatorEvery = 30 * time.Second

// Run opens the app and runs the daemon until ctx ends; it returns nil after a clean
// stop.
func Run(ctx context.Context, o Options) error {
	cfg, err := app.LoadConfig(o.App)
	if err != nil {
		return err
	}
	if o.Getenv == nil {
		o.Getenv = o.App.Getenv
	}
	log := logging.New(cfg.Log, o.LogTo, o.Getenv) // journald-friendly under systemd
	var m *metrics.Metrics                         // Prometheus metrics, when daemon.metrics.listen is set
	if cfg.Daemon.Metrics.Listen != "" {
		m = metrics.New()
	}
	opts := o.App
	opts.Log, opts.Metrics = log, m
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

	bus := common.NewBus()
	jobs, scheds := schedule(a, o.Schedules, bus, m)
	if m != nil {
		m.WatchCampaigns(a.Store)
		mln, err := metrics.Listen(cfg.Daemon.Metrics.Listen)
		if err != nil {
			return err
		}
		go m.Serve(ctx, mln)
		log.Info("métriques servies", "adresse", mln.Addr().String())
	}
	if err := a.ServeVerifyPage(ctx); err != nil {
		return err
	}
	// R22 is Digiposte's limit: not a warning for the demo's local folder standing for it.
	if w := config.DigiposteCycleWarning(scheds[daemon.JobDigiposteCycle], cfg.Delivery.TestMode || cfg.Digiposte.LocalDir != ""); w != "" {
		log.Warn("planification : " + w)
	}
	sshOpts, err := sshOptions(ctx, a, o, bus)
	if err != nil {
		return err
	}
	minInterval := time.Duration(0) // a minute
	if o.App.Demo {
		minInterval = time.Second // the demo shows a Digiposte cycle in seconds
	}
	d, err := daemon.New(daemon.Options{Engine: a.Engine, Store: a.Store, Schedules: scheds, Jobs: jobs, MinInterval: minInterval,
		ResumeAtStart: true, ShutdownTimeout: cfg.Daemon.ShutdownTimeout, SSH: sshOpts, Watch: watchApogee(a, m), Log: log})
	if err != nil {
		return err
	}
	if a.DigiposteSim != nil { // demo: Digiposte is played on the local folder
		simCtx, stopSim := context.WithCancel(context.Background())
		defer stopSim()
		go a.DigiposteSim.Run(simCtx, demoSimulatorEvery)
		log.Info("démo : simulateur Digiposte actif", "dossier", cfg.Digiposte.LocalDir, "intervalle", demoSimulatorEvery.String())
	}
	// SIGTERM/SIGINT end ctx: every manager connected is told why, then the clean
	// stop (exit 0) closes the sessions.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	go func() {
		select {
		case <-ctx.Done():
			bus.Close(i18n.ClosingReason)
			time.Sleep(time.Second) // the sessions draw the notice
			stopRun()
		case <-runCtx.Done():
		}
	}()
	return d.Run(runCtx)
}

// schedule makes the jobs (each telling the open sessions when it ran, and counted in
// the metrics) and their schedules: daemon.schedules with the overrides. A job left
// out because it is not configured (hubee_sync without a démarche) is not a warning at
// every start: its default schedule is dropped, and said at INFO.
func schedule(a *app.App, overrides map[string]string, bus *common.Bus, m *metrics.Metrics) (map[string]daemon.JobFunc, map[string]string) {
	jobs := map[string]daemon.JobFunc{}
	scheds := a.Config.Daemon.Schedules.Jobs()
	for name, mk := range Jobs() {
		job := mk(a)
		if job == nil {
			if _, asked := overrides[name]; !asked && scheds[name] != "" {
				a.Log.Info("tâche non planifiée : rien à faire dans cette configuration", "tâche", name)
				delete(scheds, name)
			}
			continue
		}
		jobs[name] = metrics.Job(m, name, withNews(bus, job))
	}
	maps.Copy(scheds, overrides)
	return jobs, scheds
}

// withNews makes a job tell every open session when it ran (campaigns resumed, a
// Digiposte cycle, a HubEE sync, a purge): their screens refresh by themselves.
func withNews(bus *common.Bus, fn daemon.JobFunc) daemon.JobFunc {
	return func(ctx context.Context) (daemon.Result, error) {
		res, err := fn(ctx)
		bus.Changed()
		return res, err
	}
}

// sshOptions is the SSH server's settings: daemon.ssh with the command line's
// overrides; a key's owner acts as that Apogée user; with daemon.ssh.password_auth,
// passwords are checked against CAS (R01).
func sshOptions(ctx context.Context, a *app.App, o Options, bus *common.Bus) (daemon.SSHOptions, error) {
	c := a.Config.Daemon.SSH
	so := daemon.SSHOptions{Listen: c.Listen, HostKey: c.HostKey, AuthorizedKeys: c.AuthorizedKeys, IdleTimeout: c.IdleTimeout}
	switch o.SSHListen {
	case "":
	case "off":
		so.Listen = ""
	default:
		so.Listen = o.SSHListen
	}
	if len(o.AuthorizedKeys) > 0 {
		keys := maps.Clone(so.AuthorizedKeys)
		if keys == nil {
			keys = map[string][]string{}
		}
		for code, ks := range o.AuthorizedKeys {
			keys[code] = append(keys[code], ks...)
		}
		so.AuthorizedKeys = keys
	}
	so.User = func(code string) domain.User {
		if a.User.Code != "" && strings.EqualFold(a.User.Code, code) {
			return a.User
		}
		if u, err := a.Apogee.DB.User(ctx, code); err == nil {
			return u
		}
		return domain.User{Code: code}
	}
	if c.PasswordAuth {
		login, err := a.LoginFunc()
		if err != nil {
			return so, err
		}
		so.Password = login
	}
	model := o.Model
	if model == nil {
		model = SessionModel
	}
	so.Model = model(a, bus)
	return so, nil
}

// SessionModel makes the model of each SSH session: the managers' TUI over the
// daemon's engine, styled with the session's renderer (never the global one, which
// reads the server's terminal); a preview's CSV export is mailed to the manager.
func SessionModel(a *app.App, bus *common.Bus) daemon.ModelFactory {
	return func(s ssh.Session, user domain.User) tea.Model {
		c := common.New(s.Context(), common.Options{Engine: a.Engine, User: user, Renderer: bm.MakeRenderer(s), MailDir: a.MailDir,
			Bus: bus, MailExport: mailExport(a)})
		return ui.New(c)
	}
}

// watchApogee checks Apogée at start and then on the daemon's rhythm. Apogée may be
// down at start: the daemon serves the UI and the store anyway, and reports it in
// status, /healthz and hypercerts_dependency_up until it answers.
func watchApogee(a *app.App, m *metrics.Metrics) []daemon.DependencyCheck {
	var down atomic.Pointer[string]
	if a.ApogeeErr != nil {
		msg := a.ApogeeErr.Error()
		down.Store(&msg)
	}
	if m != nil {
		m.SetHealth(func(context.Context) error {
			if p := down.Load(); p != nil {
				return errors.New("Apogée indisponible : " + *p)
			}
			return nil
		})
	}
	return []daemon.DependencyCheck{{Name: "Apogée", Check: func(ctx context.Context) error {
		err := a.CheckApogee(ctx)
		if err != nil {
			msg := err.Error()
			down.Store(&msg)
		} else {
			down.Store(nil)
		}
		return err
	}, OnResult: func(up bool) { m.SetAvailable("Apogée", up) }}}
}
