package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"hypercerts/daemon"
	"hypercerts/store"
)

// runStatus prints one health line per daemon job. While the daemon runs it holds the
// store (bbolt: one process), so the lines come from the health file it keeps beside
// the store; otherwise from the store itself.
func runStatus(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "status", `hypercerts status [--demo | --config FICHIER]

Santé des tâches du démon : dernière exécution, dernier succès, dernière erreur,
même pendant que le démon tourne.

Exemple :
  hypercerts status --config /etc/hypercerts/application.yaml`)
	o := addAppFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(o)
	if err != nil {
		return err
	}
	path := cfg.Store.Path
	healthFile := daemon.HealthFilePath(path)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(env.Stdout, "aucune base %s : le démon n'a jamais tourné avec cette configuration\n", path)
		return nil
	}
	st, err := store.OpenReadOnly(path, 200*time.Millisecond)
	if errors.Is(err, store.ErrInUse) { // the daemon runs
		s, ferr := daemon.ReadHealthFile(healthFile)
		if ferr != nil {
			return fmt.Errorf("la base est tenue par un autre processus et le fichier de santé %s est illisible : %w", healthFile, ferr)
		}
		daemon.WriteStatus(env.Stdout, s, true)
		if cmd := daemon.SSHCommand(cfg); cmd != "" {
			fmt.Fprintf(env.Stdout, "interface : %s\n", cmd)
		}
		return nil
	}
	if err != nil {
		return err
	}
	jobs, err := daemon.ReadHealth(st)
	st.Close()
	if err != nil {
		return err
	}
	s := daemon.Status{Jobs: jobs}
	if fs, err := daemon.ReadHealthFile(healthFile); err == nil {
		s.Stopped, s.Started, s.PID = fs.Stopped, fs.Started, fs.PID
		if fs.Running() { // the file says running, yet the store is free: it died
			fmt.Fprintf(env.Stdout, "démon : arrêté sans arrêt propre (pid %d, démarré le %s)\n", fs.PID, fs.Started.Local().Format("02/01/2006 15:04:05"))
			for _, h := range jobs {
				fmt.Fprintln(env.Stdout, daemon.HealthLine(h))
			}
			return nil
		}
	}
	daemon.WriteStatus(env.Stdout, s, false)
	return nil
}
