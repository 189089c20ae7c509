package cli

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
)

// safeText shows control characters (terminal escape sequences in an argument, a
// file name, an answer) as Go escapes instead of sending them to the terminal.
func safeText(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			q := fmt.Sprintf("%q", string(r))
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool {
	return r != '\n' && r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029')
}

// frenchFlags is the flag sets' output: it words the flag package's English errors in
// French and quotes what the user typed.
type frenchFlags struct{ w io.Writer }

var flagErrors = []struct {
	re   *regexp.Regexp
	repl func(m []string) string
}{
	{regexp.MustCompile(`^flag provided but not defined: -(.*)$`), func(m []string) string { return fmt.Sprintf("option inconnue : %q", "--"+m[1]) }},
	{regexp.MustCompile(`^flag needs an argument: -(.*)$`), func(m []string) string { return fmt.Sprintf("l'option %q attend une valeur", "--"+m[1]) }},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), func(m []string) string { return fmt.Sprintf("option mal écrite : %q", m[1]) }},
	{regexp.MustCompile(`^invalid boolean value "(.*)" for -([^:]*): .*$`), func(m []string) string {
		return fmt.Sprintf("valeur %q invalide pour --%s : attendu true ou false", m[1], m[2])
	}},
	{regexp.MustCompile(`^invalid boolean flag (.*?): .*$`), func(m []string) string {
		return fmt.Sprintf("valeur invalide pour l'option %q : attendu true ou false", "--"+m[1])
	}},
	{regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]*): (.*)$`), func(m []string) string {
		why := m[3]
		switch {
		case strings.Contains(why, "parse error"), strings.Contains(why, "invalid syntax"):
			why = "nombre attendu"
		case strings.Contains(why, "value out of range"):
			why = "nombre trop grand"
		case strings.Contains(why, "time: "):
			why = "durée attendue, par exemple 30s, 5m, 2h"
		}
		return fmt.Sprintf("valeur %q invalide pour --%s : %s", m[1], m[2], safeText(why))
	}},
}

func (f frenchFlags) Write(p []byte) (int, error) {
	line := strings.TrimRight(string(p), "\n")
	for _, e := range flagErrors {
		if m := e.re.FindStringSubmatch(line); m != nil {
			_, err := fmt.Fprintln(f.w, e.repl(m))
			return len(p), err
		}
	}
	_, err := io.WriteString(f.w, safeText(string(p)))
	return len(p), err
}

// osWords are the operating system's English error texts (from Go's *PathError and
// syscall errors) and their French wording.
var osWords = strings.NewReplacer(
	"no such file or directory", "fichier ou dossier introuvable",
	"permission denied", "permission refusée",
	"file exists", "le fichier existe déjà",
	"is a directory", "est un dossier",
	"not a directory", "n'est pas un dossier",
	"no space left on device", "plus de place sur le disque",
	"read-only file system", "système de fichiers en lecture seule",
	"too many levels of symbolic links", "lien symbolique refusé",
	"connection refused", "connexion refusée",
	"connection reset by peer", "connexion coupée par l'autre côté",
	"i/o timeout", "délai dépassé",
	"no route to host", "machine injoignable",
	"operation not permitted", "opération non permise",
	"device or resource busy", "ressource occupée",
)

// frenchError is what the CLI prints for an error: OS texts in French, control
// characters shown, never sent to the terminal.
func frenchError(err error) string { return safeText(osWords.Replace(err.Error())) }
