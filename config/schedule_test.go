package config

import (
	"strings"
	"testing"
)

func TestSchedules_NonPositiveAndSubMinuteIntervalsRefused(t *testing.T) {
	for _, spec := range []string{"@every -5m", "@every 0s", "@every 1ns", "@every 30s", "CRON_TZ=Europe/Paris @every 59s"} {
		if _, err := ParseSchedule(spec); err == nil {
			t.Errorf("%q accepted (robfig/cron would run it every second)", spec)
		}
	}
	for _, spec := range []string{"@every 1m", "@every 15m", "0 6 * * *", "@daily", "CRON_TZ=Europe/Paris 30 3 * * *"} {
		if _, err := ParseSchedule(spec); err != nil {
			t.Errorf("%q refused: %v", spec, err)
		}
	}
}

func TestSchedules_ErrorsAreFrench(t *testing.T) {
	for spec, want := range map[string]string{
		"every day":       "5 champs",
		"@tous-les-jours": "descripteur inconnu",
		"61 6 * * *":      "hors limites",
		"@every bientôt":  "illisible",
	} {
		_, err := ParseSchedule(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", spec, err, want)
		}
		for _, english := range []string{"expected", "unrecognized", "beyond", "failed to parse"} {
			if err != nil && strings.Contains(err.Error(), english) {
				t.Errorf("%q: English in %v", spec, err)
			}
		}
	}
}

// R22: one adhesion drop and one deposit drop a day; a cycle more frequent than daily
// is warned about outside test mode.
func TestR22_DigiposteCycleMoreThanDailyWarnedOutsideTestMode(t *testing.T) {
	for spec, warn := range map[string]bool{
		"0 6 * * *": false, "@daily": false, "0 6 * * 1-5": false,
		"@every 1h": true, "0 6,18 * * *": true, "*/30 * * * *": true, "@every 23h": true,
	} {
		got := DigiposteCycleWarning(spec, false)
		if (got != "") != warn {
			t.Errorf("%q: warning %q, want warning=%v", spec, got, warn)
		}
		if warn && !strings.Contains(got, "R22") {
			t.Errorf("%q: warning does not cite R22: %q", spec, got)
		}
		if DigiposteCycleWarning(spec, true) != "" {
			t.Errorf("%q: warned in test mode", spec)
		}
	}
}
