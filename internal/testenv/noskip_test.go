package testenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// skipAllowed lists the Skip calls kept outside testenv, by "file:function", each with
// why it cannot hide a missing tool in CI. Keep it short.
// None today: every missing tool, file or right goes through Missing.
var skipAllowed = map[string]string{}

// testFiles parses every _test.go file of the repository (generated and vendored
// code apart) and calls fn on it with its path relative to Root.
func testFiles(t *testing.T, fn func(rel string, f *ast.File, src []byte)) {
	t.Helper()
	root := Root()
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, p, src, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fn(filepath.ToSlash(rel), f, src)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// No test skips by itself: a Skip outside testenv would pass in CI without running.
// Tests say what they need with Tool, File, Missing or Long instead.
func TestNoSkipOutsideTestenv(t *testing.T) {
	var found []string
	testFiles(t, func(rel string, f *ast.File, _ []byte) {
		if strings.HasPrefix(rel, "internal/testenv/") {
			return
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fd, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				name := sel.Sel.Name
				x, _ := sel.X.(*ast.Ident)
				bad := name == "Skip" || name == "Skipf" || name == "SkipNow" ||
					(name == "Short" && x != nil && x.Name == "testing")
				if !bad {
					return true
				}
				key := rel + ":" + fd.Name.Name
				if _, ok := skipAllowed[key]; !ok {
					found = append(found, key+" ("+name+")")
				}
				return true
			})
		}
	})
	sort.Strings(found)
	for _, f := range found {
		t.Errorf("%s : utilisez testenv.Tool, File, Missing ou Long (un manque échoue en CI), ou justifiez-le dans skipAllowed", f)
	}
}

// usesEmbeddedApogee tells whether a test file opens the embedded Apogée (in the
// process or through the binary), which writes generated data to the cache folder.
func usesEmbeddedApogee(src []byte) bool {
	for _, marker := range []string{"Demo: true", `"--demo"`, `"--demo-students"`, "uitest.Open(", "testenv.Binary(", "DemoStudents:"} {
		if strings.Contains(string(src), marker) {
			return true
		}
	}
	return false
}

// Every package whose tests open the embedded Apogée runs them under Main, so that
// they share one temporary cache folder and leave nothing in ~/.cache.
func TestEmbeddedApogeeTestsRunUnderMain(t *testing.T) {
	uses, mains := map[string]bool{}, map[string]bool{}
	testFiles(t, func(rel string, f *ast.File, src []byte) {
		pkg := filepath.Dir(rel) + " " + strings.TrimSuffix(f.Name.Name, "_test")
		if usesEmbeddedApogee(src) {
			uses[pkg] = true
		}
		if strings.Contains(string(src), "testenv.Main(m)") {
			mains[pkg] = true
		}
	})
	if len(uses) == 0 {
		t.Fatal("no test opens the embedded Apogée: the markers are out of date")
	}
	for pkg := range uses {
		if !mains[pkg] {
			t.Errorf("%s : ses tests ouvrent l'Apogée embarqué sans TestMain { os.Exit(testenv.Main(m)) }", pkg)
		}
	}
}
