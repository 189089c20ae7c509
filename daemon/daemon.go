// Package daemon is hypercerts' headless mode (`hypercerts --daemon`): jobs registered
// by name and run on cron schedules from the configuration, never two runs of one job
// at once, each run logged with its counts and its duration, a health record per job
// kept in the store and in a JSON file beside it (for `hypercerts status`, which cannot
// open the store the daemon holds), the managers' TUI served over SSH (one tea.Program
// per session over the daemon's one engine), and a clean stop on SIGTERM/SIGINT.
//
// It only talks to the engine (domain.Engine); the product is wired to it, and its
// jobs listed, in daemon/serve.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/robfig/cron/v3"

	"hypercerts/config"
	"hypercerts/domain"
	"hypercerts/store"
)

// Job names (config.Schedules.Jobs gives their schedules).
const (
	JobResumeCampaigns = "resume_campaigns"
	JobDigiposteCycle  = "digiposte_cycle"
	JobHubEESync       = "hubee_sync"
	JobPurge           = "purge"
)

// Result is what a run did: counts (or short values) logged with the run and kept in
// the job's health record.
type Result map[string]any

// JobFunc runs a job once. ctx is cancelled only when the shutdown timeout runs out;
// the soft stop (SIGTERM) comes through domain.Stopped(ctx): a job checks it between
// its steps and returns after the step in flight.
type JobFunc func(ctx context.Context) (Result, error)

// Options configure a daemon.
type Options struct {
	Engine *domain.Engine
	// Store, when set, keeps the health records in its "health" bucket.
	Store *store.Store
	// HealthFile is the JSON health file `status` reads while the daemon holds the
	// store; default: HealthFilePath(Store.Path()). Empty with no store: none.
	HealthFile string
	// Schedules by job name, cron syntax (config.Schedules.Jobs()); empty disables.
	Schedules map[string]string
	// MinInterval is the shortest @every accepted (default a minute; the demo and the
	// tests use seconds). robfig/cron would run a shorter one every second.
	MinInterval time.Duration
	// Jobs add or replace jobs (e.g. hubee_sync, purge) beside the engine's own.
	Jobs map[string]JobFunc
	// ResumeAtStart runs resume_campaigns once at start (default behaviour of the
	// daemon: campaigns interrupted by the last stop go on at once).
	ResumeAtStart bool
	// ShutdownTimeout bounds the wait for the jobs and campaign sends in flight at
	// stop (default 30 s); past it they are cancelled (and resumed at the next start).
	ShutdownTimeout time.Duration
	// SSH serves the TUI; Listen empty: no SSH server.
	SSH SSHOptions
	// Watch are outside systems checked at start and then periodically (Apogée): the
	// daemon starts without them and reports their state in the health file.
	Watch []DependencyCheck
	Log   *slog.Logger
	Now   func() time.Time
	// Fire, when set, starts a job by name as its schedule would (robfig/cron reads the
	// wall clock and takes no other): the tests' clock, so that none waits for a
	// second to pass. Nil in production.
	Fire <-chan string
}

// Daemon runs the jobs and the SSH server.
type Daemon struct {
	o      Options
	log    *slog.Logger
	jobs   map[string]*job
	cronMu sync.Mutex // guards cron and the jobs' entries
	cron   *cron.Cron
	health *healthBook
	ssh    *ssh.Server
	sshErr chan error

	stopMu   sync.Mutex    // a run joins running only while stop is open; stop closed once
	stop     chan struct{} // closed at shutdown: soft stop for the jobs
	hardCtx  context.Context
	hardStop context.CancelFunc
	running  sync.WaitGroup
}

type job struct {
	name     string
	spec     string
	fn       JobFunc
	busy     sync.Mutex
	entry    cron.EntryID
	schedule cron.Schedule
}

