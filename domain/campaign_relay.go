package domain

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// The mail relay as a campaign sees it: checked before the first student of a run,
// and watched during the run so that a relay that keeps failing suspends the
// campaign instead of burning every student's attempts.

// ErrRelayUnavailable: the mail relay cannot be used (down, refused, wrong password).
var ErrRelayUnavailable = errors.New("serveur de courriel indisponible")

// CampaignSuspended: a mail campaign paused because the relay kept failing; Resume
// (CLI, or the daemon's resume_campaigns job) carries on once the relay answers.
const CampaignSuspended CampaignState = "suspended"

// AuditSuspend is the audit action of a suspension.
const AuditSuspend = "suspension"

// DefaultSuspendAfter is Settings.SuspendAfter's default.
const DefaultSuspendAfter = 5

// checkRelay checks the relay without sending (domain.RelayChecker), retrying
// transient faults like any outside call. Mailers without a check pass.
func (e *Engine) checkRelay(ctx context.Context) error {
	c, ok := e.mailer.(RelayChecker)
	if !ok {
		return nil
	}
	if err := e.retry(ctx, func() error { return c.Check(ctx) }); err != nil {
		return fmt.Errorf("%w : %v", ErrRelayUnavailable, err)
	}
	return nil
}

// relayWatch counts a run's consecutive transient send failures.
type relayWatch struct {
	mu        sync.Mutex
	streak    []*Entry // entries failed transiently since the last success
	cause     error    // the last of those failures
	fails     int      // transient failures noted in the run, to date sends (mark)
	suspended bool
	stop      chan struct{} // closed when the run is suspended
}

func newRelayWatch() *relayWatch { return &relayWatch{stop: make(chan struct{})} }

// failed notes a transient failure of en; it suspends the run at the limit-th in a row.
func (w *relayWatch) failed(en *Entry, err error, limit int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.streak = append(w.streak, en)
	w.cause = err
	w.fails++
	if !w.suspended && len(w.streak) >= limit {
		w.suspended = true
		close(w.stop)
	}
}

// mark is taken before a send; ok gets it back after the send succeeded.
func (w *relayWatch) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fails
}

// ok notes a successful send begun at mark since: the failures so far were the
// recipients', not the relay's. Only when none was noted while it was in flight: with
// sends in parallel, a mail that got through before the relay went down (and was
// acknowledged after others failed) says nothing of the relay now, and must not spend
// the students of the streak (left "failed" instead of given back at suspension).
func (w *relayWatch) ok(since int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.suspended && w.fails == since {
		w.streak, w.cause = nil, nil
	}
}

// outcome tells whether the run was suspended, with the entries of the failing streak
// to give back and why (see ok: a late acknowledgement does not clear the streak).
func (w *relayWatch) outcome() (bool, []*Entry, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.suspended, append([]*Entry(nil), w.streak...), w.cause
}

// suspendRun ends a run whose relay kept failing: the students of the failing streak
// go back to "eligible" (their attempt is not spent: the relay failed, not their
// address), the campaign is stored as suspended, and the launcher is not mailed (the
// relay is down). Resume carries on.
func (e *Engine) suspendRun(rs *campaignRuns, r *campaignRun, streak []*Entry, cause error) {
	now := e.clock.Now()
	id := r.camp.ID
	back := make([]Entry, 0, len(streak))
	for _, en := range streak {
		en.State, en.Retryable, en.UpdatedAt = EntryEligible, true, now
		back = append(back, *en)
	}
	msg := fmt.Sprintf("%s : échecs temporaires répétés, %d envois à refaire (dernier : %v)", ErrRelayUnavailable, len(streak), cause)
	if err := e.store.PutEntries(id, back); err != nil {
		e.log.Error("suspension non enregistrée", "campagne", id, "erreur", err)
	}
	c, err := e.store.Campaign(id)
	if err != nil {
		c = r.camp
	}
	if entries, err := e.store.Entries(id); err == nil {
		c.Counts = countStates(entries)
	}
	c.State, c.Error, c.UpdatedAt = CampaignSuspended, msg, now
	if err := e.store.UpdateCampaign(c); err != nil {
		e.log.Error("suspension non enregistrée", "campagne", id, "erreur", err)
	}
	_ = e.store.AppendAudit(id, AuditRecord{At: now, User: systemUser, Action: AuditSuspend,
		Detail: "suspendue : " + msg + " ; reprise : hypercerts campaign resume, ou le démon"})
	e.log.Warn("campagne suspendue : serveur de courriel indisponible", "campagne", id, "échecs_consécutifs", len(streak), "erreur", cause)
	rs.mu.Lock()
	delete(rs.active, id)
	rs.mu.Unlock()
	r.end(now, func(p *Progress) {
		p.State, p.Suspended, p.Err, p.Counts = CampaignSuspended, true, "campagne suspendue : "+msg, c.Counts
	})
}
