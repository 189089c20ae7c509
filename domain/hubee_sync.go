package domain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
)

// HubEE as service instructeur (SI): HubEESync collects the notifications of every
// démarche, records each case and its files in the store, acknowledges it, answers the
// attestation requests with the attestation (or a refusal) and lists the other cases for
// a person to handle.
//
// The engine reaches the store of cases through a type assertion on Deps.Store
// (HubStore) and the settings of the démarches through one on Deps.Hub
// (HubEEConfigured, see HubWithSettings), so that engine.go stays as it is.
//
// Idempotence: the step a case reached (HubEECase.Step) is written to the store before
// the next outside action. A step that creates something on the hub (a status change,
// which posts a STATUS_UPDATE event, or an ATTACH_DEPOSIT) is resumed by first reading
// the case's events: if the hub already has it, it is not sent again. The notification
// is deleted only once the outcome is stored; a notification seen again for a finished
// case is just deleted.

// hubMaxBatches bounds the notification batches read per démarche and run.
const hubMaxBatches = 1000

// hubMaxSteps bounds the steps a case goes through in one run (there are about ten).
const hubMaxSteps = 32

// errHubGone marks a case or an event the hub no longer has (404 on reading it): its
// notification is obsolete.
var errHubGone = errors.New("inconnu de HubEE")

