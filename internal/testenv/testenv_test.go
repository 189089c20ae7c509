package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestInCI(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "0": false, "true": true, "1": true} {
		t.Setenv("CI", v)
		if got := InCI(); got != want {
			t.Errorf("CI=%q: InCI() = %v", v, got)
		}
	}
}

func TestToolFindsAnExistingCommand(t *testing.T) {
	if p := Tool(t, "go", "golang"); p == "" {
		t.Fatal("go not found")
	}
}

func TestRootHoldsGoMod(t *testing.T) {
	if _, err := os.Stat(Root() + "/go.mod"); err != nil {
		t.Fatal(err)
	}
}

// A missing tool fails the test in CI and skips it elsewhere (run in a child process).
func TestMissingToolFailsInCIAndSkipsElsewhere(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		Tool(t, "hypercerts-no-such-tool", "hypercerts-no-such-package")
		t.Fatal("not stopped")
	}
	for _, ci := range []string{"true", ""} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestMissingToolFailsInCIAndSkipsElsewhere$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "CI="+ci)
		out, err := cmd.CombinedOutput()
		s := string(out)
		if !strings.Contains(s, "apt-get install -y hypercerts-no-such-package") {
			t.Errorf("CI=%q: no install hint:\n%s", ci, s)
		}
		if ci != "" && (err == nil || !strings.Contains(s, "--- FAIL")) {
			t.Errorf("CI=%q: a missing tool did not fail the test:\n%s", ci, s)
		}
		if ci == "" && (err != nil || !strings.Contains(s, "--- SKIP")) {
			t.Errorf("CI unset: a missing tool did not skip the test:\n%s", s)
		}
	}
}

// .ci/run installs the package of every tool the tests need (Packages), and Postfix
// without a system-wide instance: with debconf's default answer ("Internet Site") a
// fresh Debian would start one listening on port 25 of every interface.
func TestCIRunInstallsEveryPackage(t *testing.T) {
	b, err := os.ReadFile(Root() + "/.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	run := string(b)
	for tool, pkg := range Packages {
		if !strings.Contains(run, " "+pkg+":") {
			t.Errorf(".ci/run n'installe pas %s (pour %s)", pkg, tool)
		}
	}
	if !strings.Contains(run, "DEBIAN_FRONTEND=noninteractive") {
		t.Error(".ci/run : apt-get n'est pas non interactif")
	}
	preseed := strings.Index(run, "postfix postfix/main_mailer_type select No configuration' | debconf-set-selections")
	install := strings.Index(run, "apt-get install")
	if preseed < 0 || install < 0 || preseed > install {
		t.Error(".ci/run : Postfix doit être installé avec « No configuration » (debconf-set-selections avant apt-get install)")
	}
}
