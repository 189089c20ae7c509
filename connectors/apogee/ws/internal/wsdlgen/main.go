// Command wsdlgen generates the Go types of the Apogée SOAP services hypercerts calls,
// one package per service, from AMUE's client WSDL/XSD set (Apogée 6.40.30).
//
// For each service it converts the files from ISO-8859-15 to UTF-8, flattens the Impl
// WSDL, the abstract WSDL and the whole XSD import closure into one self-contained WSDL
// keeping only the operations we call, runs gowsdl v0.5.0 (`go tool gowsdl`) on it and
// post-processes the Go it emits (see postprocess.go and docs/apogee-ws.md). It is run by
// `go generate ./connectors/apogee/ws/...`; its output is never edited by hand.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// service is one generated package.
type service struct {
	Pkg  string
	Impl string // Impl WSDL file name in the WSDL directory
	Ops  []string
}

// services are the packages generated and the operations each keeps.
var services = []service{
	{"offreformation", "OffreFormationMetier_Impl.wsdl", []string{"recupererSE_v3"}},
	{"etudiant", "EtudiantMetier_Impl.wsdl", []string{"recupererListeEtudiants", "recupererIdentifiantsEtudiant", "recupererInfosAdmEtu_v4"}},
	{"pedagogique", "PedagogiqueMetier_Impl.wsdl", []string{"recupererContratPedagogiqueResultatVdiVet_v2"}},
	{"referentiel", "ReferentielMetier_21062012_Impl.wsdl", []string{"recupererSignataire"}},
}

func main() {
	wsdlDir := flag.String("wsdl", "../shared/apogee/wsdl/apo-webservices-client-64030/wsdl",
		"directory of the Impl WSDLs (relative paths are from the repository root)")
	outDir := flag.String("out", ".", "directory where the service packages are written")
	keep := flag.String("keep", "", "if set, directory where the flattened WSDLs are kept (debugging)")
	only := flag.String("only", "", "generate only this package")
	flag.Parse()

	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	dir := *wsdlDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	if _, err := os.Stat(dir); err != nil {
		fail(fmt.Errorf("WSDL directory: %w (pass -wsdl)", err))
	}
	for _, s := range services {
		if *only != "" && s.Pkg != *only {
			continue
		}
		code, wsdl, err := generate(s, dir, root)
		if err != nil {
			fail(fmt.Errorf("%s: %w", s.Pkg, err))
		}
		pkgDir := filepath.Join(*outDir, s.Pkg)
		if err := os.MkdirAll(pkgDir, 0o755); err != nil {
			fail(err)
		}
		if err := os.WriteFile(filepath.Join(pkgDir, s.Pkg+".go"), code, 0o644); err != nil {
			fail(err)
		}
		if *keep != "" {
			if err := os.WriteFile(filepath.Join(*keep, s.Pkg+".wsdl"), []byte(wsdl), 0o644); err != nil {
				fail(err)
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "wsdlgen:", err)
	os.Exit(1)
}

// generate produces the Go source of one service package.
func generate(s service, wsdlDir, modRoot string) ([]byte, string, error) {
	f, err := flatten(filepath.Join(wsdlDir, s.Impl), s.Ops, modRoot)
	if err != nil {
		return nil, "", err
	}
	raw, err := runGowsdl(f.WSDL, s.Pkg, modRoot)
	if err != nil {
		return nil, f.WSDL, err
	}
	code, err := postprocess(raw, s.Pkg, f)
	return code, f.WSDL, err
}

// runGowsdl runs gowsdl v0.5.0, the tool pinned in go.mod, on a flattened WSDL.
func runGowsdl(wsdl, pkg, modRoot string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "wsdlgen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	in := filepath.Join(tmp, pkg+".wsdl")
	if err := os.WriteFile(in, []byte(wsdl), 0o644); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(tmp, pkg), 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "tool", "gowsdl", "-p", pkg, "-o", pkg+".go", "-d", tmp, in)
	cmd.Dir = modRoot
	var outBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go tool gowsdl: %w\n%s", err, outBuf.String())
	}
	code, err := os.ReadFile(filepath.Join(tmp, pkg, pkg+".go"))
	if err != nil {
		return nil, fmt.Errorf("gowsdl produced nothing: %w\n%s", err, outBuf.String())
	}
	if strings.Contains(outBuf.String(), "[WARN]") && !bytes.Contains(code, []byte("type ")) {
		return nil, fmt.Errorf("gowsdl: %s", outBuf.String())
	}
	return code, nil
}

// repoRoot is the directory holding go.mod, from the working directory upwards.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}
