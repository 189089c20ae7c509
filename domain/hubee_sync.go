package domain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
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

// hubSyncMu serialises sync runs in a process (the daemon's job and a "sync now").
// hubMaxBatches bounds the notification batches read per démarche and run.
const hubMaxBatches = 1000

// hubMaxSteps bounds the steps a case goes through in one run (there are about ten).
const hubMaxSteps = 32

// HubEESync runs one SI cycle over every configured démarche. Failures on one case are
// recorded in the case and the report, and its notification stays for the next run; an
// error is returned when the hub cannot be read at all (or ctx ends).
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
	e.log.Info("HubEE : synchronisation terminée", "notifications", rep.Notifications, "nouveaux", rep.NewCases,
		"événements", rep.NewEvents, "déposées", rep.Delivered, "refusées", rep.Refused, "à traiter", rep.ToHandle,
		"erreurs d'intégration", rep.IntegrationErrors, "reportées", rep.Deferred)
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
	if c, ok := e.hub.(HubEEConfigured); ok {
		for _, p := range c.HubEESettings().Processes {
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
	}
	return HubEEProcess{Code: code, Role: HubEEOther}
}

func (e *Engine) hubBatchSize() int {
	if c, ok := e.hub.(HubEEConfigured); ok && c.HubEESettings().BatchSize > 0 {
		return c.HubEESettings().BatchSize
	}
	return 25
}

// hubSyncProcess reads the notifications of a démarche in batches until a short batch
// (or a batch holding only notifications already tried in this run).
func (e *Engine) hubSyncProcess(ctx context.Context, hs HubStore, p HubEEProcess, rep *HubEEReport) error {
	size := e.hubBatchSize()
	seen := map[string]bool{}
	for range hubMaxBatches {
		ns, err := call(ctx, e, func() ([]HubNotification, error) { return e.hub.Notifications(ctx, p.Code, size) })
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
			if err := e.hubNotification(ctx, hs, p, n, rep); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				rep.Deferred++
				rep.Errors = append(rep.Errors, fmt.Sprintf("dossier %s : %v", n.CaseID, err))
				e.log.Warn("HubEE : dossier reporté au prochain passage", "démarche", p.Code, "dossier", n.CaseID, "erreur", err)
				continue
			}
			// The outcome is stored: the notification may go.
			if err := e.retry(ctx, func() error { return e.hub.DeleteNotification(ctx, p.Code, n.ID) }); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				rep.Deferred++
				rep.Errors = append(rep.Errors, fmt.Sprintf("notification %s : suppression impossible : %v", n.ID, err))
				continue
			}
			rep.Notifications++
		}
		if len(ns) < size || len(fresh) == 0 {
			return nil
		}
	}
	return nil
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

