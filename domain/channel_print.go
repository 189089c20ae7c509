package domain

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The print channel: at launch, every eligible student's attestation goes into one
// PDF for printing (the scolarité prints and hands them out or posts them), written
// with a CSV of its students under the configured folder by the Printer. The
// students are served once the batch is written (R07: a relaunch only takes those not
// in a written batch). No e-mail address is needed.

// ModePrint is the print channel's mode.
const ModePrint Mode = "impression"

// The print channel's entry states.
const (
	EntryPrinted     EntryState = "printed"
	EntryPrintFailed EntryState = "print_failed"
)

// batchPrint prefixes the print batches' ids (Entry.Batch).
const batchPrint = "P"

type printChannel struct{}

func (printChannel) Mode() Mode    { return ModePrint }
func (printChannel) Label() string { return "impression" }
func (printChannel) Needs() Needs  { return Needs{Printer: true} }

func (printChannel) States() []StateInfo {
	return []StateInfo{
		{EntryPrinted, "imprimé", OutcomeServed},
		{EntryPrintFailed, "échec d'impression", OutcomeFailed},
	}
}

func (printChannel) Path() []EntryState { return []EntryState{EntryEligible, EntryPrinted} }

func (printChannel) OutcomeLabel(o Outcome) string {
	return [...]string{OutcomeExcluded: "exclus", OutcomePending: "à imprimer", OutcomeServed: "imprimés",
		OutcomeFailed: "en échec", OutcomeClosed: "clos"}[o]
}

func (printChannel) Relaunch() (bool, string)             { return true, "" }
func (printChannel) Checks() []Check                      { return []Check{CheckPrint} }
func (printChannel) runner() runner                       { return printChannel{} }
func (printChannel) ready(context.Context, *Engine) error { return nil }

// run writes the run's entries as one batch. The batch id is stored on the entries
// before the files are written, so an interrupted batch is written again under the
// same name; the entries become "printed" once the Printer says the files are
// complete.
func (printChannel) run(e *Engine, rs *campaignRuns, r *campaignRun) (interrupted bool, fatal error) {
	if len(r.todo) == 0 {
		return false, nil
	}
	select {
	case <-rs.stop:
		return true, nil
	default:
	}
	now := e.clock.Now()
	batch := printBatchID(r.camp.ID, now, r.todo)
	if prev := r.todo[0].Batch; strings.HasPrefix(prev, batchPrint) {
		same := true
		for _, en := range r.todo {
			same = same && en.Batch == prev
		}
		if same { // an interrupted batch: written again under its name
			batch = prev
		}
	}
	b := PrintBatch{ID: batch, Campaign: r.camp, CreatedAt: now, Attestations: make([]Attestation, len(r.todo))}
	for i := range r.todo {
		en := &r.todo[i]
		a := AttestationFor(r.camp, *en, r.sig, now)
		en.Batch, en.Reference, en.UpdatedAt = batch, a.Reference, now
		b.Attestations[i] = a
	}
	if err := e.store.PutEntries(r.camp.ID, r.todo); err != nil { // the batch id first
		return false, fmt.Errorf("base non modifiable, campagne suspendue : %w", err)
	}
	r.update(e.clock.Now(), func(p *Progress) {
		p.Current = fmt.Sprintf("lot d'impression %s : %d attestations", batch, len(r.todo))
	})
	path, err := e.printer.Print(rs.base, b)
	if err != nil && rs.base.Err() != nil {
		return true, nil // hard stop: written again, same name, at the next resume
	}
	to, reason := EntryPrinted, ""
	if err != nil {
		to, reason = EntryPrintFailed, "lot d'impression "+batch+" : "+err.Error()
		e.log.Warn("lot d'impression non écrit", "campagne", r.camp.ID, "lot", batch, "erreur", err)
	} else {
		e.log.Info("lot d'impression écrit", "campagne", r.camp.ID, "lot", batch, "attestations", len(r.todo), "fichier", path)
	}
	now = e.clock.Now()
	from := make([]EntryState, len(r.todo))
	for i := range r.todo {
		en := &r.todo[i]
		from[i] = en.State
		en.State, en.LastError, en.Retryable, en.UpdatedAt = to, reason, err != nil, now
		if err != nil {
			en.Attempts++
		}
	}
	if err := e.store.PutEntries(r.camp.ID, r.todo); err != nil {
		return false, fmt.Errorf("base non modifiable, campagne suspendue : %w", err)
	}
	r.update(now, func(p *Progress) {
		for i := range r.todo {
			p.move(from[i], to)
		}
		p.Processed += len(r.todo)
		if err != nil {
			p.addError(reason)
		}
	})
	detail := fmt.Sprintf("lot d'impression %s écrit : %d attestations (%s)", batch, len(r.todo), path)
	if err != nil {
		detail = reason
	}
	_ = e.store.AppendAudit(r.camp.ID, AuditRecord{At: now, User: r.user, Action: AuditPrint, Detail: detail})
	e.saveCounts(r, true)
	return false, nil
}

// AuditPrint is the audit action of a print batch.
const AuditPrint = "impression"

// printBatchID is "P20261203-1a2b3c4d5e6f": the day and a digest of the campaign and
// its students, so that the same batch keeps the same name.
func printBatchID(campaignID string, now time.Time, entries []Entry) string {
	keys := make([]string, len(entries))
	for i, en := range entries {
		keys[i] = campaignID + "/" + en.Student.Code
	}
	return digestID(batchPrint, now, keys)
}
