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

// at is a clock stopped at one instant.
type at time.Time

func (a at) Now() time.Time { return time.Time(a) }

// The newest open year has no deliberated results in Apogée: the wizard preselects the
// newest year that has (domain.Year.Deliberated, read from RESULTAT_VDI by years.sql),
// and says why on the year step (issue 16, item 15). The calendar plays no part.
func TestWizardPreselectsDeliberatedYear(t *testing.T) {
	for _, c := range []struct {
		name  string
		years []domain.Year
		want  int
		ok    bool
	}{
		{"newest not deliberated", []domain.Year{{Code: "2025"}, {Code: "2024", Deliberated: true}, {Code: "2023", Deliberated: true}}, 1, true},
		{"newest deliberated", []domain.Year{{Code: "2025", Deliberated: true}, {Code: "2024", Deliberated: true}}, 0, true},
		{"two newer running", []domain.Year{{Code: "2025"}, {Code: "2024"}, {Code: "2023", Deliberated: true}}, 2, true},
		{"none deliberated", []domain.Year{{Code: "2025"}, {Code: "2024"}}, 0, false},
		{"no open year", nil, 0, false},
	} {
		got, ok := wizard.DeliberatedYear(c.years)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: position %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
	env := uitest.Open(t, uitest.Options{})
	w := wizard.New(env.Common)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: w})
	uitest.WaitForText(t, tm, "Choisissez l'ann", "2024-2025")
	view := uitest.Final(t, tm)
	uitest.Golden(t, view)
	flat := strings.Join(strings.Fields(view), " ") // the text wraps
	if !strings.Contains(flat, "2024-2025 présélectionnée : dernière année avec des résultats délibérés (Apogée contient ses résultats d'admission)") {
		t.Fatalf("preselection not explained:\n%s", view)
	}
	if env.YearIndex(t, "2024") > 0 && !strings.Contains(flat, "En 2025-2026, les résultats ne sont pas encore délibérés") {
		t.Fatalf("the newer open years are not said to be undeliberated:\n%s", view)
	}
	if !strings.Contains(view, "› 2024-2025") && !strings.Contains(view, "> 2024-2025") {
		t.Fatalf("2024-2025 not preselected:\n%s", view)
	}
}

// The demo's Apogée (make demo: app.Open with Demo) has results deliberated for
// 2024-2025 only; whatever today's date, its wizard preselects 2024-2025 (issue 16 item
// 15: on 03/12/2026 the calendar guess preselected 2025-2026, whose preview is empty).
func TestWizardDemoPreselects2024WhateverTheDate(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC),
		time.Date(2027, 6, 30, 9, 0, 0, 0, time.UTC),
		time.Date(2027, 12, 31, 23, 0, 0, 0, time.UTC),
	} {
		t.Run(now.Format("2006-01-02"), func(t *testing.T) {
			env := uitest.Open(t, uitest.Options{Clock: at(now)})
			w := wizard.New(env.Common)
			tm := uitest.NewTestModel(t, uitest.Harness{Screen: w})
			uitest.WaitForText(t, tm, "Choisissez l'ann", "présélectionnée")
			view := uitest.Final(t, tm)
			flat := strings.Join(strings.Fields(view), " ")
			if !strings.Contains(view, "› 2024-2025") && !strings.Contains(view, "> 2024-2025") {
				t.Fatalf("2024-2025 not preselected on %s:\n%s", now.Format("02/01/2006"), view)
			}
			if !strings.Contains(flat, "2024-2025 présélectionnée") || !strings.Contains(flat, "En 2025-2026, les résultats ne sont pas encore délibérés") {
				t.Fatalf("preselection not explained on %s:\n%s", now.Format("02/01/2006"), view)
			}
		})
	}
}

// When no open year has deliberated results in Apogée, the newest is preselected and
// the wizard says that none has any yet (issue 16 item 15).
func TestWizardNoDeliberatedYearSaysSo(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	// No 2024-2025 result written by a jury yet (no result type): no open year has any.
	if _, err := env.App.Sim.DB().Exec("UPDATE resultat_vdi SET cod_tre = NULL WHERE cod_anu = '2024'"); err != nil {
		t.Fatal(err)
	}
	w := wizard.New(env.Common)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: w})
	uitest.WaitForText(t, tm, "Choisissez l'ann", "présélectionnée")
	view := uitest.Final(t, tm)
	flat := strings.Join(strings.Fields(view), " ")
	if !strings.Contains(view, "> 2025-2026") && !strings.Contains(view, "› 2025-2026") {
		t.Fatalf("the newest open year is not preselected:\n%s", view)
	}
	if !strings.Contains(flat, "2025-2026 présélectionnée : aucune année ouverte n'a encore de résultats délibérés dans Apogée") ||
		strings.Contains(flat, "dernière année avec des résultats délibérés") {
		t.Fatalf("the wizard does not say that no year has deliberated results:\n%s", view)
	}
}
