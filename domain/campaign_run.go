package domain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// LaunchOptions override the settings for one campaign.
type LaunchOptions struct {
	// Mode overrides Settings.Mode when not empty.
	Mode Mode
	// TestMode forces test mode on (CLI --test-mode). It cannot turn off a test mode
	// set in the configuration.
	TestMode bool
	// TestRecipient overrides Settings.TestRecipient when not empty.
	TestRecipient string
	// Concurrency overrides Settings.Concurrency (sends in flight) when > 0.
	Concurrency int
	// IncludeServed includes the students an earlier campaign already served the
	// same attestation (after a correction in Apogée); by default they are left out.
	// The choice is recorded in the audit log.
	IncludeServed bool
	// Students, when not empty, restricts the campaign to these student codes (for
	// example the failed or unserved students of another campaign, to print them).
	Students []string
	// Preview, when fresh (Settings.PreviewReuse) and of the same request, gives the
	// students: only their blockings are read again (preview_reuse.go).
	Preview *PreviewSnapshot
}

// ErrNoSignature: the president's signature is missing or cannot be decrypted (R16).
var ErrNoSignature = errors.New("signature du président introuvable ou illisible")

var errNoStore = errors.New("aucune base hypercerts n'est configurée")

// Audit actions.
const (
	AuditLaunch    = "lancement"
	AuditRelaunch  = "relance"
	AuditResume    = "reprise"
	AuditFinish    = "fin"
	AuditFail      = "échec"
	AuditInterrupt = "interruption"
	AuditMail      = "courriel"
)

// systemUser is the audit user of what the engine does on its own (Resume).
const systemUser = "hypercerts"

