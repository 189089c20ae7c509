package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// The Digiposte cycle (R19–R22), run on a schedule by the daemon.
//
// One cycle, in this order, each step stored before the next outside action:
//
//  1. sync: read the vault's returns, apply every status to the entries of that
//     student in every Digiposte campaign (open, refused, cancelled: R21, final),
//     store them, then acknowledge the returns read without error;
//  2. adhesions (R19): one drop per cycle. A batch recorded but not confirmed (a drop
//     that failed) is dropped again with the same batch id; otherwise the eligible
//     students not yet requested form a new batch, whose id is stored on their entries
//     before the call. Students known cancelled are never requested again (R21);
//     students whose vault is already known open skip the request;
//  3. vault mail (R17c, R18) to students whose vault opened → vault_notified;
//  4. deposit (R20): one drop per cycle of the attestations of open or notified vaults,
//     batch id stored first, same retry rule as adhesions → deposited;
//  5. campaigns whose eligible students are all final (deposited, refused, cancelled)
//     are finished (R17b mail to the launcher).
//
// Batch ids are stored in Entry.Batch ("A…" for adhesions, "D…" for deposits):
// an entry still eligible (or open / notified) with a batch id belongs to a drop not yet
// confirmed. Batch ids are derived from the day and the students, so the same content
// gives the same remote name.

// DigiposteReport counts what one cycle did.
type DigiposteReport struct {
	Campaigns int // Digiposte campaigns waiting for the cycle (the vault is synchronised
	// as long as any Digiposte campaign exists: cancellations come late)

	Returns      int // return files read
	Acknowledged int // return files acknowledged
	Opened       int // entries moved to vault_open by the returns
	Refused      int // entries moved to vault_refused
	Cancelled    int // entries moved to cancelled (returns, or a student already cancelled)
	Unknown      int // statuses about students in no Digiposte campaign

	AdhesionBatch   string // the batch dropped (or retried) this cycle, "" when none
	AdhesionRetried bool   // the batch was one that had failed before
	Requested       int    // entries moved to adhesion_requested
	AlreadyOpen     int    // eligible entries whose vault was already known open
	// AlreadyRequested: eligible entries of students already requested for another
	// campaign (no second request: the same statuses will move them).
	AlreadyRequested int

	VaultMails      int // vault mails sent (R17c)
	VaultMailFailed int

	DepositBatch   string
	DepositRetried bool
	Deposited      int // entries moved to deposited

	Finished int // campaigns finished by this cycle

	Errors []string // what failed (each is retried at the next cycle)
}

// Empty reports whether the cycle had nothing to do.
func (r DigiposteReport) Empty() bool {
	return r.Returns == 0 && r.AdhesionBatch == "" && r.VaultMails == 0 && r.VaultMailFailed == 0 &&
		r.DepositBatch == "" && r.Finished == 0 && r.Cancelled == 0 && r.AlreadyOpen == 0 && r.AlreadyRequested == 0
}

// AuditDigiposte is the audit action of the cycle's steps.
const AuditDigiposte = "digiposte"

// ErrCycleRunning: a Digiposte cycle of this engine is already running.
var ErrCycleRunning = errors.New("un cycle Digiposte est déjà en cours")

// Batch prefixes stored in Entry.Batch.
const (
	batchAdhesion = "A"
	batchDeposit  = "D"
)

