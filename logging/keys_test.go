package logging_test

import (
	"bufio"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"hypercerts/internal/testenv"
)

// vocabulary reads the log keys documented in docs/ops.md (the table under "Log
// keys"): operators grep and alert on them, so every key the code logs is there.
func vocabulary(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Root(), "docs", "ops.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]bool{}
	row := regexp.MustCompile("^\\| `([^`]+)` \\|")
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			in = strings.Contains(line, "Log keys")
			continue
		}
		if m := row.FindStringSubmatch(line); in && m != nil {
			keys[m[1]] = true
		}
	}
	if len(keys) == 0 {
		t.Fatal("docs/ops.md has no « Log keys » table")
	}
	return keys
}

// logKey is one key written in the code, and where.
type logKey struct {
	key string // "" when not a constant
	pos token.Position
}

// TestLogKeysAreOneFrenchVocabulary parses every package of the module (go/packages,
// with types) and checks the keys of every log/slog call (Info, Warn, …, With,
// slog.String, slog.Group, …) and of every daemon.Result (logged with each job run):
// each is a literal, in French snake_case, and listed in docs/ops.md; and each key
// listed there is still used.
func TestLogKeysAreOneFrenchVocabulary(t *testing.T) {
	testenv.Long(t, "charge et vérifie les types de tout le module")
	vocab := vocabulary(t)
	// CGO_ENABLED=0 as make test's vet compiles: go list -export then finds the
	// dependencies' export data in the build cache instead of compiling them again.
	pkgs, err := packages.Load(&packages.Config{Dir: testenv.Root(), Env: append(os.Environ(), "CGO_ENABLED=0"),
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo}, "./...")
	if err != nil {
		t.Fatal(err)
	}
	var found []logKey
	for _, p := range pkgs {
		for _, e := range p.Errors {
			t.Fatalf("%s: %v", p.PkgPath, e)
		}
		for _, f := range p.Syntax {
			found = append(found, keysIn(p, f)...)
		}
	}
	if len(found) < 100 {
		t.Fatalf("only %d log keys found: the scan misses the slog calls", len(found))
	}
	form := regexp.MustCompile(`^\p{Ll}[\p{Ll}0-9]*(_[\p{Ll}0-9]+)*$`)
	used := map[string]bool{}
	for _, k := range found {
		switch {
		case k.key == "":
			t.Errorf("%s: a log key that is not a literal (its name cannot be checked)", k.pos)
		case !form.MatchString(k.key):
			t.Errorf("%s: log key %q is not lower-case snake_case", k.pos, k.key)
		case !vocab[k.key]:
			t.Errorf("%s: log key %q is not in docs/ops.md's « Log keys » (use a listed French key, or list it)", k.pos, k.key)
		}
		used[k.key] = true
	}
	for k := range vocab {
		if !used[k] {
			t.Errorf("docs/ops.md lists the log key %q, which no code logs any more", k)
		}
	}
}

