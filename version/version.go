// Package version holds what `make build` embeds in the binary with -ldflags:
//
//	go build -ldflags "-X hypercerts/version.Version=v1.2.0 -X hypercerts/version.Commit=abc1234 -X hypercerts/version.Date=2026-03-01T10:00:00Z"
//
// A plain `go build` or `go run` leaves the defaults; Commit and Date then come from the
// build information Go records (vcs.revision, vcs.time) when it is there.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by -ldflags -X at build time.
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Info is what `hypercerts version` prints.
type Info struct {
	Version, Commit, Date, Go, Platform string
	Modified                            bool // built from a tree with uncommitted changes
}

// Get returns the embedded values, completed from the Go build information.
func Get() Info {
	i := Info{Version: Version, Commit: Commit, Date: Date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		settings = bi.Settings
	}
	return complete(i, settings)
}

// complete fills what -ldflags left empty from the build settings Go records (a plain
// `go build` in a git checkout records vcs.revision, vcs.time and vcs.modified).
func complete(i Info, settings []debug.BuildSetting) Info {
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			if i.Commit == "" {
				i.Commit = s.Value
			}
		case "vcs.time":
			if i.Date == "" {
				i.Date = s.Value
			}
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	if i.Commit == "" {
		i.Commit = "inconnu"
	}
	if i.Date == "" {
		i.Date = "inconnue"
	}
	return i
}

// String is one line: "hypercerts v1.2.0 (commit abc1234, 2026-03-01T10:00:00Z, go1.26.0 linux/amd64)".
func (i Info) String() string {
	c := i.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if i.Modified {
		c += "+modifié"
	}
	return fmt.Sprintf("hypercerts %s (commit %s, construit le %s, %s %s)", i.Version, c, i.Date, i.Go, i.Platform)
}