// DigiposteCycle runs one Digiposte cycle (see above). A failed step is recorded in the
// report and in the entries (LastError) and retried at the next cycle; the error
// returned joins them. Nothing is lost when ctx ends: each step is stored before the
// next, and an interrupted drop is redone with the same batch id.
func (e *Engine) DigiposteCycle(ctx context.Context) (DigiposteReport, error) {
	var rep DigiposteReport
	if e.store == nil {
		return rep, errNoStore
	}
	if !e.cycleMu.TryLock() {
		return rep, ErrCycleRunning
	}
	defer e.cycleMu.Unlock()

	c := &dpCycle{e: e, rep: &rep}
	if err := c.load(); err != nil {
		return rep, err
	}
	for _, dc := range c.camps {
		if dc.active {
			rep.Campaigns++
		}
	}
	if len(c.camps) == 0 || (rep.Campaigns == 0 && e.vault == nil) {
		return rep, nil // no Digiposte campaign: no call to the vault
	}
	// Finished campaigns are still synchronised: a student may cancel later (R21).
	if e.vault == nil {
		return rep, errors.New("des campagnes Digiposte attendent, mais Digiposte n'est pas configuré (section digiposte de la configuration)")
	}
	steps := []func(context.Context) error{c.sync, c.adhesions, c.vaultMails, c.deposit}
	for i, step := range steps {
		if ctx.Err() != nil || Stopped(ctx) {
			if i > 0 {
				c.fail(errors.New("cycle interrompu par l'arrêt du programme : repris au prochain cycle"))
			}
			break
		}
		if err := step(ctx); err != nil {
			c.fail(err)
			if i == 0 || c.storeErr != nil { // statuses unknown, or the store refuses writes: stop
				break
			}
		}
	}
	if c.storeErr == nil {
		c.finish(ctx)
	}
	var errs []error
	for _, s := range rep.Errors {
		errs = append(errs, errors.New(s))
	}
	return rep, errors.Join(errs...)
}

// dpCampaign is one Digiposte campaign loaded for the cycle.
type dpCampaign struct {
	camp    Campaign
	entries []Entry
	byCode  map[string]int
	dirty   map[int]bool
	active  bool // waiting or running: worked through by the cycle
	audit   []string
	touched bool
}

type dpCycle struct {
	e     *Engine
	rep   *DigiposteReport
	camps []*dpCampaign

	mailRetry map[string]bool // students whose vault mail failed transiently this cycle
	storeErr  error
}

type entryRef struct {
	dc *dpCampaign
	i  int
}

func (r entryRef) en() *Entry { return &r.dc.entries[r.i] }

func (c *dpCycle) fail(err error) {
	c.rep.Errors = append(c.rep.Errors, err.Error())
	c.e.log.Warn("cycle Digiposte", "erreur", err)
}

// load reads every Digiposte campaign (finished ones too: they hold the cancellations).
func (c *dpCycle) load() error {
	list, err := c.e.store.Campaigns()
	if err != nil {
		return err
	}
	for i := len(list) - 1; i >= 0; i-- { // oldest first
		camp := list[i]
		if camp.Mode != ModeDigiposte || camp.State == CampaignFailed || camp.State == CampaignCreating {
			continue
		}
		entries, err := c.e.store.Entries(camp.ID)
		if err != nil {
			return fmt.Errorf("campagne %s : %w", camp.ID, err)
		}
		dc := &dpCampaign{camp: camp, entries: entries, byCode: map[string]int{}, dirty: map[int]bool{},
			active: camp.State == CampaignWaiting || camp.State == CampaignRunning}
		for i, en := range entries {
			dc.byCode[en.Student.Code] = i
		}
		c.camps = append(c.camps, dc)
	}
	return nil
}

// each visits the entries of the campaigns (active ones only when activeOnly).
func (c *dpCycle) each(activeOnly bool, fn func(r entryRef)) {
	for _, dc := range c.camps {
		if activeOnly && !dc.active {
			continue
		}
		for i := range dc.entries {
			fn(entryRef{dc, i})
		}
	}
}

// student gives every entry of a student, in every Digiposte campaign.
func (c *dpCycle) student(code string) []entryRef {
	var refs []entryRef
	for _, dc := range c.camps {
		if i, ok := dc.byCode[code]; ok {
			refs = append(refs, entryRef{dc, i})
		}
	}
	return refs
}

// set changes an entry in memory; save stores it.
func (c *dpCycle) set(r entryRef, to EntryState, lastError string) {
	en := r.en()
	en.State, en.LastError, en.UpdatedAt = to, lastError, c.e.clock.Now()
	r.dc.dirty[r.i] = true
	r.dc.touched = true
}

