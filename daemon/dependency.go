package daemon

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Dependency is the state of an outside system the daemon needs for part of its work
// (Apogée): it starts and serves the UI without it, says so in the health file, and
// keeps checking.
type Dependency struct {
	Name      string    `json:"name"`
	Available bool      `json:"available"`
	Error     string    `json:"error,omitempty"`
	Since     time.Time `json:"since,omitzero"` // of the current state
	Checked   time.Time `json:"checked,omitzero"`
}

// DependencyCheck watches one system: Check is called at start, then every RetryEvery
// while it fails and every Every while it answers. OnChange (optional) hears each
// result (metrics).
type DependencyCheck struct {
	Name       string
	Check      func(context.Context) error
	Every      time.Duration // default 5 min
	RetryEvery time.Duration // default 30 s
	Timeout    time.Duration // of one check; default 30 s
	OnResult   func(available bool)
}

func (b *healthBook) setDependency(dep Dependency) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.status.Dependencies {
		if b.status.Dependencies[i].Name == dep.Name {
			if b.status.Dependencies[i].Available == dep.Available {
				dep.Since = b.status.Dependencies[i].Since
			}
			b.status.Dependencies[i] = dep
			b.writeFile()
			return
		}
	}
	b.status.Dependencies = append(b.status.Dependencies, dep)
	b.writeFile()
}

// watch runs one DependencyCheck until ctx ends.
func (d *Daemon) watch(ctx context.Context, c DependencyCheck) {
	every, retry, timeout := c.Every, c.RetryEvery, c.Timeout
	if every <= 0 {
		every = 5 * time.Minute
	}
	if retry <= 0 {
		retry = 30 * time.Second
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	wasUp := true
	for first := true; ; first = false {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := c.Check(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		now := d.o.Now()
		dep := Dependency{Name: c.Name, Available: err == nil, Since: now, Checked: now}
		wait := every
		if err != nil {
			dep.Error = err.Error()
			wait = retry
			if wasUp || first {
				d.log.Warn(c.Name+" indisponible : ce qui en a besoin attend son retour", "erreur", err, "nouvel_essai", retry.String())
			}
		} else if !wasUp {
			d.log.Info(c.Name + " de nouveau disponible")
		}
		wasUp = err == nil
		if c.OnResult != nil { // before the health file: whoever reads it sees the gauge set
			c.OnResult(err == nil)
		}
		d.health.setDependency(dep)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// writeDependencies prints one line per watched system (for `hypercerts status`).
func writeDependencies(w io.Writer, deps []Dependency) {
	for _, dep := range deps {
		at := dep.Checked.Local().Format("02/01 15:04:05")
		if dep.Available {
			fmt.Fprintf(w, "%s : disponible (vérifié le %s)\n", dep.Name, at)
			continue
		}
		fmt.Fprintf(w, "%s : INDISPONIBLE depuis le %s (dernier essai le %s) : %s ; nouvel essai automatique\n",
			dep.Name, dep.Since.Local().Format("02/01 15:04:05"), at, dep.Error)
	}
}
