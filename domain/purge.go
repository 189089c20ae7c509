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

// Compacter is a store whose file keeps the bytes of deleted data in its free pages
// until rewritten: Purge compacts it after removing anything, so that the purged data
// are gone from the file and from every later backup (store.Store.Compact).
type Compacter interface {
	Compact() error
}

// CopyPruner is a store that keeps whole copies of itself beside it (restore keeps the
// base it replaced): Purge removes those made before the retention limit.
type CopyPruner interface {
	PruneRestoreCopies(limit time.Time) ([]string, error)
}

// PurgeReport says what a purge did.
type PurgeReport struct {
	Campaigns []string // campaigns whose personal data were removed, in this run
	Entries   int      // student entries removed
	Kept      int      // ended campaigns not old enough yet
	Already   int      // campaigns purged by an earlier run
	// HubEECases: finished HubEE cases whose applicant, student and files were removed.
	HubEECases int
	// Compacted: the store file was rewritten without the freed pages.
	Compacted bool
	// CopiesRemoved: copies of older bases (kept by restore) removed for retention.
	CopiesRemoved []string
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
		e.log.Info("purge : données personnelles effacées", "campagne", c.ID, "étudiants", n, "terminée_le", ended.Format(time.DateOnly))
		rep.Campaigns = append(rep.Campaigns, c.ID)
		rep.Entries += n
	}
	n, err := e.purgeHubEECases(ctx, limit, now)
	rep.HubEECases = n
	if err != nil {
		return rep, err
	}
	return rep, e.scrub(&rep, limit)
}

// scrub makes the purge real on disk: the store file is compacted when anything was
// removed (bbolt leaves deleted bytes in free pages), and restore's old copies past the
// retention limit are deleted.
func (e *Engine) scrub(rep *PurgeReport, limit time.Time) error {
	var errs []error
	if c, ok := e.store.(Compacter); ok && (len(rep.Campaigns) > 0 || rep.HubEECases > 0) {
		if err := c.Compact(); err != nil {
			errs = append(errs, err)
		} else {
			rep.Compacted = true
			e.log.Info("purge : base compactée, les données effacées ne sont plus dans le fichier")
		}
	}
	if p, ok := e.store.(CopyPruner); ok {
		removed, err := p.PruneRestoreCopies(limit)
		rep.CopiesRemoved = removed
		for _, f := range removed {
			e.log.Info("purge : copie d'avant restauration supprimée (conservation)", "fichier", f)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("copies d'avant restauration : %w", err))
		}
	}
	return errors.Join(errs...)
}

// purgeHubEECases removes the personal data of the HubEE cases finished before limit:
// the applicant, the student, the identity attributes and every stored file (the
// request's attachments, the PDF answered). What HubEE was told, when, and the outcome
// stay for the record.
func (e *Engine) purgeHubEECases(ctx context.Context, limit, now time.Time) (int, error) {
	hs, ok := e.store.(HubStore)
	if !ok {
		return 0, nil
	}
	cases, err := hs.HubEECases()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cases {
		// A case handed to a person and left untouched for the whole retention period
		// is purged too: its files must not outlive it. It waits for nobody any more.
		if (c.Step != HubStepFinished && !c.NeedsPerson) || !c.PurgedAt.IsZero() || c.Updated.After(limit) {
			continue
		}
		c.NeedsPerson = false
		if err := ctx.Err(); err != nil {
			return n, err
		}
		c.Applicant, c.PartnerAttributes, c.StudentCode, c.StudentName = HubApplicant{}, "", "", ""
		c.Files, c.Deposit.Key, c.PurgedAt = nil, "", now
		for i := range c.Events {
			c.Events[i].Message = ""
		}
		if err := hs.PurgeHubEECase(c); err != nil {
			return n, fmt.Errorf("purge du dossier HubEE %s : %w", c.ExternalID, err)
		}
		e.log.Info("purge : dossier HubEE anonymisé", "dossier", c.ExternalID, "résultat", c.Outcome)
		n++
	}
	return n, nil
}