// HubEESync runs one SI cycle over every configured démarche. Every notification ends
// in a recorded outcome and is then deleted: handled; obsolete (the case is gone);
// deferred (a transient failure, the case is taken up again from the store by the next
// runs, at most HubEESettings.CaseAttempts times); or handed to a person (a permanent
// failure: SI_INTG_ERROR on the hub where it allows it, the reason in the store).
// Reading never stops at a failing case. An error is returned when the hub cannot be
// read at all (or ctx ends); the cases waiting for a person are in the report.
func (e *Engine) HubEESync(ctx context.Context) (HubEEReport, error) {
	var rep HubEEReport
	if e.hub == nil {
		return rep, fmt.Errorf("%w : HubEE n'est pas configuré (section hubee de la configuration)", ErrInvalid)
	}
	hs, ok := e.store.(HubStore)
	if !ok {
		return rep, fmt.Errorf("%w : HubEE : aucune base pour garder les dossiers (ouvrez hypercerts avec sa base)", ErrInvalid)
	}
	e.hubSyncMu.Lock()
	defer e.hubSyncMu.Unlock()
	procs := e.hub.Processes()
	sort.Strings(procs)
	var errs []error
	for _, code := range procs {
		if err := e.hubSyncProcess(ctx, hs, e.hubProcess(code), &rep); err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	if all, err := hs.HubEECases(); err == nil {
		for _, c := range all {
			if c.NeedsPerson {
				rep.NeedsPerson = append(rep.NeedsPerson, c)
			}
		}
	} else {
		errs = append(errs, fmt.Errorf("base : dossiers HubEE : %w", err))
	}
	e.log.Info("HubEE : synchronisation terminée", "notifications", rep.Notifications, "nouveaux", rep.NewCases,
		"événements", rep.NewEvents, "déposées", rep.Delivered, "refusées", rep.Refused, "à_traiter", rep.ToHandle,
		"erreurs_intégration", rep.IntegrationErrors, "reportées", rep.Deferred, "obsolètes", rep.Obsolete,
		"à_reprendre", len(rep.NeedsPerson))
	return rep, errors.Join(errs...)
}

// HubEECases lists the recorded cases, newest first, for a user who manages at least
// one component.
func (e *Engine) HubEECases(ctx context.Context, user User) ([]HubEECase, error) {
	if _, err := e.requireAnyRight(ctx, user); err != nil {
		return nil, err
	}
	hs, ok := e.store.(HubStore)
	if !ok {
		return nil, fmt.Errorf("%w : HubEE : aucune base pour garder les dossiers", ErrInvalid)
	}
	return hs.HubEECases()
}

// HubEERetry takes up again a case the sync gave up on (or left waiting), once a
// person dealt with the cause: its attempts start again from zero and it goes on from
// the step it reached. The record as it ends is returned, with the error of this
// attempt if it failed again.
func (e *Engine) HubEERetry(ctx context.Context, user User, caseID string) (HubEECase, error) {
	if _, err := e.requireAnyRight(ctx, user); err != nil {
		return HubEECase{}, err
	}
	if e.hub == nil {
		return HubEECase{}, fmt.Errorf("%w : HubEE n'est pas configuré (section hubee de la configuration)", ErrInvalid)
	}
	hs, ok := e.store.(HubStore)
	if !ok {
		return HubEECase{}, fmt.Errorf("%w : HubEE : aucune base pour garder les dossiers", ErrInvalid)
	}
	e.hubSyncMu.Lock()
	defer e.hubSyncMu.Unlock()
	rec, err := hs.HubEECase(caseID)
	if err != nil {
		return rec, fmt.Errorf("dossier HubEE %s : %w", caseID, err)
	}
	if !hubPending(rec) && !rec.NeedsPerson {
		return rec, fmt.Errorf("%w : le dossier HubEE %s n'a rien à reprendre (%s)", ErrInvalid, hubeeName(rec), rec.Step.Label())
	}
	rec.NeedsPerson, rec.Attempts, rec.LastError = false, 0, ""
	if err := e.putCase(hs, &rec); err != nil {
		return rec, err
	}
	e.log.Info("HubEE : dossier repris à la demande", "dossier", caseID, "utilisateur", user.Code)
	var rep HubEEReport
	err = e.hubResume(ctx, hs, e.hubProcess(rec.Process), rec.CaseID, &rep)
	if got, gerr := hs.HubEECase(caseID); gerr == nil {
		rec = got
	}
	if err == nil && rec.NeedsPerson {
		err = fmt.Errorf("dossier HubEE %s : %s", hubeeName(rec), rec.LastError)
	}
	return rec, err
}

// hubeeName is how a case is named to a person: its télédossier number, else its id.
func hubeeName(c HubEECase) string {
	if c.ExternalID != "" {
		return c.ExternalID
	}
	return c.CaseID
}

// HubEEFile reads a file kept for a case (an attachment received, the PDF answered).
func (e *Engine) HubEEFile(ctx context.Context, user User, caseID, key string) ([]byte, error) {
	if _, err := e.requireAnyRight(ctx, user); err != nil {
		return nil, err
	}
	hs, ok := e.store.(HubStore)
	if !ok {
		return nil, fmt.Errorf("%w : HubEE : aucune base pour garder les dossiers", ErrInvalid)
	}
	return hs.HubEEFile(caseID, key)
}

// hubProcess gives the settings of a démarche; unknown ones are HubEEOther.
func (e *Engine) hubProcess(code string) HubEEProcess {
	for _, p := range e.hubSettings().Processes {
		if p.Code == code {
			if p.Role == "" {
				p.Role = HubEEOther
			}
			if p.DepositType == "" {
				p.DepositType = "ATTESTATION"
			}
			return p
		}
	}
	return HubEEProcess{Code: code, Role: HubEEOther}
}

// hubSettings gives the sync's settings with their defaults.
func (e *Engine) hubSettings() HubEESettings {
	var s HubEESettings
	if c, ok := e.hub.(HubEEConfigured); ok {
		s = c.HubEESettings()
	}
	if s.BatchSize <= 0 {
		s.BatchSize = 25
	}
	if s.CaseAttempts <= 0 {
		s.CaseAttempts = 5
	}
	if s.Attempts <= 0 {
		s.Attempts = 3
	}
	return s
}

// hubSyncProcess reads the notifications of a démarche in batches until a short batch
// (or a batch holding only notifications already seen in this run), then takes up the
// cases earlier runs left waiting.
func (e *Engine) hubSyncProcess(ctx context.Context, hs HubStore, p HubEEProcess, rep *HubEEReport) error {
	size := e.hubSettings().BatchSize
	seen := map[string]bool{}
	touched := map[string]bool{}
	for range hubMaxBatches {
		ns, err := e.hub.Notifications(ctx, p.Code, size)
		if err != nil {
			return fmt.Errorf("HubEE, démarche %s : lecture des notifications : %w", p.Code, err)
		}
		var fresh []HubNotification
		for _, n := range ns {
			if !seen[n.ID] {
				seen[n.ID] = true
				fresh = append(fresh, n)
			}
		}
		// New cases before their events, whatever order the hub gave.
		sort.SliceStable(fresh, func(i, j int) bool { return fresh[i].IsNewCase() && !fresh[j].IsNewCase() })
		for _, n := range fresh {
			touched[n.CaseID] = true
			err := e.hubNotification(ctx, hs, p, n, rep)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil && !e.hubFailed(ctx, hs, p, n.CaseID, n.EventID, err, rep) {
				continue // nothing could be stored: the notification stays
			}
			// The outcome is stored: the notification may go.
			if err := e.hub.DeleteNotification(ctx, p.Code, n.ID); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				rep.Errors = append(rep.Errors, fmt.Sprintf("notification %s : suppression impossible : %v", n.ID, err))
				e.log.Warn("HubEE : notification non supprimée", "démarche", p.Code, "notification", n.ID, "erreur", err)
				continue
			}
			rep.Notifications++
		}
		if len(ns) < size || len(fresh) == 0 {
			break
		}
	}
	return e.hubResumeWaiting(ctx, hs, p, touched, rep)
}