// Launch creates a campaign and starts working through it (R03, R07, R13–R18). It
// checks the user's rights and the request, reads the signature first (R16: missing
// or unreadable, the campaign is recorded as failed and nothing is sent), reads the
// official label (R09), assesses every student (the preview), stores the campaign
// with one entry per student (excluded with reasons, or eligible; in several
// transactions, crash-safe: campaign_create.go), mails the managers
// (R17a), and returns. The students are then worked through in the background, on the
// engine's context: the caller's ctx only bounds the steps before Launch returns.
// Follow with Watch or Wait.
func (e *Engine) Launch(ctx context.Context, user User, req PreviewRequest, opts LaunchOptions) (Campaign, error) {
	if e.store == nil {
		return Campaign{}, errNoStore
	}
	mode := e.modeOf(req)
	if opts.Mode != "" {
		mode = opts.Mode
	}
	ch, err := e.channel(mode)
	if err != nil {
		return Campaign{}, err
	}
	testMode := e.settings.TestMode || opts.TestMode
	testRecipient := firstNonEmpty(opts.TestRecipient, e.settings.TestRecipient)
	if testMode && testRecipient == "" {
		return Campaign{}, Invalid("mode test sans adresse de test : renseignez delivery.test_recipient")
	}
	if e.shuttingDown() {
		return Campaign{}, ErrShutdown
	}
	comp, err := e.requireComponent(ctx, user, req.Component)
	if err != nil {
		return Campaign{}, err
	}
	vdi, vets, err := e.resolve(ctx, user, req)
	if err != nil {
		return Campaign{}, err
	}
	if err := ch.ready(ctx, e); err != nil { // before anything is recorded: a dead relay leaves no trace
		return Campaign{}, fmt.Errorf("%w ; la campagne n'a pas été créée, rien n'a été envoyé", err)
	}
	now := e.clock.Now()
	camp := Campaign{Year: req.Year, Component: comp, VDI: vdi, VETs: vets, Mode: mode,
		TestMode: testMode, CreatedBy: user.Code, LaunchedBy: user.Code, NotifyEmail: user.Email,
		CreatedAt: now, UpdatedAt: now, State: CampaignRunning}
	if testMode {
		camp.TestRecipient = testRecipient
	}

	sig, err := e.signature(ctx) // R16, before anything else
	if err != nil {
		return e.failEarly(user, camp, err)
	}
	label, err := call(ctx, e, func() (string, error) { return e.apogee.OfficialLabel(ctx, req.Year, vdi) })
	if err == nil && strings.TrimSpace(label) == "" {
		err = errors.New("libellé vide")
	}
	if err != nil {
		return e.failEarly(user, camp, fmt.Errorf("libellé officiel du diplôme %s (R09) illisible : %w ; aucune attestation n'a été envoyée", vdi.Key(), err))
	}
	camp.DiplomaLabel = label

	reuse := e.reusable(opts.Preview, req)
	var rows []Row
	if reuse {
		rows, err = e.recheck(ctx, req.Year, vdi, mode, opts.Preview.Rows)
	} else {
		rows, err = e.PreviewAll(ctx, user, PreviewRequest{Year: req.Year, Component: req.Component, VDI: vdi, VETs: vets, Mode: mode})
	}
	if err != nil {
		return Campaign{}, err // nothing recorded, nothing sent
	}
	var previewAt time.Time
	if reuse {
		previewAt = opts.Preview.At
	}
	if len(opts.Students) > 0 {
		rows = slices.DeleteFunc(rows, func(r Row) bool { return !slices.Contains(opts.Students, r.Student.Code) })
	}
	served, err := e.ServedBefore(req.Year, vdi)
	if err != nil {
		return Campaign{}, err
	}
	plan := PlanOf(rows, mode, served, opts.IncludeServed)
	entries := make([]Entry, len(rows))
	for i, row := range rows {
		entries[i] = newEntry(row, camp, ch, now)
		if s, ok := served[row.Student.Code]; ok && entries[i].Eligible && !opts.IncludeServed {
			entries[i].Eligible, entries[i].State = false, EntryExcluded
			entries[i].Reasons = append(entries[i].Reasons, servedReason(s))
		}
	}
	camp.Counts = countStates(entries)
	camp.ManagerMails = e.pendingCreationMails()
	if err := e.storeCampaign(&camp, entries, user.Code); err != nil { // crash-safe (campaign_create.go)
		if camp.ID == "" {
			return Campaign{}, err
		}
		camp.State, camp.Error = CampaignFailed, err.Error()
		return camp, err
	}
	eligible := camp.Counts[EntryEligible]
	detail := fmt.Sprintf("%s %s, %d étudiants dont %d éligibles, diffusion par %s", vdi.Key(), AcademicYearLabel(req.Year),
		len(entries), eligible, ch.Label())
	detail += ", " + SourceLabel(reuse, previewAt)
	if testMode {
		detail += ", mode test vers " + testRecipient
	}
	if plan.Served > 0 {
		what := "laissés de côté"
		if opts.IncludeServed {
			what = "inclus à la demande du gestionnaire"
		}
		detail += fmt.Sprintf(", %d déjà servis (dernier envoi le %s) %s", plan.Served, plan.ServedLast.Format("02/01/2006"), what)
	}
	if err := e.store.AppendAudit(camp.ID, AuditRecord{At: now, User: user.Code, Action: AuditLaunch, Detail: detail}); err != nil {
		return e.markFailed(camp, user.Code, fmt.Errorf("journal de la campagne : %w", err))
	}
	camp.Served, camp.ServedLast = plan.Served, plan.ServedLast
	e.log.Info("campagne créée", "campagne", camp.ID, "utilisateur", user.Code, "étudiants", len(entries), "éligibles", eligible, "mode_test", testMode)

	e.sendCreationMails(ctx, camp.ID) // R17a: a stored step, after the campaign is recorded

	if ch.runner() == nil { // worked through by a scheduled job (Digiposte: R19–R22)
		camp.State, camp.UpdatedAt = CampaignWaiting, e.clock.Now()
		if err := e.store.UpdateCampaign(camp); err != nil {
			return camp, err
		}
		return camp, nil
	}
	concurrency := e.settings.Concurrency
	if opts.Concurrency > 0 {
		concurrency = opts.Concurrency
	}
	if err := e.startRun(camp, ch, entries, sig, user.Code, user.Email, concurrency, false); err != nil {
		return camp, err
	}
	return camp, nil
}