// save stores the changed entries and the audit lines of every campaign.
func (c *dpCycle) save() error {
	if c.storeErr != nil {
		return c.storeErr
	}
	now := c.e.clock.Now()
	for _, dc := range c.camps {
		if len(dc.dirty) > 0 {
			idx := make([]int, 0, len(dc.dirty))
			for i := range dc.dirty {
				idx = append(idx, i)
			}
			sort.Ints(idx)
			batch := make([]Entry, len(idx))
			for k, i := range idx {
				batch[k] = dc.entries[i]
			}
			if err := c.e.store.PutEntries(dc.camp.ID, batch); err != nil {
				c.storeErr = fmt.Errorf("base non modifiable, cycle Digiposte arrêté (rien n'est perdu : repris au prochain cycle) : %w", err)
				return c.storeErr
			}
			dc.dirty = map[int]bool{}
		}
		for _, d := range dc.audit {
			if err := c.e.store.AppendAudit(dc.camp.ID, AuditRecord{At: now, User: systemUser, Action: AuditDigiposte, Detail: d}); err != nil {
				c.storeErr = fmt.Errorf("journal de la campagne %s : %w", dc.camp.ID, err)
				return c.storeErr
			}
		}
		dc.audit = nil
	}
	return nil
}

func (dc *dpCampaign) auditf(format string, args ...any) {
	dc.audit = append(dc.audit, fmt.Sprintf(format, args...))
}

// knowledge of a student's vault, from every entry of every Digiposte campaign.
func (c *dpCycle) cancelled(code string) bool {
	for _, r := range c.student(code) {
		if r.en().State == EntryCancelled {
			return true
		}
	}
	return false
}

func (c *dpCycle) vaultOpen(code string) (open, notified bool) {
	for _, r := range c.student(code) {
		switch r.en().State {
		case EntryVaultOpen:
			open = true
		case EntryVaultNotified, EntryDeposited:
			open, notified = true, true
		}
	}
	return open, notified
}

// requested gives the batch of a student's adhesion request waiting for its status.
func (c *dpCycle) requested(code string) string {
	for _, r := range c.student(code) {
		if r.en().State == EntryAdhesionRequested {
			return r.en().Batch
		}
	}
	return ""
}

// sync reads the returns, stores the statuses, then acknowledges (R20, R21).
func (c *dpCycle) sync(ctx context.Context) error {
	e := c.e
	returns, err := call(ctx, e, func() ([]VaultReturn, error) { return e.vault.Returns(ctx) })
	if err != nil {
		return fmt.Errorf("synchronisation des coffres : %w", err)
	}
	var ack []string
	for _, ret := range returns {
		c.rep.Returns++
		perCamp := map[*dpCampaign]*[3]int{}
		for _, st := range ret.Statuses {
			refs := c.student(st.StudentCode)
			if len(refs) == 0 {
				c.rep.Unknown++
				e.log.Warn("statut Digiposte d'un étudiant inconnu", "retour", ret.ID, "étudiant", st.StudentCode, "statut", st.State)
				continue
			}
			for _, r := range refs {
				if n := c.apply(r, st); n >= 0 {
					if perCamp[r.dc] == nil {
						perCamp[r.dc] = &[3]int{}
					}
					perCamp[r.dc][n]++
				}
			}
		}
		for dc, n := range perCamp {
			dc.auditf("retour %s : %d coffres ouverts, %d refusés, %d résiliés", ret.ID, n[0], n[1], n[2])
		}
		if ret.Err != nil {
			c.fail(fmt.Errorf("retour Digiposte %s non acquitté : %w", ret.ID, ret.Err))
			continue
		}
		ack = append(ack, ret.ID)
	}
	if err := c.save(); err != nil { // statuses stored before the acknowledgement
		return err
	}
	if len(ack) == 0 {
		return nil
	}
	if err := e.retry(ctx, func() error { return e.vault.Acknowledge(ctx, ack) }); err != nil {
		// Read again next cycle: re-applying the same statuses changes nothing.
		c.fail(fmt.Errorf("acquittement des retours Digiposte : %w", err))
		return nil
	}
	c.rep.Acknowledged += len(ack)
	return nil
}

