// Package cli is the command line of hypercerts: it parses flags, opens the app and
// calls the engine. It holds no business rule.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"hypercerts/app"
	"hypercerts/daemon"
	"hypercerts/internal/syncbuf"
	"hypercerts/store"
)

// Env is what a command may use of the outside world (tests pass their own).
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

// commands is the one table of hypercerts' commands (no init() registers any), in the
// order `hypercerts help` lists them.
func commands() []command {
	return []command{
		attestationCommand,
		{name: "backup", summary: "copie cohérente de la base, même pendant que le démon tourne", run: runBackup},
		{name: "campaign", summary: "campagnes : run, list, show ID, relaunch ID, resume", run: runCampaign},
		{name: "daemon", summary: "mode serveur (--daemon) : tâches planifiées, interface servie en SSH", run: runDaemon},
		{name: "doctor", summary: "vérifie l'installation : configuration, secrets, base, Apogée, SMTP, SFTP, HubEE, CAS", run: runDoctor},
		{name: "hubee", summary: "HubEE (service instructeur) : sync (relève et répond), list (dossiers reçus), retry (reprend un dossier)", run: runHubEE},
		{name: "preview", summary: "aperçu des étudiants d'une VDI avec leur verdict (tableau ou CSV)", run: runPreview},
		{name: "purge", summary: "efface les données personnelles des campagnes terminées depuis N jours", run: runPurge},
		{name: "render", summary: "produire l'attestation PDF d'un étudiant (vérification)", run: runRender},
		{name: "restore", summary: "remet une sauvegarde en place (démon arrêté)", run: runRestore},
		{name: "status", summary: "santé des tâches du démon (dernière exécution, dernier succès, dernière erreur)", run: runStatus},
		{name: "ui", summary: "l'interface en terminal des gestionnaires (par défaut)", run: runUI},
		verifyCommand,
		{name: "version", summary: "version, commit et date de construction", run: runVersion},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// errUsage marks errors already explained by the flag package.
var errUsage = errors.New("usage")

// Main runs hypercerts with args (without the program name) and returns the exit code.
func Main(args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	// The log (engine goroutines) and the progress line share standard error.
	env.Stderr = syncWriter(env.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	name := "ui"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	for _, a := range args {
		if a == "--daemon" || a == "-daemon" {
			name = "daemon"
		}
	}
	if name == "help" {
		usage(env.Stdout)
		return 0
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(env.Stderr, "hypercerts : commande inconnue %q\n\n", name)
		usage(env.Stderr)
		return 2
	}
	if err := c.run(ctx, env, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if !errors.Is(err, errUsage) {
			fmt.Fprintf(env.Stderr, "hypercerts %s : %s\n", name, frenchError(err))
		}
		return exitCode(err)
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "hypercerts — attestations de réussite depuis Apogée")
	fmt.Fprintln(w, "\nUsage : hypercerts [commande] [options]   (sans commande : l'interface en terminal)")
	fmt.Fprintln(w, "\nCommandes :")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nOptions communes : --demo (Apogée embarqué, rien à installer), --config FICHIER (défaut ./application.yaml)")
	fmt.Fprintln(w, "Aide d'une commande : hypercerts COMMANDE --help")
	fmt.Fprintln(w, "\n"+exitCodesHelp)
}

// newFlags makes a flag set whose errors and help go to env.Stderr.
func newFlags(env Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(frenchFlags{env.Stderr})
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage : %s\n\nOptions :\n", synopsis)
		printOptions(env.Stderr, fs)
	}
	return fs
}

// printOptions lists the flags in French (flag.PrintDefaults writes "default").
func printOptions(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + frenchArg(name)
		}
		fmt.Fprintf(w, "%s\n      %s", line, usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			fmt.Fprintf(w, " (défaut : %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "argument inattendu : %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// frenchArg names a flag's argument in French.
func frenchArg(name string) string {
	switch name {
	case "string":
		return "TEXTE"
	case "int", "uint", "int64", "uint64":
		return "N"
	case "duration":
		return "DURÉE"
	case "value":
		return "VALEUR"
	}
	return strings.ToUpper(name)
}

// subcommand is one verb of a command with verbs (campaign run, hubee sync…).
type subcommand struct {
	name string
	run  func(ctx context.Context, env Env, args []string) error
}

// dispatch runs the verb named by args[0], or explains usage.
func dispatch(ctx context.Context, env Env, args []string, usage string, subs []subcommand) error {
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "-help" || args[0] == "help") {
		// Asked for: the usage (on standard error, like every --help here) and success.
		names := make([]string, len(subs))
		for i, sc := range subs {
			names[i] = sc.name
		}
		fmt.Fprintln(env.Stderr, usage)
		fmt.Fprintf(env.Stderr, "Sous-commandes : %s (--help après la sous-commande pour ses options).\n", strings.Join(names, ", "))
		return nil
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.Stderr, usage+"  (--help après la sous-commande)")
		return errUsage
	}
	names := make([]string, len(subs))
	for i, sc := range subs {
		if sc.name == args[0] {
			return sc.run(ctx, env, args[1:])
		}
		names[i] = sc.name
	}
	list := strings.Join(names[:len(names)-1], ", ") + " ou " + names[len(names)-1]
	fmt.Fprintf(env.Stderr, "sous-commande inconnue %q : %s\n", args[0], list)
	return errUsage
}

// syncWriter serialises writes to w unless it is a file (a file's Write is one system
// call, and the progress line and logging look for *os.File to detect a terminal or
// the journal).
func syncWriter(w io.Writer) io.Writer { return syncbuf.Writer(w) }

// inUseError is a store held by the daemon, explained with the daemon's real SSH
// address (from its status file), not a guessed « ssh -p 2222 serveur ».
type inUseError struct {
	msg string
	err error
}

func (e inUseError) Error() string { return e.msg }
func (e inUseError) Unwrap() error { return e.err }

// openApp opens the application; a store the daemon holds says how to reach it.
func openApp(ctx context.Context, o *appFlags, opts app.Options) (*app.App, error) {
	a, err := app.Open(ctx, opts)
	if err != nil && errors.Is(err, store.ErrInUse) {
		if cfg, cerr := loadConfig(o); cerr == nil {
			return nil, inUseError{msg: daemon.InUseMessage(cfg), err: err}
		}
	}
	return a, err
}
