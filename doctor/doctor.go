// Package doctor checks an installation of hypercerts, one line per check with what to
// do when it fails: the configuration, the secrets, the store, Apogée (database, each
// site SQL query, each web service and its namespace, the signature), SMTP, the
// Digiposte SFTP server, HubEE and CAS. It changes nothing anywhere: no mail is sent,
// the SFTP probe files are removed, the store is opened read-only.
//
//	results := doctor.Run(ctx, cfg, doctor.Options{})
//	failed := doctor.Print(os.Stdout, results)
package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/sijms/go-ora/v2" // Oracle driver for Apogée

	"hypercerts/config"
	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	"hypercerts/control"
	"hypercerts/store"
	"hypercerts/ui/i18n"
	"hypercerts/wiring"
)

// Status of one check.
type Status int

const (
	OK   Status = iota // ✓
	Warn               // ! works, but look at it
	Fail               // ✗
	Skip               // – not configured, nothing to check
)

func (s Status) symbol() string {
	switch s {
	case OK:
		return "✓"
	case Warn:
		return "!"
	case Fail:
		return "✗"
	}
	return "–"
}

// Result is one line of the report.
type Result struct {
	Name   string // "Apogée : base de données"
	Status Status
	Detail string // what was found
	Fix    string // what to do (failures and warnings)
}

// Options tune the checks.
type Options struct {
	// Timeout bounds each check that talks to the network (default 15 s).
	Timeout time.Duration
	// Getenv reads the secrets (default os.Getenv). Only used to pick the demo
	// signature key; secrets are read through the configuration.
	Getenv func(string) string
}

// Run runs every check on cfg, in order, and returns their results. It never stops
// early: each check reports on its own.
func Run(ctx context.Context, cfg *config.Config, o Options) []Result {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	r := &run{cfg: cfg, o: o}
	r.add(Result{Name: "configuration", Status: OK, Detail: describeConfig(cfg)})
	r.add(checkSecrets(cfg))
	r.add(checkStore(ctx, cfg))
	r.apogee(ctx)
	r.add(r.timed(ctx, func(ctx context.Context) Result { return checkMail(ctx, cfg) }))
	r.add(r.timed(ctx, func(ctx context.Context) Result { return checkDigiposte(ctx, cfg) }))
	r.add(checkPrint(cfg))
	for _, res := range checkHubEE(ctx, cfg, o.Timeout) {
		r.add(res)
	}
	r.add(r.timed(ctx, func(ctx context.Context) Result { return checkCAS(ctx, cfg) }))
	return r.results
}

// ConfigFailure is the one result when the configuration cannot be loaded: every
// problem at once (config.ValidationError lists them).
func ConfigFailure(path string, err error) Result {
	var verr *config.ValidationError
	fix := "corrigez le fichier (chaque clé est décrite dans application.example.yaml et docs/config.md), puis relancez hypercerts doctor"
	if errors.As(err, &verr) {
		var lines []string
		for _, p := range verr.Problems {
			lines = append(lines, p.Error())
		}
		return Result{Name: "configuration", Status: Fail, Detail: fmt.Sprintf("%s : %d erreurs\n%s", path, len(lines), strings.Join(lines, "\n")), Fix: fix}
	}
	return Result{Name: "configuration", Status: Fail, Detail: err.Error(), Fix: fix}
}

type run struct {
	cfg     *config.Config
	o       Options
	results []Result
}

func (r *run) add(res Result) { r.results = append(r.results, res) }

func (r *run) timed(ctx context.Context, fn func(context.Context) Result) Result {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	return fn(ctx)
}

func describeConfig(cfg *config.Config) string {
	src := cfg.Source()
	if src == "" {
		src = "démo"
	}
	mode := cfg.Delivery.Mode
	if cfg.Delivery.TestMode {
		mode += ", MODE TEST (tout va à " + cfg.Delivery.TestRecipient + ")"
	}
	return fmt.Sprintf("%s valide ; diffusion : %s", src, mode)
}

