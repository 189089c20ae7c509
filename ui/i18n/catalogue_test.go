package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// frenchText: a literal with a French letter, or two words: text a manager reads.
var frenchText = regexp.MustCompile(`[àâçéèêëîïôûùüÿœÀÂÇÉÈÊËÎÏÔÛÙÜŒ]|\pL{2,}['’ ]+\pL{2,}`)

// Every French string of the UI is in this package (the catalogue), so the wording is
// reviewed in one place: no screen writes a user-facing literal of its own. The words
// naming domain values (states, modes, verdicts, HubEE steps) are the domain's
// Label()s, which every front end shares (docs/ui.md, « Strings »).
func TestNoFrenchLiteralOutsideTheCatalogue(t *testing.T) {
	fset := token.NewFileSet()
	var found []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "i18n" || d.Name() == "internal" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec, *ast.Field: // import paths, struct tags
				return false
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				if s, err := strconv.Unquote(n.Value); err == nil && frenchText.MatchString(s) {
					found = append(found, fset.Position(n.Pos()).String()+": "+n.Value)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("French text outside ui/i18n (move it to the catalogue):\n%s", strings.Join(found, "\n"))
	}
}