// New registers the jobs (resume_campaigns → Engine.Resume, digiposte_cycle →
// Engine.DigiposteCycle, and Options.Jobs), parses their schedules with
// config.ParseSchedule, and prepares the SSH server. Nothing runs before Run.
func New(o Options) (*Daemon, error) {
	if o.Engine == nil {
		return nil, errors.New("démon : aucun moteur")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.HealthFile == "" && o.Store != nil {
		o.HealthFile = HealthFilePath(o.Store.Path())
	}
	d := &Daemon{o: o, log: o.Log, jobs: map[string]*job{}, stop: make(chan struct{})}
	d.hardCtx, d.hardStop = context.WithCancel(context.Background())
	d.Register(JobResumeCampaigns, ResumeJob(o.Engine))
	d.Register(JobDigiposteCycle, DigiposteJob(o.Engine))
	for name, fn := range o.Jobs {
		d.Register(name, fn)
	}
	var problems []error
	for _, name := range slices.Sorted(maps.Keys(o.Schedules)) {
		spec := o.Schedules[name]
		if spec == "" {
			continue
		}
		j := d.jobs[name]
		if j == nil {
			d.log.Warn("tâche planifiée inconnue ou pas encore disponible : ignorée", "tâche", name, "planification", spec)
			continue
		}
		minInterval := o.MinInterval
		if minInterval <= 0 {
			minInterval = time.Minute
		}
		s, err := config.ParseScheduleMin(spec, minInterval)
		if err != nil {
			problems = append(problems, fmt.Errorf("daemon.schedules.%s %q : %v", name, spec, err))
			continue
		}
		j.spec, j.schedule = spec, s
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	d.health = newHealthBook(o.Store, o.HealthFile, o.Now)
	d.health.errLog = func(err error) { d.log.Warn("santé des tâches non enregistrée", "erreur", err) }
	for _, name := range d.Jobs() {
		d.health.declare(name, d.jobs[name].spec)
	}
	if o.SSH.Listen != "" {
		srv, err := newSSHServer(o.SSH, d.log)
		if err != nil {
			return nil, err
		}
		d.ssh = srv
	}
	return d, nil
}

// Register adds (or replaces) a job by name; call it before Run. The HubEE sync plugs
// in this way: d.Register(daemon.JobHubEESync, func(ctx) (daemon.Result, error) {…}).
func (d *Daemon) Register(name string, fn JobFunc) {
	if j := d.jobs[name]; j != nil {
		j.fn = fn
		return
	}
	d.jobs[name] = &job{name: name, fn: fn}
}

// Jobs lists the registered job names, sorted.
func (d *Daemon) Jobs() []string { return slices.Sorted(maps.Keys(d.jobs)) }

// SSHAddr is the SSH server's listening address once Run has started it ("" if none).
func (d *Daemon) SSHAddr() string {
	if d.ssh == nil {
		return ""
	}
	return d.health.sshAddr()
}

// Run starts the schedules and the SSH server and blocks until ctx is done; then it
// stops cleanly (see Shutdown) and returns nil, or the SSH server's start error.
func (d *Daemon) Run(ctx context.Context) error {
	if d.ssh != nil {
		ln, err := listen(d.o.SSH.Listen)
		if err != nil {
			return err
		}
		d.health.setSSH(ln.Addr().String())
		d.sshErr = make(chan error, 1)
		go func() { d.sshErr <- d.ssh.Serve(ln) }()
		d.log.Info("serveur SSH de l'interface démarré", "adresse", ln.Addr().String())
	}
	d.cronMu.Lock()
	d.cron = cron.New()
	for _, name := range d.Jobs() {
		j := d.jobs[name]
		if j.schedule == nil {
			continue
		}
		j.entry = d.cron.Schedule(j.schedule, cron.FuncJob(func() { d.RunJob(name) }))
	}
	d.cron.Start()
	d.cronMu.Unlock()
	for _, name := range d.Jobs() {
		if next := d.next(d.jobs[name]); !next.IsZero() {
			d.health.setNext(name, next)
		}
	}
	d.health.started()
	d.log.Info("démon démarré", "tâches", d.scheduled())
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	for _, c := range d.o.Watch {
		go d.watch(watchCtx, c)
	}
	if d.o.ResumeAtStart {
		go d.RunJob(JobResumeCampaigns)
	}
	var sshErr error
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case name := <-d.o.Fire: // a nil channel never fires
			go d.RunJob(name) // as cron does: each run in its own goroutine
		case sshErr = <-d.sshErr:
			if errors.Is(sshErr, ssh.ErrServerClosed) {
				sshErr = nil
			} else if sshErr != nil {
				sshErr = fmt.Errorf("serveur SSH : %w", sshErr)
			}
			break wait
		}
	}
	if err := d.Shutdown(); err != nil {
		d.log.Warn("arrêt du démon", "erreur", err)
	}
	return sshErr
}

func (d *Daemon) scheduled() string {
	var s []string
	for _, name := range d.Jobs() {
		if j := d.jobs[name]; j.schedule != nil {
			s = append(s, name+"="+j.spec)
		}
	}
	sort.Strings(s)
	return fmt.Sprint(s)
}