func checkSecrets(cfg *config.Config) Result {
	res := Result{Name: "secrets"}
	if err := cfg.CheckSecrets(); err != nil {
		res.Status, res.Detail = Fail, err.Error()
		res.Fix = "définissez ces variables dans le fichier d'environnement du service (EnvironmentFile= de contrib/hypercerts.service, mode 0600)"
		return res
	}
	var names []string
	for _, ref := range cfg.SecretRefs() {
		if ref.Required {
			names = append(names, ref.Env)
		}
	}
	res.Status = OK
	if len(names) == 0 {
		res.Detail = "aucun secret nécessaire avec cette configuration"
	} else {
		res.Detail = "présents : " + strings.Join(names, ", ")
	}
	return res
}

func checkStore(ctx context.Context, cfg *config.Config) Result {
	res := Result{Name: "base (store)"}
	path := cfg.Store.Path
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		dir := filepath.Dir(path)
		if err := probeDir(dir); err != nil {
			res.Status, res.Detail = Fail, fmt.Sprintf("%s absente et dossier %s non inscriptible : %v", path, dir, err)
			res.Fix = "créez le dossier pour l'utilisateur du service (install -d -o hypercerts -m 0700 " + dir + ") ou changez store.path"
			return res
		}
		res.Status, res.Detail = OK, fmt.Sprintf("%s absente : elle sera créée au premier démarrage (dossier inscriptible)", path)
		return res
	}
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "vérifiez store.path et les droits du dossier"
		return res
	}
	if control.Running(ctx, control.SocketPath(path)) {
		res.Status = OK
		res.Detail = fmt.Sprintf("%s tenue par le démon en marche (%s) ; sauvegarde : hypercerts backup FICHIER", path, sizeOf(fi.Size()))
		return res
	}
	info, err := control.Inspect(path)
	switch {
	case errors.Is(err, store.ErrInUse):
		res.Status, res.Detail = Warn, fmt.Sprintf("%s ouverte par un autre processus hypercerts qui ne répond pas sur le socket de contrôle (%s)", path, sizeOf(fi.Size()))
		res.Fix = "une interface locale est ouverte, ou un démon d'une version antérieure : fermez-la pour un diagnostic complet"
	case errors.Is(err, store.ErrSchema):
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "installez la version de hypercerts qui a écrit cette base, ou restaurez une sauvegarde (hypercerts restore)"
	case err != nil:
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "restaurez la dernière sauvegarde : hypercerts restore FICHIER (démon arrêté)"
	default:
		res.Status = OK
		res.Detail = fmt.Sprintf("%s : schéma %d, %d campagnes, %s", path, info.Schema, info.Campaigns, sizeOf(info.Size))
	}
	return res
}

// apogee checks the database and its queries, the web services and the signature.
func (r *run) apogee(ctx context.Context) {
	cfg := r.cfg
	var (
		db      *sql.DB
		baseURL = cfg.Apogee.WS.BaseURL
	)
	if cfg.Apogee.Embedded {
		s, err := sim.Open(sim.Options{Seed: 1, Students: 200})
		if err == nil {
			defer s.Close()
			baseURL, err = s.Start()
		}
		if err != nil {
			r.add(Result{Name: "Apogée embarqué", Status: Fail, Detail: err.Error(), Fix: "signalez ce défaut : l'Apogée embarqué doit toujours démarrer"})
			return
		}
		db = s.DB()
	} else {
		var err error
		db, err = wiring.ApogeeDB(cfg)
		var missing *config.SecretError
		var malformed config.Problem
		switch {
		case errors.As(err, &malformed): // the message says why, never the DSN
			r.add(Result{Name: "Apogée : base de données", Status: Fail, Detail: err.Error(), Fix: "corrigez le DSN dans le fichier d'environnement du service"})
		case errors.As(err, &missing) || errors.Is(err, wiring.ErrNoDSN):
			r.add(Result{Name: "Apogée : base de données", Status: Fail, Detail: "pas de DSN (apogee.db.dsn_env)", Fix: "voir la ligne « secrets »"})
		case err != nil:
			r.add(Result{Name: "Apogée : base de données", Status: Fail, Detail: err.Error(), Fix: "vérifiez le DSN : oracle://utilisateur:motdepasse@hôte:1521/service"})
		default:
			defer db.Close()
		}
	}
	var queries *apogee.DB
	if db != nil {
		res, q := r.checkDB(ctx, db)
		r.add(res)
		queries = q
	}
	r.add(r.timed(ctx, func(ctx context.Context) Result { return checkWS(ctx, cfg, baseURL) }).named("Apogée : web services"))
	r.add(r.timed(ctx, func(ctx context.Context) Result { return r.checkSignature(ctx, queries) }))
}

