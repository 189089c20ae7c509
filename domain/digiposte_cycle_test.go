package domain_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"hypercerts/connectors/digiposte"
	"hypercerts/domain"
)

// The Digiposte cycle against the real store, the real local Digiposte folder
// (digiposte.LocalDir, same layout as the SFTP exchange) and the real simulator.

// runDigiposteEligible: the eligible students in Digiposte mode (10000006 has no e-mail
// address: excluded, "sans adresse électronique", Digiposte invites by e-mail).
var runDigiposteEligible = []string{"10000001", "10000002", "10000007", "10000008"}

type dpEnv struct {
	*runEnv
	dir   string
	vault *digiposte.LocalDir
	sim   *digiposte.Simulator
}

func newDPEnv(t *testing.T, sim digiposte.SimOptions, tweak func(*domain.Settings)) *dpEnv {
	t.Helper()
	dir := t.TempDir()
	f := digiposte.DefaultFormat()
	v, err := digiposte.NewLocalDir(dir, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	sim.Format = f
	s, err := digiposte.NewSimulator(dir, sim)
	if err != nil {
		t.Fatal(err)
	}
	env := newRunEnv(t, runClass(), func(st *domain.Settings, d *domain.Deps) {
		st.Mode = domain.ModeDigiposte
		d.Vault = v
		if tweak != nil {
			tweak(st)
		}
	})
	return &dpEnv{runEnv: env, dir: dir, vault: v, sim: s}
}

func (env *dpEnv) launch(t *testing.T) domain.Campaign {
	t.Helper()
	c, err := env.engine.Launch(context.Background(), runGest, runReq, domain.LaunchOptions{})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	if c.State != domain.CampaignWaiting {
		t.Fatalf("Digiposte campaign after launch: %s, want waiting", c.State)
	}
	return c
}

func (env *dpEnv) cycle(t *testing.T) domain.DigiposteReport {
	t.Helper()
	rep, err := env.engine.DigiposteCycle(context.Background())
	if err != nil {
		t.Fatalf("DigiposteCycle: %v (report %+v)", err, rep)
	}
	return rep
}

func (env *dpEnv) step(t *testing.T) digiposte.SimReport {
	t.Helper()
	r, err := env.sim.Step()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		t.Fatalf("simulator problems: %v", r.Problems)
	}
	return r
}

// files lists the final files of a folder of the exchange (temporary names included).
func (env *dpEnv) files(t *testing.T, sub string) []string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(env.dir, sub))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		if !de.IsDir() {
			names = append(names, de.Name())
		}
	}
	return names
}

