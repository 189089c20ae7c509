package domain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
)

// The mail channel: each eligible student's attestation is rendered and mailed to
// them (R17d; R18 in test mode) at launch, with Settings.Concurrency sends in flight.

// ModeMail is the mail channel's mode.
const ModeMail Mode = "mail"

// The mail channel's entry states.
const (
	EntryRendered   EntryState = "rendered" // shown while running, never stored
	EntrySending    EntryState = "sending"  // stored just before the SMTP call
	EntryMailed     EntryState = "mailed"
	EntryMailFailed EntryState = "mail_failed"
)

type mailChannel struct{}

func (mailChannel) Mode() Mode    { return ModeMail }
func (mailChannel) Label() string { return "courriel" }
func (mailChannel) Needs() Needs {
	return Needs{Renderer: true, Mailer: true, Address: true}
}

func (mailChannel) States() []StateInfo {
	return []StateInfo{
		{EntryRendered, "attestation générée", OutcomePending},
		{EntrySending, "envoi en cours", OutcomePending},
		{EntryMailed, "envoyé", OutcomeServed},
		{EntryMailFailed, "échec d'envoi", OutcomeFailed},
	}
}

func (mailChannel) Path() []EntryState {
	return []EntryState{EntryEligible, EntryRendered, EntrySending, EntryMailed}
}

func (mailChannel) OutcomeLabel(o Outcome) string {
	return [...]string{OutcomeExcluded: "exclus", OutcomePending: "à envoyer", OutcomeServed: "envoyés",
		OutcomeFailed: "en échec", OutcomeClosed: "clos"}[o]
}

func (mailChannel) Relaunch() (bool, string) { return true, "" }
func (mailChannel) Checks() []Check          { return []Check{CheckMail} }
func (mailChannel) runner() runner           { return mailChannel{} }

// ready checks the relay (connect, EHLO, TLS, AUTH) without sending.
func (mailChannel) ready(ctx context.Context, e *Engine) error { return e.checkRelay(ctx) }

// run sends the run's entries with r.concurrency sends in flight.
func (ch mailChannel) run(e *Engine, rs *campaignRuns, r *campaignRun) (interrupted bool, fatal error) {
	jobs := make(chan int)
	rctx, cancel := renderContext(rs)
	defer cancel()
	var (
		wg       sync.WaitGroup
		failed   = make(chan struct{})
		failOnce sync.Once
	)
	for range min(r.concurrency, max(len(r.todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) {
				failOnce.Do(func() {
					fatal = err // written once, read after wg.Wait
					close(failed)
				})
			}
			var pending func() error // the last student's final state, being committed
			for i := range jobs {
				if err := ch.deliver(e, rs.base, rctx, r, &r.todo[i], &pending); err != nil {
					fail(err)
				}
			}
			if err := flush(&pending); err != nil {
				fail(err)
			}
		}()
	}
feed:
	for i := range r.todo {
		select { // a stop wins over a free worker
		case <-rs.stop:
			interrupted = true
			break feed
		case <-failed:
			break feed
		case <-r.relay.stop:
			break feed
		default:
		}
		select {
		case <-rs.stop:
			interrupted = true
			break feed
		case <-failed:
			break feed
		case <-r.relay.stop:
			break feed
		case jobs <- i:
		}
	}
	close(jobs)
	wg.Wait()
	return interrupted, fatal
}

// renderContext is the renders' context of a run: it ends at the soft stop as well as
// at the hard one. Nothing has left for a student being rendered, so a stop need not
// wait for its render, whose signature may wait for a slow time-stamping authority.
func renderContext(rs *campaignRuns) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(rs.base)
	go func() {
		select {
		case <-rs.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// deliver renders and mails one attestation. Each state is stored before the next
// outside action; it returns an error only when the store cannot be written. ctx
// ends the send (hard stop), rctx the render (any stop: see renderContext).
//
// The final state ("mailed", "mail_failed" after a send) is queued, not waited for:
// *pending waits for it, and is called before this worker's next send (with the next
// student's "sending", usually in the same group commit) or when the worker stops.
// So the next student's render overlaps that commit, and a crash still resends at
// most one mail per worker: the one sent last.
func (mailChannel) deliver(e *Engine, ctx, rctx context.Context, r *campaignRun, en *Entry, pending *func() error) error {
	camp := r.camp
	from := en.State
	r.update(e.clock.Now(), func(p *Progress) { p.Current = fmt.Sprintf("%s (%s)", en.Student.FullName(), en.Student.Code) })

	var pdf bytes.Buffer
	a := AttestationFor(camp, *en, r.sig, e.clock.Now())
	en.Reference = a.Reference // stored with the next state, before the mail leaves
	if err := e.renderTo(rctx, &pdf, a); err != nil {
		if rctx.Err() != nil {
			return nil // stopped while rendering: nothing left; stays as it was for Resume
		}
		// A time-stamping authority down is worth a relaunch; a bad signature image is not.
		return e.setState(r, en, from, EntryMailFailed, "génération de l'attestation impossible : "+err.Error(), IsTransient(err))
	}
	// "rendered" is shown, not stored: no outside action happens before "sending" is.
	r.update(e.clock.Now(), func(p *Progress) { p.move(from, EntryRendered) })
	from = EntryRendered

	to, realTo := Recipient(en.Student.Email, camp.TestMode, camp.TestRecipient) // R18
	en.Recipient, en.RealRecipient = to, realTo
	if to == "" {
		return e.setState(r, en, from, EntryMailFailed, ReasonNoEmail, false)
	}
	en.Attempts++
	sending := e.queueState(r, en, from, EntrySending, en.LastError, en.Retryable)
	if err := errors.Join(flush(pending), sending()); err != nil {
		return err // nothing sent: both writes must be durable before the send
	}
	if camp.TestMode {
		e.log.Info("mode test : attestation envoyée à l'adresse de test", "campagne", camp.ID, "étudiant", en.Student.Code,
			"destinataire_réel", realTo, "destinataire", to)
	}
	m := Mail{Kind: MailAttestation, CampaignID: camp.ID, StudentCode: en.Student.Code, To: to, RealTo: realTo,
		Data: MailData{University: e.settings.University, StudentName: en.Student.FullName(), DiplomaLabel: camp.DiplomaLabel,
			YearLabel: AcademicYearLabel(camp.Year), Campaign: camp, TestMode: camp.TestMode, RealTo: realTo},
		AttachmentName: "attestation-reussite-" + en.Student.Code + ".pdf", Attachment: pdf.Bytes()}
	since := r.relay.mark()
	err := e.retry(ctx, func() error { return e.mailer.Send(ctx, m) })
	if err != nil && ctx.Err() != nil {
		return nil // hard stop: we do not know whether it left; stays "sending" for Resume
	}
	if err != nil {
		e.log.Warn("échec d'envoi", "campagne", camp.ID, "étudiant", en.Student.Code, "temporaire", IsTransient(err), "erreur", err)
		*pending = e.queueState(r, en, EntrySending, EntryMailFailed, err.Error(), IsTransient(err))
		if IsTransient(err) {
			r.relay.failed(en, err, e.settings.SuspendAfter)
		}
		return nil
	}
	r.relay.ok(since)
	*pending = e.queueState(r, en, EntrySending, EntryMailed, "", false)
	return nil
}
