package domain_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hypercerts/app"
	"hypercerts/connectors/hubee"
	hubeesim "hypercerts/connectors/hubee/sim"
	"hypercerts/domain"
	"hypercerts/render"
)

// These tests run the whole SI loop with real parts: the HubEE simulator over loopback
// HTTP (through the real client and adapter), the embedded Apogée, the real renderer
// and the bbolt store on a temporary folder.

const (
	procAttest = "AttestationReussite"
	procPJ     = "AttestationPJ"
	procOther  = "AutreDemarche"
	procNoMsg  = "AttestationSansMessage" // a démarche whose settings refuse messages to the OSL
)

var (
	siOrg  = hubee.OrganizationIdentifier{Type: "SI", CompanyRegister: "19250001700011", BranchCode: "25056"}
	oslOrg = hubee.OrganizationIdentifier{Type: "OSL", CompanyRegister: "13002526500013", BranchCode: "75107"}
)

type fixture struct {
	t        *testing.T
	app      *app.App
	sim      *hubeesim.Sim
	client   *hubee.Client
	osl      *hubee.Session
	renderer domain.Renderer
	students map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{Demo: true, DemoDir: t.TempDir(), DemoStudents: 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	r, err := render.New(render.Options{University: "Université de Démonstration", City: "Besançon"})
	if err != nil {
		t.Fatal(err)
	}
	s := hubeesim.New()
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.SetPurgeOnStatus(true) // files gone after SI_RECEIVED: they must be downloaded before
	creds := map[string]hubee.Credentials{}
	for _, p := range []string{procAttest, procPJ, procOther, procNoMsg} {
		creds[p] = hubee.Credentials{ClientID: "si-" + p, ClientSecret: "secret-" + p}
		s.AddClient(hubeesim.Client{ID: "si-" + p, Secret: "secret-" + p, Org: siOrg, Scopes: []string{hubee.ScopeSI}, Processes: []string{p}})
		s.AddProcess(hubee.Process{Code: p, Name: p, IsActivated: true, OSL: oslOrg,
			AttachmentFormatsEnabled: []string{"application/json", "application/pdf"}, AttachmentTypesEnabled: []string{"IDENTITE", "ATTESTATION"},
			SIAttachmentFormatsEnabled: []string{"application/pdf"}, MessageToTransmitter: p != procNoMsg,
			AttachmentMaxSizeEnabled: 10 << 20, StatusBeforeFileDeletion: hubee.StatusSIReceived, TimeBeforeFileDeletion: 7,
			TimeBeforeArchiving: 30, TimeBeforeFolderDeletion: 30, SubscriptionValidation: hubee.SubscriptionValidationManual})
		s.Subscribe(p, siOrg, "hubee@univ-demo.fr")
	}
	s.AddClient(hubeesim.Client{ID: "osl", Secret: "osl-secret", Org: oslOrg, Scopes: []string{hubee.ScopeOSL}})
	c, err := hubee.New(hubee.Config{BaseURL: base, TokenURL: s.TokenURL(), Credentials: creds, ApplicationName: "hypercerts",
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, app: a, sim: s, client: c, renderer: r, students: a.Sim.Cases(),
		osl: c.NewSession(hubee.Credentials{ClientID: "osl", ClientSecret: "osl-secret"}, hubee.ScopeOSL)}
}

func settings() domain.HubEESettings {
	f := domain.DefaultHubEEIdentityFields
	return domain.HubEESettings{BatchSize: 2, CaseAttempts: 3, Processes: []domain.HubEEProcess{
		{Code: procAttest, Role: domain.HubEEAttestationRequest, Identity: domain.HubEEIdentity{Source: domain.HubEEIdentityPartnerAttributes, Fields: f}},
		{Code: procPJ, Role: domain.HubEEAttestationRequest, Identity: domain.HubEEIdentity{Source: domain.HubEEIdentityAttachment,
			AttachmentName: "*.json", Format: "json", Fields: f}},
		{Code: procOther, Role: domain.HubEEOther},
		{Code: procNoMsg, Role: domain.HubEEAttestationRequest, Identity: domain.HubEEIdentity{Source: domain.HubEEIdentityPartnerAttributes, Fields: f}},
	}}
}

// engine builds an engine on the fixture's store and hub; hook (may be nil) is called
// after each successful hub call and its error returned instead.
func (f *fixture) engine(hook func(method string) error) *domain.Engine {
	var inner domain.Hub = hubee.NewHub(f.client, hubee.HubOptions{TempDir: f.t.TempDir()})
	if hook != nil {
		inner = hookHub{Hub: inner, after: hook}
	}
	return domain.NewEngine(domain.Deps{Apogee: f.app.Apogee, Store: f.app.Store, Renderer: f.renderer,
		Hub: domain.HubWithSettings(inner, settings())}, domain.Settings{MaxAttempts: 4, Backoff: time.Millisecond})
}

// file files a request for a student of a rule case (or any code) with the year and VDI
// of that case.
func (f *fixture) file(process, rule, code string, extra string) hubeesim.Filed {
	f.t.Helper()
	if code == "" {
		code = f.students[rule]
	}
	cp, err := f.app.Sim.CaseCampaign(rule)
	if err != nil {
		f.t.Fatal(err)
	}
	attrs := fmt.Sprintf("codeEtudiant=%s;annee=%s;vdi=%s%s", code, cp.Year, cp.VDI.Key(), extra)
	req := hubeesim.Request{Process: process, OSL: oslOrg, SI: siOrg, Applicant: hubee.Applicant{FirstName: "Camille", LastName: "MARTIN"}}
	if process == procPJ {
		req.Files = []hubeesim.File{{Name: "identite.json", Type: "IDENTITE", MimeType: "application/json",
			Data: fmt.Appendf(nil, `{"etudiant":{"codeEtudiant":%q},"annee":%q,"vdi":%q}`, code, cp.Year, cp.VDI.Key())}}
	} else {
		req.PartnerAttributes = attrs
	}
	filed, err := f.sim.FileRequest(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return filed
}

func (f *fixture) sync(e *domain.Engine) domain.HubEEReport {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := e.HubEESync(ctx)
	if err != nil {
		f.t.Fatalf("synchronisation : %v (%+v)", err, rep)
	}
	return rep
}

// events counts a case's events of the SI by action type (and new status for updates).
func (f *fixture) siEvents(caseID string) map[string]int {
	out := map[string]int{}
	for _, ev := range f.sim.CaseEvents(caseID) {
		if ev.Transmitter == nil || *ev.Transmitter != siOrg {
			continue
		}
		k := string(ev.ActionType)
		if ev.CaseNewStatus != nil && ev.ActionType == hubee.ActionStatusUpdate {
			k += ":" + string(*ev.CaseNewStatus)
		}
		if ev.ActionType == hubee.ActionAttachDeposit {
			k += ":" + string(ev.Status)
		}
		out[k]++
	}
	return out
}

func (f *fixture) deposit(caseID string) (hubee.Event, []byte) {
	for _, ev := range f.sim.CaseEvents(caseID) {
		if ev.ActionType == hubee.ActionAttachDeposit && len(ev.Attachments) == 1 {
			return ev, f.sim.AttachmentData(ev.Attachments[0].ID)
		}
	}
	return hubee.Event{}, nil
}

func (f *fixture) record(caseID string) domain.HubEECase {
	f.t.Helper()
	c, err := f.app.Store.HubEECase(caseID)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// assertDelivered checks the one full answer of an admitted student's case.
func (f *fixture) assertDelivered(caseID string) {
	f.t.Helper()
	if st := f.sim.CaseStatus(caseID); st != hubee.StatusDone {
		f.t.Fatalf("statut %s, DONE attendu", st)
	}
	want := map[string]int{"STATUS_UPDATE:SI_RECEIVED": 1, "ATTACH_DEPOSIT:SENT": 1}
	if got := f.siEvents(caseID); fmt.Sprint(got) != fmt.Sprint(want) {
		f.t.Fatalf("événements du SI : %v, attendu %v", got, want)
	}
	ev, pdf := f.deposit(caseID)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || ev.Message == nil || !strings.Contains(*ev.Message, "attestation de réussite") {
		f.t.Fatalf("dépôt : %+v, %d octets", ev, len(pdf))
	}
	rec := f.record(caseID)
	if rec.Outcome != domain.HubOutcomeDelivered || rec.Step != domain.HubStepFinished || rec.Status != domain.HubDone {
		f.t.Fatalf("dossier enregistré : %+v", rec)
	}
	stored, err := f.app.Store.HubEEFile(caseID, rec.Deposit.Key)
	if err != nil || !bytes.Equal(stored, pdf) {
		f.t.Fatalf("PDF gardé différent du PDF déposé (%v)", err)
	}
	if n := len(f.sim.PendingNotifications(siOrg)); n != 0 {
		f.t.Fatalf("%d notifications restent pour le SI", n)
	}
}

func TestHubEESyncLoop(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.engine(nil)
	admitted := f.file(procAttest, "admitted", "", "")
	notAdmitted := f.file(procAttest, "not_admitted", "", "")
	blocked := f.file(procAttest, "blocked_exams", "", "")
	unknown := f.file(procAttest, "admitted", "99999999", "")
	pj := f.file(procPJ, "mention_tb", "", "")
	other, err := f.sim.FileRequest(hubeesim.Request{Process: procOther, OSL: oslOrg, SI: siOrg,
		Applicant: hubee.Applicant{FirstName: "Léa", LastName: "DURAND"}, PartnerAttributes: "objet=autre"})
	if err != nil {
		t.Fatal(err)
	}
	broken, err := f.sim.FileRequest(hubeesim.Request{Process: procAttest, OSL: oslOrg, SI: siOrg,
		Applicant: hubee.Applicant{FirstName: "Léa", LastName: "DURAND"}, PartnerAttributes: "nom=DURAND"})
	if err != nil {
		t.Fatal(err)
	}

	rep := f.sync(e)
	if rep.NewCases != 7 || rep.Delivered != 2 || rep.Refused != 3 || rep.ToHandle != 1 || rep.IntegrationErrors != 1 ||
		rep.Deferred != 0 || rep.Notifications != 7 {
		t.Fatalf("rapport : %+v", rep)
	}
	f.assertDelivered(admitted.CaseID)
	f.assertDelivered(pj.CaseID)

	refusals := map[string]string{notAdmitted.CaseID: "pas déclaré(e) admis(e)", blocked.CaseID: "blocage administratif",
		unknown.CaseID: "aucun étudiant de l'université ne porte le numéro 99999999"}
	for id, want := range refusals {
		if st := f.sim.CaseStatus(id); st != hubee.StatusRefused {
			t.Fatalf("%s : statut %s", want, st)
		}
		evs := f.sim.CaseEvents(id)
		last := evs[len(evs)-1]
		if last.ActionType != hubee.ActionStatusUpdate || last.Message == nil || !strings.Contains(*last.Message, want) {
			t.Fatalf("motif du refus : %+v, attendu %q", last, want)
		}
		if rec := f.record(id); rec.Outcome != domain.HubOutcomeRefused || rec.Reason == "" {
			t.Fatalf("dossier refusé : %+v", rec)
		}
		if _, pdf := f.deposit(id); pdf != nil {
			t.Fatal("un refus ne porte pas d'attestation")
		}
	}
	if st := f.sim.CaseStatus(other.CaseID); st != hubee.StatusSIReceived {
		t.Fatalf("autre démarche : %s", st)
	}
	if rec := f.record(other.CaseID); rec.Outcome != domain.HubOutcomeToHandle || rec.Outcome.Label() != "à traiter" {
		t.Fatalf("autre démarche : %+v", rec)
	}
	if st := f.sim.CaseStatus(broken.CaseID); st != hubee.StatusSIIntgError {
		t.Fatalf("dossier sans identité : %s", st)
	}
	evs := f.sim.CaseEvents(broken.CaseID)
	if len(evs) != 1 || evs[0].Message == nil || !strings.Contains(*evs[0].Message, "identité de l'étudiant absente") {
		t.Fatalf("erreur d'intégration : %+v", evs)
	}
	// The identity file was kept although the hub purged it at SI_RECEIVED.
	rec := f.record(pj.CaseID)
	if len(rec.Files) != 1 || rec.Files[0].Key == "" {
		t.Fatalf("pièces : %+v", rec.Files)
	}
	if data, err := f.app.Store.HubEEFile(pj.CaseID, rec.Files[0].Key); err != nil || !bytes.Contains(data, []byte(f.students["mention_tb"])) {
		t.Fatalf("pièce d'identité gardée : %q %v", data, err)
	}
	if d := f.sim.AttachmentData(pj.AttachmentIDs[0]); d != nil {
		t.Fatal("le simulateur aurait dû purger la pièce après SI_RECEIVED")
	}

	// A second run has nothing to do and sends nothing.
	before := f.siEvents(admitted.CaseID)
	if rep := f.sync(e); rep.NewCases != 0 || rep.Notifications != 0 || rep.Deferred != 0 {
		t.Fatalf("second passage : %+v", rep)
	}
	if after := f.siEvents(admitted.CaseID); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("second passage : %v → %v", before, after)
	}

	// The OSL writes on a case: the event is recorded, its file kept, and it is marked RECEIVED.
	ev, err := f.osl.CreateEvent(context.Background(), admitted.CaseID, hubee.Event{ActionType: hubee.ActionComAdd,
		Notification: true, Message: hubee.Ptr("Merci !")})
	if err != nil {
		t.Fatal(err)
	}
	rep = f.sync(e)
	if rep.NewEvents != 1 || rep.Notifications != 1 {
		t.Fatalf("événement de l'OSL : %+v", rep)
	}
	got, err := f.osl.GetEvent(context.Background(), admitted.CaseID, ev.ID)
	if err != nil || got.Status != hubee.EventReceived {
		t.Fatalf("événement non accusé : %+v %v", got, err)
	}
	if rec := f.record(admitted.CaseID); len(rec.Events) != 1 || !rec.Events[0].Acked || rec.Events[0].Message != "Merci !" {
		t.Fatalf("événements enregistrés : %+v", rec.Events)
	}

	// The list for the UI and the CLI.
	list, err := e.HubEECases(context.Background(), f.app.User)
	if err != nil || len(list) != 7 {
		t.Fatalf("liste : %d %v", len(list), err)
	}
	if _, err := e.HubEECases(context.Background(), domain.User{Code: "NOBODY"}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("liste sans droit : %v", err)
	}
}

// No stuck démarche: failing cases at the head of the notifications (max_result 2)
// never hold back the ones behind them. Each notification ends in a recorded outcome:
// a stale one (case gone, 404) is acknowledged; a case the hub refuses us (403), one
// whose answer is unreadable JSON, one beyond the hub's event limit and one whose
// refusal message the démarche does not allow are handed to a person (SI_INTG_ERROR
// where the hub lets us set it), with their reason; the good case is answered in the
// same run.
func TestHubEESyncFailingCasesDoNotBlockTheDemarche(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.engine(nil)
	stale := "0b7c4c1e-0000-4000-8000-000000000001"
	f.sim.Notify(siOrg, procAttest, stale)
	forbidden := f.file(procAttest, "admitted", "", "")
	f.sim.FailCase(forbidden.CaseID, "getCaseById", 403, "Unauthorized user")
	unreadable := f.file(procAttest, "admitted", "", "")
	f.sim.FailCase(unreadable.CaseID, "getCaseById", 200, `{"id": "tronqué`)
	limited := f.file(procAttest, "admitted", "", "")
	f.sim.FailCase(limited.CaseID, "createEvent", 400, "EventLimitReached")
	good := f.file(procAttest, "admitted", "", "")
	noMsg := f.file(procNoMsg, "not_admitted", "", "")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := e.HubEESync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.assertDelivered(good.CaseID)
	if rep.Delivered != 1 || rep.Obsolete != 1 || len(rep.NeedsPerson) != 4 || rep.Notifications != 6 {
		t.Fatalf("rapport : %+v", rep)
	}
	if n := len(f.sim.PendingNotifications(siOrg)); n != 0 {
		t.Fatalf("%d notification(s) restent sur HubEE", n)
	}
	if _, err := f.app.Store.HubEECase(stale); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("notification obsolète : rien à garder (%v)", err)
	}
	for _, c := range []struct {
		id, reason string
		status     hubee.CaseStatus
	}{
		{forbidden.CaseID, "HTTP 403", hubee.StatusHubeeNotified},
		{unreadable.CaseID, "JSON illisible", hubee.StatusHubeeNotified},
		{limited.CaseID, "EventLimitReached", hubee.StatusSIIntgError}, // the PATCH goes through, the event cannot
		{noMsg.CaseID, "messages are not allowed", hubee.StatusSIIntgError},
	} {
		rec := f.record(c.id)
		if !rec.NeedsPerson || !strings.Contains(rec.LastError, c.reason) {
			t.Errorf("dossier %s : %+v, motif %q attendu", c.id, rec, c.reason)
		}
		if st := f.sim.CaseStatus(c.id); st != c.status {
			t.Errorf("dossier %s : statut %s sur HubEE, %s attendu", c.reason, st, c.status)
		}
	}
	// The next run leaves them to a person and still lists them.
	rep = f.sync(e)
	if rep.Resumed != 0 || len(rep.NeedsPerson) != 4 || rep.Notifications != 0 {
		t.Fatalf("second passage : %+v", rep)
	}
}

func TestHubEESyncTokenExpiredMidRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	filed := f.file(procAttest, "admitted", "", "")
	expired := false
	e := f.engine(func(method string) error {
		if method == "SetCaseStatus" && !expired { // between the acknowledgement and the answer
			expired = true
			f.sim.ExpireTokens()
		}
		return nil
	})
	issued := f.sim.TokensIssued()
	if rep := f.sync(e); rep.Delivered != 1 {
		t.Fatalf("rapport : %+v", rep)
	}
	f.assertDelivered(filed.CaseID)
	if !expired || f.sim.TokensIssued() < issued+2 {
		t.Fatalf("jeton non renouvelé : %d jetons", f.sim.TokensIssued())
	}
}

func TestHubEESync500ThenSuccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	filed := f.file(procAttest, "admitted", "", "")
	for _, op := range []string{"listNotification", "getCaseById", "downloadCaseAttachmentById", "updateCase", "createEvent",
		"uploadEventAttachment", "updateEvent", "deleteNotification"} {
		f.sim.FailNext(op, 1)
	}
	if rep := f.sync(f.engine(nil)); rep.Delivered != 1 || rep.Deferred != 0 {
		t.Fatalf("rapport : %+v", rep)
	}
	f.assertDelivered(filed.CaseID)
}

