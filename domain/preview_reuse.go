package domain

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// A launch confirmed minutes after a preview reuses the preview's rows (issue 13, item
// 8): reading every student again doubles the load on Apogée and keeps a large class
// waiting at the confirmation. Only what can change in minutes is read again: the
// blockings (R15, from the administrative info call).

// DefaultPreviewReuse is Settings.PreviewReuse's default.
const DefaultPreviewReuse = 15 * time.Minute

// PreviewSnapshot is a finished preview handed to Launch: its request, its rows and
// when it was read.
type PreviewSnapshot struct {
	Request PreviewRequest
	Rows    []Row
	At      time.Time
}

// Source labels (the launch confirmation, the CLI and the audit log).
const SourceFullRead = "relecture complète d'Apogée"

// SourceLabel says where a launch takes its students from: the preview read at at
// (blockings read again), or Apogée in full when reuse is false.
func SourceLabel(reuse bool, at time.Time) string {
	if !reuse {
		return SourceFullRead
	}
	return "d'après l'aperçu de " + at.Format("15:04") + ", blocages revérifiés"
}

// PreviewFresh tells whether a preview read at at is young enough to be reused by a
// launch now (Settings.PreviewReuse; a negative setting never reuses).
func (e *Engine) PreviewFresh(at time.Time) bool {
	if at.IsZero() || e.settings.PreviewReuse < 0 {
		return false
	}
	age := e.clock.Now().Sub(at)
	return age >= 0 && age < e.settings.PreviewReuse
}

// reusable: the snapshot previews that very request and is fresh.
func (e *Engine) reusable(p *PreviewSnapshot, req PreviewRequest) bool {
	if p == nil || len(p.Rows) == 0 || !e.PreviewFresh(p.At) {
		return false
	}
	q := p.Request
	return q.Year == req.Year && q.Component == req.Component && q.VDI.Key() == req.VDI.Key() &&
		slices.Equal(vetKeys(q.VETs), vetKeys(req.VETs))
}

func vetKeys(vets []VET) []string {
	keys := make([]string, len(vets))
	for i, v := range vets {
		keys[i] = v.Key()
	}
	slices.Sort(keys)
	return keys
}

// recheck reads again the blockings of every previewed student they decide for and
// applies them (R15), in the preview's order, with Settings.Concurrency calls in
// flight. A row the preview could not read is assessed again in full.
func (e *Engine) recheck(ctx context.Context, year string, vdi VDI, mode Mode, rows []Row) ([]Row, error) {
	out := make([]Row, len(rows))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(e.settings.Concurrency, max(len(rows), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out[i] = e.recheckRow(ctx, year, vdi, mode, rows[i])
			}
		}()
	}
	for i := range rows {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out, ctx.Err()
}

func (e *Engine) recheckRow(ctx context.Context, year string, vdi VDI, mode Mode, row Row) Row {
	ref := studentInVETs{StudentRef: StudentRef{Code: row.Student.Code, LastName: row.Student.LastName, FirstName: row.Student.FirstName1}, vets: row.VETs}
	if row.Err != "" {
		return e.assess(ctx, year, vdi, mode, ref)
	}
	if !blockingsDecide(row) {
		return ForMode(row, mode) // excluded by R10–R13 whatever its blockings: no call
	}
	adm, err := call(ctx, e, func() (AdminInfo, error) { return e.apogee.AdminInfo(ctx, row.Student.Code) })
	if err != nil {
		row.Err = err.Error()
		row.Reasons = append(row.Reasons, "lecture Apogée impossible : "+err.Error())
		row.Eligible, row.RuleEligible = false, false
		return row
	}
	// The rule reasons other than the blockings stay (Assess: contract, verdict, R13).
	reasons := make([]string, 0, len(row.Reasons)+len(adm.Blockings))
	for _, r := range row.Reasons {
		if !strings.HasPrefix(r, ReasonBlocked+" : ") {
			reasons = append(reasons, r)
		}
	}
	for _, b := range adm.Blockings {
		reasons = append(reasons, ReasonBlocked+" : "+b.String())
	}
	row.Blockings, row.Reasons = adm.Blockings, reasons
	rule := reasons[:0:0]
	for _, r := range reasons {
		if r != ReasonNoEmail && r != ReasonNoEmailDigiposte {
			rule = append(rule, r)
		}
	}
	row.RuleEligible = len(rule) == 0
	return ForMode(row, mode)
}

// blockingsDecide: the row's only rule reasons, if any, are blockings, so a blocking
// put or lifted since the preview changes whether the student is served. A student
// excluded by the contract, the verdict or R13 stays excluded: reading their
// blockings again would cost a call for nothing.
func blockingsDecide(row Row) bool {
	for _, r := range row.Reasons {
		if r != ReasonNoEmail && r != ReasonNoEmailDigiposte && !strings.HasPrefix(r, ReasonBlocked+" : ") {
			return false
		}
	}
	return true
}
