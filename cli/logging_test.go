package cli

import (
	"strings"
	"testing"
)

// R18: in test mode the real recipient of every mail is logged at INFO. The command
// line sets its log up from the configuration (log.level), like the daemon.
func TestR18_CommandLineLogsRealRecipientsAtInfo(t *testing.T) {
	t.Parallel()
	_, errOut, code := runMain(t, append([]string{"campaign", "run", "--year", "2024", "--component", "SCI", "--vdi", "LMATH/201", "--test-mode"}, demoArgs(t)...)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var lines []string
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "level=INFO") && strings.Contains(l, "destinataire_réel=") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("no INFO line names the real recipient (log.level: info in the demo):\n%.2000s", errOut)
	}
	if !strings.Contains(lines[0], "destinataire=test-scolarite@univ-demo.fr") {
		t.Errorf("INFO line: %s", lines[0])
	}
}

// log.level: warn in the configuration: no INFO line.
func TestLogLevelFromConfigurationHonoured(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	cfg, _ := relayConfig(t, r.addr, "log:\n  level: warn\ndelivery:\n  test_mode: true\n  test_recipient: recette@univ-demo.fr")
	setRelayPassword(t, relayPass)
	_, errOut, code := runMain(t, append(runArgs, "--config", cfg)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, "level=INFO") {
		t.Errorf("log.level warn, yet INFO lines:\n%.2000s", errOut)
	}
	if _, total := r.counts(); total == 0 {
		t.Error("nothing sent")
	}
}