// The hub keeps failing a creation longer than the engine retries: the case waits for
// the next run, which finishes it without a double event.
func TestHubEESyncOutageThenNextRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	filed := f.file(procAttest, "admitted", "", "")
	f.sim.FailNext("createEvent", 4) // the engine's 4 attempts of the STATUS_UPDATE event
	rep := f.sync(f.engine(nil))
	if rep.Deferred != 1 || rep.Delivered != 0 || len(rep.Errors) != 1 {
		t.Fatalf("premier passage : %+v", rep)
	}
	if rec := f.record(filed.CaseID); rec.Step != domain.HubStepAcknowledging || rec.LastError == "" {
		t.Fatalf("dossier en attente : %+v", rec)
	}
	if rep := f.sync(f.engine(nil)); rep.Delivered != 1 {
		t.Fatalf("second passage : %+v", rep)
	}
	f.assertDelivered(filed.CaseID)
}

// A crash right after each outside action (the hub has it, the store does not say so
// yet): a second engine on the same store finishes the case, with no double answer.
func TestHubEESyncCrashAndRestart(t *testing.T) {
	t.Parallel()
	for _, at := range []struct {
		method string
		nth    int
	}{
		{"Case", 1}, {"DownloadCaseAttachment", 1}, {"SetCaseStatus", 1}, {"StartDeposit", 1},
		{"UploadDeposit", 1}, {"SendDeposit", 1}, {"DeleteNotification", 1},
	} {
		t.Run(at.method, func(t *testing.T) {
			t.Parallel() // a fixture of its own
			f := newFixture(t)
			filed := f.file(procPJ, "admitted", "", "")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			crashed := f.engine(func(method string) error {
				if method == at.method {
					if n++; n == at.nth {
						cancel() // the process dies here
						return context.Canceled
					}
				}
				return nil
			})
			if _, err := crashed.HubEESync(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("le premier moteur devait s'arrêter : %v", err)
			}
			if n != at.nth {
				t.Fatalf("panne jamais atteinte (%d)", n)
			}
			rep := f.sync(f.engine(nil))
			if at.method != "DeleteNotification" && rep.Delivered != 1 {
				t.Fatalf("reprise : %+v", rep)
			}
			f.assertDelivered(filed.CaseID)
		})
	}
}

