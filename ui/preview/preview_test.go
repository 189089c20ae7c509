package preview_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/ui/common"
	"hypercerts/ui/internal/uitest"
	"hypercerts/ui/preview"
)

func TestPreviewStreamsAndTotals(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	p := preview.New(env.Common, uitest.LMATH)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: p})
	uitest.WaitForText(t, tm, "à produire", "Filtre : tous", "21 étudiants lus")
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
	uitest.WaitForText(t, tm, "à produire", "21 étudiants lus")
	tm.Send(uitest.Key("f"))
	tm.Send(uitest.Key("f")) // non reçus
	uitest.WaitForText(t, tm, "Filtre : non reçus")
	tm.Send(uitest.Key("d"))
	uitest.WaitForText(t, tm, "Motif", "non reçu")
	tm.Send(uitest.Key("esc")) // closes the record, the list is back
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
	uitest.WaitForText(t, tm, "à produire", "étudiants lus")
	view := uitest.Final(t, tm)
	for i, line := range strings.Split(view, "\n") {
		if w := len([]rune(line)); w > 80 {
			t.Errorf("line %d is %d wide: %q", i, w, line)
		}
	}
	uitest.Golden(t, view)
}

// run runs cmd (and its batches) and hands every message but the spinner's to p; it
// returns the messages that are not the preview's own.
func run(p *preview.Model, cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, run(p, c)...)
		}
		return out
	case spinner.TickMsg:
		return nil
	case preview.StartedMsg, preview.EventsMsg:
		_, next := p.Update(msg)
		return run(p, next)
	default:
		return []tea.Msg{msg}
	}
}

// A stream stopped early says how to start again (r), does not launch on its partial
// counts, and r reads every student again.
func TestPreviewStoppedRestarts(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	p := preview.New(env.Common, uitest.LMATH)
	t.Cleanup(p.Close)
	p.SetSize(uitest.Width, uitest.Height)
	var started preview.StartedMsg
	for _, c := range p.Init()().(tea.BatchMsg) {
		if msg, ok := c().(preview.StartedMsg); ok {
			started = msg
		}
	}
	p.Update(preview.EventsMsg{ID: started.ID, Closed: true,
		Events: []domain.PreviewEvent{{Done: true, Err: errors.New("Apogée ne répond plus")}}})
	if view := p.View(); !strings.Contains(view, "Aperçu interrompu (r pour le relancer)") {
		t.Fatalf("the stop does not say what to do:\n%s", view)
	}
	for _, msg := range run(p, func() tea.Msg { _, c := p.Update(uitest.Key("l")); return c() }) {
		if _, ok := msg.(preview.LaunchMsg); ok {
			t.Fatal("launch offered on the counts of an interrupted preview")
		}
	}
	_, cmd := p.Update(uitest.Key("r"))
	run(p, cmd)
	if p.Busy() || p.Rows() != 21 || strings.Contains(p.View(), "interrompu") {
		t.Fatalf("r did not read the students again: %d rows, busy %v\n%s", p.Rows(), p.Busy(), p.View())
	}
}

// An export that cannot be written says where and what to do (e again), not the
// generic « réessayez (r) », which would read the students again.
func TestPreviewExportFailureSaysWhatToDo(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	blocker := filepath.Join(t.TempDir(), "un-fichier") // a file where the folder should be
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env.Common.ExportDir = filepath.Join(blocker, "exports")
	p := preview.NewWithRows(env.Common, uitest.LMATH, nil)
	_, cmd := p.Update(uitest.Key("e"))
	msgs := run(p, cmd)
	if len(msgs) != 1 {
		t.Fatalf("export gave %v", msgs)
	}
	st, ok := msgs[0].(common.StatusMsg)
	if !ok || !st.Err || !strings.Contains(st.Text, env.Common.ExportDir) || !strings.Contains(st.Text, "réessayez (e)") ||
		strings.Contains(st.Text, "not a directory") {
		t.Fatalf("export failure reported as %#v", msgs[0])
	}
}

// Entrée opens the whole record of a blocked student: the blocking and every reason
// in full, wrapped (nothing cut), scrollable at 40×10; Échap closes it.
func TestPreviewRecordFullAndWrapped(t *testing.T) {
	for _, size := range [][]int{{uitest.Width, uitest.Height}, {40, 10}} {
		env := uitest.Open(t, uitest.Options{})
		p := preview.New(env.Common, uitest.LMATH)
		tm := uitest.NewTestModel(t, uitest.Harness{Screen: p}, size...)
		uitest.WaitForText(t, tm, "21 étudiants lus")
		for range 4 {
			tm.Send(uitest.Key("f"))
		}
		uitest.WaitForText(t, tm, "bloqués")
		tm.Send(uitest.Key("enter"))
		tm.Send(uitest.Key("G")) // the end of the record, whatever the height
		uitest.WaitForText(t, tm, "Éligible")
		view := uitest.Snapshot(t, tm)
		for _, l := range strings.Split(view, "\n") {
			if strings.Contains(l, "…") {
				t.Fatalf("%v: a line of the record is cut: %q\n%s", size, l, view)
			}
		}
		if !strings.Contains(strings.Join(strings.Fields(view), " "), "Motif") {
			t.Fatalf("%v: the reasons are not at the end of the record:\n%s", size, view)
		}
		if size[0] == uitest.Width {
			tm.Send(uitest.Key("g"))
			uitest.Golden(t, uitest.Final(t, tm))
			continue
		}
		tm.Send(uitest.Key("esc"))
		uitest.WaitForText(t, tm, "Filtre")
		if view := uitest.Snapshot(t, tm); strings.Contains(view, "Éligible :") {
			t.Fatalf("Échap did not close the record:\n%s", view)
		}
		uitest.Final(t, tm)
	}
}

// e writes the CSV into the export folder, under a new name each time (two managers
// exporting the same VDI never overwrite each other), never in the working directory.
func TestPreviewExportUniqueNames(t *testing.T) {
	env := uitest.Open(t, uitest.Options{})
	env.Common.ExportDir = filepath.Join(t.TempDir(), "exports") // created on demand
	cwd, _ := os.Getwd()
	before, _ := os.ReadDir(cwd)
	p := preview.New(env.Common, uitest.LMATH)
	tm := uitest.NewTestModel(t, uitest.Harness{Screen: p})
	uitest.WaitForText(t, tm, "21 étudiants lus")
	tm.Send(uitest.Key("e"))
	tm.Send(uitest.Key("e"))
	want := []string{"apercu-LMATH-201-2024-2.csv", "apercu-LMATH-201-2024.csv"} // ReadDir sorts
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := os.ReadDir(env.Common.ExportDir)
		var got []string
		for _, f := range files {
			got = append(got, f.Name())
		}
		if strings.Join(got, ",") == strings.Join(want, ",") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exports %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	uitest.Final(t, tm)
	if after, _ := os.ReadDir(cwd); len(after) != len(before) {
		t.Fatalf("the export left a file in the working directory")
	}
}
