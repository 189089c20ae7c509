package ws

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"hypercerts/internal/testenv"
)

// TestGeneratedUpToDate runs the generator into a temporary directory and checks the
// committed packages are its output byte for byte: nobody edited them by hand.
func TestGeneratedUpToDate(t *testing.T) {
	testenv.Long(t, "lance le générateur")
	testenv.File(t, "../../../../shared/apogee/wsdl/apo-webservices-client-64030/wsdl",
		"le dépôt shared (contrats Apogée) à côté du dépôt, dans ../shared")
	out := t.TempDir()
	cmd := exec.Command("go", "run", "./internal/wsdlgen",
		"-wsdl", "../shared/apogee/wsdl/apo-webservices-client-64030/wsdl", "-out", out)
	// Without cgo, as make test's vet compiles: the packages it compiled serve this build.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, b)
	}
	for _, pkg := range []string{"offreformation", "etudiant", "pedagogique", "referentiel"} {
		want, err := os.ReadFile(filepath.Join(out, pkg, pkg+".go"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(pkg, pkg+".go"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/%s.go differs from the generator's output: run go generate ./connectors/apogee/ws/...", pkg, pkg)
		}
	}
}
