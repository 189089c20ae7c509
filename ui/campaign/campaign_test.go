package campaign_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/ui/campaign"
	"hypercerts/ui/internal/uitest"
)

func launched(t *testing.T, env *uitest.Env) domain.Campaign {
	t.Helper()
	ctx := context.Background()
	c, err := env.Engine.Launch(ctx, env.Common.User, uitest.LMATH, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = env.Engine.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCampaignEntriesAndAudit(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	c := launched(t, env)
	m := campaign.New(env.Common, c.ID)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: m})
	uitest.WaitForText(t, tm, "Étudiants (21)", "envoyé 10")
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f")) // exclus: the reasons are shown
	uitest.WaitForText(t, tm, "Filtre : exclus")
	uitest.Golden(t, uitest.Final(t, tm))
}

// d on an excluded student opens the whole record, its reasons in full and wrapped;
// on the journal, Entrée opens a line with its action in French.
func TestCampaignRecords(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	c := launched(t, env)
	m := campaign.New(env.Common, c.ID)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: m})
	uitest.WaitForText(t, tm, "Étudiants (21)")
	for range 3 {
		tm.Send(uitest.Key("f"))
	}
	uitest.WaitForText(t, tm, "Filtre : exclus")
	tm.Send(uitest.Key("d"))
	uitest.WaitForText(t, tm, "Code étudiant", "Motif")
	view := m.View()
	if strings.Contains(view, "…") {
		t.Fatalf("the record is cut:\n%s", view)
	}
	uitest.Golden(t, view)
	tm.Send(uitest.Key("esc"))
	tm.Send(uitest.Key("tab"))
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "Journal : lancement")
	uitest.Final(t, tm)
}

func TestCampaignAuditTab(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	c := launched(t, env)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: campaign.New(env.Common, c.ID)})
	uitest.WaitForText(t, tm, "Journal (")
	tm.Send(uitest.Key("tab"))
	uitest.WaitForText(t, tm, "lancement")
	uitest.Golden(t, uitest.Final(t, tm))
}

// Everything was sent: R07 has nothing to relaunch, and no confirmation is asked.
func TestCampaignRelaunchNothingToDo(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	c := launched(t, env)
	m := campaign.New(env.Common, c.ID)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: m})
	uitest.WaitForText(t, tm, "Étudiants (21)")
	tm.Send(uitest.Key("R"))
	view := uitest.Final(t, tm)
	if got := m.ShortHelp(); len(got) == 2 {
		t.Fatalf("a confirmation is asked with nothing to relaunch:\n%s", view)
	}
}

// failOne marks one mailed entry as failed (a relay's temporary refusal).
func failOne(t *testing.T, env *uitest.Env, c domain.Campaign) {
	t.Helper()
	entries, err := env.Store.Entries(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var failed domain.Entry
	for _, e := range entries {
		if e.State == domain.EntryMailed {
			failed = e
			break
		}
	}
	failed.State, failed.LastError, failed.Retryable = domain.EntryMailFailed, "SMTP 451 : réessayez plus tard", true
	if err := env.Store.PutEntries(c.ID, []domain.Entry{failed}); err != nil {
		t.Fatal(err)
	}
}

// R07: the relaunch question is a dialog that wraps at 40 columns (nothing cut) and
// shows no rule number; the campaign's state says it ended with a failure.
func TestCampaignRelaunchDialogFits(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	c := launched(t, env)
	failOne(t, env, c)
	m := campaign.New(env.Common, c.ID)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: m}, 40, 16)
	uitest.WaitForText(t, tm, "1 échec")
	tm.Send(uitest.Key("R"))
	uitest.WaitForText(t, tm, "Relancer la")
	view := m.View()
	for _, l := range strings.Split(view, "\n") {
		if len([]rune(l)) > 40 {
			t.Errorf("line wider than 40: %q", l)
		}
	}
	if strings.Contains(view, "R07") || !strings.Contains(view, "ne sont pas repris") {
		t.Fatalf("the question is cut or shows a rule number:\n%s", view)
	}
	tm.Send(uitest.Key("n"))
	uitest.Golden(t, view)
	uitest.Final(t, tm)
}