// hubPending reports whether a case has work left for the sync.
func hubPending(c HubEECase) bool {
	if !c.PurgedAt.IsZero() {
		return false
	}
	if c.Step != HubStepFinished {
		return true
	}
	return slices.ContainsFunc(c.Events, func(r HubEEEventRecord) bool { return !r.Acked })
}

// hubResumeWaiting takes up the cases of a démarche an earlier run left waiting
// (their notifications are gone), except those already handled in this run and those
// waiting for a person.
func (e *Engine) hubResumeWaiting(ctx context.Context, hs HubStore, p HubEEProcess, touched map[string]bool, rep *HubEEReport) error {
	all, err := hs.HubEECases()
	if err != nil {
		return fmt.Errorf("base : dossiers HubEE : %w", err)
	}
	for _, c := range all {
		if c.Process != p.Code || c.NeedsPerson || touched[c.CaseID] || !hubPending(c) {
			continue
		}
		rep.Resumed++
		if err := e.hubResume(ctx, hs, p, c.CaseID, rep); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// hubResume goes on with a stored case: its steps, then its events not yet received.
// A failure is recorded (hubFailed); the error is returned for the caller to show.
func (e *Engine) hubResume(ctx context.Context, hs HubStore, p HubEEProcess, caseID string, rep *HubEEReport) error {
	rec, err := hs.HubEECase(caseID)
	if err != nil {
		return err
	}
	fail := func(eventID string, err error) error {
		if ctx.Err() == nil {
			e.hubFailed(ctx, hs, p, caseID, eventID, err, rep)
		}
		return err
	}
	if err := e.hubCase(ctx, hs, p, caseID, rep); err != nil {
		return fail("", err)
	}
	for _, ev := range rec.Events {
		if ev.Acked {
			continue
		}
		if err := e.hubEvent(ctx, hs, p, caseID, ev.ID, rep); err != nil {
			return fail(ev.ID, err)
		}
	}
	return nil
}

// hubFailed records a failure of a case (or of one of its events) and decides what
// comes next; it reports whether the outcome is stored (the notification may go).
// A case or event the hub no longer has is obsolete: logged, nothing more. A transient
// failure leaves the case for the next runs, up to CaseAttempts runs in a row; beyond
// that, or on a permanent failure, the case waits for a person: SI_INTG_ERROR on the
// hub where it allows it, and the reason stored.
func (e *Engine) hubFailed(ctx context.Context, hs HubStore, p HubEEProcess, caseID, eventID string, cause error, rep *HubEEReport) bool {
	if caseID == "" {
		return true
	}
	rec, err := hs.HubEECase(caseID)
	known := err == nil
	if errors.Is(err, ErrNotFound) {
		now := e.clock.Now()
		rec = HubEECase{CaseID: caseID, Process: p.Code, Role: p.Role, Received: now}
	} else if err != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("dossier %s : base illisible : %v", caseID, err))
		return false
	}
	if errors.Is(cause, errHubGone) {
		rep.Obsolete++
		what := "dossier"
		if eventID != "" {
			what = "événement " + eventID + " du dossier"
			if i := slices.IndexFunc(rec.Events, func(r HubEEEventRecord) bool { return r.ID == eventID }); i >= 0 && known {
				rec.Events[i].Acked = true // nothing left to receive
				if err := e.putCase(hs, &rec); err != nil {
					return false
				}
			}
		}
		e.log.Warn("HubEE : notification obsolète acquittée ("+what+" absent de HubEE)", "démarche", p.Code, "dossier", caseID,
			"événement", eventID)
		return true
	}
	if eventID != "" && !slices.ContainsFunc(rec.Events, func(r HubEEEventRecord) bool { return r.ID == eventID }) {
		// Remember the event: its notification goes, the next run reads it from here.
		rec.Events = append(rec.Events, HubEEEventRecord{ID: eventID, Received: e.clock.Now()})
	}
	rec.Attempts++
	rec.LastError = cause.Error()
	if eventID != "" {
		rec.LastError = "événement " + eventID + " : " + rec.LastError
	}
	max := e.hubSettings().CaseAttempts
	if IsTransient(cause) && rec.Attempts < max {
		rep.Deferred++
		rep.Errors = append(rep.Errors, fmt.Sprintf("dossier %s : %s", hubeeName(rec), rec.LastError))
		e.log.Warn("HubEE : dossier reporté au prochain passage", "démarche", p.Code, "dossier", caseID,
			"essai", rec.Attempts, "essais_max", max, "erreur", cause)
	} else {
		if IsTransient(cause) {
			rec.LastError = fmt.Sprintf("%d passages en échec : %s", rec.Attempts, rec.LastError)
		}
		rec.NeedsPerson = true
		e.hubMarkIntegrationError(ctx, p, &rec, cause)
		e.log.Error("HubEE : dossier à reprendre par un gestionnaire", "démarche", p.Code, "dossier", caseID, "motif", rec.LastError)
	}
	if err := e.putCase(hs, &rec); err != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("dossier %s : %v", caseID, err))
		return false
	}
	return true
}

