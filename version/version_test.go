package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

// A plain `go build` from a git checkout: the commit, its date and the modified flag
// come from the build information; -ldflags values win over it.
func TestCommitFromBuildInfo(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123"},
		{Key: "vcs.time", Value: "2026-12-03T08:00:00Z"}, {Key: "vcs.modified", Value: "true"}}
	got := complete(Info{Version: "dev", Go: "go1.26", Platform: "linux/amd64"}, vcs).String()
	if !strings.Contains(got, "commit 0123456789ab+modifié") || !strings.Contains(got, "2026-12-03T08:00:00Z") {
		t.Fatalf("version line: %s", got)
	}
	got = complete(Info{Version: "v1.2.0", Commit: "abc1234", Date: "2026-03-01"}, vcs).String()
	if !strings.Contains(got, "commit abc1234") || !strings.Contains(got, "2026-03-01") {
		t.Fatalf("ldflags lost: %s", got)
	}
	if got := complete(Info{}, nil); got.Commit != "inconnu" {
		t.Fatalf("no build info: %+v", got)
	}
}
