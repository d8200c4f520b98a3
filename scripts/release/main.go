// Command release builds authgate's release artefacts: for each target a
// binary built with -trimpath and the version and revision stamped into
// internal/buildinfo, an archive (tar.gz; zip for Windows) holding it with
// LICENSE, README.md, the man pages and the shell completions, a CycloneDX
// SBOM of the modules compiled into it, and one SHA256SUMS over all of
// them. With -image NAME it also builds the container image
// (deploy/container/Containerfile) from the linux binary of the host's
// architecture with podman.
//
//	go run ./scripts/release                       # the host's target, into dist/
//	go run ./scripts/release -all                  # linux, darwin, windows × amd64, arm64
//	go run ./scripts/release -image authgate:dev   # and the container image
//
// The version is -version, else `git describe --tags` (v0.0.0-dev on a
// checkout without tags); the revision is -revision, else the commit
// (+modified for a dirty tree). Outside a git checkout (a source tarball)
// both flags are required, so that no release says "(devel)".
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// buildinfoPkg holds the variables -ldflags -X stamps.
const buildinfoPkg = "github.com/authgate/authgate/internal/buildinfo"

// allTargets is the release matrix of -all.
var allTargets = []target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// target is one GOOS/GOARCH pair.
type target struct{ goos, goarch string }

func (t target) String() string { return t.goos + "_" + t.goarch }

// exe is the binary's file name on the target.
func (t target) exe() string {
	if t.goos == "windows" {
		return "authgate.exe"
	}
	return "authgate"
}

// stamp is what a release build says about itself.
type stamp struct {
	version, revision string
	// date is the commit's time (SOURCE_DATE_EPOCH when set): the time of
	// every archived file and of the SBOM, so that two builds of one
	// commit give the same bytes.
	date time.Time
}

// options is one run of the release.
type options struct {
	root    string // the module's root (the checkout)
	out     string // where the artefacts go
	targets []target
	stamp   stamp
	image   string // the image name to build, or ""
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("release: ")
	var (
		all                      bool
		version, revision, image string
		out                      = "dist"
	)
	flag.BoolVar(&all, "all", false, "build every target (linux, darwin, windows × amd64, arm64), not only the host's")
	flag.StringVar(&version, "version", "", "the version to stamp (default: git describe --tags, v0.0.0-dev without a tag)")
	flag.StringVar(&revision, "revision", "", "the revision to stamp (default: the git commit, +modified for a dirty tree)")
	flag.StringVar(&out, "out", out, "the folder of the artefacts (emptied first)")
	flag.StringVar(&image, "image", "", "also build the container image NAME (needs podman)")
	flag.Parse()

	root, err := moduleRoot()
	if err != nil {
		log.Fatal(err)
	}
	st, err := readStamp(root, version, revision)
	if err != nil {
		log.Fatal(err)
	}
	targets := []target{{runtime.GOOS, runtime.GOARCH}}
	if all {
		targets = allTargets
	}
	opts := options{root: root, out: out, targets: targets, stamp: st, image: image}
	if err := release(opts); err != nil {
		log.Fatal(err)
	}
}

// release builds every artefact of opts into opts.out.
func release(opts options) error {
	if err := clearOut(opts.out); err != nil {
		return err
	}
	if err := os.MkdirAll(opts.out, 0o755); err != nil {
		return err
	}
	var files []string
	for _, t := range opts.targets {
		bin := filepath.Join(opts.out, "build", t.String(), t.exe())
		if err := build(opts.root, t, opts.stamp, bin); err != nil {
			return err
		}
		base := fmt.Sprintf("authgate_%s_%s", opts.stamp.version, t)
		archive, err := writeArchive(opts.root, opts.out, base, t, bin, opts.stamp.date)
		if err != nil {
			return err
		}
		sbom, err := writeSBOM(filepath.Join(opts.out, base+".cdx.json"), bin, t, opts.stamp)
		if err != nil {
			return err
		}
		files = append(files, archive, sbom)
		log.Printf("%s: %s, %s", t, filepath.Base(archive), filepath.Base(sbom))
	}
	if err := writeSums(filepath.Join(opts.out, "SHA256SUMS"), files); err != nil {
		return err
	}
	if opts.image != "" {
		return buildImage(opts)
	}
	return nil
}

// clearOut empties the artefact folder: one that does not exist, is
// empty, or holds an earlier release (its SHA256SUMS). Any other folder is
// refused, so that a mistyped -out never deletes someone's files.
func clearOut(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(out, "SHA256SUMS")); err != nil {
		return fmt.Errorf("-out %s holds files but no earlier release (no SHA256SUMS): give an empty or new folder", out)
	}
	return os.RemoveAll(out)
}

// build compiles cmd/authgate for t into bin, statically (no cgo), with
// the stamp.
func build(root string, t target, st stamp, bin string) error {
	ldflags := fmt.Sprintf("-s -w -X %s.version=%s -X %s.revision=%s", buildinfoPkg, st.version, buildinfoPkg, st.revision)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/authgate")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.goos, "GOARCH="+t.goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build for %s: %v\n%s", t, err, out)
	}
	return nil
}

// moduleRoot is the folder of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run inside the authgate module (go env GOMOD: %q, %v)", gomod, err)
	}
	return filepath.Dir(gomod), nil
}

// readStamp completes the version and revision given with git's.
func readStamp(root, version, revision string) (stamp, error) {
	st := stamp{version: version, revision: revision}
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	commit, gitErr := git("rev-parse", "HEAD")
	if gitErr != nil && (version == "" || revision == "") {
		return st, fmt.Errorf("not a git checkout (%v): give -version and -revision", gitErr)
	}
	if st.version == "" {
		if tag, err := git("describe", "--tags", "--match", "v[0-9]*"); err == nil {
			st.version = tag
		} else {
			st.version = "v0.0.0-dev"
		}
	}
	if st.revision == "" {
		st.revision = commit[:12]
		if dirty, err := git("status", "--porcelain", "--untracked-files=no"); err == nil && dirty != "" {
			st.revision += "+modified"
		}
	}
	for what, v := range map[string]string{"version": st.version, "revision": st.revision} {
		if v == "" || strings.ContainsAny(v, " \t\n'\"$\\") {
			return st, fmt.Errorf("-%s %q: give a plain word such as v1.2.3", what, v)
		}
	}
	switch epoch := os.Getenv("SOURCE_DATE_EPOCH"); {
	case epoch != "":
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return st, fmt.Errorf("SOURCE_DATE_EPOCH %q: %v", epoch, err)
		}
		st.date = time.Unix(secs, 0).UTC()
	case gitErr == nil:
		secs, err := git("log", "-1", "--format=%ct")
		n, perr := strconv.ParseInt(secs, 10, 64)
		if err != nil || perr != nil {
			return st, fmt.Errorf("reading the commit time: %v %v", err, perr)
		}
		st.date = time.Unix(n, 0).UTC()
	default:
		st.date = time.Unix(0, 0).UTC()
	}
	return st, nil
}
