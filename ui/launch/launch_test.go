package launch_test

import (
	"os"
	"testing"

	"hypercerts/ui/internal/uitest"
	"hypercerts/ui/launch"
)

func plan(t *testing.T, env *uitest.Env) launch.Plan {
	rows, err := env.Engine.PreviewAll(env.Common.Ctx, env.Common.User, uitest.LMATH)
	if err != nil {
		t.Fatal(err)
	}
	p := launch.Plan{Request: uitest.LMATH, Students: len(rows)}
	for _, r := range rows {
		if r.Eligible {
			p.Eligible++
		}
	}
	return p
}

// The confirmation says how many mails and, in test mode, to whom.
func TestLaunchConfirmTestMode(t *testing.T) {
	env := uitest.Open(t, uitest.Options{TestMode: true})
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: launch.New(env.Common, plan(t, env))})
	uitest.WaitForText(t, tm, "recette@univ-demo.fr", "Entrée ou o pour lancer")
	uitest.Golden(t, uitest.Final(t, tm))
	if n, _ := os.ReadDir(env.MailDir); len(n) != 0 {
		t.Fatalf("%d mails before confirmation", len(n))
	}
}

// Confirming launches the campaign and follows it to the end; the mails land as .eml.
func TestLaunchRunsToTheEnd(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	p := plan(t, env)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: launch.New(env.Common, p)})
	uitest.WaitForText(t, tm, "Entrée ou o pour lancer")
	tm.Send(uitest.Key("o"))
	uitest.WaitForText(t, tm, "terminée")
	uitest.Golden(t, uitest.Final(t, tm))
	files, err := os.ReadDir(env.MailDir)
	if err != nil {
		t.Fatal(err)
	}
	// one attestation per eligible student, plus the managers' mails (R17a, R17b)
	if len(files) < p.Eligible {
		t.Fatalf("%d mails for %d eligible students", len(files), p.Eligible)
	}
}
