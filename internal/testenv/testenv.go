// Package testenv says what a test needs from the machine, so that no test can pass
// by skipping: in CI (the CI variable set, as .ci/run does) a missing tool or file
// fails the test; on a developer's machine the test is skipped with a message saying
// what to install. It also builds the hypercerts binary once per test process, with
// the same settings everywhere so the Go build cache serves every package after the
// first, and gives each package's test run its own cache of generated data (Main),
// removed at the end, so that tests leave nothing in ~/.cache.
//
// No test calls t.Skip itself: TestNoSkipOutsideTestenv fails on any Skip, SkipNow,
// Skipf or testing.Short outside this package (but for a commented allow-list).
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// InCI reports whether the tests run in CI, where nothing may be skipped for want
// of a tool: CI set to anything but "" or "false" (.ci/run sets CI=true).
func InCI() bool {
	v := strings.TrimSpace(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// Missing stops the test because something it needs is absent: a failure in CI, a
// skip elsewhere. install says how to get it ("apt-get install -y qpdf").
func Missing(t testing.TB, what, install string) {
	t.Helper()
	msg := fmt.Sprintf("%s absent : %s", what, install)
	if InCI() {
		t.Fatalf("%s (en CI, rien ne peut manquer : .ci/run doit l'installer)", msg)
	}
	t.Skip(msg)
}

// Tool gives the path of a command the test runs (looked up in PATH, then in
// /usr/sbin and /usr/lib/openssh for the OpenSSH server parts), or stops the test
// with Missing naming the Debian package to install.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/lib/openssh"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	Missing(t, "la commande "+name, "apt-get install -y "+debianPackage)
	return ""
}

// Packages are the Debian packages of the tools the tests run (.ci/run installs them).
var Packages = map[string]string{
	"xmllint": "libxml2-utils", "pdftotext": "poppler-utils", "pdftoppm": "poppler-utils", "pdfsig": "poppler-utils",
	"pdfinfo": "poppler-utils", "pdffonts": "poppler-utils", "pdfimages": "poppler-utils", "qpdf": "qpdf",
	"sshd": "openssh-server", "sftp-server": "openssh-server", "ssh-keygen": "openssh-client",
	"systemd-analyze": "systemd", "zbarimg": "zbar-tools", "chromium": "chromium", "certutil": "libnss3-tools",
	"openssl": "openssl", "postfix": "postfix",
}

// Need is Tool with the Debian package taken from Packages.
func Need(t testing.TB, name string) string {
	t.Helper()
	pkg := Packages[name]
	if pkg == "" {
		t.Fatalf("testenv.Packages ne dit pas quel paquet Debian installe %s", name)
	}
	return Tool(t, name, pkg)
}

// File checks that a file or folder the test reads exists (the shared contracts
// beside the repository, for instance), or stops the test with Missing.
func File(t testing.TB, path, install string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, path, install)
	}
	return path
}

// Long stops a long test under -short: skipped on a developer's machine, a failure in
// CI (where -short would silently leave the end-to-end tests out).
func Long(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		Missing(t, "le temps d'un test long ("+why+")", "lancez les tests sans -short")
	}
}

// CacheEnv names the folder where the embedded Apogée keeps its generated data
// (app.CacheDirEnv, which app's tests check is the same name).
const CacheEnv = "HYPERCERTS_CACHE_DIR"

// Main runs a package's tests (TestMain: os.Exit(testenv.Main(m))) with CacheEnv
// set to a temporary folder: the data the embedded Apogée generates is shared by the
// package's tests and by the binaries they start, and removed at the end, with the
// binary Binary built. A CacheEnv already set (make bench, a developer) is kept.
func Main(m *testing.M) int {
	var dir string
	if os.Getenv(CacheEnv) == "" {
		var err error
		if dir, err = os.MkdirTemp("", "hypercerts-test-cache-"); err != nil {
			fmt.Fprintln(os.Stderr, "testenv :", err)
			return 1
		}
		os.Setenv(CacheEnv, dir)
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	return code
}

// Root is the repository's root folder (where go.mod is).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds hypercerts once per test process (CGO off, -mod=mod: the same
// settings in every package, so later builds are only a link from the build cache)
// and returns its path. A build that fails fails the test: a broken build never
// passes by skipping.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hypercerts-test-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hypercerts")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Dir = Root()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build : %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("le binaire hypercerts ne se construit pas : %v", buildErr)
	}
	return binPath
}
