package domain

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Settings are the engine's knobs, from the configuration.
type Settings struct {
	// Concurrency bounds the calls in flight towards Apogée and the sends in flight.
	Concurrency int
	// MaxAttempts per outside call for transient faults (1 = no retry).
	MaxAttempts int
	// Backoff is the first wait between attempts; it doubles each time.
	Backoff time.Duration
	// Mode is the delivery mode of new campaigns.
	Mode Mode
	// TestMode and TestRecipient: R18.
	TestMode      bool
	TestRecipient string
	// University is the name printed in mails and on attestations.
	University string
	// Managers receive the "campaign created" mail (R17a).
	Managers []string
	// SuspendAfter consecutive transient send failures suspend a mail campaign
	// (relay unavailable); 0: DefaultSuspendAfter.
	SuspendAfter int
	// PreviewReuse is the age under which a launch reuses its preview's students and
	// reads only their blockings again; 0: DefaultPreviewReuse, negative: never.
	PreviewReuse time.Duration
}

// Deps are the engine's ports. Renderer, Mailer and Store may be nil for preview-only use.
type Deps struct {
	Apogee   Apogee
	Store    Store
	Renderer Renderer
	Mailer   Mailer
	Vault    Vault   // Digiposte; nil in mail-only setups
	Printer  Printer // print batches; nil when no output folder is configured
	Hub      Hub     // HubEE; nil when not configured
	Clock    Clock
	Log      *slog.Logger
}

// Engine is the one core every front end (TUI, SSH, daemon, CLI) calls.
type Engine struct {
	apogee       Apogee
	store        Store
	renderer     Renderer
	mailer       Mailer
	vault        Vault
	printer      Printer
	hub          Hub
	clock        Clock
	log          *slog.Logger
	settings     Settings
	campaignRuns *campaignRuns // campaigns being worked through
	creations    creations     // campaigns this engine is creating (campaign_create.go)
	cycleMu      sync.Mutex    // one Digiposte cycle at a time
	hubSyncMu    sync.Mutex    // one HubEE sync at a time
}