// hubMarkIntegrationError tells the hub a case given up on cannot be integrated
// (SI_INTG_ERROR, as DINUM's collection does when a download fails), where the API
// allows it: not on a case the hub refuses us, nor on one already answered. With
// patch_then_event the PATCH may go through while the event is refused (a démarche
// without messages, the event limit): the status is then set all the same.
func (e *Engine) hubMarkIntegrationError(ctx context.Context, p HubEEProcess, rec *HubEECase, cause error) {
	switch rec.Status {
	case HubSIIntgError, HubDone, HubRefused, HubClosed:
		return
	}
	if rec.Step == "" && !IsTransient(cause) { // never read: the hub refuses it to us
		return
	}
	switch rec.Step {
	case "", HubStepFetched, HubStepFilesStored:
	default:
		// Integrated already (SI_RECEIVED): a transient outage past it (Apogée down for
		// hours) is ours, not an integration error to tell the OSL.
		if IsTransient(cause) {
			return
		}
	}
	msg := "Votre dossier n'a pas pu être intégré automatiquement par l'université ; un gestionnaire va le reprendre."
	err := e.hub.SetCaseStatus(ctx, p.Code, rec.CaseID, rec.Status, HubSIIntgError, msg)
	if err != nil && !IsTransient(err) {
		err = e.hub.SetCaseStatus(ctx, p.Code, rec.CaseID, rec.Status, HubSIIntgError, "") // messages refused?
	}
	if err != nil {
		if c, cerr := e.hub.Case(ctx, p.Code, rec.CaseID); cerr == nil && c.Status == HubSIIntgError {
			err = nil
		}
	}
	if err != nil {
		rec.LastError += " (statut SI_INTG_ERROR non posé sur HubEE : " + err.Error() + ")"
		return
	}
	rec.Status = HubSIIntgError
}

