package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"hypercerts/app"
	"hypercerts/config"
	"hypercerts/daemon/serve"
)

// runDaemon parses the daemon's flags; daemon/serve assembles and runs it.
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
	overrides := map[string]string{}
	for _, s := range schedules {
		name, spec, ok := strings.Cut(s, "=")
		if _, known := config.Default().Daemon.Schedules.Jobs()[name]; !ok || !known {
			return fmt.Errorf("--schedule %q : attendu TÂCHE=CRON avec TÂCHE parmi resume_campaigns, digiposte_cycle, hubee_sync, purge", s)
		}
		overrides[name] = spec
	}
	keys := map[string][]string{}
	for _, kv := range sshKeys {
		code, file, ok := strings.Cut(kv, "=")
		b, err := os.ReadFile(file)
		if !ok || code == "" || err != nil {
			return fmt.Errorf("--ssh-authorized-key %q : attendu CODE=FICHIER.pub lisible (%v)", kv, err)
		}
		keys[code] = append(keys[code], strings.TrimSpace(string(b)))
	}
	return serve.Run(ctx, serve.Options{App: o.options(env, false), LogTo: env.Stderr, Getenv: env.Getenv,
		Schedules: overrides, SSHListen: *sshListen, AuthorizedKeys: keys})
}

// loadConfig reads the configuration the app flags name (the demo's, or the file).
func loadConfig(o *appFlags) (*config.Config, error) { return app.LoadConfig(o.options(Env{}, true)) }
