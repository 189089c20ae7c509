// Package app wires the configuration, the connectors, the store and the renderer into
// one domain.Engine. Front ends (CLI, TUI, daemon) open an App and talk to its Engine.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	_ "github.com/sijms/go-ora/v2" // Oracle driver for Apogée

	"hypercerts/attest"
	"hypercerts/config"
	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	"hypercerts/connectors/digiposte"
	"hypercerts/domain"
	"hypercerts/logging"
	"hypercerts/metrics"
	"hypercerts/store"
	"hypercerts/wiring"
)

// Options say how to open the app.
type Options struct {
	ConfigPath string // application.yaml (ignored with Demo)
	Demo       bool   // embedded Apogée and local outputs, nothing to install
	DemoDir    string // where the demo keeps its store, mails and Digiposte folder
	// DemoStudents sizes the embedded Apogée (default 1,500).
	DemoStudents int
	// NoStore opens no store: for read-only commands (preview) that may run beside a daemon.
	NoStore bool
	// ReadOnlyStore opens an existing store read-only (campaign list/show, hubee list):
	// nothing is written to the file. A missing one is created as usual.
	ReadOnlyStore bool
	// Log, when set, is used as is (the daemon builds its own). Otherwise LogTo
	// receives the log, set up from the configuration's log section (level, format,
	// journald) by logging.New: the one set-up every command shares. Neither: no log.
	Log    *slog.Logger
	LogTo  io.Writer
	Getenv func(string) string
	// Metrics, when set, counts and times the calls to the outside (daemon).
	Metrics *metrics.Metrics
}

// App is an opened hypercerts.
type App struct {
	Config *config.Config
	Engine *domain.Engine
	Apogee *apogee.Adapter
	// User is who acts: the demo user in demo mode (later: the CAS-authenticated user).
	User domain.User
	// ApogeeErr is why Apogée could not be reached at start-up (nil: it was); the
	// daemon keeps checking with CheckApogee.
	ApogeeErr error
	// Sim is the embedded Apogée when the configuration asks for it.
	Sim *sim.Apogee
	// Store is the bbolt store (nil with Options.NoStore).
	Store *store.Store
	// PublicKeys are the university's attestation keys, current and retired (nil
	// without a store).
	PublicKeys attest.PublicKeys
	// MailDir is where mails are written as .eml files (demo), empty with SMTP.
	MailDir string
	// PrintDir is where print batches are written (print.dir), empty without.
	PrintDir string
	// DigiposteSim plays Digiposte on the demo's local folder.
	DigiposteSim *digiposte.Simulator
	Log          *slog.Logger

	metrics *metrics.Metrics // nil unless the daemon serves metrics
	closers []func() error
}

// DefaultDemoDir is where `hypercerts --demo` keeps what it produces.
const DefaultDemoDir = "demo-out"

// Open loads the configuration and wires everything.
func Open(ctx context.Context, o Options) (*App, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Demo {
		if o.DemoDir == "" {
			o.DemoDir = DefaultDemoDir
		}
		if err := os.MkdirAll(o.DemoDir, 0o700); err != nil {
			return nil, fmt.Errorf("dossier de démonstration %s : %w", o.DemoDir, err)
		}
	}
	cfg, err := LoadConfig(o)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Log != nil:
	case o.LogTo != nil:
		o.Log = logging.New(cfg.Log, o.LogTo, o.Getenv)
	default:
		o.Log = slog.New(slog.DiscardHandler)
	}
	a := &App{Config: cfg, Log: o.Log, metrics: o.Metrics}
	if err := a.open(ctx, o); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// LoadConfig reads the configuration o names: the demo's (in o.DemoDir), or the file
// (default application.yaml), validated. Nothing is opened.
func LoadConfig(o Options) (*config.Config, error) {
	if o.Demo {
		dir := o.DemoDir
		if dir == "" {
			dir = DefaultDemoDir
		}
		return config.Demo(dir), nil
	}
	path := o.ConfigPath
	if path == "" {
		path = "application.yaml"
	}
	return config.Load(path)
}