// Relaunch works again through the students of a campaign whose attestation has not
// been delivered (R07): mail failed (whatever the reason), and any left eligible,
// rendered or sending. Excluded students stay excluded; mailed ones are never resent.
func (e *Engine) Relaunch(ctx context.Context, user User, campaignID string) error {
	camp, err := e.campaignFor(ctx, user, campaignID)
	if err != nil {
		return err
	}
	ch, err := e.channel(camp.Mode)
	if err != nil {
		return err
	}
	if ok, why := ch.Relaunch(); !ok {
		return Invalid("la campagne %s est diffusée par %s : %s", camp.ID, ch.Label(), why)
	}
	if e.shuttingDown() {
		return ErrShutdown
	}
	if e.isActive(camp.ID) {
		return Invalid("la campagne %s est déjà en cours", camp.ID)
	}
	if camp.State == CampaignCreating {
		return Invalid("la campagne %s est en cours de création", camp.ID)
	}
	entries, err := e.store.Entries(camp.ID)
	if err != nil {
		return err
	}
	todo := 0
	for _, en := range entries {
		if relaunchable(en.State) {
			todo++
		}
	}
	now := e.clock.Now()
	if todo == 0 {
		if len(entries) == 0 && camp.State == CampaignFailed {
			return Invalid("la campagne %s a échoué sans étudiants enregistrés (%s) : lancez-en une nouvelle", camp.ID, camp.Error)
		}
		return e.store.AppendAudit(camp.ID, AuditRecord{At: now, User: user.Code, Action: AuditRelaunch, Detail: "rien à relancer : toutes les attestations ont été envoyées"})
	}
	if err := ch.ready(ctx, e); err != nil {
		return fmt.Errorf("%w ; la campagne %s n'a pas été relancée", err, camp.ID)
	}
	sig, err := e.signature(ctx) // R16
	if err != nil {
		_ = e.store.AppendAudit(camp.ID, AuditRecord{At: now, User: user.Code, Action: AuditFail, Detail: err.Error()})
		return err
	}
	if err := e.store.AppendAudit(camp.ID, AuditRecord{At: now, User: user.Code, Action: AuditRelaunch,
		Detail: fmt.Sprintf("%d étudiants à envoyer", todo)}); err != nil {
		return err
	}
	camp.State, camp.Error, camp.UpdatedAt, camp.FinishedAt = CampaignRunning, "", now, time.Time{}
	camp.LaunchedBy, camp.NotifyEmail = user.Code, user.Email
	if err := e.store.UpdateCampaign(camp); err != nil {
		return err
	}
	e.log.Info("campagne relancée", "campagne", camp.ID, "utilisateur", user.Code, "à_envoyer", todo)
	return e.startRun(camp, ch, entries, sig, user.Code, user.Email, e.settings.Concurrency, true)
}

