package ui_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"hypercerts/domain"
	"hypercerts/ui"
	"hypercerts/ui/campaign"
	"hypercerts/ui/common"
	"hypercerts/ui/home"
	"hypercerts/ui/internal/uitest"
	"hypercerts/ui/preview"
	"hypercerts/ui/wizard"
)

// toWizardEnd drives the root model from the campaign list (shown) to the wizard's
// last step, on the embedded Apogée: n, year 2024, SCI, "lmath", every VET.
func toWizardEnd(t *testing.T, env *uitest.Env, tm *teatest.TestModel) {
	t.Helper()
	tm.Send(uitest.Key("n"))
	uitest.WaitForText(t, tm, "2024-2025")
	tm.Send(uitest.Key("g")) // the preselected year is the deliberated one: from the top
	uitest.Downs(tm, env.YearIndex(t, "2024"))
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "Choisissez la composante")
	uitest.Downs(tm, env.ComponentIndex(t, "SCI"))
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "tapez pour filtrer")
	uitest.Type(tm, "lmath")
	uitest.WaitForText(t, tm, "LMATH/201")
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "Étapes cochées")
}

// TestJourney drives the root model once, in test mode, from the campaign list to the
// campaign run, on the embedded Apogée: n, year 2024, SCI, "lmath", every VET, the
// preview (also at 80×24, and Esc back to the wizard with the choices kept), l, o,
// Entrée; each step's screen is a subtest with its golden.
func TestJourney(t *testing.T) {
	env := uitest.Open(t, uitest.Options{TestMode: true})
	tm := uitest.NewTestModel(t, uitest.Root{Model: ui.New(env.Common)})
	step := func(name string, check func(t *testing.T, view string)) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			view := uitest.Snapshot(t, tm)
			if check != nil {
				check(t, view)
			}
			uitest.Golden(t, view)
		})
	}
	uitest.WaitForText(t, tm, "Aucune campagne")
	step("accueil", func(t *testing.T, view string) {
		if !strings.Contains(view, "MODE TEST") {
			t.Fatal("no test-mode banner")
		}
	})

	toWizardEnd(t, env, tm)
	step("assistant", nil)

	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "étudiants lus")
	step("apercu", nil)

	// 80×24 still fits: no line wider than the terminal, exactly 24 lines.
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	step("apercu-80x24", func(t *testing.T, view string) {
		lines := strings.Split(view, "\n")
		if len(lines) != 24 {
			t.Errorf("%d lines", len(lines))
		}
		for i, l := range lines {
			if n := len([]rune(l)); n > 80 {
				t.Errorf("line %d: %d wide", i, n)
			}
		}
	})
	tm.Send(tea.WindowSizeMsg{Width: uitest.Width, Height: uitest.Height})

	// Esc in the preview goes back to the wizard's last step with the choices kept.
	uitest.Drain(tm)
	tm.Send(uitest.Key("esc"))
	uitest.WaitForText(t, tm, "Étapes cochées")
	t.Run("retour-assistant", func(t *testing.T) {
		if view := uitest.Snapshot(t, tm); !strings.Contains(view, "Diplôme (VDI) : LMATH/201") {
			t.Fatalf("wizard lost its choices:\n%s", view)
		}
	})
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "étudiants lus")

	tm.Send(uitest.Key("l"))
	uitest.WaitForText(t, tm, "Entrée ou o pour lancer")
	step("lancement", nil)

	tm.Send(uitest.Key("o"))
	uitest.WaitForText(t, tm, "terminée")
	step("progression", nil)

	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "Étudiants (21)")
	step("campagne", func(t *testing.T, _ string) {
		files, _ := os.ReadDir(env.MailDir)
		if len(files) < 10 {
			t.Fatalf("%d mails written", len(files))
		}
	})
	uitest.Final(t, tm)
}

// ? shows the full help; q with nothing in flight quits.
func TestHelpAndQuit(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	tm := uitest.NewTestModel(t, ui.New(env.Common))
	uitest.WaitForText(t, tm, "Aucune campagne")
	tm.Send(uitest.Key("?"))
	uitest.WaitForText(t, tm, "fermer l")
	tm.Send(uitest.Key("q"))
	tm.WaitFinished(t)
	uitest.Golden(t, tm.FinalModel(t).View())
}

