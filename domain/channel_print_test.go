package domain_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hypercerts/connectors/printbatch"
	"hypercerts/domain"
	"hypercerts/render"
)

// newPrintEnv is a run environment whose printer is the real print folder with the
// real renderer.
func newPrintEnv(t *testing.T) (*runEnv, string) {
	t.Helper()
	r, err := render.New(render.Options{University: "Université de Test", City: "Besançon"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "impression")
	f, err := printbatch.New(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	env := newRunEnv(t, runClass(), func(_ *domain.Settings, d *domain.Deps) { d.Printer = f })
	var img bytes.Buffer // a real signature image: the real renderer reads it
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 40, 20))); err != nil {
		t.Fatal(err)
	}
	env.apogee.sigImage = img.Bytes()
	return env, dir
}

func batchFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// R07: a print campaign serves every eligible student, with or without an e-mail
// address, in one batch (PDF + CSV); they are served once it is written, so a
// relaunch has nothing to do.
func TestR07_PrintCampaign_OneBatchServesEveryEligibleStudent(t *testing.T) {
	t.Parallel()
	env, dir := newPrintEnv(t)
	c := env.launchAndWait(t, domain.LaunchOptions{Mode: domain.ModePrint})
	if c.State != domain.CampaignFinished || c.Mode != domain.ModePrint {
		t.Fatalf("campaign %s %s", c.State, c.Mode)
	}
	st := env.states(t, c.ID)
	for _, code := range append([]string{"10000006"}, runEligible...) { // 10000006 has no address
		if en := st[code]; en.State != domain.EntryPrinted || !strings.HasPrefix(en.Batch, "P") || en.Reference == "" {
			t.Errorf("%s: %s batch %q ref %q", code, en.State, en.Batch, en.Reference)
		}
	}
	if st["10000003"].State != domain.EntryExcluded {
		t.Errorf("not admitted: %s", st["10000003"].State)
	}
	files := batchFiles(t, dir)
	if len(files) != 2 || !strings.HasSuffix(files[0], ".csv") || !strings.HasSuffix(files[1], ".pdf") ||
		!strings.Contains(files[1], st["10000001"].Batch) {
		t.Errorf("files %v", files)
	}
	if got := env.mailer.attested(); len(got) != 0 {
		t.Errorf("attestations mailed by a print campaign: %v", got)
	}
	if err := env.engine.Relaunch(context.Background(), runGest, c.ID); err != nil {
		t.Fatal(err)
	}
	audit, _ := env.store.Audit(c.ID)
	if last := audit[len(audit)-1]; last.Action != domain.AuditRelaunch || !strings.Contains(last.Detail, "rien à relancer") {
		t.Errorf("relaunch of a printed campaign: %+v", last)
	}
}

// R07: a batch that cannot be written leaves its students failed (nothing is served);
// the relaunch prints them once the folder is back.
func TestR07_PrintCampaign_FailedBatchIsRelaunched(t *testing.T) {
	t.Parallel()
	env, dir := newPrintEnv(t)
	if err := os.RemoveAll(dir); err != nil { // the folder is gone, a file in its place
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := env.launchAndWait(t, domain.LaunchOptions{Mode: domain.ModePrint})
	for code, en := range env.states(t, c.ID) {
		if en.Eligible && (en.State != domain.EntryPrintFailed || !strings.Contains(en.LastError, "lot d'impression")) {
			t.Errorf("%s: %s %q", code, en.State, en.LastError)
		}
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := env.engine.Relaunch(context.Background(), runGest, c.ID); err != nil {
		t.Fatal(err)
	}
	env.wait(t, c.ID)
	for code, en := range env.states(t, c.ID) {
		if en.Eligible && en.State != domain.EntryPrinted {
			t.Errorf("after relaunch %s: %s", code, en.State)
		}
	}
	if n := len(batchFiles(t, dir)); n != 2 {
		t.Errorf("%d files after the relaunch", n)
	}
}

// "Imprimer ces étudiants": the students a mail campaign could not serve (here the one
// without an address) are printed by a print campaign restricted to them.
func TestPrintCampaign_OnlyTheStudentsAsked(t *testing.T) {
	t.Parallel()
	env, _ := newPrintEnv(t)
	mail := env.launchAndWait(t, domain.LaunchOptions{})
	if en := env.states(t, mail.ID)["10000006"]; en.State != domain.EntryExcluded {
		t.Fatalf("student without address in a mail campaign: %s", en.State)
	}
	c := env.launchAndWait(t, domain.LaunchOptions{Mode: domain.ModePrint, Students: []string{"10000006"}})
	st := env.states(t, c.ID)
	if len(st) != 1 || st["10000006"].State != domain.EntryPrinted {
		t.Errorf("print campaign of one student: %v", st)
	}
}