func (e *Engine) hubNotification(ctx context.Context, hs HubStore, p HubEEProcess, n HubNotification, rep *HubEEReport) error {
	if n.CaseID == "" {
		return nil // nothing to do with it
	}
	if n.IsNewCase() {
		return e.hubCase(ctx, hs, p, n.CaseID, rep)
	}
	return e.hubEvent(ctx, hs, p, n.CaseID, n.EventID, rep)
}

// loadCase reads a case's record, or starts one.
func (e *Engine) loadCase(hs HubStore, p HubEEProcess, caseID string) (HubEECase, error) {
	rec, err := hs.HubEECase(caseID)
	if errors.Is(err, ErrNotFound) {
		now := e.clock.Now()
		return HubEECase{CaseID: caseID, Process: p.Code, Role: p.Role, Received: now, Updated: now}, nil
	}
	if err != nil {
		return rec, fmt.Errorf("base : dossier HubEE %s : %w", caseID, err)
	}
	return rec, nil
}

func (e *Engine) putCase(hs HubStore, rec *HubEECase) error {
	rec.Updated = e.clock.Now()
	if err := hs.PutHubEECase(*rec); err != nil {
		return fmt.Errorf("base : dossier HubEE %s : %w", rec.CaseID, err)
	}
	return nil
}