// apply moves one entry according to a vault status; it returns 0 (opened), 1
// (refused), 2 (cancelled) or -1 when the entry does not move.
func (c *dpCycle) apply(r entryRef, st VaultStatus) int {
	en := r.en()
	switch st.State {
	case EntryCancelled: // R21: final, whatever the entry's state
		switch en.State {
		case EntryExcluded, EntryCancelled:
			return -1
		}
		reason := firstNonEmpty(st.Reason, "coffre résilié par l'étudiant")
		if en.State == EntryDeposited {
			reason = "résilié après le dépôt de l'attestation : " + reason
		}
		c.set(r, EntryCancelled, reason)
		c.rep.Cancelled++
		return 2
	case EntryVaultOpen:
		if en.State != EntryAdhesionRequested && en.State != EntryEligible {
			return -1
		}
		c.set(r, EntryVaultOpen, "")
		c.rep.Opened++
		return 0
	case EntryVaultRefused:
		if en.State != EntryAdhesionRequested {
			return -1
		}
		c.set(r, EntryVaultRefused, firstNonEmpty(st.Reason, "adhésion refusée par Digiposte"))
		c.rep.Refused++
		return 1
	}
	return -1
}

// adhesions drops one adhesion batch (R19): the one left pending, or a new one.
func (c *dpCycle) adhesions(ctx context.Context) error {
	e := c.e
	pending := c.pendingBatch(batchAdhesion, func(s EntryState) bool { return s == EntryEligible })
	batch := pending
	var refs []entryRef
	if pending != "" {
		c.rep.AdhesionRetried = true
		refs = c.inBatch(pending, func(s EntryState) bool { return s == EntryEligible })
	} else {
		c.each(true, func(r entryRef) {
			en := r.en()
			if en.State != EntryEligible || en.Batch != "" {
				return
			}
			code := en.Student.Code
			if c.cancelled(code) { // R21: never a new vault
				c.set(r, EntryCancelled, "coffre résilié auparavant : aucune nouvelle adhésion (R21)")
				r.dc.auditf("%s : résilié auparavant, aucune nouvelle adhésion", code)
				c.rep.Cancelled++
				return
			}
			if open, notified := c.vaultOpen(code); open {
				to := EntryVaultOpen
				if notified {
					to = EntryVaultNotified
				}
				c.set(r, to, "")
				c.rep.AlreadyOpen++
				return
			}
			if batch := c.requested(code); batch != "" {
				r.en().Batch = batch
				c.set(r, EntryAdhesionRequested, "")
				r.dc.auditf("%s : adhésion déjà demandée (lot %s)", code, batch)
				c.rep.AlreadyRequested++
				return
			}
			refs = append(refs, r)
		})
		if len(refs) > 0 {
			batch = c.newBatch(batchAdhesion, refs, "lot d'adhésions %s préparé : %d étudiants")
		}
	}
	if err := c.save(); err != nil { // batch id stored before the drop
		return err
	}
	if len(refs) == 0 {
		return nil
	}
	c.rep.AdhesionBatch = batch
	var students []VaultStudent
	seen := map[string]bool{}
	for _, r := range refs {
		s := r.en().Student
		if seen[s.Code] { // one student in two campaigns: one request
			continue
		}
		seen[s.Code] = true
		students = append(students, VaultStudent{Code: s.Code, INE: s.INE, LastName: s.LastName,
			FirstNames: s.FirstNames(), Email: s.Email, BirthDate: s.BirthDate})
	}
	err := e.retry(ctx, func() error { return e.vault.RequestAdhesions(ctx, batch, students) })
	if err != nil {
		c.dropFailed(refs, batch, "dépôt des adhésions", err)
		return fmt.Errorf("dépôt des adhésions %s (%d étudiants, repris au prochain cycle) : %w", batch, len(students), err)
	}
	c.dropped(refs, EntryAdhesionRequested, "lot d'adhésions %s déposé : %d étudiants", batch)
	c.rep.Requested += len(refs)
	e.log.Info("adhésions Digiposte déposées", "lot", batch, "étudiants", len(students))
	return c.save()
}

