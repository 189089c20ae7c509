package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"hypercerts/store"
	"hypercerts/ui/i18n"
)

// The health records: one per job, in the store's bucket v1/health (job name → JSON
// Health), and all of them, with the daemon's own state, in a JSON file beside the
// store (HealthFilePath), rewritten atomically (temporary file + rename) at each
// change. bbolt lets one process open the store: while the daemon runs, `hypercerts
// status` reads the file; when it does not, the store.

// Health is one job's health record.
type Health struct {
	Job         string        `json:"job"`
	Schedule    string        `json:"schedule,omitempty"` // empty: not scheduled
	Running     bool          `json:"running"`
	LastRun     time.Time     `json:"last_run,omitzero"` // start of the last run
	LastSuccess time.Time     `json:"last_success,omitzero"`
	LastError   string        `json:"last_error,omitempty"` // of the last run; empty when it succeeded
	LastErrorAt time.Time     `json:"last_error_at,omitzero"`
	Duration    time.Duration `json:"duration_ns"` // of the last run
	Runs        int           `json:"runs"`
	Failures    int           `json:"failures"`
	Skipped     int           `json:"skipped"` // runs skipped because one was in flight
	LastResult  Result        `json:"last_result,omitempty"`
	Next        time.Time     `json:"next,omitzero"`
}

// Status is the daemon's state as the health file tells it.
type Status struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started,omitzero"`
	Stopped time.Time `json:"stopped,omitzero"` // zero while it runs
	Updated time.Time `json:"updated"`
	SSH     string    `json:"ssh,omitempty"` // listening address
	Jobs    []Health  `json:"jobs"`
	// Dependencies are the outside systems the daemon watches (Apogée).
	Dependencies []Dependency `json:"dependencies,omitempty"`
}

// Running reports whether the file describes a daemon that has not stopped.
func (s Status) Running() bool { return !s.Started.IsZero() && s.Stopped.IsZero() }

// HealthFilePath is the health file of a store: "<store>.health.json".
func HealthFilePath(storePath string) string { return storePath + ".health.json" }

// ReadHealthFile reads a health file.
func ReadHealthFile(path string) (Status, error) {
	var s Status
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("fichier de santé %s illisible : %w", path, err)
	}
	return s, nil
}

// ReadHealth reads the health records kept in the store, sorted by job.
func ReadHealth(st *store.Store) ([]Health, error) {
	var out []Health
	err := st.JobHealth(func(job string, v []byte) error {
		var h Health
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("santé de la tâche %s illisible : %w", job, err)
		}
		out = append(out, h)
		return nil
	})
	slices.SortFunc(out, func(a, b Health) int { return strings.Compare(a.Job, b.Job) })
	return out, err
}

// healthBook keeps the records in memory and writes them out at each change.
type healthBook struct {
	mu     sync.Mutex
	st     *store.Store
	file   string
	now    func() time.Time
	status Status
	jobs   map[string]*Health
	errLog func(error)
}

func newHealthBook(st *store.Store, file string, now func() time.Time) *healthBook {
	b := &healthBook{st: st, file: file, now: now, jobs: map[string]*Health{}, status: Status{PID: os.Getpid()}}
	if st != nil { // carry the history over from the last run
		if old, err := ReadHealth(st); err == nil {
			for _, h := range old {
				h.Running, h.Next = false, time.Time{}
				b.jobs[h.Job] = &h
			}
		}
	}
	return b
}

// declare records a job's schedule, without writing the record.
func (b *healthBook) declare(name, spec string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.job(name).Schedule = spec
}

// change applies fn to a job's record and writes it.
func (b *healthBook) change(name string, fn func(h *Health)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.job(name)
	if fn != nil {
		fn(h)
	}
	b.flush(h)
}

// job is a job's record, made on first use; b.mu is held.
func (b *healthBook) job(name string) *Health {
	h := b.jobs[name]
	if h == nil {
		h = &Health{Job: name}
		b.jobs[name] = h
	}
	return h
}

func (b *healthBook) begin(name string, at time.Time) {
	b.change(name, func(h *Health) { h.Running, h.LastRun = true, at })
}