func TestHubEESyncCorruptedDownload(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	filed := f.file(procPJ, "admitted", "", "")
	f.sim.CorruptNextDownloads(2) // retried, never accepted
	if rep := f.sync(f.engine(nil)); rep.Delivered != 1 {
		t.Fatalf("rapport : %+v", rep)
	}
	f.assertDelivered(filed.CaseID)
	rec := f.record(filed.CaseID)
	data, err := f.app.Store.HubEEFile(filed.CaseID, rec.Files[0].Key)
	if err != nil || !strings.HasPrefix(string(data), `{"etudiant":{"codeEtudiant":"`+f.students["admitted"]) {
		t.Fatalf("pièce gardée : %q %v", data, err)
	}

	// Always corrupted: nothing is accepted, the case is not acknowledged; it is kept
	// in the store (its notification acknowledged) and taken up by the next runs, up to
	// CaseAttempts (3) runs, then handed to a person with SI_INTG_ERROR on the hub.
	other := f.file(procPJ, "mention_b", "", "")
	f.sim.CorruptNextDownloads(1000)
	for run := 1; run <= 2; run++ {
		rep := f.sync(f.engine(nil))
		if rep.Deferred != 1 || rep.Delivered != 0 || len(rep.NeedsPerson) != 0 {
			t.Fatalf("passage %d : %+v", run, rep)
		}
		if st := f.sim.CaseStatus(other.CaseID); st != hubee.StatusHubeeNotified {
			t.Fatalf("statut : %s", st)
		}
		rec = f.record(other.CaseID)
		if rec.Step != domain.HubStepFetched || rec.Files[0].Key != "" || !strings.Contains(rec.LastError, "empreinte") ||
			rec.Attempts != run || rec.NeedsPerson {
			t.Fatalf("dossier : %+v", rec)
		}
		if n := len(f.sim.PendingNotifications(siOrg)); n != 0 {
			t.Fatalf("%d notification(s) : le dossier est gardé dans la base, la notification acquittée", n)
		}
	}
	rep := f.sync(f.engine(nil))
	if rep.Resumed != 1 || len(rep.NeedsPerson) != 1 || rep.NeedsPerson[0].CaseID != other.CaseID {
		t.Fatalf("troisième passage : %+v", rep)
	}
	rec = f.record(other.CaseID)
	if !rec.NeedsPerson || rec.Files[0].Key != "" || !strings.Contains(rec.LastError, "3 passages en échec") {
		t.Fatalf("dossier à reprendre : %+v", rec)
	}
	if st := f.sim.CaseStatus(other.CaseID); st != hubee.StatusSIIntgError {
		t.Fatalf("statut sur HubEE : %s, SI_INTG_ERROR attendu", st)
	}
	// A person retries once the hub is fixed: the case goes on to its answer.
	f.sim.CorruptNextDownloads(-1000)
	e := f.engine(nil)
	got, err := e.HubEERetry(context.Background(), f.app.User, other.CaseID)
	if err != nil || got.NeedsPerson || got.Outcome != domain.HubOutcomeDelivered || got.Status != domain.HubDone {
		t.Fatalf("reprise : %+v %v", got, err)
	}
	if rep := f.sync(e); len(rep.NeedsPerson) != 0 || rep.Resumed != 0 {
		t.Fatalf("après la reprise : %+v", rep)
	}
}

