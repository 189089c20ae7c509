package hubee_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/ui/hubee"
	"hypercerts/ui/i18n"
	"hypercerts/ui/internal/uitest"
)

// The simulator's folder numbers and case ids are random: the goldens hold them with
// their digits masked (same width, so the layout is kept).
var (
	random = regexp.MustCompile(`[0-9A-F]{8}-[0-9A-F]{4}-01|[iI]dentifiant HubEE *: [0-9a-f-]+`)
	hex    = regexp.MustCompile(`[0-9A-Fa-f]`)
)

// size is an attestation's size: it follows the renderer (issue 17's work), not this
// screen, so the goldens hold "# octets)" padded to the same width with the blanks that
// follow (a size of any length gives the same golden); depositSize checks the figure.
var size = regexp.MustCompile(`[0-9][0-9\x{202f}]* octets\) *`)

func stable(view string) string {
	view = size.ReplaceAllStringFunc(view, func(s string) string {
		const mask = "# octets)"
		return mask + strings.Repeat(" ", max(0, len([]rune(s))-len([]rune(mask))))
	})
	return random.ReplaceAllStringFunc(view, func(s string) string {
		head := ""
		if i := strings.Index(s, ": "); i >= 0 {
			head, s = s[:i+2], s[i+2:]
		}
		id := strings.TrimSuffix(s, "-01")
		return head + hex.ReplaceAllString(id, "#") + s[len(id):]
	})
}

func synced(t *testing.T) *uitest.Env {
	t.Helper()
	env := uitest.Open(t, uitest.Options{Outside: true})
	rep, err := env.Engine.HubEESync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.NewCases != 2 {
		t.Fatalf("sync: %+v", rep)
	}
	return env
}

// The two requests filed by the simulated OSL: one answered with the attestation,
// one refused with its reason; the detail pane of the first.
func TestHubEECases(t *testing.T) {
	env := synced(t)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: hubee.New(env.Common)})
	uitest.WaitForText(t, tm, "2 télédossiers reçus", "attestation déposée", "refusée")
	view := uitest.Final(t, tm)
	if !strings.Contains(view, "Attestation déposée : ") {
		t.Fatalf("no deposit in the detail pane:\n%s", view)
	}
	depositSize(t, env, view)
	uitest.Golden(t, stable(view))
}

// depositSize checks that the size the screen shows (masked in the goldens) is the
// deposited attestation's, as the store recorded it, and not empty.
func depositSize(t *testing.T, env *uitest.Env, view string) {
	t.Helper()
	list, err := env.Store.HubEECases()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list {
		if k.Deposit.FileName == "" {
			continue
		}
		if k.Deposit.Size < 1000 {
			t.Fatalf("deposit %s of %d bytes: not a PDF", k.Deposit.FileName, k.Deposit.Size)
		}
		want := fmt.Sprintf("%s (%s octets)", k.Deposit.FileName, i18n.Int(int(k.Deposit.Size)))
		if !strings.Contains(view, want) {
			t.Fatalf("the screen does not show %q:\n%s", want, view)
		}
		return
	}
	t.Fatal("no deposited attestation in the store")
}

// ↓ moves the detail pane to the refused case; d hides it.
func TestHubEEDetailRefused(t *testing.T) {
	env := synced(t)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: hubee.New(env.Common)})
	uitest.WaitForText(t, tm, "2 télédossiers reçus")
	tm.Send(uitest.Key("down"))
	uitest.WaitForText(t, tm, "Motif : ")
	uitest.Golden(t, stable(uitest.Final(t, tm)))
}

// Entrée opens the refused case's whole record: the reason in full, wrapped; Échap
// closes it.
func TestHubEERecord(t *testing.T) {
	env := synced(t)
	m := hubee.New(env.Common)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: m})
	uitest.WaitForText(t, tm, "2 télédossiers reçus")
	tm.Send(uitest.Key("down"))
	tm.Send(uitest.Key("enter"))
	uitest.WaitForText(t, tm, "Télédossier ", "Identifiant HubEE")
	view := uitest.Snapshot(t, tm)
	if strings.Contains(view, "…") || !strings.Contains(view, "Motif") {
		t.Fatalf("the record is cut or has no reason:\n%s", view)
	}
	uitest.Golden(t, stable(view))
	tm.Send(uitest.Key("esc"))
	uitest.WaitForText(t, tm, "N° dossier")
	uitest.Final(t, tm)
}

// Nothing received yet: what HubEE is and that the daemon syncs it.
func TestHubEEEmpty(t *testing.T) {
	env := uitest.Open(t, uitest.Options{Outside: true})
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: hubee.New(env.Common)})
	uitest.WaitForText(t, tm, "Aucun télédossier")
	uitest.Golden(t, uitest.Final(t, tm))
}

