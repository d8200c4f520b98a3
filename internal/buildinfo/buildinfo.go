// Package buildinfo names the running build: module version, VCS revision,
// Go version and platform. The version command and the
// authgate_build_info metric both read it.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and revision are set at build time (scripts/release does) with
// -ldflags "-X github.com/authgate/authgate/internal/buildinfo.version=v1.2.3
// -X github.com/authgate/authgate/internal/buildinfo.revision=0123456789ab".
// Unset, the module version and the VCS stamp of the Go toolchain are used.
var version, revision = "", ""

// Info describes one build.
type Info struct {
	// Version is the module version, the one set at build time, or "(devel)".
	Version string
	// Revision is the VCS revision (12 characters, "+modified" for a dirty
	// tree) or "unknown".
	Revision  string
	GoVersion string
	Platform  string
}

// Read returns this binary's build.
func Read() Info {
	v, rev := version, revision
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		if rev == "" {
			rev = vcsRevision(bi)
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if rev == "" {
		rev = "unknown"
	}
	return Info{Version: v, Revision: rev, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

// vcsRevision is the toolchain's VCS stamp: 12 characters of the
// revision, "+modified" for a dirty tree, or "" when there is none.
func vcsRevision(bi *debug.BuildInfo) string {
	rev, modified := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && modified {
		rev += "+modified"
	}
	return rev
}

// String is the version line: "v1.2.3 revision 0123456789ab go1.26 linux/amd64".
func (i Info) String() string {
	return fmt.Sprintf("%s revision %s %s %s", i.Version, i.Revision, i.GoVersion, i.Platform)
}
