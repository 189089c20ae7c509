package domain

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// AuditPurge is the audit action of a retention purge.
const AuditPurge = "purge"

// EntryPurger is what the store must offer for the retention purge: in one
// transaction, remove every entry (each student's identity, e-mail, verdict, delivery
// state) of a campaign and append to its audit log the record record(n) built from the
// number n of entries removed; return n. The campaign record (with its counts) and the
// rest of its audit log stay. Either both happen or neither.
type EntryPurger interface {
	PurgeEntries(campaignID string, record func(n int) AuditRecord) (int, error)
}

// PurgeReport says what a purge did.
type PurgeReport struct {
	Campaigns []string // campaigns whose personal data were removed, in this run
	Entries   int      // student entries removed
	Kept      int      // ended campaigns not old enough yet
	Already   int      // campaigns purged by an earlier run
}

// Purge removes the personal data of the campaigns that ended (finished or failed) more
// than olderThan ago (daemon.retention_days): their per-student entries. The campaign
// itself stays, with its counts by state, and so does its audit log, which records the
// purge in the same transaction. Running campaigns and campaigns waiting for Digiposte
// are never touched. A purge interrupted by ctx (or a crash) leaves every campaign either
// purged and recorded or untouched; the next run carries on. olderThan ≤ 0 purges nothing (retention disabled).
func (e *Engine) Purge(ctx context.Context, olderThan time.Duration) (PurgeReport, error) {
	var rep PurgeReport
	if olderThan <= 0 {
		return rep, nil
	}
	if e.store == nil {
		return rep, errors.New("purge impossible : aucune base ouverte")
	}
	p, ok := e.store.(EntryPurger)
	if !ok {
		return rep, errors.New("purge impossible : la base ne sait pas effacer les entrées d'une campagne")
	}
	now := e.clock.Now()
	limit := now.Add(-olderThan)
	camps, err := e.store.Campaigns()
	if err != nil {
		return rep, err
	}
	for _, c := range camps {
		if c.State != CampaignFinished && c.State != CampaignFailed {
			continue
		}
		if e.isActive(c.ID) {
			continue
		}
		ended := c.FinishedAt
		if ended.IsZero() {
			ended = c.UpdatedAt
		}
		if ended.IsZero() {
			ended = c.CreatedAt
		}
		if ended.After(limit) {
			rep.Kept++
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		audit, err := e.store.Audit(c.ID)
		if err != nil {
			return rep, err
		}
		purged := false
		for _, r := range audit {
			purged = purged || r.Action == AuditPurge
		}
		if purged {
			rep.Already++
			continue
		}
		days := int(olderThan / (24 * time.Hour))
		n, err := p.PurgeEntries(c.ID, func(n int) AuditRecord {
			return AuditRecord{At: now, User: systemUser, Action: AuditPurge, Detail: fmt.Sprintf(
				"données personnelles effacées : %d étudiants (campagne terminée le %s, conservation %d jours) ; décomptes et journal conservés",
				n, ended.Format("02/01/2006"), days)}
		})
		if err != nil {
			return rep, fmt.Errorf("purge de la campagne %s : %w", c.ID, err)
		}
		e.log.Info("purge : données personnelles effacées", "campagne", c.ID, "étudiants", n, "terminée", ended.Format(time.DateOnly))
		rep.Campaigns = append(rep.Campaigns, c.ID)
		rep.Entries += n
	}
	return rep, nil
}
