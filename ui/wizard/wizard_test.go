package wizard_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/ui/internal/uitest"
	"hypercerts/ui/wizard"
)

func TestWizardToVETs(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	w := wizard.New(env.Common)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: w})
	uitest.WaitForText(t, tm, "Choisissez l'ann", "2024-2025")
	tm.Send(uitest.Key("g")) // the preselected year is the deliberated one: from the top
	uitest.Downs(tm, env.YearIndex(t, "2024"))
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "Choisissez la composante", "SCI")
	uitest.Downs(tm, env.ComponentIndex(t, "SCI"))
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "tapez pour filtrer")
	uitest.Type(tm, "mathé")
	uitest.WaitForText(t, tm, "LMATH/201")
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "cochées")
	view := uitest.Final(t, tm)
	uitest.Golden(t, view)
	req := w.Request()
	if req.Year != "2024" || req.Component != "SCI" || req.VDI.Key() != "LMATH/201" || len(req.VETs) == 0 {
		t.Fatalf("request = %+v", req)
	}
}

// Esc goes back one step and keeps what was chosen and typed.
func TestWizardEscKeepsChoices(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	w := wizard.New(env.Common)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: w})
	uitest.WaitForText(t, tm, "2024-2025")
	tm.Send(uitest.Key("g")) // the preselected year is the deliberated one: from the top
	uitest.Downs(tm, env.YearIndex(t, "2024"))
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "Choisissez la composante")
	uitest.Downs(tm, env.ComponentIndex(t, "SCI"))
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "tapez pour filtrer")
	uitest.Type(tm, "info")
	uitest.WaitForText(t, tm, "LINFO")
	tm.Send(uitest.Key("esc")) // back to components
	uitest.WaitForText(t, tm, "Choisissez la composante")
	tm.Send(uitest.Key("enter")) // forward again: the filter is still there
	uitest.WaitForText(t, tm, "Filtre : info")
	view := uitest.Final(t, tm)
	uitest.Golden(t, view)
	if w.Step() != wizard.StepVDI {
		t.Fatalf("step = %v", w.Step())
	}
}

// A user without TRAREF10 sees why and nothing else (R02).
func TestWizardNoRights(t *testing.T) {
	env := uitest.Open(t, uitest.Options{User: &domain.User{Code: "INCONNU", Name: "Sans droit"}})
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: wizard.New(env.Common)})
	uitest.WaitForText(t, tm, "TRAREF10")
	uitest.Golden(t, uitest.Final(t, tm))
}

// run runs cmd (and its batches) and hands every message but the spinner's to m.
func run(m *wizard.Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			run(m, c)
		}
	case spinner.TickMsg:
	default:
		_, next := m.Update(msg)
		run(m, next)
	}
}

// A component left (Esc) before its VDIs came, another chosen: the first answer is
// dropped but still ends its request, so the wizard is not left busy (q asked
// « chargement en cours » forever, the spinner turned for nothing).
func TestWizardNotBusyAfterAChangedChoice(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	w := wizard.New(env.Common)
	w.SetSize(uitest.Width, uitest.Height)
	run(w, w.Init())
	_, _ = w.Update(uitest.Key("enter")) // year
	_, first := w.Update(uitest.Key("enter"))
	_, _ = w.Update(uitest.Key("esc"))
	_, _ = w.Update(uitest.Key("down"))
	_, second := w.Update(uitest.Key("enter"))
	if first == nil || second == nil {
		t.Fatal("the VDIs were not asked for twice")
	}
	run(w, first)
	run(w, second)
	if w.Busy() {
		t.Fatal("the wizard stays busy after every answer came")
	}
	if w.Step() != wizard.StepVDI {
		t.Fatalf("step %v, want the VDIs", w.Step())
	}
}

// The VDIs could not be read: the error says « réessayez (r) », and r reads them again
// (it went into the hidden filter, and q could not quit).
func TestWizardVDIErrorRetries(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	w := wizard.New(env.Common)
	w.SetSize(uitest.Width, uitest.Height)
	run(w, w.Init())
	_, _ = w.Update(uitest.Key("enter")) // year
	_, cmd := w.Update(uitest.Key("enter"))
	for _, c := range cmd().(tea.BatchMsg) {
		if msg, ok := c().(wizard.VDIsMsg); ok {
			msg.VDIs, msg.Err = nil, errors.New("Apogée ne répond pas")
			w.Update(msg)
		}
	}
	if !strings.Contains(w.View(), "Réessayez (r)") || w.Capturing() {
		t.Fatalf("capturing %v with the error shown:\n%s", w.Capturing(), w.View())
	}
	_, cmd = w.Update(uitest.Key("r"))
	run(w, cmd)
	if view := w.View(); strings.Contains(view, "Apogée ne répond pas") || !strings.Contains(view, "Filtre : █") || w.Busy() {
		t.Fatalf("r did not read the VDIs again:\n%s", view)
	}
}

// The newest open year is still running (its juries have not sat): the wizard
// preselects the newest year whose results can be deliberated, and says why on the
// year step (issue 16, item 15).
func TestWizardPreselectsDeliberatedYear(t *testing.T) {
	years := []domain.Year{{Code: "2025"}, {Code: "2024"}, {Code: "2023"}}
	for _, c := range []struct {
		now  time.Time
		want int
		ok   bool
	}{
		{time.Date(2025, 7, 3, 0, 0, 0, 0, time.UTC), 1, true},  // 2024-2025 juries sat in June
		{time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), 0, true}, // 2025-2026 deliberated
		{time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2, true},  // 2024-2025 not yet
		{time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), 0, false}, // none has sat: the newest, no reason
	} {
		got, ok := wizard.DeliberatedYear(years, c.now)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: position %d %v, want %d %v", c.now.Format("2006-01-02"), got, ok, c.want, c.ok)
		}
	}
	env := uitest.Open(t, uitest.Options{})
	w := wizard.New(env.Common)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: w})
	uitest.WaitForText(t, tm, "Choisissez l'ann", "2024-2025")
	view := uitest.Final(t, tm)
	uitest.Golden(t, view)
	if !strings.Contains(view, "2024-2025 présélectionnée : dernière année avec des résultats délibérés") {
		t.Fatalf("preselection not explained:\n%s", view)
	}
	if env.YearIndex(t, "2024") > 0 && !strings.Contains(view, "ne sont pas encore délibérés") {
		t.Fatalf("the newer open years are not said to be undeliberated:\n%s", view)
	}
	if !strings.Contains(view, "› 2024-2025") && !strings.Contains(view, "> 2024-2025") {
		t.Fatalf("2024-2025 not preselected (the clock says 03/07/2025):\n%s", view)
	}
}