// hubCase walks a case through its steps, from where the store says it stopped.
func (e *Engine) hubCase(ctx context.Context, hs HubStore, p HubEEProcess, caseID string, rep *HubEEReport) error {
	rec, err := e.loadCase(hs, p, caseID)
	if err != nil {
		return err
	}
	resumed := true // the first step may have been half done by an earlier run
	for range hubMaxSteps {
		if rec.Step == HubStepFinished {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := e.hubStep(ctx, hs, p, &rec, resumed, rep)
		resumed = false
		if err != nil {
			rec.LastError = err.Error()
			rec.Attempts++
			if ctx.Err() == nil {
				_ = e.putCase(hs, &rec) // keep the reason; the step itself is unchanged
			}
			return err
		}
	}
	return fmt.Errorf("dossier %s : trop d'étapes (%s)", caseID, rec.Step)
}

// hubStep does one step of a case and records the next one.
func (e *Engine) hubStep(ctx context.Context, hs HubStore, p HubEEProcess, rec *HubEECase, resumed bool, rep *HubEEReport) error {
	switch rec.Step {
	case "":
		c, err := call(ctx, e, func() (HubCase, error) { return e.hub.Case(ctx, p.Code, rec.CaseID) })
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
			data, err := e.hubDownload(ctx, func(b *bytes.Buffer) (int64, error) {
				return e.hub.DownloadCaseAttachment(ctx, p.Code, rec.CaseID, f.AttachmentID, b)
			})
			if err != nil {
				if IsTransient(err) || ctx.Err() != nil {
					return fmt.Errorf("téléchargement de %s : %w", f.FileName, err)
				}
				return e.integrationError(hs, rec, fmt.Sprintf("la pièce jointe %s n'a pas pu être récupérée (%v)", f.FileName, err))
			}
			key := "case/" + f.AttachmentID
			if err := hs.PutHubEEFile(rec.CaseID, key, data); err != nil {
				return fmt.Errorf("base : pièce %s : %w", f.FileName, err)
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
			req, err := readHubRequest(hs, p, *rec)
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
		rec.LastError = ""
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
		if err := e.retry(ctx, func() error {
			return e.hub.UploadDeposit(ctx, p.Code, rec.CaseID, rec.Deposit.EventID, rec.Deposit.AttachmentID, bytes.NewReader(pdf), int64(len(pdf)))
		}); err != nil {
			return fmt.Errorf("envoi de l'attestation : %w", err)
		}
		rec.Step = HubStepUploaded
		return e.putCase(hs, rec)

	case HubStepUploaded:
		if err := e.retry(ctx, func() error { return e.hub.SendDeposit(ctx, p.Code, rec.CaseID, rec.Deposit.EventID) }); err != nil {
			return fmt.Errorf("validation du dépôt : %w", err)
		}
		rec.Status, rec.Step, rec.LastError = HubDone, HubStepFinished, ""
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

// hubDownload downloads a verified file, retrying transient failures (a digest mismatch
// is one: the adapter never hands over a corrupted byte).
func (e *Engine) hubDownload(ctx context.Context, dl func(*bytes.Buffer) (int64, error)) ([]byte, error) {
	var buf bytes.Buffer
	err := e.retry(ctx, func() error {
		buf.Reset()
		_, err := dl(&buf)
		return err
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// hubOnce runs a non-idempotent action on the hub at most once in effect: before any
// new attempt after a failure (or when resuming a step an earlier run may have done),
// check asks the hub whether the action already took place.
func (e *Engine) hubOnce(ctx context.Context, checkFirst bool, check func() (bool, error), act func() error) error {
	return e.retry(ctx, func() error {
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
		if c.Status != to {
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
	if found.Status == "SENT" { // an earlier run went as far as sending it
		rec.Step = HubStepUploaded
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
	if i < 0 {
		ev, err := call(ctx, e, func() (HubEvent, error) { return e.hub.Event(ctx, p.Code, caseID, eventID) })
		if err != nil {
			return fmt.Errorf("lecture de l'événement %s : %w", eventID, err)
		}
		rec.Events = append(rec.Events, HubEEEventRecord{ID: ev.ID, ActionType: ev.ActionType, Message: ev.Message, Received: e.clock.Now()})
		for _, a := range ev.Attachments {
			rec.Files = append(rec.Files, HubEEFile{AttachmentID: a.ID, EventID: ev.ID, FileName: a.FileName, Type: a.Type, MimeType: a.MimeType, Size: a.Size})
		}
		i = len(rec.Events) - 1
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
		data, err := e.hubDownload(ctx, func(b *bytes.Buffer) (int64, error) {
			return e.hub.DownloadEventAttachment(ctx, p.Code, caseID, eventID, f.AttachmentID, b)
		})
		if err != nil {
			return fmt.Errorf("téléchargement de %s : %w", f.FileName, err)
		}
		key := "event/" + eventID + "/" + f.AttachmentID
		if err := hs.PutHubEEFile(caseID, key, data); err != nil {
			return fmt.Errorf("base : pièce %s : %w", f.FileName, err)
		}
		f.Key = key
		if err := e.putCase(hs, &rec); err != nil {
			return err
		}
	}
	if err := e.retry(ctx, func() error { return e.hub.AckEvent(ctx, p.Code, caseID, eventID) }); err != nil {
		return fmt.Errorf("accusé de réception de l'événement %s : %w", eventID, err)
	}
	rec.Events[i].Acked = true
	return e.putCase(hs, &rec)
}
