package home_test

import (
	"context"
	"strings"
	"testing"

	"hypercerts/domain"
	"hypercerts/ui/home"
	"hypercerts/ui/internal/uitest"
)

func TestHomeEmpty(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: home.New(env.Common)})
	uitest.WaitForText(t, tm, "Aucune campagne")
	uitest.Golden(t, uitest.Final(t, tm))
}

func TestHomeListsCampaigns(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	ctx := context.Background()
	for _, vdi := range []string{"LMATH/201", "LINFO/201"} {
		v, _ := domain.ParseVDI(vdi)
		c, err := env.Engine.Launch(ctx, env.Common.User, domain.PreviewRequest{Year: "2024", Component: "SCI", VDI: v}, domain.LaunchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Engine.Wait(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: home.New(env.Common)})
	uitest.WaitForText(t, tm, "2 campagnes")
	uitest.Golden(t, uitest.Final(t, tm))
}

// Without a right, the list says what to do.
func TestHomeNoRights(t *testing.T) {
	env := uitest.Open(t, uitest.Options{User: &domain.User{Code: "INCONNU"}})
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: home.New(env.Common)})
	uitest.WaitForText(t, tm, "TRAREF10")
	uitest.Golden(t, uitest.Final(t, tm))
}

// A Digiposte campaign shows its mode and its state, « en attente Digiposte », beside a
// mail campaign; at 80 columns too.
func TestHomeDigiposteCampaign(t *testing.T) {
	for _, size := range [][]int{{uitest.Width, uitest.Height}, {80, 24}} {
		env := uitest.Open(t, uitest.Options{Outside: true})
		ctx := context.Background()
		c, err := env.Engine.Launch(ctx, env.Common.User, uitest.LMATH, domain.LaunchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Engine.Wait(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		v, _ := domain.ParseVDI("LINFO/201")
		if _, err := env.Engine.Launch(ctx, env.Common.User, domain.PreviewRequest{Year: "2024", Component: "SCI", VDI: v},
			domain.LaunchOptions{Mode: domain.ModeDigiposte}); err != nil {
			t.Fatal(err)
		}
		tm := uitest.NewTestModel(t, uitest.Harness{Screen: home.New(env.Common)}, size...)
		uitest.WaitForText(t, tm, "en attente Digiposte")
		view := uitest.Final(t, tm)
		if size[0] == 80 {
			uitest.Golden(t, view) // the 100-column view is TestHomeListsCampaigns's layout
		}
		if !strings.Contains(view, "Digiposte ") {
			t.Fatalf("mode not shown:\n%s", view)
		}
	}
}

// While a campaign runs the list reloads every second; a reload asked meanwhile (r,
// coming back on top) must not start a second chain of ticks (they added up, one
// load per chain and per second).
func TestHomeOneTickChain(t *testing.T) {
	hold := make(chan struct{})
	env := uitest.Open(t, uitest.Options{HoldMail: hold})
	t.Cleanup(func() { close(hold) }) // before the engine's shutdown
	if _, err := env.Engine.Launch(context.Background(), env.Common.User, uitest.LMATH, domain.LaunchOptions{}); err != nil {
		t.Fatal(err)
	}
	m := home.New(env.Common)
	if _, tick := m.Update(m.Init()()); tick == nil {
		t.Fatal("no refresh tick while a campaign runs")
	}
	for range 3 {
		if _, cmd := m.Update(m.Refresh()()); cmd != nil {
			t.Fatal("a reload while a tick is pending started another chain of ticks")
		}
	}
}

// A campaign created meanwhile (another session, the daemon) comes first in the list:
// the cursor stays on the campaign it was on, so Entrée opens that one.
func TestHomeCursorFollowsItsCampaign(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	m := home.New(env.Common)
	m.SetSize(uitest.Width, uitest.Height)
	loaded := m.Init()().(home.LoadedMsg)
	a, b, c := domain.Campaign{ID: "A"}, domain.Campaign{ID: "B"}, domain.Campaign{ID: "C"}
	loaded.Campaigns = []domain.Campaign{a, b}
	m.Update(loaded)
	m.Update(uitest.Key("down")) // on B
	loaded.Campaigns = []domain.Campaign{c, a, b}
	m.Update(loaded)
	_, cmd := m.Update(uitest.Key("enter"))
	if open, ok := cmd().(home.OpenMsg); !ok || open.ID != "B" {
		t.Fatalf("Entrée opens %#v, want B", cmd())
	}
}
