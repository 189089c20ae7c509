package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"

	"hypercerts/daemon/serve"
)

// TestNoInitRegistersAnything: commands live in commands() and daemon jobs in
// serve.Jobs() (issue 15, item 4); a func init() in cli/ or daemon/serve/ would bring
// back registration from files spread over the package.
func TestNoInitRegistersAnything(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	jobs, _ := filepath.Glob("../daemon/serve/*.go")
	if err != nil || len(files) == 0 || len(jobs) == 0 {
		t.Fatalf("no Go file in cli/ or daemon/serve/: %v", err)
	}
	files = append(files, jobs...)
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s: func init() (list commands in commands(), jobs in serve.Jobs())", fset.Position(fn.Pos()))
			}
		}
	}
	if _, ok := lookup("campaign"); !ok || len(serve.Jobs()) == 0 {
		t.Fatal("the command or job table is empty")
	}
}