// A failed send is relaunched after confirmation (R07): the entry is sent again.
func TestCampaignRelaunchFailed(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	c := launched(t, env)
	failOne(t, env, c)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: campaign.New(env.Common, c.ID)})
	uitest.WaitForText(t, tm, "échec d'envoi 1")
	tm.Send(uitest.Key("R"))
	uitest.WaitForText(t, tm, "Relancer la campagne ?", "sera repris")
	tm.Send(uitest.Key("o"))
	// The journal's count is not waited for: the manager's end-of-run mail (R17a) may
	// add its line before or after the screen shows the sends.
	uitest.WaitForText(t, tm, "envoyé 10")
	uitest.Final(t, tm)
	got, err := env.Engine.Wait(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Counts[domain.EntryMailed] != 10 || got.Counts[domain.EntryMailFailed] != 0 {
		t.Fatalf("counts after relaunch: %v", got.Counts)
	}
	audit, err := env.Store.Audit(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audit, func(a domain.AuditRecord) bool {
		return a.Action == domain.AuditRelaunch && a.User == env.Common.User.Code
	}) {
		t.Errorf("no relaunch by %s in the journal: %+v", env.Common.User.Code, audit)
	}
}

// digiposte launches LMATH in Digiposte mode on the demo's Digiposte folder, then runs
// cycles of the engine, each followed by a step of the simulator (which opens the
// vaults asked for, refuses every 7th and cancels every 5th opened at its next step).
func digiposte(t *testing.T, env *uitest.Env, cycles int) domain.Campaign {
	t.Helper()
	ctx := context.Background()
	c, err := env.Engine.Launch(ctx, env.Common.User, uitest.LMATH, domain.LaunchOptions{Mode: domain.ModeDigiposte})
	if err != nil {
		t.Fatal(err)
	}
	if c.State != domain.CampaignWaiting {
		t.Fatalf("state %s", c.State)
	}
	for range cycles {
		if _, err := env.Engine.DigiposteCycle(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DigiposteSim.Step(); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// After the first cycle, every eligible student has an adhesion request; the screen
// explains the cycle and offers no relaunch.
func TestCampaignDigiposteRequested(t *testing.T) {
	env := uitest.Open(t, uitest.Options{Outside: true})
	c := digiposte(t, env, 0)
	if _, err := env.Engine.DigiposteCycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := campaign.New(env.Common, c.ID)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: m})
	uitest.WaitForText(t, tm, "adhésion\u00a0demandée\u00a010", "Circuit Digiposte") // no-break spaces; 10: the student without e-mail is excluded (Digiposte invites by e-mail)
	tm.Send(uitest.Key("R"))
	view := uitest.Final(t, tm)
	for _, b := range m.ShortHelp() {
		if b.Help().Key == "R" {
			t.Fatalf("relaunch offered for a Digiposte campaign:\n%s", view)
		}
	}
	uitest.Golden(t, view)
}

// Three cycles: vaults opened, students told, attestations deposited, one vault
// refused and one cancelled (résilié); the filter « refusés ou résiliés » shows them.
func TestCampaignDigiposteCycle(t *testing.T) {
	env := uitest.Open(t, uitest.Options{Outside: true})
	c := digiposte(t, env, 3)
	got, err := env.Engine.Entries(context.Background(), env.Common.User, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[domain.EntryState]int{}
	for _, e := range got {
		counts[e.State]++
	}
	if counts[domain.EntryDeposited] == 0 || counts[domain.EntryVaultRefused] == 0 {
		t.Fatalf("states after three cycles: %v", counts)
	}
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: campaign.New(env.Common, c.ID)})
	uitest.WaitForText(t, tm, "déposé", "coffre\u00a0refusé") // the counts (the list is by name)
	uitest.Drain(tm)
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f"))
	uitest.WaitForText(t, tm, "Filtre : refusés ou résiliés")
	uitest.Golden(t, uitest.Final(t, tm))
}

