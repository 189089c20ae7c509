package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"hypercerts/app"
	"hypercerts/config"
	"hypercerts/daemon"
	"hypercerts/internal/safefile"
	"hypercerts/store"
	"hypercerts/ui"
	"hypercerts/ui/common"
	loginui "hypercerts/ui/login"
)

func runUI(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "ui", `hypercerts [ui] [--demo | --config FICHIER] [--log FICHIER]

L'interface en terminal des gestionnaires : campagnes, nouvelle campagne, aperçu,
lancement, suivi, relance, télédossiers HubEE. Connexion par le CAS de l'université
(sauf démonstration). Si le démon tient la base, utilisez l'interface qu'il sert en SSH.

Exemples :
  hypercerts --demo
  hypercerts --config /etc/hypercerts/application.yaml`)
	o := addAppFlags(fs)
	logPath := fs.String("log", "", "journal de l'interface (défaut : hypercerts.log, dans le dossier de démonstration avec --demo)")
	if err := parse(fs, args); err != nil {
		return err
	}
	// The terminal belongs to the UI: the log goes to a file.
	if *logPath == "" {
		*logPath = "hypercerts.log"
		if *o.demo {
			if err := os.MkdirAll(*o.demoDir, 0o700); err != nil {
				return err
			}
			*logPath = filepath.Join(*o.demoDir, "hypercerts.log")
		}
	}
	// Never through a planted link nor into a file others can read (safefile).
	logFile, err := safefile.OpenAppend(*logPath)
	if err != nil {
		return fmt.Errorf("journal %s : %w", *logPath, err)
	}
	defer logFile.Close()
	opts := o.options(env, false)
	opts.LogTo = logFile
	a, err := app.Open(ctx, opts)
	if err != nil {
		if errors.Is(err, store.ErrInUse) { // the daemon owns the store: use its SSH UI
			if cfg, cerr := loadConfig(o); cerr == nil {
				return errors.New(daemon.InUseMessage(cfg))
			}
		}
		return err
	}
	defer a.Close()
	if _, err := a.Engine.Resume(ctx); err != nil { // campaigns left running: R07/DESIGN
		a.Log.Warn("reprise des campagnes", "erreur", err)
	}
	defer func() { // sends in flight finish; the rest resumes at the next start
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Engine.Shutdown(sctx)
	}()

	out := env.Stdout
	if out == nil {
		out = os.Stdout
	}
	login, err := a.LoginFunc()
	if err != nil {
		return err
	}
	if login != nil { // R01: sign in through CAS before anything else
		lopts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithOutput(out)}
		if env.Stdin != nil {
			lopts = append(lopts, tea.WithInput(env.Stdin))
		}
		fm, err := tea.NewProgram(loginui.New(loginui.Options{Login: login, Renderer: lipgloss.NewRenderer(out),
			Context: ctx, User: os.Getenv("USER"), QuitOnSuccess: true}), lopts...).Run()
		if err != nil {
			return err
		}
		switch r := fm.(loginui.Model).Result(); r.Outcome {
		case loginui.Succeeded:
			a.User = r.User
		case loginui.TooManyFailures:
			return fmt.Errorf("connexion refusée après %d tentatives : %w", r.Tries, r.Err)
		default:
			return nil
		}
	}
	if a.Sim != nil { // demo without a daemon: play its scheduled jobs in this process
		go runDemoJobs(ctx, a, a.Log)
		_ = a.ServeVerifyPage(ctx) // the QR codes' page, on loopback (a taken port is only logged)
	}
	mailDir := ""
	if a.Config != nil {
		if d, err := filepath.Abs(a.Config.Mail.EMLDir); err == nil && a.Config.Mail.EMLDir != "" {
			mailDir = d
		}
	}
	c := common.New(ctx, common.Options{Engine: a.Engine, User: a.User, Renderer: lipgloss.NewRenderer(out),
		MailDir: mailDir, ExportDir: exportDir(a.Config)})
	p := tea.NewProgram(ui.New(c), tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx),
		tea.WithOutput(out))
	if env.Stdin != nil {
		p = tea.NewProgram(ui.New(c), tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx), tea.WithOutput(out), tea.WithInput(env.Stdin))
	}
	_, err = p.Run()
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil // Ctrl-C / SIGTERM from outside
	}
	return err
}

// demoEvery is how often the demo plays the daemon's Digiposte cycle and Digiposte itself,
// so that a Digiposte campaign can be watched end to end in a few minutes (R22, test pace).
const demoEvery = 20 * time.Second

// runDemoJobs runs, in the demo UI's process, what the daemon would: the HubEE sync once
// (the simulated hub has requests waiting), then Digiposte's side and our cycle in turn.
func runDemoJobs(ctx context.Context, a *app.App, log *slog.Logger) {
	if len(a.Config.HubEE.Processes) > 0 {
		if rep, err := a.Engine.HubEESync(ctx); err != nil {
			log.Warn("démo : synchronisation HubEE", "erreur", err)
		} else {
			log.Info("démo : synchronisation HubEE", "déposées", rep.Delivered, "refusées", rep.Refused)
		}
	}
	t := time.NewTicker(demoEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a.DigiposteSim != nil {
			if _, err := a.DigiposteSim.Step(); err != nil {
				log.Warn("démo : simulateur Digiposte", "erreur", err)
			}
		}
		if _, err := a.Engine.DigiposteCycle(ctx); err != nil {
			log.Warn("démo : cycle Digiposte", "erreur", err)
		}
	}
}

// exportDir is where the local UI writes CSV exports: ui.export_dir, else the user's
// home; never the working directory (a repository, a shared folder).
func exportDir(cfg *config.Config) string {
	if cfg != nil && cfg.UI.ExportDir != "" {
		if d, err := filepath.Abs(cfg.UI.ExportDir); err == nil {
			return d
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	return os.TempDir()
}