// vaultMails tells the students whose vault opened (R17c; R18 in test mode).
func (c *dpCycle) vaultMails(ctx context.Context) error {
	e := c.e
	c.mailRetry = map[string]bool{}
	var refs []entryRef
	c.each(true, func(r entryRef) {
		if r.en().State == EntryVaultOpen {
			refs = append(refs, r)
		}
	})
	mailed := map[string]bool{}
	for _, r := range refs {
		if ctx.Err() != nil {
			return nil
		}
		en := r.en()
		code := en.Student.Code
		if _, notified := c.vaultOpen(code); notified || mailed[code] { // one mail per student
			c.set(r, EntryVaultNotified, "")
			if err := c.save(); err != nil {
				return err
			}
			continue
		}
		if e.mailer == nil {
			continue // deposited without the mail; Digiposte notifies the student itself
		}
		camp := r.dc.camp
		to, realTo := Recipient(en.Student.Email, camp.TestMode, camp.TestRecipient) // R18
		en.Recipient, en.RealRecipient = to, realTo
		if to == "" {
			en.LastError = ReasonNoEmail
			r.dc.dirty[r.i] = true
			if err := c.save(); err != nil {
				return err
			}
			continue
		}
		if camp.TestMode {
			e.log.Info("mode test : courriel « coffre ouvert » envoyé à l'adresse de test", "campagne", camp.ID,
				"étudiant", code, "destinataire_réel", realTo, "destinataire", to)
		}
		m := Mail{Kind: MailVaultOpened, CampaignID: camp.ID, StudentCode: code, To: to, RealTo: realTo,
			Data: MailData{University: e.settings.University, StudentName: en.Student.FullName(), DiplomaLabel: camp.DiplomaLabel,
				YearLabel: AcademicYearLabel(camp.Year), Campaign: camp, TestMode: camp.TestMode, RealTo: realTo}}
		en.Attempts++
		err := e.retry(ctx, func() error { return e.mailer.Send(ctx, m) })
		if err != nil {
			c.rep.VaultMailFailed++
			en.LastError, en.Retryable = "courriel « coffre ouvert » : "+err.Error(), IsTransient(err)
			r.dc.dirty[r.i] = true
			if IsTransient(err) || ctx.Err() != nil {
				c.mailRetry[code] = true // mailed next cycle, deposited after
			}
			e.log.Warn("courriel « coffre ouvert » non envoyé", "campagne", camp.ID, "étudiant", code, "erreur", err)
		} else {
			mailed[code] = true
			c.rep.VaultMails++
			en.Retryable = false
			c.set(r, EntryVaultNotified, "")
		}
		if err := c.save(); err != nil { // each mail stored before the next
			return err
		}
	}
	return nil
}

// inBatch is the entries in a state ok of a batch recorded but not confirmed (its drop
// failed): the batch is dropped again, with the same id.
func (c *dpCycle) inBatch(batch string, ok func(EntryState) bool) []entryRef {
	var refs []entryRef
	c.each(true, func(r entryRef) {
		if en := r.en(); ok(en.State) && en.Batch == batch {
			refs = append(refs, r)
		}
	})
	return refs
}

// newBatch gives refs a new batch id of kind, on their entries (stored by the next
// save, before the drop), and audits it in each campaign (audit: "… %s … %d …", the
// batch id and the campaign's count).
func (c *dpCycle) newBatch(kind string, refs []entryRef, audit string) string {
	batch := batchID(kind, c.e.clock.Now(), refs)
	for _, r := range refs {
		r.en().Batch = batch
		r.dc.dirty[r.i] = true
	}
	for dc, n := range countPerCampaign(refs) {
		dc.auditf(audit, batch, n)
	}
	return batch
}

