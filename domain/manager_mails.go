package domain

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Manager mails (R17a, R17b). The "campaign created" mail is a stored step of the
// campaign, like a student's mail: recorded as pending with the campaign, sent once,
// sent again by Resume if the process died before it left (same Message-ID, so a
// receiver drops a duplicate), its outcome in the audit log. Each end summary gets
// its own Message-ID (Mail.Ref: the how-many-th end), so a second summary after a
// relaunch is not hidden as a duplicate of the first.
//
// Test mode (R18): in a test-mode campaign manager mails go to the test address too,
// the manager kept as the real recipient (banner, INFO log). A test campaign must not
// look real to the managers, and the mailer's own test-mode guard refuses any other
// address.

// ManagerMail is one "campaign created" mail to a manager (R17a).
type ManagerMail struct {
	To    string
	State string // ManagerMailPending, ManagerMailSent or ManagerMailFailed
	Error string // the last failure
	At    time.Time
}

// States of a ManagerMail.
const (
	ManagerMailPending = "pending" // to send (again, after a crash or a transient failure)
	ManagerMailSent    = "sent"
	ManagerMailFailed  = "failed" // refused for good (5xx): not tried again
)

// pendingCreationMails is one pending R17a mail per configured manager.
func (e *Engine) pendingCreationMails() []ManagerMail {
	if e.mailer == nil {
		return nil
	}
	out := make([]ManagerMail, 0, len(e.settings.Managers))
	for _, to := range e.settings.Managers {
		out = append(out, ManagerMail{To: to, State: ManagerMailPending})
	}
	return out
}

// sendCreationMails sends the campaign's pending "campaign created" mails (R17a) and
// stores each outcome before the next send. A transient failure leaves the mail
// pending, for the next Resume.
func (e *Engine) sendCreationMails(ctx context.Context, id string) {
	c, err := e.store.Campaign(id)
	if err != nil {
		return
	}
	for i, mm := range c.ManagerMails {
		if mm.State != ManagerMailPending {
			continue
		}
		m := Mail{Kind: MailCampaignCreated, CampaignID: c.ID, To: mm.To,
			Data: MailData{University: e.settings.University, DiplomaLabel: c.DiplomaLabel, YearLabel: AcademicYearLabel(c.Year),
				Campaign: c, Counts: c.Counts, TestMode: c.TestMode}}
		err := e.sendManagerMail(ctx, id, m)
		if err != nil && ctx.Err() != nil {
			return // we do not know whether it left: stays pending
		}
		now := e.clock.Now()
		mm.At = now
		switch {
		case err == nil:
			mm.State, mm.Error = ManagerMailSent, ""
			_ = e.store.AppendAudit(id, AuditRecord{At: now, User: systemUser, Action: AuditMail,
				Detail: fmt.Sprintf("courriel de création de la campagne envoyé à %s", mm.To)})
		case IsTransient(err):
			mm.Error = err.Error() // stays pending
		default:
			mm.State, mm.Error = ManagerMailFailed, err.Error()
		}
		fresh, err := e.store.Campaign(id) // other fields may have moved (counts)
		if err != nil || i >= len(fresh.ManagerMails) {
			return
		}
		fresh.ManagerMails[i] = mm
		if err := e.store.UpdateCampaign(fresh); err != nil {
			e.log.Warn("courriel aux gestionnaires : état non enregistré", "campagne", id, "erreur", err)
			return
		}
	}
}

// resumeCreationMails sends the R17a mails left pending by a crash or a relay
// failure, for every campaign not being worked through.
func (e *Engine) resumeCreationMails(ctx context.Context, list []Campaign) {
	if e.mailer == nil {
		return
	}
	for _, c := range list {
		for _, mm := range c.ManagerMails {
			if mm.State == ManagerMailPending && !e.isActive(c.ID) {
				e.sendCreationMails(ctx, c.ID)
				break
			}
		}
	}
}

// sendManagerMail sends a mail to a manager (R17a, R17b); a failure is logged and
// audited, and stops nothing. In a test-mode campaign it goes to the test address like
// every other mail (R18), the manager kept as the real recipient.
func (e *Engine) sendManagerMail(ctx context.Context, id string, m Mail) error {
	if e.mailer == nil {
		return nil
	}
	if c := m.Data.Campaign; c.TestMode && c.TestRecipient != "" {
		m.To, m.RealTo = Recipient(m.To, true, c.TestRecipient)
		m.Data.TestMode, m.Data.RealTo = true, m.RealTo
		e.log.Info("mode test : courriel aux gestionnaires envoyé à l'adresse de test", "campagne", id, "type", m.Kind,
			"destinataire_réel", m.RealTo, "destinataire", m.To)
	}
	if m.Kind == MailCampaignFinished && m.Ref == "" { // R17b: one Message-ID per summary
		m.Ref = strconv.Itoa(e.finishCount(id))
	}
	err := e.retry(ctx, func() error { return e.mailer.Send(ctx, m) })
	if err != nil {
		e.log.Warn("courriel aux gestionnaires non envoyé", "campagne", id, "type", m.Kind, "destinataire", m.To, "erreur", err)
		_ = e.store.AppendAudit(id, AuditRecord{At: e.clock.Now(), User: systemUser, Action: AuditMail,
			Detail: fmt.Sprintf("courriel %s à %s non envoyé : %v", m.Kind, m.To, err)})
	}
	return err
}

// finishCount is how many times the campaign has ended (its "fin" audit records).
func (e *Engine) finishCount(id string) int {
	audit, err := e.store.Audit(id)
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range audit {
		if r.Action == AuditFinish {
			n++
		}
	}
	return n
}