func (env *dpEnv) codesIn(t *testing.T, id string, state domain.EntryState) []string {
	t.Helper()
	var codes []string
	for code, en := range env.states(t, id) {
		if en.State == state {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	return codes
}

func TestR19_R20_TwoCyclesToDeposited(t *testing.T) {
	t.Parallel()
	env := newDPEnv(t, digiposte.SimOptions{RefuseEvery: -1, CancelEvery: -1}, nil)
	c := env.launch(t)

	// Cycle 1: one adhesion drop with every eligible student (R19).
	r1 := env.cycle(t)
	if r1.Campaigns != 1 || r1.Requested != 4 || r1.AdhesionBatch == "" || r1.AdhesionRetried || r1.Deposited != 0 {
		t.Fatalf("cycle 1: %+v", r1)
	}
	if got := env.codesIn(t, c.ID, domain.EntryAdhesionRequested); !slices.Equal(got, runDigiposteEligible) {
		t.Fatalf("adhesion requested: %v, want %v", got, runDigiposteEligible)
	}
	for _, en := range env.states(t, c.ID) {
		if en.State == domain.EntryAdhesionRequested && en.Batch != r1.AdhesionBatch {
			t.Errorf("%s: batch %q, want %q", en.Student.Code, en.Batch, r1.AdhesionBatch)
		}
	}
	if got := env.files(t, "adhesions"); len(got) != 1 || !strings.Contains(got[0], r1.AdhesionBatch) {
		t.Fatalf("adhesions folder: %v", got)
	}

	// Digiposte opens the vaults.
	if s := env.step(t); s.Opened != 4 {
		t.Fatalf("simulator: %+v", s)
	}

	// Cycle 2: sync, vault mails (R17c), deposit (R20), campaign finished.
	r2 := env.cycle(t)
	if r2.Returns != 1 || r2.Acknowledged != 1 || r2.Opened != 4 || r2.AdhesionBatch != "" ||
		r2.VaultMails != 4 || r2.Deposited != 4 || r2.DepositBatch == "" || r2.Finished != 1 {
		t.Fatalf("cycle 2: %+v", r2)
	}
	if got := env.codesIn(t, c.ID, domain.EntryDeposited); !slices.Equal(got, runDigiposteEligible) {
		t.Fatalf("deposited: %v", got)
	}
	var mailed []string
	for _, m := range env.mailer.mails(domain.MailVaultOpened) {
		mailed = append(mailed, m.StudentCode)
		if m.RealTo != "" || !strings.HasSuffix(m.To, "@etu.example.fr") {
			t.Errorf("vault mail to %q (real %q)", m.To, m.RealTo)
		}
	}
	slices.Sort(mailed)
	if want := []string{"10000001", "10000002", "10000007", "10000008"}; !slices.Equal(mailed, want) {
		t.Errorf("vault mails to %v, want %v (10000006 has no address)", mailed, want)
	}
	stored, err := env.store.Campaign(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.State != domain.CampaignFinished || stored.Counts[domain.EntryDeposited] != 4 || stored.Counts[domain.EntryExcluded] != 4 {
		t.Errorf("campaign: %s %v", stored.State, stored.Counts)
	}
	if f := env.mailer.mails(domain.MailCampaignFinished); len(f) != 1 || f[0].To != runGest.Email {
		t.Errorf("R17b: %+v", f)
	}
	if got := env.files(t, "retours"); len(got) != 0 {
		t.Errorf("returns left unacknowledged: %v", got)
	}
	if got := env.files(t, "depots"); len(got) != 1 || !strings.Contains(got[0], r2.DepositBatch) {
		t.Errorf("deposits folder: %v", got)
	}

	// Digiposte integrates the documents into the open vaults.
	if s := env.step(t); s.Integrated != 4 || s.Rejected != 0 {
		t.Fatalf("simulator after deposit: %+v", s)
	}
	_, docs, err := env.sim.Vaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range runDigiposteEligible {
		if len(docs[code]) != 1 || !strings.Contains(docs[code][0], c.ID+"-"+code) {
			t.Errorf("vault of %s holds %v", code, docs[code])
		}
	}
	// Nothing waits any more: no call to the vault.
	if r3 := env.cycle(t); r3.Campaigns != 0 || !r3.Empty() {
		t.Errorf("cycle 3: %+v", r3)
	}
	audit, _ := env.store.Audit(c.ID)
	var digi int
	for _, a := range audit {
		if a.Action == domain.AuditDigiposte {
			digi++
		}
	}
	if digi < 5 {
		t.Errorf("audit: %d digiposte records: %+v", digi, audit)
	}
}

func TestR21_CancelledNeverGetsNewVault(t *testing.T) {
	t.Parallel()
	// Every opened vault is cancelled by its owner at the simulator's next step.
	env := newDPEnv(t, digiposte.SimOptions{RefuseEvery: -1, CancelEvery: 1}, nil)
	c1 := env.launch(t)
	env.cycle(t) // adhesions
	env.step(t)  // vaults open
	if r := env.cycle(t); r.Deposited != 4 {
		t.Fatalf("cycle 2: %+v", r)
	}
	if s := env.step(t); s.Cancelled != 4 {
		t.Fatalf("simulator: %+v", s)
	}
	r3 := env.cycle(t) // finished campaign: the cancellations are still recorded
	if r3.Cancelled != 4 || r3.Acknowledged != 1 {
		t.Fatalf("cycle 3: %+v", r3)
	}
	if got := env.codesIn(t, c1.ID, domain.EntryCancelled); !slices.Equal(got, runDigiposteEligible) {
		t.Fatalf("cancelled: %v", got)
	}
	if en := env.states(t, c1.ID)["10000001"]; !strings.Contains(en.LastError, "après le dépôt") {
		t.Errorf("cancelled after deposit: %q", en.LastError)
	}

	// A new campaign with the same students: nobody is requested again.
	c2 := env.launch(t)
	r4 := env.cycle(t)
	if r4.AdhesionBatch != "" || r4.Requested != 0 || r4.Cancelled != 4 || r4.Finished != 1 {
		t.Fatalf("cycle 4: %+v", r4)
	}
	if got := env.codesIn(t, c2.ID, domain.EntryCancelled); !slices.Equal(got, runDigiposteEligible) {
		t.Fatalf("second campaign cancelled: %v", got)
	}
	if got := env.files(t, "adhesions"); len(got) != 1 {
		t.Errorf("adhesion drops: %v, want only the first", got)
	}
}

// breakDir replaces an exchange folder by a plain file (even root cannot write into
// it), and returns the function that puts the folder back.
func breakDir(t *testing.T, dir string) func() {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o750); err != nil {
			t.Fatal(err)
		}
	}
}

func TestR19_FailedDropRetriedWithSameBatchWithoutDuplicates(t *testing.T) {
	t.Parallel()
	env := newDPEnv(t, digiposte.SimOptions{RefuseEvery: -1, CancelEvery: -1}, nil)
	c := env.launch(t)
	repair := breakDir(t, filepath.Join(env.dir, "adhesions"))

	r1, err := env.engine.DigiposteCycle(context.Background())
	if err == nil || r1.AdhesionBatch == "" || r1.Requested != 0 {
		t.Fatalf("cycle with the folder broken: %v %+v", err, r1)
	}
	batch := r1.AdhesionBatch
	for code, en := range env.states(t, c.ID) { // batch recorded before the call
		if en.Eligible && (en.State != domain.EntryEligible || en.Batch != batch || en.LastError == "") {
			t.Errorf("%s after a failed drop: %s batch %q error %q", code, en.State, en.Batch, en.LastError)
		}
	}
	// A second campaign launched meanwhile waits for the next drop.
	c2 := env.launch(t)

	repair()
	r2 := env.cycle(t)
	if r2.AdhesionBatch != batch || !r2.AdhesionRetried || r2.Requested != 4 {
		t.Fatalf("retry: %+v, want batch %s", r2, batch)
	}
	if got := env.codesIn(t, c2.ID, domain.EntryEligible); len(got) != 4 {
		t.Errorf("second campaign during the retry: eligible %v", got)
	}
	// The second campaign's students are already requested: no second request.
	r3 := env.cycle(t)
	if r3.AdhesionBatch != "" || r3.AlreadyRequested != 4 {
		t.Fatalf("cycle 3: %+v", r3)
	}
	if got := env.codesIn(t, c2.ID, domain.EntryAdhesionRequested); len(got) != 4 {
		t.Errorf("second campaign: requested %v", got)
	}
	got := env.files(t, "adhesions")
	if len(got) != 1 || !strings.Contains(got[0], batch) {
		t.Errorf("adhesion drops: %v", got)
	}

	// Deposit fails the same way, then is retried with its batch.
	env.step(t)
	repair = breakDir(t, filepath.Join(env.dir, "depots"))
	r4, err := env.engine.DigiposteCycle(context.Background())
	if err == nil || r4.DepositBatch == "" || r4.Deposited != 0 || r4.Opened != 8 {
		t.Fatalf("deposit with the folder broken: %v %+v", err, r4)
	}
	repair()
	r5 := env.cycle(t)
	if r5.DepositBatch != r4.DepositBatch || !r5.DepositRetried || r5.Deposited != 8 || r5.VaultMails != 0 || r5.Finished != 2 {
		t.Fatalf("deposit retry: %+v", r5)
	}
	if got := env.files(t, "depots"); len(got) != 1 {
		t.Errorf("deposit drops: %v", got)
	}
	// One vault mail per student, though each is in two campaigns.
	if n := len(env.mailer.mails(domain.MailVaultOpened)); n != 4 {
		t.Errorf("%d vault mails, want 4", n)
	}
}

func TestR18_VaultMailInTestMode(t *testing.T) {
	t.Parallel()
	env := newDPEnv(t, digiposte.SimOptions{RefuseEvery: -1, CancelEvery: -1}, func(s *domain.Settings) {
		s.TestMode, s.TestRecipient = true, "test@univ.example.fr"
	})
	c := env.launch(t)
	env.cycle(t)
	env.step(t)
	if r := env.cycle(t); r.VaultMails != 4 || r.Deposited != 4 {
		t.Fatalf("cycle 2: %+v", r)
	}
	for _, m := range env.mailer.mails(domain.MailVaultOpened) {
		if m.To != "test@univ.example.fr" || !m.Data.TestMode {
			t.Errorf("test mode vault mail to %q", m.To)
		}
		if m.StudentCode != "10000006" && !strings.HasSuffix(m.RealTo, "@etu.example.fr") {
			t.Errorf("real recipient %q", m.RealTo)
		}
	}
	if en := env.states(t, c.ID)["10000001"]; en.Recipient != "test@univ.example.fr" || en.RealRecipient != "alice@etu.example.fr" {
		t.Errorf("entry recipients: %q %q", en.Recipient, en.RealRecipient)
	}
}

func TestR20_RefusedVaultIsFinalAndMailFailureRetried(t *testing.T) {
	t.Parallel()
	// Every 2nd student is refused; the first vault mail fails transiently once.
	env := newDPEnv(t, digiposte.SimOptions{RefuseEvery: 2, CancelEvery: -1}, nil)
	c := env.launch(t)
	env.cycle(t)
	env.step(t)
	env.mailer.fail["10000001"] = transient("421 try later")
	env.mailer.times["10000001"] = 1
	r := env.cycle(t)
	if r.Refused != 2 || r.Opened != 2 || r.VaultMailFailed != 1 || r.Deposited != 1 || r.Finished != 0 {
		t.Fatalf("cycle 2: %+v", r)
	}
	if en := env.states(t, c.ID)["10000001"]; en.State != domain.EntryVaultOpen || !en.Retryable {
		t.Fatalf("after a transient mail failure: %+v", en)
	}
	r = env.cycle(t)
	if r.VaultMails != 1 || r.Deposited != 1 || r.Finished != 1 {
		t.Fatalf("cycle 3: %+v", r)
	}
	if got := env.codesIn(t, c.ID, domain.EntryVaultRefused); len(got) != 2 {
		t.Errorf("refused: %v", got)
	}
}

func TestDigiposteCycle_NothingToDoWithoutVault(t *testing.T) {
	t.Parallel()
	env := newRunEnv(t, runClass(), nil)
	rep, err := env.engine.DigiposteCycle(context.Background())
	if err != nil || !rep.Empty() || rep.Campaigns != 0 {
		t.Fatalf("%v %+v", err, rep)
	}
}