// hubCase walks a case through its steps, from where the store says it stopped. A
// case waiting for a person is left alone.
func (e *Engine) hubCase(ctx context.Context, hs HubStore, p HubEEProcess, caseID string, rep *HubEEReport) error {
	rec, err := e.loadCase(hs, p, caseID)
	if err != nil {
		return err
	}
	if rec.NeedsPerson {
		return nil
	}
	resumed := true // the first step may have been half done by an earlier run
	for range hubMaxSteps {
		if rec.Step == HubStepFinished {
			if rec.Attempts != 0 || rec.LastError != "" {
				rec.Attempts, rec.LastError = 0, ""
				return e.putCase(hs, &rec)
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := e.hubStep(ctx, hs, p, &rec, resumed, rep)
		resumed = false
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("dossier %s : trop d'étapes (%s)", caseID, rec.Step)
}

// hubStep does one step of a case and records the next one.
func (e *Engine) hubStep(ctx context.Context, hs HubStore, p HubEEProcess, rec *HubEECase, resumed bool, rep *HubEEReport) error {
	switch rec.Step {
	case "":
		c, err := e.hub.Case(ctx, p.Code, rec.CaseID)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("lecture du dossier : %w (%w)", errHubGone, err)
		}
		if err != nil {
			return fmt.Errorf("lecture du dossier : %w", err)
		}
		rec.ExternalID, rec.Applicant, rec.PartnerAttributes, rec.Status = c.ExternalID, c.Applicant, c.PartnerAttributes, c.Status
		if rec.Process == "" {
			rec.Process = p.Code
		}
		rec.Role = p.Role
		for _, a := range c.Attachments {
			if !slices.ContainsFunc(rec.Files, func(f HubEEFile) bool { return f.AttachmentID == a.ID }) {
				rec.Files = append(rec.Files, HubEEFile{AttachmentID: a.ID, FileName: a.FileName, Type: a.Type, MimeType: a.MimeType, Size: a.Size})
			}
		}
		rec.Step = HubStepFetched
		rep.NewCases++
		return e.putCase(hs, rec)

	case HubStepFetched:
		// Every file before any status change: the hub purges them after SI_RECEIVED.
		for i := range rec.Files {
			f := &rec.Files[i]
			if f.Key != "" || f.EventID != "" {
				continue
			}
			key := "case/" + f.AttachmentID
			err := e.hubDownload(hs, rec.CaseID, key, func(w io.Writer) (int64, error) {
				return e.hub.DownloadCaseAttachment(ctx, p.Code, rec.CaseID, f.AttachmentID, f.Size, w)
			})
			if err != nil {
				if IsTransient(err) || ctx.Err() != nil || errors.Is(err, errHubStore) {
					return fmt.Errorf("téléchargement de %s : %w", f.FileName, err)
				}
				return e.integrationError(hs, rec, fmt.Sprintf("la pièce jointe %s n'a pas pu être récupérée (%v)", f.FileName, err))
			}
			f.Key = key
			if err := e.putCase(hs, rec); err != nil {
				return err
			}
		}
		rec.Step = HubStepFilesStored
		return e.putCase(hs, rec)

	case HubStepFilesStored:
		// Integration check (local): can the request be read?
		if rec.Role == HubEEAttestationRequest {
			req, err := e.hub.Request(p, *rec, func(key string) ([]byte, error) { return hs.HubEEFile(rec.CaseID, key) })
			if err != nil {
				return e.integrationError(hs, rec, err.Error())
			}
			rec.StudentCode, rec.Year = req.StudentCode, req.Year
			if req.VDI.Dip != "" {
				rec.VDI = req.VDI.Key()
			}
		}
		rec.Pending, rec.PendingMessage, rec.Step = HubSIReceived, "", HubStepAcknowledging
		return e.putCase(hs, rec)

	case HubStepAcknowledging, HubStepAnswering:
		if err := e.hubSetStatus(ctx, p, rec, resumed); err != nil {
			return fmt.Errorf("passage au statut %s : %w", rec.Pending, err)
		}
		rec.Status, rec.Pending, rec.PendingMessage = rec.Pending, "", ""
		if rec.Status == HubSIReceived {
			rec.Step = HubStepReceived
		} else {
			rec.Step = HubStepFinished
			switch rec.Outcome {
			case HubOutcomeRefused:
				rep.Refused++
			case HubOutcomeIntegrationError:
				rep.IntegrationErrors++
			}
		}
		rec.LastError, rec.Attempts = "", 0
		return e.putCase(hs, rec)

	case HubStepReceived:
		if rec.Role != HubEEAttestationRequest {
			rec.Outcome = HubOutcomeToHandle
			rec.Reason = fmt.Sprintf("démarche %s : dossier à traiter par un gestionnaire", rec.Process)
			rec.Step, rec.LastError = HubStepFinished, ""
			rep.ToHandle++
			return e.putCase(hs, rec)
		}
		return e.hubDecide(ctx, hs, p, rec)

	case HubStepAnswerReady:
		rec.Step = HubStepDepositing
		return e.putCase(hs, rec)

	case HubStepDepositing:
		return e.hubStartDeposit(ctx, hs, p, rec, resumed)

	case HubStepDepositCreated:
		pdf, err := hs.HubEEFile(rec.CaseID, rec.Deposit.Key)
		if err != nil {
			return fmt.Errorf("base : attestation du dossier : %w", err)
		}
		if err := e.hub.UploadDeposit(ctx, p.Code, rec.CaseID, rec.Deposit.EventID, rec.Deposit.AttachmentID, bytes.NewReader(pdf), int64(len(pdf))); err != nil {
			return fmt.Errorf("envoi de l'attestation : %w", err)
		}
		rec.Step = HubStepUploaded
		return e.putCase(hs, rec)

	case HubStepUploaded:
		if err := e.hub.SendDeposit(ctx, p.Code, rec.CaseID, rec.Deposit.EventID); err != nil {
			return fmt.Errorf("validation du dépôt : %w", err)
		}
		rec.Step = HubStepSent
		return e.putCase(hs, rec)

	case HubStepSent:
		// The deposit event records caseNewStatus DONE; the status itself changes only
		// through updateCase (functional specification; DINUM's collection PATCHes it).
		if err := e.hub.UpdateCaseStatus(ctx, p.Code, rec.CaseID, HubDone); err != nil {
			return fmt.Errorf("passage au statut DONE : %w", err)
		}
		rec.Status, rec.Step, rec.LastError, rec.Attempts = HubDone, HubStepFinished, "", 0
		rep.Delivered++
		return e.putCase(hs, rec)
	}
	return fmt.Errorf("étape inconnue %q", rec.Step)
}

// integrationError records that the case cannot be integrated: SI_INTG_ERROR with an
// event saying why.
func (e *Engine) integrationError(hs HubStore, rec *HubEECase, why string) error {
	rec.Outcome, rec.Reason = HubOutcomeIntegrationError, why
	rec.Answer = "Votre dossier n'a pas pu être intégré par l'université : " + why + "."
	rec.Pending, rec.PendingMessage, rec.Step = HubSIIntgError, rec.Answer, HubStepAcknowledging
	return e.putCase(hs, rec)
}

// errHubStore marks a failure to keep a file (disk full, rights): not the hub's.
var errHubStore = errors.New("fichiers HubEE")

// hubDownload streams a verified file into the files kept for a case (the adapter
// retries a digest mismatch through Reset and never commits a corrupted byte; the
// client retries transient failures). Memory stays bounded whatever the size.
func (e *Engine) hubDownload(hs HubStore, caseID, key string, dl func(io.Writer) (int64, error)) error {
	w, err := hs.CreateHubEEFile(caseID, key)
	if err != nil {
		return fmt.Errorf("%w : %w", errHubStore, err)
	}
	if _, err := dl(w); err != nil {
		_ = w.Abort()
		return err
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("%w : %w", errHubStore, err)
	}
	return nil
}

// hubOnce runs a non-idempotent action on the hub at most once in effect: before any
// new attempt after a failure (or when resuming a step an earlier run may have done),
// check asks the hub whether the action already took place. This is the one retry
// layer of creations (the client never replays a POST); other calls are retried by the
// client alone.
func (e *Engine) hubOnce(ctx context.Context, checkFirst bool, check func() (bool, error), act func() error) error {
	wait := e.settings.Backoff
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	return retryTransient(ctx, e.hubSettings().Attempts, wait, func() error {
		if checkFirst {
			done, err := check()
			if err != nil || done {
				return err
			}
		}
		checkFirst = true // the action may have reached the hub before failing
		return act()
	})
}

// hubSetStatus sets rec.Pending on the hub (with its STATUS_UPDATE event) unless the
// hub already has it.
func (e *Engine) hubSetStatus(ctx context.Context, p HubEEProcess, rec *HubEECase, resumed bool) error {
	to := rec.Pending
	check := func() (bool, error) {
		c, err := e.hub.Case(ctx, p.Code, rec.CaseID)
		if err != nil {
			return false, err
		}
		if c.Status != to && !e.hubSettings().StatusByEventOnly {
			return false, nil
		}
		for _, ev := range c.Events {
			if !ev.FromOSL && ev.ActionType == "STATUS_UPDATE" && ev.NewStatus == to {
				return true, nil
			}
		}
		return false, nil
	}
	return e.hubOnce(ctx, resumed, check, func() error {
		return e.hub.SetCaseStatus(ctx, p.Code, rec.CaseID, rec.Status, to, rec.PendingMessage)
	})
}

// hubStartDeposit declares the ATTACH_DEPOSIT answer, or adopts the one an earlier run
// declared.
func (e *Engine) hubStartDeposit(ctx context.Context, hs HubStore, p HubEEProcess, rec *HubEECase, resumed bool) error {
	var found *HubEvent
	check := func() (bool, error) {
		c, err := e.hub.Case(ctx, p.Code, rec.CaseID)
		if err != nil {
			return false, err
		}
		for i := len(c.Events) - 1; i >= 0; i-- {
			ev := c.Events[i]
			if !ev.FromOSL && ev.ActionType == "ATTACH_DEPOSIT" && len(ev.Attachments) > 0 &&
				(ev.Status == "IN_PROGRESS" || ev.Status == "SENT") {
				found = &ev
				return true, nil
			}
		}
		return false, nil
	}
	files := []HubFile{{FileName: rec.Deposit.FileName, Type: p.DepositType, MimeType: "application/pdf", Size: rec.Deposit.Size}}
	err := e.hubOnce(ctx, resumed, check, func() error {
		ev, err := e.hub.StartDeposit(ctx, p.Code, rec.CaseID, rec.Answer, HubDone, files)
		if err != nil {
			return err
		}
		if len(ev.Attachments) == 0 {
			return fmt.Errorf("%w : HubEE n'a pas déclaré la pièce du dépôt", ErrPermanent)
		}
		found = &ev
		return nil
	})
	if err != nil {
		return fmt.Errorf("déclaration du dépôt : %w", err)
	}
	rec.Deposit.EventID, rec.Deposit.AttachmentID = found.ID, found.Attachments[0].ID
	rec.Step = HubStepDepositCreated
	if found.Status == "SENT" || found.Status == "RECEIVED" { // an earlier run went as far as sending it
		rec.Step = HubStepSent
	}
	return e.putCase(hs, rec)
}

// hubEvent records an event of the OSL: fetched, its files stored, marked RECEIVED.
func (e *Engine) hubEvent(ctx context.Context, hs HubStore, p HubEEProcess, caseID, eventID string, rep *HubEEReport) error {
	rec, err := e.loadCase(hs, p, caseID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(rec.Events, func(r HubEEEventRecord) bool { return r.ID == eventID })
	if i >= 0 && rec.Events[i].Acked {
		return nil
	}
	if i < 0 || rec.Events[i].ActionType == "" {
		ev, err := e.hub.Event(ctx, p.Code, caseID, eventID)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("lecture de l'événement %s : %w (%w)", eventID, errHubGone, err)
		}
		if err != nil {
			return fmt.Errorf("lecture de l'événement %s : %w", eventID, err)
		}
		r := HubEEEventRecord{ID: ev.ID, ActionType: ev.ActionType, Message: ev.Message, Received: e.clock.Now()}
		if i < 0 {
			rec.Events = append(rec.Events, r)
			i = len(rec.Events) - 1
		} else {
			rec.Events[i] = r
		}
		for _, a := range ev.Attachments {
			rec.Files = append(rec.Files, HubEEFile{AttachmentID: a.ID, EventID: ev.ID, FileName: a.FileName, Type: a.Type, MimeType: a.MimeType, Size: a.Size})
		}
		rep.NewEvents++
		if err := e.putCase(hs, &rec); err != nil {
			return err
		}
	}
	for j := range rec.Files {
		f := &rec.Files[j]
		if f.EventID != eventID || f.Key != "" {
			continue
		}
		key := "event/" + eventID + "/" + f.AttachmentID
		err := e.hubDownload(hs, caseID, key, func(w io.Writer) (int64, error) {
			return e.hub.DownloadEventAttachment(ctx, p.Code, caseID, eventID, f.AttachmentID, f.Size, w)
		})
		if err != nil {
			return fmt.Errorf("téléchargement de %s : %w", f.FileName, err)
		}
		f.Key = key
		if err := e.putCase(hs, &rec); err != nil {
			return err
		}
	}
	if err := e.hub.AckEvent(ctx, p.Code, caseID, eventID); err != nil {
		return fmt.Errorf("accusé de réception de l'événement %s : %w", eventID, err)
	}
	rec.Events[i].Acked = true
	return e.putCase(hs, &rec)
}