// keysIn gives the keys of the slog calls and daemon.Result maps of one file.
func keysIn(p *packages.Package, f *ast.File) []logKey {
	var out []logKey
	info := p.TypesInfo
	at := func(n ast.Node) token.Position { return p.Fset.Position(n.Pos()) }
	key := func(e ast.Expr) logKey {
		if tv := info.Types[e]; tv.Value != nil && tv.Value.Kind() == constant.String {
			return logKey{constant.StringVal(tv.Value), at(e)}
		}
		return logKey{"", at(e)}
	}
	isAttr := func(e ast.Expr) bool {
		n, ok := info.TypeOf(e).(*types.Named)
		return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "log/slog" && n.Obj().Name() == "Attr"
	}
	// pairs reads key, value, key, value…; an slog.Attr stands alone (its own
	// constructor is checked where it is called).
	pairs := func(args []ast.Expr) {
		for i := 0; i < len(args); i++ {
			if isAttr(args[i]) {
				continue
			}
			out = append(out, key(args[i]))
			i++
		}
	}
	isResult := func(e ast.Expr) bool {
		n, ok := info.TypeOf(e).(*types.Named)
		return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "hypercerts/daemon" && n.Obj().Name() == "Result"
	}
	var fn *ast.BlockStmt // the function around the call, to follow a spread slice
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			fn = n.Body
		case *ast.CompositeLit: // daemon.Result{"clé": n, …}
			if isResult(n) {
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						out = append(out, key(kv.Key))
					}
				}
			}
		case *ast.AssignStmt: // res["clé"] = v on a daemon.Result
			for _, l := range n.Lhs {
				if ix, ok := l.(*ast.IndexExpr); ok && isResult(ix.X) {
					out = append(out, key(ix.Index))
				}
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			f, ok := info.Uses[sel.Sel].(*types.Func)
			if !ok || f.Pkg() == nil || f.Pkg().Path() != "log/slog" {
				return true
			}
			var args []ast.Expr
			switch name := f.Name(); {
			case slices.Contains([]string{"Debug", "Info", "Warn", "Error"}, name):
				args = n.Args[1:]
			case slices.Contains([]string{"DebugContext", "InfoContext", "WarnContext", "ErrorContext"}, name):
				args = n.Args[2:]
			case name == "Log", name == "LogAttrs":
				args = n.Args[3:]
			case name == "With":
				args = n.Args
			case name == "Group" && f.Type().(*types.Signature).Recv() == nil:
				out = append(out, key(n.Args[0]))
				args = n.Args[1:]
			case slices.Contains([]string{"String", "Int", "Int64", "Uint64", "Float64", "Bool", "Time", "Duration", "Any"}, name) &&
				f.Type().(*types.Signature).Recv() == nil:
				out = append(out, key(n.Args[0]))
				return true
			default:
				return true
			}
			if n.Ellipsis.IsValid() && len(args) > 0 { // log.Info(msg, attrs...)
				last := args[len(args)-1]
				pairs(args[:len(args)-1])
				out = append(out, spread(info, fn, last, key, pairs)...)
				return true
			}
			pairs(args)
		}
		return true
	})
	return out
}

// spread follows the slice given as `attrs...` to a slog call in the same function:
// its []any{…} literal and what append adds to it are checked as key/value pairs. The
// keys taken from a daemon.Result are checked on the Result's own literals.
func spread(info *types.Info, body *ast.BlockStmt, e ast.Expr, key func(ast.Expr) logKey, pairs func([]ast.Expr)) []logKey {
	if call, ok := e.(*ast.CallExpr); ok { // append(attrs, "erreur", err)...
		if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "append" && len(call.Args) > 0 {
			pairs(call.Args[1:])
			return spread(info, body, call.Args[0], key, pairs)
		}
	}
	id, ok := e.(*ast.Ident)
	if !ok || body == nil {
		return []logKey{key(e)}
	}
	obj := info.ObjectOf(id)
	ast.Inspect(body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok {
			return true
		}
		for i, l := range as.Lhs {
			if lid, ok := l.(*ast.Ident); !ok || info.ObjectOf(lid) != obj || i >= len(as.Rhs) {
				continue
			}
			switch r := as.Rhs[i].(type) {
			case *ast.CompositeLit:
				pairs(r.Elts)
			case *ast.CallExpr: // attrs = append(attrs, k, res[k]): keys of a daemon.Result
				if fid, ok := r.Fun.(*ast.Ident); ok && fid.Name == "append" && len(r.Args) == 3 {
					if ix, ok := r.Args[2].(*ast.IndexExpr); ok {
						if n, ok := info.TypeOf(ix.X).(*types.Named); ok && n.Obj().Name() == "Result" {
							continue
						}
					}
					pairs(r.Args[1:])
				}
			}
		}
		return true
	})
	return nil
}
