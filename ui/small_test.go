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

// At 40×10 the campaign screen still shows a student (its head gives way: the
// explanations go, then each block keeps one line, then the state line), and the full
// help, taller than the screen, scrolls with ↑/↓, pgup/pgdn, début/fin and says which
// lines it shows (issue 16 item 14).
func TestSmallTerminalCampaignShowsARowAndHelpScrolls(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	ctx := context.Background()
	c, err := env.Engine.Launch(ctx, env.Common.User, uitest.LMATH, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Engine.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	tm := uitest.NewTestModel(t, uitest.Root{Model: ui.New(env.Common)}, 40, 10)
	uitest.WaitForText(t, tm, "1 campagne")
	tm.Send(home.OpenMsg{ID: c.ID})
	uitest.WaitForText(t, tm, "[Étudiants (21)]")
	uitest.Drain(tm)
	lines := func(view string) []string { return strings.Split(view, "\n") }
	view := uitest.Snapshot(t, tm)
	rows := 0
	for _, l := range lines(view) {
		if strings.HasPrefix(l, "› ") || strings.Contains(l, " 2100") {
			rows++
		}
	}
	if rows == 0 || !strings.Contains(view, "envoyé 10") || len(lines(view)) != 10 {
		t.Fatalf("no student row, or no counts, at 40×10:\n%s", view)
	}
	campaign := view

	tm.Send(uitest.Key("?"))
	first := uitest.Snapshot(t, tm)
	if !strings.Contains(first, "↓ lignes 1–5 sur ") || !strings.Contains(first, "↑/↓ défiler") || strings.Contains(first, "Général") {
		t.Fatalf("the help does not say there is more, or shows its end:\n%s", first)
	}
	tm.Send(uitest.Key("down"))
	if v := uitest.Snapshot(t, tm); !strings.Contains(v, "↑↓ lignes 2–6 sur ") || strings.Contains(v, "Navigation") {
		t.Fatalf("↓ did not scroll one line:\n%s", v)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyPgDown})
	if v := uitest.Snapshot(t, tm); !strings.Contains(v, "lignes 7–11 sur ") {
		t.Fatalf("pgdn did not scroll a page:\n%s", v)
	}
	tm.Send(uitest.Key("G"))
	last := uitest.Snapshot(t, tm)
	if !strings.Contains(last, "R relance les envois") || !strings.Contains(last, "↑ lignes ") || strings.Contains(last, "↓ lignes") {
		t.Fatalf("fin did not show the end of the help:\n%s", last)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyPgUp})
	tm.Send(uitest.Key("g"))
	if v := uitest.Snapshot(t, tm); v != first {
		t.Fatalf("début did not come back to the top:\n%s", v)
	}
	tm.Send(uitest.Key("esc"))
	if v := uitest.Snapshot(t, tm); v != campaign {
		t.Fatalf("échap did not close the help:\n%s", v)
	}
	uitest.Golden(t, campaign+"\n----- ? (aide) -----\n"+first+"\n----- G (fin) -----\n"+last)
	uitest.Final(t, tm)
}
