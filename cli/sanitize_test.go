package cli

import (
	"strings"
	"testing"
)

// Go's flag errors are worded in French; what the user typed is quoted, and escape
// sequences in arguments never reach the terminal raw.
func TestFlagErrorsFrenchAndArgumentsQuoted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"campaign", "list", "--demo", "--nimporte"}, `option inconnue : "--nimporte"`},
		{[]string{"campaign", "list", "--config"}, `l'option "--config" attend une valeur`},
		{[]string{"preview", "--demo-students", "beaucoup"}, `valeur "beaucoup" invalide pour --demo-students : nombre attendu`},
		{[]string{"campaign", "list", "--demo", "--\x1b]0;pwned\x07"}, `option inconnue : "--\x1b]0;pwned\a"`},
	}
	for _, c := range cases {
		_, errOut, code := runMain(t, c.args...)
		if code == 0 {
			t.Errorf("%q: exit 0", c.args)
		}
		if strings.Contains(errOut, "flag provided") || strings.Contains(errOut, "needs an argument") || strings.Contains(errOut, "invalid value") {
			t.Errorf("%q: English from the flag package:\n%s", c.args, errOut)
		}
		if strings.ContainsAny(errOut, "\x1b\x07") {
			t.Errorf("%q: a raw escape sequence reached stderr: %q", c.args, errOut)
		}
		want := strings.NewReplacer("\x1b", `\x1b`, "\a", `\a`).Replace(c.want)
		if !strings.Contains(errOut, want) {
			t.Errorf("%q: stderr does not say %q:\n%s", c.args, want, errOut)
		}
	}
	// An argument echoed in an error (an unknown campaign) is shown, not played.
	_, errOut, _ := runMain(t, "campaign", "show", "--demo", "--demo-dir", t.TempDir(), "--demo-students", "50", "\x1b[2J\x1b[31mX")
	if strings.Contains(errOut, "\x1b") {
		t.Errorf("escape sequence echoed raw: %q", errOut)
	}
	// The operating system's English is worded in French.
	_, errOut, _ = runMain(t, "campaign", "list", "--config", "/nulle/part/application.yaml")
	if strings.Contains(errOut, "no such file") {
		t.Errorf("OS English: %s", errOut)
	}
}