// hookHub calls after once each hub call succeeded.
type hookHub struct {
	domain.Hub
	after func(method string) error
}

func (h hookHub) Case(ctx context.Context, p, id string) (domain.HubCase, error) {
	c, err := h.Hub.Case(ctx, p, id)
	if err == nil {
		err = h.after("Case")
	}
	return c, err
}

func (h hookHub) DownloadCaseAttachment(ctx context.Context, p, c, a string, size int64, w io.Writer) (int64, error) {
	n, err := h.Hub.DownloadCaseAttachment(ctx, p, c, a, size, w)
	if err == nil {
		err = h.after("DownloadCaseAttachment")
	}
	return n, err
}

func (h hookHub) SetCaseStatus(ctx context.Context, p, c string, from, to domain.HubStatus, msg string) error {
	err := h.Hub.SetCaseStatus(ctx, p, c, from, to, msg)
	if err == nil {
		err = h.after("SetCaseStatus")
	}
	return err
}

func (h hookHub) StartDeposit(ctx context.Context, p, c, msg string, st domain.HubStatus, files []domain.HubFile) (domain.HubEvent, error) {
	ev, err := h.Hub.StartDeposit(ctx, p, c, msg, st, files)
	if err == nil {
		err = h.after("StartDeposit")
	}
	return ev, err
}