// Resume restarts, at start-up, every campaign left running in a channel served at
// launch (mail, print) (crash, Ctrl-C,
// Shutdown). Entries left "sending" are sent again: duplicates are at most the sends
// that were in flight, and the deterministic Message-ID lets receivers drop them.
// Failed sends are not retried (that is Relaunch). It returns the number of campaigns
// resumed.
func (e *Engine) Resume(ctx context.Context) (int, error) {
	if e.store == nil {
		return 0, errNoStore
	}
	if e.shuttingDown() {
		return 0, ErrShutdown
	}
	list, err := e.store.Campaigns()
	if err != nil {
		return 0, err
	}
	list, abandonErr := e.abandonInterrupted(list) // campaigns a crash left half created
	e.resumeCreationMails(ctx, list)               // R17a left pending by a crash
	var (
		sig    Signature
		sigErr error
		read   bool
		n      int
		errs   []error
		// notReady: per channel, why its campaigns cannot resume now (nil: they can)
		notReady = map[Mode]error{}
	)
	for _, camp := range list {
		if camp.State != CampaignRunning && camp.State != CampaignSuspended || e.isActive(camp.ID) {
			continue
		}
		ch, err := e.channel(camp.Mode)
		if err != nil || ch.runner() == nil { // not served at launch, or not wired here
			continue
		}
		rerr, checked := notReady[ch.Mode()]
		if !checked { // once per channel
			rerr = ch.ready(ctx, e)
			notReady[ch.Mode()] = rerr
			if rerr != nil { // left as they are: the next resume tries again
				errs = append(errs, fmt.Errorf("%w ; campagnes (%s) laissées en attente de reprise", rerr, ch.Label()))
			}
		}
		if rerr != nil {
			continue
		}
		if !read { // once for all the campaigns
			sig, sigErr = e.signature(ctx)
			read = true
		}
		now := e.clock.Now()
		if sigErr != nil { // left running: resumed at the next start once fixed
			_ = e.store.AppendAudit(camp.ID, AuditRecord{At: now, User: systemUser, Action: AuditFail, Detail: "reprise impossible : " + sigErr.Error()})
			errs = append(errs, fmt.Errorf("campagne %s : %w", camp.ID, sigErr))
			continue
		}
		entries, err := e.store.Entries(camp.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("campagne %s : %w", camp.ID, err))
			continue
		}
		if len(entries) == 0 && total(camp.Counts) > 0 {
			// Recorded running with its counts by an earlier version, which stored the
			// students in a second transaction: a crash in between left none. Running it
			// would "finish" it having served nobody; it is failed as a creation
			// interrupted today is (abandonInterrupted).
			if err := e.abandonCreation(camp, systemUser, errCreationInterrupted); err != nil {
				errs = append(errs, fmt.Errorf("campagne %s : %w", camp.ID, err))
				continue
			}
			errs = append(errs, fmt.Errorf("campagne %s marquée échouée : %w", camp.ID, errCreationInterrupted))
			continue
		}
		sending := 0
		for _, en := range entries {
			if en.State == EntrySending {
				sending++
			}
		}
		detail := fmt.Sprintf("reprise au démarrage, %d envois interrompus renvoyés", sending)
		if camp.State == CampaignSuspended {
			detail = "reprise après suspension : le serveur de courriel répond"
			camp.State, camp.Error, camp.UpdatedAt = CampaignRunning, "", now
			if err := e.store.UpdateCampaign(camp); err != nil {
				errs = append(errs, fmt.Errorf("campagne %s : %w", camp.ID, err))
				continue
			}
		}
		_ = e.store.AppendAudit(camp.ID, AuditRecord{At: now, User: systemUser, Action: AuditResume, Detail: detail})
		e.log.Info("campagne reprise", "campagne", camp.ID, "envois_interrompus", sending)
		user, notify := launcher(camp)
		if err := e.startRun(camp, ch, entries, sig, user, notify, e.settings.Concurrency, false); err != nil {
			errs = append(errs, fmt.Errorf("campagne %s : %w", camp.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(append(errs, abandonErr)...)
}

// Campaigns lists the campaigns of the components the user manages, newest first (R02).
func (e *Engine) Campaigns(ctx context.Context, user User) ([]Campaign, error) {
	if e.store == nil {
		return nil, errNoStore
	}
	comps, err := e.readRights(ctx, user)
	if err != nil {
		return nil, err
	}
	all, err := e.store.Campaigns()
	if err != nil {
		return nil, err
	}
	var mine []Campaign
	for _, c := range all {
		for _, comp := range comps {
			if c.Component.Code == comp.Code {
				mine = append(mine, e.live(c))
				break
			}
		}
	}
	return mine, nil
}

// Campaign gives one campaign of a component the user manages (R02).
func (e *Engine) Campaign(ctx context.Context, user User, id string) (Campaign, error) {
	c, err := e.campaignForRead(ctx, user, id)
	if err != nil {
		return Campaign{}, err
	}
	return e.live(c), nil
}

// Entries gives a campaign's students and their states, sorted by student code (R02).
func (e *Engine) Entries(ctx context.Context, user User, id string) ([]Entry, error) {
	if _, err := e.campaignForRead(ctx, user, id); err != nil {
		return nil, err
	}
	return e.store.Entries(id)
}

// Audit gives a campaign's audit log, oldest first (R02).
func (e *Engine) Audit(ctx context.Context, user User, id string) ([]AuditRecord, error) {
	if _, err := e.campaignForRead(ctx, user, id); err != nil {
		return nil, err
	}
	return e.store.Audit(id)
}

// campaignFor reads a campaign and checks the user manages its component.
func (e *Engine) campaignFor(ctx context.Context, user User, id string) (Campaign, error) {
	if e.store == nil {
		return Campaign{}, errNoStore
	}
	// Rights first: a user without rights learns nothing, not even whether id exists.
	if _, err := e.requireAnyRight(ctx, user); err != nil {
		return Campaign{}, err
	}
	c, err := e.store.Campaign(id)
	if err != nil {
		return Campaign{}, err
	}
	if _, err := e.requireComponent(ctx, user, c.Component.Code); err != nil {
		return Campaign{}, err
	}
	return c, nil
}

// campaignForRead is campaignFor for read-only work: while Apogée is unreachable, the
// user's last known rights stand in (readRights).
func (e *Engine) campaignForRead(ctx context.Context, user User, id string) (Campaign, error) {
	if e.store == nil {
		return Campaign{}, errNoStore
	}
	comps, err := e.readRights(ctx, user)
	if err != nil {
		return Campaign{}, err
	}
	c, err := e.store.Campaign(id)
	if err != nil {
		return Campaign{}, err
	}
	for _, comp := range comps {
		if comp.Code == c.Component.Code {
			return c, nil
		}
	}
	return Campaign{}, Forbidden(user, "la composante "+c.Component.Code)
}

// live overlays the counts of a campaign being worked through.
func (e *Engine) live(c Campaign) Campaign {
	rs := e.runs()
	rs.mu.Lock()
	r := rs.active[c.ID]
	rs.mu.Unlock()
	if r != nil {
		r.mu.Lock()
		c.Counts = r.snapshot(e.clock.Now()).Counts
		r.mu.Unlock()
	}
	return c
}

// signature reads the president's signature (R16).
func (e *Engine) signature(ctx context.Context) (Signature, error) {
	sig, err := call(ctx, e, func() (Signature, error) { return e.apogee.Signature(ctx) })
	if err == nil && len(sig.Image) == 0 {
		err = errors.New("image de signature vide")
	}
	if err != nil {
		return Signature{}, fmt.Errorf("%w (R16) : %v ; vérifiez le code du signataire et la clé de déchiffrement dans la configuration ; aucune attestation n'a été envoyée", ErrNoSignature, err)
	}
	return sig, nil
}

// failEarly records a campaign stopped before any student was read or sent.
func (e *Engine) failEarly(user User, camp Campaign, cause error) (Campaign, error) {
	camp.State, camp.Error = CampaignFailed, cause.Error()
	camp.FinishedAt = camp.CreatedAt
	if err := e.store.CreateCampaign(&camp); err != nil {
		return Campaign{}, errors.Join(cause, err)
	}
	_ = e.store.AppendAudit(camp.ID, AuditRecord{At: camp.CreatedAt, User: user.Code, Action: AuditFail, Detail: cause.Error()})
	e.log.Error("campagne arrêtée avant tout envoi", "campagne", camp.ID, "erreur", cause)
	return camp, cause
}

// markFailed records a campaign that could not be set up.
func (e *Engine) markFailed(camp Campaign, user string, cause error) (Campaign, error) {
	camp.State, camp.Error, camp.UpdatedAt = CampaignFailed, cause.Error(), e.clock.Now()
	_ = e.store.UpdateCampaign(camp)
	_ = e.store.AppendAudit(camp.ID, AuditRecord{At: camp.UpdatedAt, User: user, Action: AuditFail, Detail: cause.Error()})
	return camp, cause
}

// newEntry turns a preview row into a campaign entry.
// The channel's conditions (an e-mail address) are ForMode's, the one computation the
// confirmation uses too.
func newEntry(row Row, camp Campaign, ch Channel, now time.Time) Entry {
	en := Entry{Row: ForMode(row, ch.Mode()), State: EntryExcluded, UpdatedAt: now}
	if en.Eligible {
		en.State = EntryEligible
	}
	en.Recipient, en.RealRecipient = "", ""
	if row.Student.Email != "" { // R18, from the campaign's own test mode
		en.Recipient, en.RealRecipient = Recipient(row.Student.Email, camp.TestMode, camp.TestRecipient)
	}
	return en
}

func countStates(entries []Entry) map[EntryState]int {
	counts := map[EntryState]int{}
	for _, en := range entries {
		counts[en.State]++
	}
	return counts
}

// resumable: worked through by a launch or a resume.
func resumable(s EntryState) bool { return s.Outcome() == OutcomePending && s != EntryDiscovered }

// relaunchable: not delivered and not excluded (R07).
func relaunchable(s EntryState) bool { return resumable(s) || s.Outcome() == OutcomeFailed }

// launcher is who last launched or relaunched the campaign, and their address (R17b).
func launcher(c Campaign) (user, notify string) {
	if c.LaunchedBy == "" {
		return c.CreatedBy, c.NotifyEmail
	}
	return c.LaunchedBy, c.NotifyEmail
}

func (e *Engine) shuttingDown() bool {
	rs := e.runs()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.closed
}

func (e *Engine) isActive(id string) bool {
	rs := e.runs()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.active[id] != nil
}

// startRun registers a run and starts its workers in the background.
func (e *Engine) startRun(camp Campaign, ch Channel, entries []Entry, sig Signature, user, notify string, concurrency int, relaunch bool) error {
	do := func(en *Entry) bool {
		return resumable(en.State) || (relaunch && en.State.Outcome() == OutcomeFailed)
	}
	n := 0
	for i := range entries {
		if do(&entries[i]) {
			n++
		}
	}
	todo := make([]Entry, 0, n) // sized once: entries are large, and a campaign may have 10,000
	for i := range entries {
		if do(&entries[i]) {
			todo = append(todo, entries[i])
		}
	}
	r := newCampaignRun(camp, entries, todo, e.clock.Now())
	r.ch, r.sig, r.user, r.notify, r.concurrency = ch, sig, user, notify, max(concurrency, 1)
	rs := e.runs()
	rs.mu.Lock()
	if rs.closed {
		rs.mu.Unlock()
		return ErrShutdown
	}
	if rs.active[camp.ID] != nil {
		rs.mu.Unlock()
		return Invalid("la campagne %s est déjà en cours", camp.ID)
	}
	rs.active[camp.ID] = r
	rs.wg.Add(1)
	rs.mu.Unlock()
	go e.work(rs, r)
	return nil
}

// work serves the run's entries through its channel, then ends the run.
func (e *Engine) work(rs *campaignRuns, r *campaignRun) {
	defer rs.wg.Done()
	interrupted, fatal := r.ch.runner().run(e, rs, r)
	if rs.base.Err() != nil {
		interrupted = true
	}
	e.endRun(rs, r, interrupted, fatal)
}

// flush waits for the write *pending holds, if any, and clears it.
func flush(pending *func() error) error {
	if *pending == nil {
		return nil
	}
	wait := *pending
	*pending = nil
	return wait()
}

// setState stores the entry in its new state, then accounts for it in the progress.
func (e *Engine) setState(r *campaignRun, en *Entry, from, to EntryState, lastError string, retryable bool) error {
	return e.queueState(r, en, from, to, lastError, retryable)()
}

// queueState sets the entry's new state and queues its write; wait returns once the
// write is durable, and only then accounts for it in the progress (so the progress
// never shows what a crash would lose). wait must be called.
func (e *Engine) queueState(r *campaignRun, en *Entry, from, to EntryState, lastError string, retryable bool) (wait func() error) {
	now := e.clock.Now()
	en.State, en.LastError, en.Retryable, en.UpdatedAt = to, lastError, retryable, now
	var written func() error
	if a, ok := e.store.(AsyncEntryWriter); ok {
		written = a.PutEntriesAsync(r.camp.ID, []Entry{*en})
	} else {
		err := e.store.PutEntries(r.camp.ID, []Entry{*en})
		written = func() error { return err }
	}
	code := en.Student.Code
	return sync.OnceValue(func() error {
		if err := written(); err != nil {
			msg := fmt.Sprintf("base non modifiable, campagne suspendue : %v", err)
			r.update(now, func(p *Progress) { p.addError(msg) })
			return errors.New(msg)
		}
		final := to.Outcome() == OutcomeServed || to.Outcome() == OutcomeFailed
		r.update(now, func(p *Progress) {
			p.move(from, to)
			if final {
				p.Processed++
			}
			if to.Outcome() == OutcomeFailed {
				p.addError(code + " : " + lastError)
			}
		})
		if final {
			e.saveCounts(r, false)
		}
		return nil
	})
}

// saveCounts stores the campaign's counts, at most every 2 seconds unless forced, so
// that listings show a fair picture of a running campaign after a crash.
func (e *Engine) saveCounts(r *campaignRun, force bool) {
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	now := e.clock.Now()
	r.mu.Lock()
	if !force && now.Sub(r.lastSave) < 2*time.Second {
		r.mu.Unlock()
		return
	}
	r.lastSave = now
	counts := r.snapshot(now).Counts
	r.mu.Unlock()
	c, err := e.store.Campaign(r.camp.ID)
	if err != nil {
		return
	}
	c.Counts, c.UpdatedAt = counts, now
	if err := e.store.UpdateCampaign(c); err != nil {
		e.log.Warn("mise à jour des compteurs", "campagne", r.camp.ID, "erreur", err)
	}
}

// endRun records how the run ended, mails the launcher (R17b) and closes the watchers.
func (e *Engine) endRun(rs *campaignRuns, r *campaignRun, interrupted bool, fatal error) {
	// Leave the active set before the watchers and waiters are released, so that
	// what they do next (Relaunch, Watch) sees the stored outcome.
	inactive := func() {
		rs.mu.Lock()
		delete(rs.active, r.camp.ID)
		rs.mu.Unlock()
	}
	if suspended, streak, cause := r.relay.outcome(); suspended && fatal == nil {
		e.suspendRun(rs, r, streak, cause)
		return
	}
	now := e.clock.Now()
	id := r.camp.ID
	if interrupted || fatal != nil {
		e.saveCounts(r, true)
		detail := "arrêt du programme : reprise au prochain démarrage"
		if fatal != nil {
			detail = fatal.Error()
		}
		_ = e.store.AppendAudit(id, AuditRecord{At: now, User: systemUser, Action: AuditInterrupt, Detail: detail})
		e.log.Warn("campagne interrompue", "campagne", id, "raison", detail)
		inactive()
		r.end(now, func(p *Progress) {
			p.Interrupted = true
			if fatal != nil {
				p.Err = fatal.Error()
			}
		})
		return
	}
	c, err := e.store.Campaign(id)
	if err != nil {
		c = r.camp
	}
	// The run's counts are the stored ones: a state is counted once durable, and a run
	// that ends here (not interrupted, no write failed) has every write durable.
	// Reading the campaign's entries back instead cost 8 % of a run's CPU.
	r.mu.Lock()
	c.Counts = r.snapshot(now).Counts
	r.mu.Unlock()
	c.State, c.Error, c.UpdatedAt, c.FinishedAt = CampaignFinished, "", now, now
	if err := e.store.UpdateCampaign(c); err != nil {
		e.log.Error("fin de campagne non enregistrée", "campagne", id, "erreur", err)
	}
	summary := Summary(r.ch, c.Counts)
	_ = e.store.AppendAudit(id, AuditRecord{At: now, User: r.user, Action: AuditFinish, Detail: summary})
	e.log.Info("campagne terminée", "campagne", id, "bilan", summary)

	if r.notify != "" { // R17b
		m := Mail{Kind: MailCampaignFinished, CampaignID: id, To: r.notify,
			Data: MailData{University: e.settings.University, DiplomaLabel: c.DiplomaLabel, YearLabel: AcademicYearLabel(c.Year),
				Campaign: c, Counts: c.Counts, TestMode: c.TestMode}}
		e.sendManagerMail(rs.base, id, m)
	}
	inactive()
	r.end(now, func(p *Progress) {
		p.State = CampaignFinished
		p.Counts = c.Counts
	})
}