// RunJob runs a job now, unless a run of it is in flight (then it logs and skips) or
// the daemon is stopping. It reports whether the job ran.
func (d *Daemon) RunJob(name string) bool {
	j := d.jobs[name]
	if j == nil {
		d.log.Warn("tâche inconnue", "tâche", name)
		return false
	}
	// Checked and counted under stopMu: a run that passed the check is one Shutdown
	// waits for, never one that starts on a store being closed.
	d.stopMu.Lock()
	select {
	case <-d.stop:
		d.stopMu.Unlock()
		return false
	default:
	}
	d.running.Add(1)
	d.stopMu.Unlock()
	defer d.running.Done()
	if !j.busy.TryLock() { // never two runs of one job at once
		d.log.Warn("tâche encore en cours : cette exécution est sautée", "tâche", name)
		d.health.skipped(name)
		return false
	}
	defer j.busy.Unlock()

	start := d.o.Now()
	d.health.begin(name, start)
	ctx := domain.WithStop(d.hardCtx, d.stop)
	res, err := runSafely(ctx, j.fn)
	dur := d.o.Now().Sub(start)
	attrs := []any{"tâche", name, "durée", dur.Round(time.Millisecond).String()}
	for _, k := range slices.Sorted(maps.Keys(res)) {
		attrs = append(attrs, k, res[k])
	}
	d.health.end(name, start, dur, res, err, d.next(j))
	if err != nil {
		d.log.Error("tâche en échec", append(attrs, "erreur", err.Error())...)
	} else {
		d.log.Info("tâche terminée", attrs...)
	}
	return true
}

// next is the job's next scheduled run, zero when none.
func (d *Daemon) next(j *job) time.Time {
	d.cronMu.Lock()
	defer d.cronMu.Unlock()
	if d.cron == nil || j.schedule == nil {
		return time.Time{}
	}
	return d.cron.Entry(j.entry).Next
}

// runSafely runs fn; a panic is a failed run, not a dead daemon.
func runSafely(ctx context.Context, fn JobFunc) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("erreur interne : %v", r)
		}
	}()
	return fn(ctx)
}

// Shutdown stops scheduling, tells the jobs in flight to stop after their step, lets
// the campaign sends in flight finish (Engine.Shutdown), closes the SSH server, and
// writes the health records a last time. Past ShutdownTimeout, what is still running
// is cancelled (nothing is lost: each step is stored before the next). The store is
// closed by the caller afterwards.
func (d *Daemon) Shutdown() error {
	d.stopMu.Lock()
	select {
	case <-d.stop:
		d.stopMu.Unlock()
		return nil
	default:
	}
	close(d.stop)
	d.stopMu.Unlock()
	d.log.Info("arrêt demandé : fin des étapes en cours")
	d.cronMu.Lock()
	if d.cron != nil {
		d.cron.Stop()
	}
	d.cronMu.Unlock()
	timeout, cancel := context.WithTimeout(context.Background(), d.o.ShutdownTimeout)
	defer cancel()
	var errs []error
	if d.ssh != nil {
		sctx, scancel := context.WithTimeout(context.Background(), time.Second)
		if err := d.ssh.Shutdown(sctx); err != nil { // sessions still open: closed
			_ = d.ssh.Close()
		}
		scancel()
	}
	jobsDone := make(chan struct{})
	go func() {
		d.running.Wait()
		close(jobsDone)
	}()
	if err := d.o.Engine.Shutdown(timeout); err != nil {
		errs = append(errs, fmt.Errorf("envois de campagne interrompus (repris au prochain démarrage) : %w", err))
	}
	select {
	case <-jobsDone:
	case <-timeout.Done():
		d.hardStop()
		<-jobsDone
		errs = append(errs, errors.New("tâches interrompues au délai d'arrêt (reprises au prochain démarrage)"))
	}
	d.hardStop()
	d.health.stopped()
	d.log.Info("démon arrêté")
	return errors.Join(errs...)
}

// ResumeJob is resume_campaigns: Engine.Resume.
func ResumeJob(e *domain.Engine) JobFunc {
	return func(ctx context.Context) (Result, error) {
		n, err := e.Resume(ctx)
		return Result{"campagnes_reprises": n}, err
	}
}

// DigiposteJob is digiposte_cycle: Engine.DigiposteCycle, with its counts.
func DigiposteJob(e *domain.Engine) JobFunc {
	return func(ctx context.Context) (Result, error) {
		r, err := e.DigiposteCycle(ctx)
		res := Result{"campagnes": r.Campaigns, "retours": r.Returns, "acquittés": r.Acknowledged,
			"ouverts": r.Opened, "refusés": r.Refused, "résiliés": r.Cancelled, "adhésions": r.Requested,
			"courriels_coffre": r.VaultMails, "courriels_en_échec": r.VaultMailFailed, "déposés": r.Deposited,
			"campagnes_terminées": r.Finished}
		if r.AdhesionBatch != "" {
			res["lot_adhésions"] = r.AdhesionBatch
		}
		if r.DepositBatch != "" {
			res["lot_dépôt"] = r.DepositBatch
		}
		return res, err
	}
}