func (h hookHub) UploadDeposit(ctx context.Context, p, c, ev, a string, r io.Reader, size int64) error {
	err := h.Hub.UploadDeposit(ctx, p, c, ev, a, r, size)
	if err == nil {
		err = h.after("UploadDeposit")
	}
	return err
}

func (h hookHub) SendDeposit(ctx context.Context, p, c, ev string) error {
	err := h.Hub.SendDeposit(ctx, p, c, ev)
	if err == nil {
		err = h.after("SendDeposit")
	}
	return err
}

func (h hookHub) DeleteNotification(ctx context.Context, p, id string) error {
	err := h.Hub.DeleteNotification(ctx, p, id)
	if err == nil {
		err = h.after("DeleteNotification")
	}
	return err
}

// status_update: event_only sends statuses only as events' caseNewStatus. A hub that
// follows the functional specification records them without moving the case; the sync
// still ends, answers once, and after a crash right after the status event does not
// send it again (it looks for the event, not the case's status).
func TestHubEESyncEventOnlyMode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	filed := f.file(procAttest, "admitted", "", "")
	s := settings()
	s.StatusByEventOnly = true
	build := func(hook func(string) error) *domain.Engine {
		var inner domain.Hub = hubee.NewHub(f.client, hubee.HubOptions{StatusMode: hubee.StatusEventOnly, TempDir: f.t.TempDir()})
		if hook != nil {
			inner = hookHub{Hub: inner, after: hook}
		}
		return domain.NewEngine(domain.Deps{Apogee: f.app.Apogee, Store: f.app.Store, Renderer: f.renderer,
			Hub: domain.HubWithSettings(inner, s)}, domain.Settings{MaxAttempts: 4, Backoff: time.Millisecond})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	crashed := build(func(method string) error {
		if method == "SetCaseStatus" {
			cancel()
			return context.Canceled
		}
		return nil
	})
	if _, err := crashed.HubEESync(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("arrêt attendu : %v", err)
	}
	if rep := f.sync(build(nil)); rep.Delivered != 1 || rep.Resumed+rep.Notifications == 0 {
		t.Fatalf("reprise : %+v", rep)
	}
	want := map[string]int{"STATUS_UPDATE:SI_RECEIVED": 1, "ATTACH_DEPOSIT:SENT": 1}
	if got := f.siEvents(filed.CaseID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("événements du SI : %v, attendu %v", got, want)
	}
	if st := f.sim.CaseStatus(filed.CaseID); st != hubee.StatusHubeeNotified {
		t.Fatalf("le simulateur suit la SFD (caseNewStatus enregistré, pas appliqué) : %s", st)
	}
	if rec := f.record(filed.CaseID); rec.Step != domain.HubStepFinished || rec.Outcome != domain.HubOutcomeDelivered {
		t.Fatalf("dossier : %+v", rec)
	}
}

