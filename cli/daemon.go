package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	"hypercerts/export"
	"hypercerts/logging"
	"hypercerts/metrics"
	"hypercerts/store"
	"hypercerts/ui"
	"hypercerts/ui/common"
	"hypercerts/ui/i18n"
)

// daemonJobs is the one list of the daemon's optional jobs, by name: each makes its job
// from the app, or nil when this configuration has nothing for it to do. (The
// campaign resumption and the Digiposte cycle, always there, are added by runDaemon.)
func daemonJobs() map[string]func(a *app.App) daemon.JobFunc {
	return map[string]func(a *app.App) daemon.JobFunc{
		daemon.JobHubEESync: hubeeSyncJob,
		daemon.JobPurge:     purgeJob,
	}
}

// sessionModel makes the model of each SSH session: the managers' TUI over the
// daemon's engine, styled with the session's renderer.
var sessionModel = func(a *app.App, bus *common.Bus) daemon.ModelFactory {
	return func(s ssh.Session, user domain.User) tea.Model {
		c := common.New(s.Context(), common.Options{Engine: a.Engine, User: user, Renderer: bm.MakeRenderer(s), MailDir: a.MailDir,
			Bus: bus, MailExport: mailExport(a)})
		return ui.New(c)
	}
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
	for name, mk := range daemonJobs() {
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
	if err := serveVerify(ctx, a, log); err != nil {
		return err
	}
	bus := common.NewBus()
	jobs[daemon.JobResumeCampaigns] = daemon.ResumeJob(a.Engine) // the engine's own, with news
	jobs[daemon.JobDigiposteCycle] = daemon.DigiposteJob(a.Engine)
	for name, fn := range jobs {
		jobs[name] = metrics.Job(m, name, withNews(bus, fn))
	}
	scheds := cfg.Daemon.Schedules.Jobs()
	// A job left out because it is not configured (hubee_sync without a démarche) is
	// not a warning at every start: its default schedule is dropped, and said at INFO.
	for name, mk := range daemonJobs() {
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
	// R22 is Digiposte's limit: not a warning for the demo's local folder standing for it.
	if w := config.DigiposteCycleWarning(scheds[daemon.JobDigiposteCycle], cfg.Delivery.TestMode || cfg.Digiposte.LocalDir != ""); w != "" {
		log.Warn("planification : " + w)
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
		sshOpts.Model = sessionModel(a, bus)
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
	minInterval := time.Duration(0) // a minute
	if *o.demo {
		minInterval = time.Second // the demo shows a Digiposte cycle in seconds
	}
	d, err := daemon.New(daemon.Options{Engine: a.Engine, Store: a.Store, Schedules: scheds, Jobs: jobs, MinInterval: minInterval,
		ResumeAtStart: true, ShutdownTimeout: cfg.Daemon.ShutdownTimeout, SSH: sshOpts, Watch: watch, Log: log})
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

// mailExport is how a session exports a preview over SSH: the CSV goes to the
// manager's own address (UTILISATEUR.ADR_MAIL_UTI, as for R17b) as an attachment; in
// test mode to the test address, like every mail.
func mailExport(a *app.App) func(ctx context.Context, user domain.User, e common.Export) (string, error) {
	return func(ctx context.Context, user domain.User, e common.Export) (string, error) {
		mailer := a.Engine.Deps().Mailer
		if mailer == nil {
			return "", errors.New("aucun envoi de courriel n'est configuré sur ce serveur (section mail)")
		}
		if user.Email == "" {
			//lint:ignore ST1005 Apogée is a proper noun
			return "", fmt.Errorf("Apogée ne connaît pas votre adresse électronique (UTILISATEUR.ADR_MAIL_UTI de %s) : faites-la renseigner", user.Code)
		}
		var buf bytes.Buffer
		if err := export.WritePreviewCSV(&buf, e.Rows); err != nil {
			return "", err
		}
		s := a.Engine.Settings()
		m := domain.Mail{Kind: domain.MailPreviewExport, CampaignID: "apercu", Ref: fmt.Sprint(time.Now().UnixNano()),
			To: user.Email, AttachmentName: e.Name, Attachment: buf.Bytes(),
			Data: domain.MailData{University: a.Config.University.Name, DiplomaLabel: e.What, YearLabel: e.YearLabel}}
		if s.TestMode && s.TestRecipient != "" {
			m.To, m.RealTo = s.TestRecipient, user.Email
			m.Data.TestMode, m.Data.RealTo = true, user.Email
		}
		if err := mailer.Send(ctx, m); err != nil {
			return "", err
		}
		return m.To, nil
	}
}
