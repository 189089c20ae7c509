package preview_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/ui/internal/uitest"
	"hypercerts/ui/preview"
)

func TestPreviewStreamsAndTotals(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	p := preview.New(env.Common, uitest.LMATH)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: p})
	uitest.WaitForText(t, tm, "à produire", "Filtre : tous")
	uitest.WaitForText(t, tm, "étudiants lus")
	tm.Send(uitest.Key("g"))
	uitest.Golden(t, uitest.Final(t, tm))
}

func TestPreviewTestModeShowsRealRecipient(t *testing.T) {
	env := uitest.Open(t, uitest.Options{TestMode: true})
	p := preview.New(env.Common, uitest.LMATH)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: p})
	uitest.WaitForText(t, tm, "Destinataire réel", "étudiants lus")
	uitest.Drain(tm)
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f")) // éligibles
	uitest.WaitForText(t, tm, "Filtre : éligibles")
	uitest.Golden(t, uitest.Final(t, tm))
}

func TestPreviewFilterSearchDetail(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	p := preview.New(env.Common, uitest.LMATH)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: p})
	uitest.WaitForText(t, tm, "à produire")
	uitest.WaitForText(t, tm, "étudiants lus")
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f")) // non reçus
	uitest.WaitForText(t, tm, "Filtre : non reçus")
	tm.Send(uitest.Key("d"))
	uitest.WaitForText(t, tm, "Motif : non reçu")
	tm.Send(uitest.Key("/"))
	uitest.Type(tm, "zzzz")
	uitest.WaitForText(t, tm, "Aucun étudiant ne correspond")
	tm.Send(uitest.Key("esc")) // clears the search
	tm.Send(uitest.Key("e"))   // export what is shown
	path := filepath.Join(env.Common.ExportDir, "apercu-LMATH-201-2024.csv")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), "Non reçu") {
			if strings.Contains(string(b), ";Reçu;") {
				t.Fatalf("export holds admitted students under the non reçus filter")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CSV at %s", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
	uitest.Golden(t, uitest.Final(t, tm))
}

// The screen fits 80×24.
func TestPreviewSmallTerminal(t *testing.T) {
	env := uitest.Open(t, uitest.Options{TestMode: true})
	p := preview.New(env.Common, uitest.LMATH)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: p}, 80, 24)
	uitest.WaitForText(t, tm, "attestations")
	uitest.WaitForText(t, tm, "étudiants lus")
	view := uitest.Final(t, tm)
	for i, line := range strings.Split(view, "\n") {
		if w := len([]rune(line)); w > 80 {
			t.Errorf("line %d is %d wide: %q", i, w, line)
		}
	}
	uitest.Golden(t, view)
}
