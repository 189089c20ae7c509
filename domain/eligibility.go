package domain

import (
	"context"
	"fmt"
	"time"
)

// One computation of who a campaign serves, used by the preview, the launch
// confirmation (UI and CLI) and the run: ForMode applies a delivery mode to a row
// assessed by the rules, PlanOf counts what a launch will do with rows.

// ReasonNoEmailDigiposte: Digiposte invites the student to open a vault by e-mail.
const ReasonNoEmailDigiposte = "sans adresse électronique"

// ReasonServedPrefix starts the reason of a student left out because an earlier
// campaign already served the same attestation.
const ReasonServedPrefix = "déjà servi"

// ForMode applies the delivery mode's own condition to a row assessed by the rules
// (R10–R15, Row.RuleEligible): both modes need the student's e-mail address (the
// attestation is mailed; Digiposte invites by e-mail). Idempotent: a row previewed
// in one mode may be launched in the other.
func ForMode(row Row, mode Mode) Row {
	reasons := make([]string, 0, len(row.Reasons))
	for _, r := range row.Reasons {
		if r != ReasonNoEmail && r != ReasonNoEmailDigiposte {
			reasons = append(reasons, r)
		}
	}
	row.Reasons, row.Eligible = reasons, row.RuleEligible
	if row.Student.Email != "" || row.Err != "" || !needsAddress(mode) {
		return row // no channel (an attestation rendered on demand) or print: no address needed
	}
	row.Eligible = false
	if mode == ModeDigiposte {
		row.Reasons = append(row.Reasons, ReasonNoEmailDigiposte)
	} else {
		row.Reasons = append(row.Reasons, ReasonNoEmail)
	}
	return row
}

// Served is an earlier delivery of the same attestation (same year and VDI).
type Served struct {
	At       time.Time
	Campaign string
	Mode     Mode
}

// LaunchPlan is what launching rows in a mode will do.
type LaunchPlan struct {
	Mode     Mode
	Students int
	// Eligible will be served by this campaign.
	Eligible int
	// Excluded get no attestation (not admitted, blocked, no address, already served…).
	Excluded int
	// NoEmail: eligible by the rules but without an e-mail address.
	NoEmail int
	// Served: eligible students an earlier campaign already served (mail or Digiposte),
	// the last time on ServedLast. Left out unless IncludeServed.
	Served        int
	ServedLast    time.Time
	IncludeServed bool
}

// PlanOf counts what a launch of rows in mode does; served comes from Engine.ServedBefore.
func PlanOf(rows []Row, mode Mode, served map[string]Served, includeServed bool) LaunchPlan {
	p := LaunchPlan{Mode: mode, Students: len(rows), IncludeServed: includeServed}
	for _, r := range rows {
		r = ForMode(r, mode)
		if r.RuleEligible && r.Student.Email == "" && r.Err == "" && needsAddress(mode) {
			p.NoEmail++
		}
		if r.Eligible {
			if s, ok := served[r.Student.Code]; ok {
				p.Served++
				if s.At.After(p.ServedLast) {
					p.ServedLast = s.At
				}
				if !includeServed {
					p.Excluded++
					continue
				}
			}
			p.Eligible++
			continue
		}
		p.Excluded++
	}
	return p
}

// ServedBefore maps the code of every student already served an attestation of that
// year and VDI (mailed or deposited, in any earlier campaign) to the last delivery.
func (e *Engine) ServedBefore(year string, vdi VDI) (map[string]Served, error) {
	if e.store == nil {
		return nil, errNoStore
	}
	camps, err := e.store.Campaigns()
	if err != nil {
		return nil, err
	}
	out := map[string]Served{}
	for _, c := range camps {
		if c.Year != year || c.VDI.Key() != vdi.Key() || c.TestMode {
			continue // a test campaign reached nobody
		}
		entries, err := e.store.Entries(c.ID)
		if err != nil {
			return nil, err
		}
		for _, en := range entries {
			if !en.State.Done() {
				continue
			}
			if s, ok := out[en.Student.Code]; !ok || en.UpdatedAt.After(s.At) {
				out[en.Student.Code] = Served{At: en.UpdatedAt, Campaign: c.ID, Mode: c.Mode}
			}
		}
	}
	return out, nil
}

// Plan is the launch confirmation's numbers for rows of a preview of req (R02): the
// same computation Launch applies.
func (e *Engine) Plan(ctx context.Context, user User, req PreviewRequest, rows []Row, mode Mode, includeServed bool) (LaunchPlan, error) {
	if _, err := e.requireComponent(ctx, user, req.Component); err != nil {
		return LaunchPlan{}, err
	}
	if mode == "" {
		mode = e.modeOf(req)
	}
	served := map[string]Served{}
	if e.store != nil {
		var err error
		if served, err = e.ServedBefore(req.Year, req.VDI); err != nil {
			return LaunchPlan{}, err
		}
	}
	return PlanOf(rows, mode, served, includeServed), nil
}

// servedReason is the exclusion reason of a student served before.
func servedReason(s Served) string {
	return fmt.Sprintf("%s le %s (campagne %s, %s)", ReasonServedPrefix, s.At.Format("02/01/2006"), s.Campaign, s.Mode.Label())
}

// needsAddress: the mode's channel cannot serve a student without an e-mail address.
func needsAddress(mode Mode) bool {
	ch, ok := ChannelOf(mode)
	return ok && ch.Needs().Address
}