// dropFailed notes a drop the vault refused ("what batch : err") on the entries still
// in that batch, which the next cycle drops again, and stores them.
func (c *dpCycle) dropFailed(refs []entryRef, batch, what string, err error) {
	for _, r := range refs {
		if en := r.en(); en.Batch == batch {
			en.LastError = what + " " + batch + " : " + err.Error()
			en.Attempts++
			r.dc.dirty[r.i] = true
		}
	}
	_ = c.save()
}

// dropped records a drop the vault confirmed: each entry moves to state to, audited
// per campaign (audit: "… %s … %d …", the batch id and the campaign's count).
func (c *dpCycle) dropped(refs []entryRef, to EntryState, audit, batch string) {
	for _, r := range refs {
		c.set(r, to, "")
	}
	for dc, n := range countPerCampaign(refs) {
		dc.auditf(audit, batch, n)
	}
}

// deposit renders and drops the attestations of open vaults as one batch (R20).
func (c *dpCycle) deposit(ctx context.Context) error {
	e := c.e
	depositable := func(s EntryState) bool { return s == EntryVaultOpen || s == EntryVaultNotified }
	pending := c.pendingBatch(batchDeposit, depositable)
	batch := pending
	var refs []entryRef
	if pending != "" {
		c.rep.DepositRetried = true
		refs = c.inBatch(pending, depositable)
	} else {
		c.each(true, func(r entryRef) {
			en := r.en()
			if !depositable(en.State) || strings.HasPrefix(en.Batch, batchDeposit) {
				return
			}
			if en.State == EntryVaultOpen && c.mailRetry[en.Student.Code] {
				return
			}
			refs = append(refs, r)
		})
		if len(refs) == 0 {
			return nil
		}
		if e.renderer == nil {
			return errors.New("dépôt Digiposte impossible : générateur PDF non configuré")
		}
		batch = c.newBatch(batchDeposit, refs, "lot de dépôt %s préparé : %d attestations")
		if err := c.save(); err != nil { // batch id stored before the drop
			return err
		}
	}
	if len(refs) == 0 {
		return nil
	}
	if e.renderer == nil {
		return errors.New("dépôt Digiposte impossible : générateur PDF non configuré")
	}
	c.rep.DepositBatch = batch
	sig, err := e.signature(ctx) // R16
	if err != nil {
		return fmt.Errorf("dépôt %s : %w", batch, err)
	}
	now := e.clock.Now()
	deposits := make([]Deposit, len(refs))
	for k, r := range refs {
		en, camp := *r.en(), r.dc.camp
		a := AttestationFor(camp, en, sig, now)
		if r.en().Reference != a.Reference { // stored with the deposit's state
			r.en().Reference = a.Reference
			r.dc.dirty[r.i] = true
		}
		deposits[k] = Deposit{StudentCode: en.Student.Code, FileName: DepositFileName(camp, en.Student.Code),
			Title: "Attestation de réussite — " + camp.DiplomaLabel + " " + a.YearLabel,
			PDF: func(w io.Writer) error {
				if err := e.renderTo(ctx, w, a); err != nil {
					return &depositRenderError{ref: r, err: err}
				}
				return nil
			}}
	}
	err = e.retry(ctx, func() error { return e.vault.Deposit(ctx, batch, deposits) })
	if err != nil {
		var re *depositRenderError
		if errors.As(err, &re) { // that student leaves the batch (nothing was dropped)
			en := re.ref.en()
			en.Batch, en.LastError = "", "génération de l'attestation impossible : "+re.err.Error()
			en.Attempts++
			re.ref.dc.dirty[re.ref.i] = true
		}
		c.dropFailed(refs, batch, "dépôt", err)
		return fmt.Errorf("dépôt des attestations %s (%d documents, repris au prochain cycle) : %w", batch, len(deposits), err)
	}
	c.dropped(refs, EntryDeposited, "lot de dépôt %s déposé : %d attestations", batch)
	c.rep.Deposited += len(refs)
	e.log.Info("attestations déposées dans Digiposte", "lot", batch, "documents", len(deposits))
	return c.save()
}