func (b *healthBook) end(name string, start time.Time, dur time.Duration, res Result, err error, next time.Time) {
	b.change(name, func(h *Health) {
		h.Running, h.Duration, h.LastResult = false, dur, res
		h.Runs++
		if !next.IsZero() {
			h.Next = next
		}
		if err != nil {
			h.Failures++
			h.LastError, h.LastErrorAt = err.Error(), start.Add(dur)
			return
		}
		h.LastError, h.LastSuccess = "", start.Add(dur)
	})
}

func (b *healthBook) skipped(name string) { b.change(name, func(h *Health) { h.Skipped++ }) }

func (b *healthBook) setNext(name string, next time.Time) {
	b.change(name, func(h *Health) { h.Next = next })
}

func (b *healthBook) setSSH(addr string) {
	b.mu.Lock()
	b.status.SSH = addr
	b.mu.Unlock()
}

func (b *healthBook) sshAddr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status.SSH
}

func (b *healthBook) started() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status.Started = b.now()
	b.writeFile()
}

func (b *healthBook) stopped() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status.Stopped = b.now()
	for _, h := range b.jobs {
		h.Next = time.Time{}
		b.flush(h)
	}
	b.writeFile()
}

// flush writes one record to the store and the whole file; b.mu is held.
func (b *healthBook) flush(h *Health) {
	if b.st != nil {
		v, _ := json.Marshal(h)
		err := b.st.PutJobHealth(h.Job, v)
		if err != nil && b.errLog != nil {
			b.errLog(err)
		}
	}
	b.writeFile()
}

// writeFile rewrites the health file atomically; b.mu is held.
func (b *healthBook) writeFile() {
	if b.file == "" {
		return
	}
	b.status.Updated = b.now()
	b.status.Jobs = b.status.Jobs[:0]
	for _, name := range slices.Sorted(maps.Keys(b.jobs)) {
		b.status.Jobs = append(b.status.Jobs, *b.jobs[name])
	}
	data, err := json.MarshalIndent(b.status, "", "  ")
	if err == nil {
		err = writeAtomic(b.file, data)
	}
	if err != nil && b.errLog != nil {
		b.errLog(err)
	}
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600) // job outcomes and errors: for the service account only
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// WriteStatus prints the health lines (for `hypercerts status`).
func WriteStatus(w io.Writer, s Status, fromFile bool) {
	switch {
	case !fromFile:
		fmt.Fprintln(w, "démon : arrêté (santé lue dans la base)")
	case s.Running():
		fmt.Fprintf(w, "démon : en marche (pid %d, depuis %s", s.PID, s.Started.Local().Format("02/01/2006 15:04:05"))
		if s.SSH != "" {
			fmt.Fprintf(w, ", SSH %s", s.SSH)
		}
		fmt.Fprintln(w, ")")
	default:
		fmt.Fprintf(w, "démon : arrêté le %s\n", s.Stopped.Local().Format("02/01/2006 15:04:05"))
	}
	if fromFile && s.Running() {
		writeDependencies(w, s.Dependencies)
	}
	if len(s.Jobs) == 0 {
		fmt.Fprintln(w, "aucune tâche n'a encore tourné")
		return
	}
	for _, h := range s.Jobs {
		fmt.Fprintln(w, HealthLine(h))
	}
}

// HealthLine is one job's line: state, last run, last success, last error, duration.
func HealthLine(h Health) string {
	state := "OK"
	switch {
	case h.Running:
		state = "EN COURS"
	case h.LastError != "":
		state = "ÉCHEC"
	case h.Runs == 0:
		state = "JAMAIS"
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("02/01 15:04:05")
	}
	sched := h.Schedule
	if sched == "" {
		sched = "non planifiée"
	}
	line := fmt.Sprintf("%-17s %-8s dernière exécution %s (%s), dernier succès %s, %s, %s, %s ; planification %s",
		h.Job, state, at(h.LastRun), h.Duration.Round(time.Millisecond), at(h.LastSuccess), i18n.Plural(h.Runs, i18n.NounRun),
		i18n.Plural(h.Failures, i18n.NounFailure), i18n.Plural(h.Skipped, i18n.Noun{One: "sautée", Many: "sautées"}), sched)
	if !h.Next.IsZero() {
		line += ", prochaine " + at(h.Next)
	}
	if h.LastError != "" {
		line += "\n                  dernière erreur (" + at(h.LastErrorAt) + ") : " + h.LastError
	}
	return line
}
