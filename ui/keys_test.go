package ui_test

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/ui"
	"hypercerts/ui/home"
	"hypercerts/ui/internal/uitest"
)

// Keys typed in one burst ("fff": a paste, a fast typist over SSH) arrive as one
// message; outside a text field each is a key. In the search field the burst is text,
// q included, and the help bar shows the field's keys, not « q quitter ».
func TestKeyBurstsAndTypingFooter(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	tm := uitest.NewTestModel(t, ui.New(env.Common))
	uitest.WaitForText(t, tm, "Aucune campagne")
	toWizardEnd(t, env, tm)
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "étudiants lus")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("fff")})
	uitest.WaitForText(t, tm, "Filtre : sans verdict")
	tm.Send(uitest.Key("/"))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("zq z")})
	uitest.WaitForText(t, tm, "Recherche : zq z")
	view := uitest.Final(t, tm)
	footer := view[strings.LastIndex(view, "\n")+1:]
	if strings.Contains(footer, "quitter") || !strings.Contains(footer, "entrée valider") || !strings.Contains(footer, "échap annuler") {
		t.Fatalf("help bar while typing: %q", footer)
	}
}

// failedCampaign is a finished campaign with one failed send (R07 can relaunch it).
func failedCampaign(t *testing.T, env *uitest.Env) domain.Campaign {
	t.Helper()
	ctx := context.Background()
	c, err := env.Engine.Launch(ctx, env.Common.User, uitest.LMATH, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = env.Engine.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	entries, err := env.Store.Entries(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.State == domain.EntryMailed {
			e.State, e.LastError, e.Retryable = domain.EntryMailFailed, "SMTP 451 : réessayez plus tard", true
			if err := env.Store.PutEntries(c.ID, []domain.Entry{e}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	return c
}

// The help bar keeps the primary action first at every width (R relancer on a
// campaign with a failure, from 200 down to 40 columns), shortening labels before
// dropping keys, and « ? aide » always; the full help has sections, each key once,
// and the legend of the marks; without colour the active tab is marked.
func TestFooterHelpAndMarks(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	c := failedCampaign(t, env)
	for _, size := range [][2]int{{200, 50}, {100, 30}, {80, 24}, {60, 20}, {40, 10}} {
		r := ui.New(env.Common)
		r.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		_, cmd := r.Update(home.OpenMsg{ID: c.ID})
		for _, msg := range msgs(cmd) {
			r.Update(msg)
		}
		view := r.View()
		lines := strings.Split(view, "\n")
		if len(lines) != size[1] {
			t.Errorf("%v: %d lines", size, len(lines))
		}
		for i, l := range lines {
			if n := len([]rune(l)); n > size[0] {
				t.Errorf("%v: line %d is %d wide", size, i, n)
			}
		}
		footer := lines[len(lines)-1]
		if !strings.HasPrefix(footer, "R relancer") || !strings.Contains(footer, "? aide") {
			t.Errorf("%v: help bar %q", size, footer)
		}
		if size[0] >= 100 && !strings.Contains(view, "[Étudiants (21)]") {
			t.Errorf("%v: no mark on the active tab:\n%s", size, view)
		}
		if size == [2]int{100, 30} {
			r.Update(uitest.Key("?"))
			help := r.View()
			for _, want := range []string{"Navigation", "Actions", "Filtres", "Légende", "[Onglet]", "R      relancer"} {
				if !strings.Contains(help, want) {
					t.Errorf("full help without %q:\n%s", want, help)
				}
			}
			body := help[:strings.LastIndex(help, "\n")] // the help bar says « ?/échap fermer »
			for _, k := range []string{"pgup", "entrée/d", "échap "} {
				if n := strings.Count(body, k); n != 1 {
					t.Errorf("%q %d times in the full help:\n%s", k, n, help)
				}
			}
			uitest.Golden(t, help)
		}
	}
}