// No hub wired: the error in place, with what to do.
func TestHubEENotConfigured(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: hubee.New(env.Common)})
	uitest.WaitForText(t, tm, "pas configuré")
	uitest.Golden(t, uitest.Final(t, tm))
}

// 80×24: the step and the HubEE status go to the detail pane.
func TestHubEESmall(t *testing.T) {
	env := synced(t)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: hubee.New(env.Common)}, 80, 24)
	uitest.WaitForText(t, tm, "2 télédossiers reçus")
	view := uitest.Final(t, tm)
	for i, l := range strings.Split(view, "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line %d: %d wide", i, n)
		}
	}
	uitest.Golden(t, stable(view))
}

// 140 columns: every column, the démarche and the step included.
func TestHubEEWide(t *testing.T) {
	env := synced(t)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: hubee.New(env.Common)}, 140, 24)
	uitest.WaitForText(t, tm, "2 télédossiers reçus")
	uitest.Golden(t, stable(uitest.Final(t, tm)))
}

// A reload that brings a newer case first keeps the cursor, and the pane, on the case
// it was on.
func TestHubEECursorFollowsItsCase(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	m := hubee.New(env.Common)
	m.SetSize(uitest.Width, uitest.Height)
	loaded, ok := m.Init()().(hubee.LoadedMsg)
	if !ok {
		t.Fatal("no LoadedMsg")
	}
	day := func(d int) time.Time { return time.Date(2025, 7, d, 9, 0, 0, 0, time.UTC) }
	a := domain.HubEECase{CaseID: "A", StudentCode: "21000001", Received: day(1)}
	b := domain.HubEECase{CaseID: "B", StudentCode: "21000009", Received: day(2)}
	c := domain.HubEECase{CaseID: "C", StudentCode: "21000002", Received: day(3)}
	loaded.Err, loaded.Cases = nil, []domain.HubEECase{a, b}
	m.Update(loaded) // B, A
	m.Update(uitest.Key("down"))
	loaded.Cases = []domain.HubEECase{a, b, c}
	m.Update(loaded) // C, B, A
	view := m.View()
	for _, line := range strings.Split(view, "\n") {
		if strings.HasPrefix(line, "› ") {
			if !strings.Contains(line, "21000001") {
				t.Fatalf("the cursor left case A:\n%s", view)
			}
			return
		}
	}
	t.Fatalf("no cursor:\n%s", view)
}

// A case the sync handed to a person shows « à reprendre » with its reason in the list
// and the pane; R takes it up again (Engine.HubEERetry) and the list says how it ended.
func TestHubEENeedsPersonAndRetry(t *testing.T) {
	env := synced(t)
	list, err := env.Store.HubEECases()
	if err != nil || len(list) != 2 {
		t.Fatalf("cases: %d %v", len(list), err)
	}
	k := list[0]
	for _, c := range list {
		if c.Outcome == domain.HubOutcomeRefused {
			k = c
		}
	}
	k.NeedsPerson, k.Attempts = true, 1
	k.LastError = "passage au statut REFUSED : HubEE createEvent : HTTP 400 : EventLimitReached (POST /teledossiers/v1/cases/x/events)"
	if err := env.Store.PutHubEECase(k); err != nil {
		t.Fatal(err)
	}
	// Where the screen puts it: newest first, then by student (hubee.sortCases).
	pos := 0
	for _, c := range list {
		if c.CaseID != k.CaseID && (c.Received.After(k.Received) || c.Received.Equal(k.Received) && c.StudentCode < k.StudentCode) {
			pos++
		}
	}
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: hubee.New(env.Common)})
	uitest.WaitForText(t, tm, "1 dossier à reprendre par un gestionnaire")
	for range pos {
		tm.Send(uitest.Key("down"))
	}
	uitest.WaitForText(t, tm, "À reprendre par un gestionnaire : passage au statut REFUSED : HubEE createEvent : HTTP 400")
	tm.Send(uitest.Key("R"))
	uitest.WaitForText(t, tm, "repris : terminé, refusée")
	view := uitest.Final(t, tm)
	if strings.Contains(view, "à reprendre par un gestionnaire") {
		t.Fatalf("still waiting for a person after the retry:\n%s", view)
	}
	uitest.Golden(t, stable(view))
	if got, err := env.Store.HubEECase(k.CaseID); err != nil || got.NeedsPerson || got.LastError != "" {
		t.Fatalf("record after the retry: %+v %v", got, err)
	}
}
