package launch_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"

	"hypercerts/ui/internal/uitest"
	"hypercerts/ui/launch"
)

func plan(t *testing.T, env *uitest.Env) launch.Plan {
	rows, err := env.Engine.PreviewAll(env.Common.Ctx, env.Common.User, uitest.LMATH)
	if err != nil {
		t.Fatal(err)
	}
	p := launch.Plan{Request: uitest.LMATH, Students: len(rows)}
	for _, r := range rows {
		if r.Eligible {
			p.Eligible++
		}
	}
	return p
}

// The confirmation says how many mails and, in test mode, to whom.
func TestLaunchConfirmTestMode(t *testing.T) {
	env := uitest.Open(t, uitest.Options{TestMode: true})
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: launch.New(env.Common, plan(t, env))})
	uitest.WaitForText(t, tm, "recette@univ-demo.fr", "Entrée ou o pour lancer")
	uitest.Golden(t, uitest.Final(t, tm))
	if n, _ := os.ReadDir(env.MailDir); len(n) != 0 {
		t.Fatalf("%d mails before confirmation", len(n))
	}
}

// Confirming launches the campaign and follows it to the end; the mails land as .eml.
func TestLaunchRunsToTheEnd(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	p := plan(t, env)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: launch.New(env.Common, p)})
	uitest.WaitForText(t, tm, "Entrée ou o pour lancer")
	tm.Send(uitest.Key("o"))
	uitest.WaitForText(t, tm, "terminée")
	uitest.Golden(t, uitest.Final(t, tm))
	files, err := os.ReadDir(env.MailDir)
	if err != nil {
		t.Fatal(err)
	}
	// one attestation per eligible student, plus the managers' mails (R17a, R17b)
	if len(files) < p.Eligible {
		t.Fatalf("%d mails for %d eligible students", len(files), p.Eligible)
	}
}

// Both modes are possible: m toggles courriel / Digiposte, the text follows, and the
// campaign is launched in the mode chosen (waiting for the Digiposte cycle).
func TestLaunchModeToggle(t *testing.T) {
	env := uitest.Open(t, uitest.Options{Outside: true})
	m := launch.New(env.Common, plan(t, env))
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: m})
	uitest.WaitForText(t, tm, "[courriel] / Digiposte", "envoyées par courriel")
	tm.Send(uitest.Key("m"))
	uitest.WaitForText(t, tm, "courriel / [Digiposte]", "10 demandes d'adhésion")
	if m.Mode() != domain.ModeDigiposte {
		t.Fatalf("mode %s", m.Mode())
	}
	tm.Send(uitest.Key("m"))
	uitest.WaitForText(t, tm, "[courriel] / Digiposte")
	tm.Send(uitest.Key("m"))
	uitest.WaitForText(t, tm, "courriel / [Digiposte]")
	uitest.Golden(t, uitest.Final(t, tm))
}

// Confirmed in Digiposte mode: nothing is sent, the campaign waits for the cycle.
func TestLaunchDigiposte(t *testing.T) {
	env := uitest.Open(t, uitest.Options{Outside: true, Mode: domain.ModeDigiposte})
	p := plan(t, env) // in Digiposte mode a student without an address is eligible too
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: launch.New(env.Common, p)})
	uitest.WaitForText(t, tm, "[Digiposte] / courriel", fmt.Sprintf("%d demandes d'adhésion", p.Eligible))
	tm.Send(uitest.Key("o"))
	uitest.WaitForText(t, tm, "enregistrée", "partiront au prochain cycle") // the final frame, not the first
	uitest.Golden(t, uitest.Final(t, tm))
	list, err := env.Engine.Campaigns(env.Common.Ctx, env.Common.User)
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	if c := list[0]; c.Mode != domain.ModeDigiposte || c.State != domain.CampaignWaiting {
		t.Fatalf("campaign %s in mode %s", c.State, c.Mode)
	}
	if files, _ := os.ReadDir(env.MailDir); len(files) > 2 { // the managers' mail (R17a) only
		t.Fatalf("%d mails before any cycle", len(files))
	}
}

// A refused launch shows the engine's advice, which says r to try again: r launches
// again (it did nothing).
func TestLaunchErrorRetries(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	req := uitest.LMATH
	req.VDI = domain.VDI{Dip: "NOPE", Version: "1"}
	m := launch.New(env.Common, launch.Plan{Request: req, Students: 1, Eligible: 1})
	m.SetSize(uitest.Width, uitest.Height)
	launched := func(cmd tea.Cmd) bool {
		found := false
		if cmd == nil {
			return false
		}
		for _, c := range cmd().(tea.BatchMsg) {
			if msg, ok := c().(launch.LaunchedMsg); ok {
				m.Update(msg)
				found = true
			}
		}
		return found
	}
	_, cmd := m.Update(uitest.Key("o"))
	if !launched(cmd) || !strings.Contains(m.View(), "Erreur") {
		t.Fatalf("no refusal shown:\n%s", m.View())
	}
	_, cmd = m.Update(uitest.Key("r"))
	if !launched(cmd) {
		t.Fatalf("r does not launch again:\n%s", m.View())
	}
}

// Every send fails: the end says so ("aucun envoi n'a réussi", the number of
// failures), the errors are in French, no « Courriels écrits dans » and no « la
// campagne continue ».
func TestLaunchEndsWithFailures(t *testing.T) {
	env := uitest.Open(t, uitest.Options{FailMail: true})
	p := plan(t, env)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: launch.New(env.Common, p)})
	uitest.WaitForText(t, tm, "Entrée ou o pour lancer")
	tm.Send(uitest.Key("o"))
	uitest.WaitForText(t, tm, "aucun envoi n'a réussi", "10 échecs")
	view := uitest.Final(t, tm)
	for _, no := range []string{"Courriels écrits", "la campagne continue", "not a directory", "mkdir"} {
		if strings.Contains(view, no) {
			t.Errorf("%q on the end screen:\n%s", no, view)
		}
	}
	// The last errors come in the order the concurrent sends failed: masked.
	lines := strings.Split(view, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  210000") {
			lines[i] = "  210000## " + l[len("  210000##"):]
		}
	}
	uitest.Golden(t, strings.Join(lines, "\n"))
}

// A test address is configured, test mode is off: the confirmation offers it (t),
// clearly marked, and the campaign launched with it is a test campaign whose mails
// all go to the test address.
func TestLaunchTestModeToggle(t *testing.T) {
	env := uitest.Open(t, uitest.Options{TestRecipient: "recette@univ-demo.fr"})
	m := launch.New(env.Common, plan(t, env))
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: m})
	uitest.WaitForText(t, tm, "Mode test : [non] / oui")
	tm.Send(uitest.Key("t"))
	uitest.WaitForText(t, tm, "Mode test : non / [oui]", "ira à recette@univ-demo.fr")
	view := m.View()
	tm.Send(uitest.Key("o"))
	uitest.WaitForText(t, tm, "terminée")
	uitest.Final(t, tm)
	uitest.Golden(t, view)
	list, err := env.Engine.Campaigns(env.Common.Ctx, env.Common.User)
	if err != nil || len(list) != 1 || !list[0].TestMode || list[0].TestRecipient != "recette@univ-demo.fr" {
		t.Fatalf("campaign %+v, %v", list, err)
	}
}