// q while a campaign runs asks first; n keeps the UI, o quits (the campaign goes on in
// the engine and resumes at the next start).
func TestQuitWhileCampaignRuns(t *testing.T) {
	hold := make(chan struct{})
	env := uitest.Open(t, uitest.Options{HoldMail: hold})
	t.Cleanup(func() { close(hold) }) // before the engine's shutdown (cleanups run last first)
	c, err := env.Engine.Launch(context.Background(), env.Common.User, uitest.LMATH, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tm := uitest.NewTestModel(t, ui.New(env.Common))
	uitest.WaitForText(t, tm, "en cours")
	tm.Send(uitest.Key("q"))
	uitest.WaitForText(t, tm, "Quitter hypercerts ?", "campagne est en cours")
	tm.Send(uitest.Key("n")) // the question goes; the help in and out proves the UI is still there
	tm.Send(uitest.Key("?"))
	uitest.WaitForText(t, tm, "fermer l")
	uitest.Drain(tm)
	tm.Send(uitest.Key("?"))
	uitest.WaitForText(t, tm, "Créée le")
	tm.Send(uitest.Key("q"))
	uitest.WaitForText(t, tm, "Quitter hypercerts ?")
	tm.Send(uitest.Key("o"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	final := tm.FinalModel(t).View()
	if !strings.Contains(final, "Une campagne est en cours") {
		t.Fatalf("no question in the final view:\n%s", final)
	}
	if running := env.Engine.Running(); len(running) != 1 || running[0] != c.ID {
		t.Fatalf("campaign stopped by quitting the UI: running %v", running)
	}
	uitest.Golden(t, final)
}

// h on the home screen opens the HubEE screen (after a sync, the two demo requests);
// Esc comes back.
func TestHubEEFromHome(t *testing.T) {
	env := uitest.Open(t, uitest.Options{Outside: true})
	if _, err := env.Engine.HubEESync(context.Background()); err != nil {
		t.Fatal(err)
	}
	tm := uitest.NewTestModel(t, ui.New(env.Common))
	uitest.WaitForText(t, tm, "h HubEE")
	tm.Send(uitest.Key("h"))
	uitest.WaitForText(t, tm, "Télédossiers HubEE", "2 télédossiers reçus", "attestation déposée")
	tm.Send(uitest.Key("esc"))
	uitest.WaitForText(t, tm, "Aucune campagne")
	view := uitest.Final(t, tm)
	if strings.Contains(view, "Télédossiers") {
		t.Fatalf("still on the HubEE screen:\n%s", view)
	}
}

// msgs runs cmd and what its batches hold, and returns the messages.
func msgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, msgs(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// A campaign screen left (Esc) while its watch was starting: the watch that arrives
// afterwards is stopped, not left registered in the engine.
func TestWatchOfALeftScreenIsStopped(t *testing.T) {
	hold := make(chan struct{})
	env := uitest.Open(t, uitest.Options{HoldMail: hold})
	t.Cleanup(func() { close(hold) }) // before the engine's shutdown
	c, err := env.Engine.Launch(context.Background(), env.Common.User, uitest.LMATH, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := ui.New(env.Common)
	_, cmd := r.Update(home.OpenMsg{ID: c.ID})
	var watch tea.Cmd
	for _, msg := range msgs(cmd) {
		if _, ok := msg.(campaign.LoadedMsg); ok {
			_, watch = r.Update(msg)
		}
	}
	if watch == nil {
		t.Fatal("the campaign screen does not watch its running campaign")
	}
	_, back := r.Update(uitest.Key("esc"))
	for _, msg := range msgs(back) {
		r.Update(msg)
	}
	if _, ok := r.Top().(*home.Model); !ok {
		t.Fatalf("Esc did not leave the campaign screen: %T on top", r.Top())
	}
	var w common.WatchingMsg
	for _, msg := range msgs(watch) {
		if m, ok := msg.(common.WatchingMsg); ok {
			w = m
			r.Update(m)
		}
	}
	if w.Ch == nil {
		t.Fatal("no watch started")
	}
	for {
		select {
		case _, ok := <-w.Ch:
			if !ok {
				return // stopped
			}
		case <-time.After(2 * time.Second):
			t.Fatal("the watch of the left screen was never stopped")
		}
	}
}

// Esc pressed twice on the preview before the first one took effect leaves the
// preview only: the wizard underneath keeps its choices.
func TestEscEscLeavesOneScreen(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	r := ui.New(env.Common)
	r.Update(home.NewMsg{})
	r.Update(wizard.DoneMsg{Request: uitest.LMATH})
	if _, ok := r.Top().(*preview.Model); !ok {
		t.Fatalf("%T on top, want the preview", r.Top())
	}
	_, first := r.Update(uitest.Key("esc"))
	_, second := r.Update(uitest.Key("esc")) // the preview is still on top
	for _, msg := range append(msgs(first), msgs(second)...) {
		r.Update(msg)
	}
	if _, ok := r.Top().(*wizard.Model); !ok {
		t.Fatalf("%T on top after Esc Esc on the preview, want the wizard", r.Top())
	}
}

// The full help is modal: a key pressed while it shows closes it and goes no further.
func TestHelpIsModal(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	tm := uitest.NewTestModel(t, ui.New(env.Common))
	uitest.WaitForText(t, tm, "Aucune campagne")
	tm.Send(uitest.Key("?"))
	uitest.WaitForText(t, tm, "fermer l")
	uitest.Drain(tm)
	tm.Send(uitest.Key("n"))                     // would open the wizard without the help
	uitest.WaitForText(t, tm, "Aucune campagne") // the home screen is drawn again
	view := uitest.Final(t, tm)
	if strings.Contains(view, "Nouvelle campagne") || strings.Contains(view, "fermer l") || !strings.Contains(view, "Aucune campagne") {
		t.Fatalf("a key under the help reached the screen, or the help stayed:\n%s", view)
	}
}
