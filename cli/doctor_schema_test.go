package cli

import (
	"strings"
	"testing"
)

func TestDoctorSchema_OnTheEmbeddedApogee(t *testing.T) {
	t.Parallel()
	out, errs, code := runMain(t, append([]string{"doctor", "--schema"}, demoArgs(t)...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"✓ vdis.sql", "VERSION_DIPLOME", "TEM_TER_VDI", "✓ label.sql", "Toutes les tables et colonnes utilisées existent."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
