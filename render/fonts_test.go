package render

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// The latin cut and the whole font are prepared when a page first needs them, not by
// New (they cost ~110 ms of every start-up, the demo's first screen included), once,
// even when several workers need them together. Run in a fresh process: the other
// tests of this binary prepare every cut.
func TestRareFontCutsPreparedOnFirstUse(t *testing.T) {
	if os.Getenv("RENDER_FRESH_PROCESS") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRareFontCutsPreparedOnFirstUse$", "-test.v")
		cmd.Env = append(os.Environ(), "RENDER_FRESH_PROCESS=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestRareFontCutsPreparedOnFirstUse") {
			t.Fatalf("fresh process: %v\n%s", err, out)
		}
		return
	}
	r := newRenderer(t)
	render(t, r, sample(t)) // French names: the core cut
	if latinCut.font != nil || fullCut.font != nil {
		t.Fatal("New or a French page prepared the rare cuts")
	}
	names := []string{"Ștefănescu", "Nguyễn", "Παπαδόπουλος", "Ţurcanu"}
	pdfs := make([][]byte, 8)
	errs := make([]error, len(pdfs))
	var wg sync.WaitGroup
	for i := range pdfs {
		wg.Go(func() {
			a := sample(t)
			a.Student.LastName = names[i%len(names)]
			var buf bytes.Buffer
			errs[i] = r.Render(&buf, a)
			pdfs[i] = buf.Bytes()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if latinCut.font == nil || fullCut.font == nil || !fullCut.font.whole || latinCut.font.whole {
		t.Fatal("the pages in rarer scripts did not prepare the latin cut and the whole font")
	}
	for i, pdf := range pdfs {
		if text := pdfText(t, pdf); !strings.Contains(text, strings.ToUpper(names[i%len(names)])) {
			t.Errorf("page %d lacks %s:\n%s", i, strings.ToUpper(names[i%len(names)]), text)
		}
	}
}