func (res Result) named(n string) Result {
	if res.Name == "" {
		res.Name = n
	}
	return res
}

func (r *run) checkDB(ctx context.Context, db *sql.DB) (Result, *apogee.DB) {
	cfg := r.cfg
	res := Result{Name: "Apogée : base de données"}
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		res.Status, res.Detail = Fail, "connexion impossible : "+err.Error()
		res.Fix = "vérifiez l'hôte, le port, le service et le compte du DSN (apogee.db.dsn_env), et que le pare-feu laisse passer ce serveur vers Oracle"
		return res, nil
	}
	q, err := apogee.OpenDB(db, cfg.Apogee.DB.Dialect, cfg.Apogee.DB.QueriesDir)
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		res.Fix = "corrigez ou retirez le fichier nommé dans apogee.db.queries_dir"
		return res, nil
	}
	if err := q.Check(ctx); err != nil {
		res.Status, res.Detail = Fail, "connectée, mais : "+err.Error()
		res.Fix = "corrigez le fichier .sql nommé dans apogee.db.queries_dir (colonnes attendues : docs/apogee-sim.md), ou retirez-le pour revenir à la requête fournie"
		return res, q
	}
	over := "requêtes fournies"
	if cfg.Apogee.DB.QueriesDir != "" {
		over = "requêtes fournies et surcharges de " + cfg.Apogee.DB.QueriesDir
	}
	res.Status, res.Detail = OK, "connectée ; chaque requête s'exécute et rend les colonnes attendues ("+over+")"
	return res, q
}

func (r *run) checkSignature(ctx context.Context, q *apogee.DB) Result {
	cfg := r.cfg
	res := Result{Name: "signature du président"}
	if q == nil {
		res.Status, res.Detail = Fail, "non vérifiée : la base Apogée n'est pas joignable (voir plus haut)"
		return res
	}
	key, err := wiring.SignerKey(cfg, r.o.Getenv)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, err.Error(), "définissez la clé de déchiffrement (apogee.signer.key_env)"
		return res
	}
	sig, err := q.Signature(ctx, cfg.Apogee.Signer.Code, key)
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		res.Fix = "vérifiez apogee.signer.code (SIGNATAIRE.COD_SIG) et la clé (apogee.signer.key_env) : sans signature, aucune attestation ne part"
		return res
	}
	if len(sig.Image) == 0 {
		res.Status, res.Detail, res.Fix = Fail, "signataire "+sig.Code+" trouvé mais sans image", "déposez l'image de la signature dans Apogée"
		return res
	}
	res.Status, res.Detail = OK, fmt.Sprintf("%s (%s), image déchiffrée (%s)", sig.Name, sig.Title, sizeOf(int64(len(sig.Image))))
	return res
}

// probeDir writes then removes a file in dir.
func probeDir(dir string) error {
	f, err := os.CreateTemp(dir, ".hypercerts-doctor-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func sizeOf(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f Mio", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f Kio", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d o", n)
}

// Print writes one line per result (details and fixes indented below) and returns
// how many failed.
func Print(w io.Writer, results []Result) int {
	failed := 0
	for _, r := range results {
		if r.Status == Fail {
			failed++
		}
		lines := strings.Split(r.Detail, "\n")
		fmt.Fprintf(w, "%s %-28s %s\n", r.Status.symbol(), r.Name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %-28s %s\n", "", l)
		}
		if r.Fix != "" && r.Status != OK {
			fmt.Fprintf(w, "  %-28s → %s\n", "", r.Fix)
		}
	}
	if failed == 0 {
		fmt.Fprintln(w, "\ntout est en ordre")
	} else {
		fmt.Fprintf(w, "\n%s\n", i18n.Count(failed, "%s vérification en échec", "%s vérifications en échec"))
	}
	return failed
}