// hubDownApogee answers every identity lookup with a transient fault (Apogée down).
type hubDownApogee struct{ domain.Apogee }

func (hubDownApogee) Identity(context.Context, string) (domain.Identity, error) {
	return domain.Identity{}, &domain.ExternalError{System: "Apogée", Op: "recupererIdentifiantsEtudiant", Kind: domain.ErrTransient,
		Msg: "service indisponible"}
}

// Apogée down for longer than case_attempts runs, after the case was acknowledged: the
// case is handed to a person, but HubEE is not told SI_INTG_ERROR (the outage is ours,
// the case was integrated); once Apogée is back, a retry answers it.
func TestHubEESyncApogeeOutageAfterAcknowledgement(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	filed := f.file(procAttest, "admitted", "", "")
	e := domain.NewEngine(domain.Deps{Apogee: hubDownApogee{f.app.Apogee}, Store: f.app.Store, Renderer: f.renderer,
		Hub: domain.HubWithSettings(hubee.NewHub(f.client, hubee.HubOptions{TempDir: t.TempDir()}), settings())},
		domain.Settings{MaxAttempts: 1, Backoff: time.Millisecond})
	var rep domain.HubEEReport
	for range 3 { // CaseAttempts
		rep = f.sync(e)
	}
	if len(rep.NeedsPerson) != 1 || !strings.Contains(rep.NeedsPerson[0].LastError, "3 passages en échec") {
		t.Fatalf("rapport : %+v", rep)
	}
	if st := f.sim.CaseStatus(filed.CaseID); st != hubee.StatusSIReceived {
		t.Fatalf("statut sur HubEE : %s, SI_RECEIVED attendu (pas d'erreur d'intégration annoncée)", st)
	}
	got, err := f.engine(nil).HubEERetry(context.Background(), f.app.User, filed.CaseID)
	if err != nil || got.Outcome != domain.HubOutcomeDelivered {
		t.Fatalf("reprise : %+v %v", got, err)
	}
	f.assertDelivered(filed.CaseID)
}
