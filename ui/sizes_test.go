package ui_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"hypercerts/domain"
	"hypercerts/ui"
	"hypercerts/ui/common"
	"hypercerts/ui/home"
	"hypercerts/ui/internal/uitest"
	"hypercerts/ui/preview"
	"hypercerts/ui/wizard"
)

// pump runs cmd and what follows from it through r (spinner ticks dropped), as the
// program would, for at most n messages.
func pump(r *ui.Model, cmd tea.Cmd, n int) {
	queue := []tea.Cmd{cmd}
	for i := 0; len(queue) > 0 && i < n; i++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch m := c().(type) {
		case nil, spinner.TickMsg:
		case tea.BatchMsg:
			queue = append(queue, m...)
		default:
			_, next := r.Update(m)
			queue = append(queue, next)
		}
	}
}

// Every screen, and its full help, fits every terminal from 40×10 to 200×50, with
// and without colour: exactly the terminal's height, no line wider than it.
func TestEveryScreenFitsEverySize(t *testing.T) {
	env := uitest.Open(t, uitest.Options{Outside: true})
	ctx := context.Background()
	c, err := env.Engine.Launch(ctx, env.Common.User, uitest.LMATH, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Engine.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Engine.HubEESync(ctx); err != nil {
		t.Fatal(err)
	}
	screens := []struct {
		name string
		open []tea.Msg
		want string // shown on the screen at 100×30
	}{
		{"accueil", nil, "1 campagne"},
		{"assistant", []tea.Msg{home.NewMsg{}}, "Choisissez l'année"},
		{"aperçu", []tea.Msg{wizard.DoneMsg{Request: uitest.LMATH}}, "21 étudiants lus"},
		{"lancement", []tea.Msg{wizard.DoneMsg{Request: uitest.LMATH}, preview.LaunchMsg{Request: uitest.LMATH,
			Totals: domain.PreviewTotals{Students: 21, Eligible: 10}}}, "Lancer la campagne ?"},
		{"campagne", []tea.Msg{home.OpenMsg{ID: c.ID}}, "[Étudiants (21)]"},
		{"HubEE", []tea.Msg{home.HubEEMsg{}}, "2 télédossiers reçus"},
	}
	for _, colour := range []bool{false, true} {
		cc := env.Common
		if colour {
			cc = common.New(env.Common.Ctx, common.Options{Engine: env.Engine, User: env.Common.User,
				Renderer: lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.TrueColor)), Clock: uitest.FixedClock{}})
		}
		for _, sc := range screens {
			for _, size := range [][2]int{{40, 10}, {60, 16}, {80, 24}, {100, 30}, {200, 50}} {
				r := ui.New(cc)
				r.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				pump(r, r.Init(), 200)
				for _, msg := range sc.open {
					_, cmd := r.Update(msg)
					pump(r, cmd, 200)
				}
				for _, help := range []bool{false, true} {
					if help {
						r.Update(uitest.Key("?"))
					}
					view := r.View()
					if !help && size == [2]int{100, 30} && !strings.Contains(ansi.Strip(view), sc.want) {
						t.Errorf("%s colour %v: %q not shown:\n%s", sc.name, colour, sc.want, ansi.Strip(view))
					}
					lines := strings.Split(view, "\n")
					if len(lines) != size[1] {
						t.Errorf("%s %v colour %v help %v: %d lines", sc.name, size, colour, help, len(lines))
					}
					for i, l := range lines {
						if w := ansi.StringWidth(l); w > size[0] {
							t.Errorf("%s %v colour %v help %v: line %d is %d wide: %q", sc.name, size, colour, help, i, w, ansi.Strip(l))
						}
					}
				}
			}
		}
	}
}
