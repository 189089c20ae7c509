package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"hypercerts/domain"
	"hypercerts/ui"
	"hypercerts/ui/common"
	"hypercerts/ui/internal/uitest"
)

// Over SSH the sessions stay current: a campaign launched elsewhere (another
// session, the daemon) appears without r; when the daemon stops, the session says why
// before it closes.
func TestSessionsStayCurrentAndHearTheDaemonStop(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	bus := common.NewBus()
	env.Common.Bus = bus
	tm := uitest.NewTestModel(t, ui.New(env.Common))
	uitest.WaitForText(t, tm, "Aucune campagne")
	ctx := context.Background()
	c, err := env.Engine.Launch(ctx, env.Common.User, uitest.LMATH, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Engine.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	bus.Changed() // what another session's launch, or a daemon job, publishes
	uitest.WaitForText(t, tm, "1 campagne")
	bus.Close("Maintenance du serveur à 18 h.")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	final := tm.FinalModel(t).View()
	if !strings.Contains(final, "s'arrête") || !strings.Contains(final, "Maintenance du serveur") {
		t.Fatalf("the closing session did not say why:\n%s", final)
	}
}