// NewEngine wires an engine. Missing settings get their defaults.
func NewEngine(d Deps, s Settings) *Engine {
	if s.Concurrency <= 0 {
		s.Concurrency = 8
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 4
	}
	if s.Backoff <= 0 {
		s.Backoff = 200 * time.Millisecond
	}
	if s.Mode == "" {
		s.Mode = ModeMail
	}
	if s.SuspendAfter <= 0 {
		s.SuspendAfter = DefaultSuspendAfter
	}
	if s.PreviewReuse == 0 {
		s.PreviewReuse = DefaultPreviewReuse
	}
	if d.Clock == nil {
		d.Clock = SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Engine{apogee: d.Apogee, store: d.Store, renderer: d.Renderer, mailer: d.Mailer, vault: d.Vault, printer: d.Printer, hub: d.Hub,
		clock: d.Clock, log: d.Log, settings: s, campaignRuns: newCampaignRuns()}
}

// Settings returns the engine's settings (the UI shows test mode and mode).
func (e *Engine) Settings() Settings { return e.settings }

// retry runs fn until it succeeds, fails for a non-transient reason, or attempts run
// out; waits double from Settings.Backoff. Business faults are never retried.
func (e *Engine) retry(ctx context.Context, fn func() error) error {
	return retryTransient(ctx, e.settings.MaxAttempts, e.settings.Backoff, fn)
}

// retryTransient runs fn up to attempts times while it fails transiently, waiting
// wait, then twice as long, between tries; ctx ends the wait.
func retryTransient(ctx context.Context, attempts int, wait time.Duration, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !IsTransient(err) || attempt >= attempts {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait *= 2
	}
}

// call is retry for a function returning a value.
func call[T any](ctx context.Context, e *Engine, fn func() (T, error)) (T, error) {
	var v T
	err := e.retry(ctx, func() error {
		var err error
		v, err = fn()
		return err
	})
	return v, err
}

// Components applies R02: the components the user may manage. None means no action.
func (e *Engine) Components(ctx context.Context, user User) ([]Component, error) {
	comps, err := call(ctx, e, func() ([]Component, error) { return e.apogee.Components(ctx, user.Code) })
	if err == nil {
		e.rememberRights(user, comps)
	}
	return comps, err
}

// rememberRights records the rights Apogée just gave, when they changed (best effort:
// a read-only store simply keeps none).
func (e *Engine) rememberRights(user User, comps []Component) {
	rc, ok := e.store.(RightsCache)
	if !ok || user.Code == "" {
		return
	}
	if old, _, err := rc.Rights(user.Code); err == nil && slices.Equal(old, comps) {
		return
	}
	_ = rc.PutRights(user.Code, comps, e.clock.Now())
}

// readRights is requireAnyRight for read-only work: when Apogée is unreachable
// (transient error), the last rights it gave the user stand in.
func (e *Engine) readRights(ctx context.Context, user User) ([]Component, error) {
	comps, err := e.requireAnyRight(ctx, user)
	if err == nil || !IsTransient(err) {
		return comps, err
	}
	rc, ok := e.store.(RightsCache)
	if !ok {
		return nil, err
	}
	cached, at, cerr := rc.Rights(user.Code)
	if cerr != nil || len(cached) == 0 {
		return nil, err
	}
	e.log.Warn("Apogée injoignable : droits de l'utilisateur repris de la dernière consultation (lecture seule)",
		"utilisateur", user.Code, "droits_du", at.Format(time.RFC3339), "erreur", err)
	return cached, nil
}

// Years lists the open years (R03).
func (e *Engine) Years(ctx context.Context, user User) ([]Year, error) {
	if _, err := e.requireAnyRight(ctx, user); err != nil {
		return nil, err
	}
	return call(ctx, e, func() ([]Year, error) { return e.apogee.OpenYears(ctx) })
}

// VDIs lists the VDIs offered for a component the user manages (R04).
func (e *Engine) VDIs(ctx context.Context, user User, year, component string) ([]VDI, error) {
	if _, err := e.requireComponent(ctx, user, component); err != nil {
		return nil, err
	}
	if err := e.requireOpenYear(ctx, year); err != nil {
		return nil, err
	}
	return call(ctx, e, func() ([]VDI, error) { return e.apogee.VDIs(ctx, year, component) })
}

// VETs lists the graduating VETs of a VDI of the user's component (R05).
func (e *Engine) VETs(ctx context.Context, user User, year, component string, vdi VDI) ([]VET, error) {
	if _, err := e.requireVDI(ctx, user, year, component, vdi); err != nil {
		return nil, err
	}
	return call(ctx, e, func() ([]VET, error) { return e.apogee.VETs(ctx, year, vdi) })
}

func (e *Engine) requireAnyRight(ctx context.Context, user User) ([]Component, error) {
	comps, err := e.Components(ctx, user)
	if err != nil {
		return nil, err
	}
	if len(comps) == 0 {
		// Not Forbidden(user, "aucune composante"): "n'a pas le droit … sur aucune" is a
		// double negative.
		return nil, fmt.Errorf("%w : l'utilisateur %s n'a le droit TRAREF10 sur aucune composante", ErrForbidden, user.Code)
	}
	return comps, nil
}

func (e *Engine) requireComponent(ctx context.Context, user User, component string) (Component, error) {
	comps, err := e.requireAnyRight(ctx, user)
	if err != nil {
		return Component{}, err
	}
	for _, c := range comps {
		if c.Code == component {
			return c, nil
		}
	}
	return Component{}, Forbidden(user, "la composante "+component)
}

func (e *Engine) requireOpenYear(ctx context.Context, year string) error {
	years, err := call(ctx, e, func() ([]Year, error) { return e.apogee.OpenYears(ctx) })
	if err != nil {
		return err
	}
	for _, y := range years {
		if y.Code == year {
			return nil
		}
	}
	return Invalid("l'année %s n'est pas ouverte dans Apogée", year)
}

// requireVDI checks rights, year and that the VDI is offered for the component; it
// returns the VDI with its label.
func (e *Engine) requireVDI(ctx context.Context, user User, year, component string, vdi VDI) (VDI, error) {
	vdis, err := e.VDIs(ctx, user, year, component)
	if err != nil {
		return VDI{}, err
	}
	for _, v := range vdis {
		if v.Dip == vdi.Dip && v.Version == vdi.Version {
			return v, nil
		}
	}
	return VDI{}, Invalid("la VDI %s n'est pas proposée pour la composante %s en %s", vdi.Key(), component, year)
}

type stopKey struct{}

// WithStop attaches a soft stop to ctx: a long job (the Digiposte cycle, the HubEE sync)
// checks Stopped between its steps and returns after the step in flight, while ctx
// itself stays alive so that step can finish and be recorded.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// Stopped reports whether the soft stop attached by WithStop has been given.
func Stopped(ctx context.Context) bool {
	stop, _ := ctx.Value(stopKey{}).(<-chan struct{})
	if stop == nil {
		return false
	}
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