type depositRenderError struct {
	ref entryRef
	err error
}

func (d *depositRenderError) Error() string {
	return fmt.Sprintf("attestation de l'étudiant %s : %v", d.ref.en().Student.Code, d.err)
}
func (d *depositRenderError) Unwrap() error { return d.err }

// finish stores the counts of the campaigns touched and finishes those whose eligible
// students are all final.
func (c *dpCycle) finish(ctx context.Context) {
	e := c.e
	now := e.clock.Now()
	for _, dc := range c.camps {
		if !dc.active && !dc.touched {
			continue
		}
		camp := dc.camp
		camp.Counts = countStates(dc.entries)
		camp.UpdatedAt = now
		done := dc.active
		for _, en := range dc.entries {
			if !digiposteFinal(en.State) {
				done = false
			}
		}
		if done {
			camp.State, camp.FinishedAt = CampaignFinished, now
		} else if camp.State == CampaignRunning {
			camp.State = CampaignWaiting
		}
		if err := e.store.UpdateCampaign(camp); err != nil {
			c.fail(fmt.Errorf("campagne %s : %w", camp.ID, err))
			continue
		}
		dc.camp = camp
		if !done {
			continue
		}
		c.rep.Finished++
		summary := Summary(digiposteChannel{}, camp.Counts)
		_ = e.store.AppendAudit(camp.ID, AuditRecord{At: now, User: systemUser, Action: AuditFinish, Detail: summary})
		e.log.Info("campagne Digiposte terminée", "campagne", camp.ID, "déposées", camp.Counts[EntryDeposited],
			"refusés", camp.Counts[EntryVaultRefused], "résiliés", camp.Counts[EntryCancelled])
		if _, notify := launcher(camp); notify != "" && e.mailer != nil { // R17b
			m := Mail{Kind: MailCampaignFinished, CampaignID: camp.ID, To: notify,
				Data: MailData{University: e.settings.University, DiplomaLabel: camp.DiplomaLabel, YearLabel: AcademicYearLabel(camp.Year),
					Campaign: camp, Counts: camp.Counts, TestMode: camp.TestMode}}
			e.sendManagerMail(ctx, camp.ID, m)
		}
	}
}

// pendingBatch gives the oldest batch id of that kind recorded on entries still in a
// state the batch would move (a drop not confirmed), "" when none.
func (c *dpCycle) pendingBatch(prefix string, waiting func(EntryState) bool) string {
	var oldest string
	c.each(true, func(r entryRef) {
		en := r.en()
		if waiting(en.State) && strings.HasPrefix(en.Batch, prefix) && (oldest == "" || en.Batch < oldest) {
			oldest = en.Batch
		}
	})
	return oldest
}

// batchID is "A20250614-1a2b3c4d5e6f": the kind, the day, and a digest of the
// campaign and student codes, so that the same content gives the same remote name.
func batchID(prefix string, now time.Time, refs []entryRef) string {
	keys := make([]string, len(refs))
	for i, r := range refs {
		keys[i] = r.dc.camp.ID + "/" + r.en().Student.Code
	}
	return digestID(prefix, now, keys)
}

// digestID is prefix, the day and a digest of keys (in any order): the same content
// gives the same name (Digiposte drops, print batches).
func digestID(prefix string, now time.Time, keys []string) string {
	keys = slices.Sorted(slices.Values(keys))
	h := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return prefix + now.Format("20060102") + "-" + hex.EncodeToString(h[:6])
}

func countPerCampaign(refs []entryRef) map[*dpCampaign]int {
	n := map[*dpCampaign]int{}
	for _, r := range refs {
		n[r.dc]++
	}
	return n
}

// DepositFileName is the PDF's name in a deposit: unique per campaign and student.
func DepositFileName(camp Campaign, studentCode string) string {
	return "attestation-reussite-" + camp.ID + "-" + studentCode + ".pdf"
}