func (a *App) open(ctx context.Context, o Options) error {
	cfg := a.Config
	ad, err := a.openApogee(ctx, o)
	if err != nil {
		return err
	}
	a.Apogee = ad
	deps := domain.Deps{Apogee: ad, Log: a.Log}
	if err := a.openOutputs(ctx, o, &deps); err != nil {
		return err
	}
	a.Engine = domain.NewEngine(deps, cfg.EngineSettings())
	return nil
}

// openApogee connects the web services and the database, or starts the embedded Apogée.
func (a *App) openApogee(ctx context.Context, o Options) (*apogee.Adapter, error) {
	cfg := a.Config
	var (
		db      *sql.DB
		baseURL = cfg.Apogee.WS.BaseURL
	)
	if cfg.Apogee.Embedded {
		s, err := sim.Open(sim.Options{Seed: 1, Students: o.DemoStudents, CacheDir: simCacheDir()})
		if err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return nil, fmt.Errorf("Apogée embarqué : %w", err)
		}
		a.Sim = s
		a.closers = append(a.closers, s.Close)
		if baseURL, err = s.Start(); err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return nil, fmt.Errorf("Apogée embarqué : %w", err)
		}
		db = s.DB()
	} else {
		var err error
		if db, err = wiring.ApogeeDB(cfg); err != nil {
			return nil, err
		}
		a.closers = append(a.closers, db.Close)
	}
	queries, err := apogee.OpenDB(db, cfg.Apogee.DB.Dialect, cfg.Apogee.DB.QueriesDir)
	if err != nil {
		return nil, err
	}
	// Every query (site overrides included) must parse and return its columns before
	// anything runs: a broken file is named now, not in the middle of a campaign. An
	// unreachable database does not stop the start: store-only work (campaign list,
	// purge, backup, the daemon) goes on, and the check runs again at the first query.
	if err := queries.Check(ctx); err != nil {
		if !domain.IsTransient(err) {
			return nil, err
		}
		a.ApogeeErr = err
		a.Log.Warn("Apogée injoignable au démarrage : ce qui en a besoin échouera jusqu'à son retour", "erreur", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16 // the preview keeps apogee.concurrency calls in flight
	wc := wiring.ApogeeWS(cfg, baseURL)
	wc.HTTPClient = &http.Client{Transport: a.metrics.RoundTripper(metrics.Apogee, tr)}
	ws, err := apogee.NewWS(wc)
	if err != nil {
		return nil, err
	}
	signerKey, err := wiring.SignerKey(cfg, o.Getenv)
	if err != nil {
		return nil, err
	}
	// Without CAS sign-in (demo, scripts), the configured demo user acts.
	if code := cfg.CAS.DemoUser; code != "" {
		a.User = domain.User{Code: code}
		if u, err := queries.User(ctx, code); err == nil {
			a.User = u
		}
	}
	return &apogee.Adapter{WS: ws, DB: queries, AbsentNature: cfg.Apogee.AbsentNatureCode,
		SignerCode: cfg.Apogee.Signer.Code, SignerKey: signerKey, QueryTimeout: cfg.Apogee.DB.QueryTimeout}, nil
}

// CheckApogee tells whether Apogée answers: its database (every query checked) and
// its web services (one probe of EtudiantMetier).
func (a *App) CheckApogee(ctx context.Context) error {
	if a.Apogee == nil {
		//lint:ignore ST1005 Apogée is a proper noun
		return errors.New("Apogée non configuré")
	}
	if err := a.Apogee.DB.Check(ctx); err != nil {
		return err
	}
	return a.Apogee.WS.Probe(ctx, apogee.ServiceEtudiant)
}

// CacheDirEnv names a folder that replaces the default cache folder (the tests give
// each package's run a temporary one, so that they leave nothing in ~/.cache).
const CacheDirEnv = "HYPERCERTS_CACHE_DIR"

// simCacheDir is where the embedded Apogée keeps its generated data between starts
// (the demo starts in a fraction of the time it takes to generate it): $HYPERCERTS_CACHE_DIR,
// or the user's cache directory ($XDG_CACHE_HOME or ~/.cache) + /hypercerts; no
// cache without one.
func simCacheDir() string {
	if dir := os.Getenv(CacheDirEnv); dir != "" {
		return dir
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "hypercerts")
}

// Close releases everything in reverse order of opening.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}
