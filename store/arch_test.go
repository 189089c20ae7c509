package store_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// bbolt stays inside this package (issue 15, item 5): the rest of hypercerts goes
// through Store's methods, so the file layout can change in one place.
func TestOnlyStoreImportsBbolt(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Imports}}", "hypercerts/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "hypercerts/store ") }) {
		t.Fatalf("go list did not list hypercerts/store:\n%s", out)
	}
	for _, l := range lines {
		pkg, imports, _ := strings.Cut(l, " ")
		if pkg == "hypercerts/store" {
			continue
		}
		for imp := range strings.FieldsSeq(strings.Trim(imports, "[]")) {
			if imp == "go.etcd.io/bbolt" || strings.HasPrefix(imp, "go.etcd.io/bbolt/") {
				t.Errorf("%s imports %s: only hypercerts/store may use bbolt", pkg, imp)
			}
		}
	}
}
