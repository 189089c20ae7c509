package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"hypercerts/app"
	"hypercerts/ui"
	"hypercerts/ui/common"
)

func init() {
	register(command{name: "ui", summary: "l'interface en terminal des gestionnaires (par défaut)", run: runUI})
}

func runUI(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "ui", "hypercerts [ui] [--demo | --config FICHIER] [--log FICHIER]")
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
	logFile, err := os.OpenFile(*logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("journal %s : %w", *logPath, err)
	}
	defer logFile.Close()
	opts := o.options(env, false)
	opts.Log = slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.Engine.Resume(ctx); err != nil { // campaigns left running: R07/DESIGN
		opts.Log.Warn("reprise des campagnes", "erreur", err)
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
	mailDir := ""
	if a.Config != nil {
		if d, err := filepath.Abs(a.Config.Mail.EMLDir); err == nil && a.Config.Mail.EMLDir != "" {
			mailDir = d
		}
	}
	c := common.New(ctx, common.Options{Engine: a.Engine, User: a.User, Renderer: lipgloss.NewRenderer(out),
		MailDir: mailDir, ExportDir: "."})
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