// v on a served student asks a reason, then revokes the attestation (R02: the user
// manages the component); the journal records it and verification says revoked.
// Driven message by message: the screen's Update and View, the real engine and store.
func TestCampaignRevokeAttestation(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	c := launched(t, env)
	m := campaign.New(env.Common, c.ID)
	m.SetSize(100, 40)
	m.Update(m.Init()())
	m.Update(uitest.Key("f")) // envoyés
	m.Update(uitest.Key("v"))
	if !m.Capturing() {
		t.Fatal("v asked nothing")
	}
	if v := m.View(); !strings.Contains(v, "Révoquer l'attestation ?") || !strings.Contains(v, "Motif") {
		t.Fatalf("no question:\n%s", v)
	}
	if _, cmd := m.Update(uitest.Key("enter")); cmd != nil { // an empty reason is not sent
		t.Fatal("revoked without a reason")
	}
	for _, r := range "erreur de jury" {
		m.Update(uitest.Key(string(r)))
	}
	if v := m.View(); !strings.Contains(v, "erreur de jury") {
		t.Fatalf("reason not shown:\n%s", v)
	}
	_, cmd := m.Update(uitest.Key("enter"))
	msg := cmd()
	if rm, ok := msg.(campaign.RevokedMsg); !ok || rm.Err != nil {
		t.Fatalf("after Entrée: %#v", msg)
	}
	entries, err := env.Engine.Entries(context.Background(), env.Common.User, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	revoked := 0
	for _, e := range entries {
		if e.Reference == "" {
			continue
		}
		if r, err := env.Engine.Revoked(e.Reference); err != nil {
			t.Fatal(err)
		} else if r != nil {
			revoked++
			if r.Reason != "erreur de jury" || r.By != env.Common.User.Code {
				t.Errorf("revocation = %+v", r)
			}
		}
	}
	if revoked != 1 {
		t.Fatalf("%d attestations revoked, want 1", revoked)
	}
	audit, _ := env.Engine.Audit(context.Background(), env.Common.User, c.ID)
	if last := audit[len(audit)-1]; last.Action != domain.AuditRevoke || !strings.Contains(last.Detail, "erreur de jury") {
		t.Errorf("last audit record = %+v", last)
	}
	// A second revocation of the same attestation is refused, naming the first.
	m.Update(uitest.Key("v"))
	for _, r := range "encore" {
		m.Update(uitest.Key(string(r)))
	}
	_, cmd = m.Update(uitest.Key("enter"))
	if rm := cmd().(campaign.RevokedMsg); rm.Err == nil || !strings.Contains(rm.Err.Error(), "déjà révoquée") {
		t.Errorf("second revocation: %v", rm.Err)
	}
}

// "Imprimer ces étudiants": the students a mail campaign did not serve (a failure,
// and those excluded for want of an address) go into a print campaign of their own.
func TestCampaignPrintTheUnserved(t *testing.T) {
	env := uitest.Open(t, uitest.Options{Print: true})
	c := launched(t, env)
	failOne(t, env, c)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: campaign.New(env.Common, c.ID)})
	uitest.WaitForText(t, tm, "échec d'envoi 1")
	tm.Send(uitest.Key("i"))
	uitest.WaitForText(t, tm, "Imprimer ces étudiants ?")
	tm.Send(uitest.Key("o"))
	var printed domain.Campaign
	for deadline := time.Now().Add(time.Minute); printed.ID == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		camps, err := env.Engine.Campaigns(context.Background(), env.Common.User)
		if err != nil {
			t.Fatal(err)
		}
		for _, pc := range camps {
			if pc.Mode == domain.ModePrint {
				printed = pc
			}
		}
	}
	uitest.Final(t, tm)
	if printed.ID == "" {
		t.Fatal("no print campaign launched")
	}
	// The campaign is listed once stored, a moment before its run starts (Wait then
	// gives the stored, still running campaign): wait until it has ended.
	for deadline := time.Now().Add(time.Minute); printed.State == domain.CampaignRunning && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		if printed, err = env.Engine.Wait(context.Background(), printed.ID); err != nil {
			t.Fatal(err)
		}
	}
	if printed.Counts[domain.EntryPrinted] < 2 { // the failure and at least one without address
		t.Errorf("print campaign counts %v", printed.Counts)
	}
	entries, _ := env.Store.Entries(printed.ID)
	for _, e := range entries {
		if e.State != domain.EntryPrinted {
			t.Errorf("%s: %s %v", e.Student.Code, e.State, e.Reasons)
		}
	}
}
