package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// testStamp is what the test release says about itself.
var testStamp = stamp{version: "v1.2.3-ci", revision: "0123456789ab"}

// TestRelease builds the host's target end to end, as the docs say, and
// checks what an operator downloads: SHA256SUMS verifies with sha256sum
// -c, the archive holds the binary, licence, README, man pages and
// completions, the binary says the stamped version (not "(devel)") and was
// built with -trimpath, the SBOM lists every module `go version -m`
// names, and a second build gives the same bytes. Then the container
// image is built from it (TestRelease/image).
func TestRelease(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	host := target{runtime.GOOS, runtime.GOARCH}
	opts := options{root: root, out: t.TempDir(), targets: []target{host}, stamp: testStamp}
	if err := release(opts); err != nil {
		t.Fatal(err)
	}
	base := "authgate_v1.2.3-ci_" + host.String()

	// What the docs tell an operator to run.
	sums := shell(t, opts.out, "sha256sum", "-c", "SHA256SUMS")
	if want := base + ".tar.gz: OK\n" + base + ".cdx.json: OK\n"; host.goos != "windows" && !sameLines(sums, want) {
		t.Errorf("sha256sum -c SHA256SUMS:\n%s\nwant\n%s", sums, want)
	}
	shell(t, opts.out, "tar", "-xzf", base+".tar.gz")
	bin := filepath.Join(opts.out, base, "authgate")
	version := shell(t, opts.out, bin, "version")
	if want := "authgate v1.2.3-ci revision 0123456789ab " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"; version != want {
		t.Errorf("authgate version: %q, want %q", version, want)
	}

	names, owners := tarListing(t, filepath.Join(opts.out, base+".tar.gz"))
	for _, want := range []string{"authgate", "LICENSE", "README.md", "man/authgate.1", "man/authgate-serve.1", "completions/authgate.bash", "completions/_authgate", "completions/authgate.fish"} {
		if !slices.Contains(names, base+"/"+want) {
			t.Errorf("the archive lacks %s: %v", want, names)
		}
	}
	if owners != "root" {
		t.Errorf("archive entries owned by %q, want root", owners)
	}

	modules := goVersionM(t, bin)
	if modules["build -trimpath"] != "true" {
		t.Errorf("go version -m: not built with -trimpath: %v", modules)
	}
	checkSBOM(t, filepath.Join(opts.out, base+".cdx.json"), modules)

	// Reproducible: the same commit gives the same archive.
	again := opts
	again.out = t.TempDir()
	if err := release(again); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(filepath.Join(opts.out, "SHA256SUMS"))
	second, _ := os.ReadFile(filepath.Join(again.out, "SHA256SUMS"))
	if !bytes.Equal(first, second) {
		t.Errorf("two builds differ:\n%s\n%s", first, second)
	}

	t.Run("image", func(t *testing.T) { testImage(t, opts) })
}

// TestReadStamp: in a git checkout the revision is the commit's, and a
// flag wins over git.
func TestReadStamp(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		// A source tarball: both flags are required.
		if _, err := readStamp(root, "v1.0.0", ""); err == nil {
			t.Fatal("outside a git checkout a missing -revision must be refused")
		}
		t.Skipf("not a git checkout (%v): the git defaults are not checked", err)
	}
	st, err := readStamp(root, "", "")
	if err != nil || !strings.HasPrefix(st.revision, string(head[:12])) || st.version == "" || st.date.IsZero() {
		t.Fatalf("%+v %v, want revision %s", st, err, head[:12])
	}
	st, err = readStamp(root, "v2.0.0", "feedfacecafe")
	if err != nil || st.version != "v2.0.0" || st.revision != "feedfacecafe" {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := readStamp(root, "v1 $(id)", ""); err == nil {
		t.Fatal("a version with shell text was accepted")
	}
}

// shell runs a command in dir and returns its output, failing the test
// on an error.
func shell(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func sameLines(a, b string) bool {
	x, y := strings.Split(strings.TrimSpace(a), "\n"), strings.Split(strings.TrimSpace(b), "\n")
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// tarListing is the names in a tar.gz and its entries' owner ("root", or
// "mixed").
func tarListing(t *testing.T, name string) (names []string, owner string) {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	owner = "root"
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names, owner
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "root" {
			owner = "mixed"
		}
	}
}

// goVersionM reads `go version -m` of a binary — the toolchain's own
// reading, independent of the SBOM writer's — as "dep PATH" → version and
// "build KEY" → value.
func goVersionM(t *testing.T, bin string) map[string]string {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	m := map[string]string{}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[0] == "dep":
			last = "dep " + f[1]
			m[last] = f[2]
		case len(f) >= 3 && f[0] == "=>":
			// A replacement: the module compiled in is the new one.
			delete(m, last)
			m["dep "+f[1]] = f[2]
		case len(f) >= 2 && f[0] == "build":
			k, v, _ := strings.Cut(f[1], "=")
			m["build "+k] = v
		}
	}
	return m
}

// checkSBOM decodes the SBOM strictly and checks it against `go version
// -m`: the application with the stamped version and the binary's hash,
// the standard library, and every module as a package URL.
func checkSBOM(t *testing.T, name string, modules map[string]string) {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc bom
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	app := doc.Metadata.Component
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != "1.6" || !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") ||
		app.Version != "v1.2.3-ci" || app.Name != "github.com/authgate/authgate" || len(app.Hashes) != 1 || len(app.Hashes[0].Content) != 64 {
		t.Errorf("SBOM head: %s %s %s %+v", doc.BOMFormat, doc.SpecVersion, doc.SerialNumber, app)
	}
	purls := map[string]bool{}
	for _, c := range doc.Components {
		purls[c.PURL] = true
	}
	deps := 0
	for k, v := range modules {
		if path, ok := strings.CutPrefix(k, "dep "); ok {
			deps++
			if !purls["pkg:golang/"+path+"@"+v] {
				t.Errorf("the SBOM lacks %s %s", path, v)
			}
		}
	}
	if deps < 5 || len(doc.Components) != deps+1 || !purls["pkg:golang/stdlib@"+strings.TrimPrefix(runtime.Version(), "go")] {
		t.Errorf("SBOM: %d components for %d modules and the standard library", len(doc.Components), deps)
	}
	if len(doc.Dependencies) != 1 || doc.Dependencies[0].Ref != app.BOMRef || len(doc.Dependencies[0].DependsOn) != len(doc.Components) {
		t.Errorf("SBOM dependencies: %+v", doc.Dependencies)
	}
}

// TestClearOut: -out is emptied only when it is new, empty or an earlier
// release; a folder of other files is refused and left as it was.
func TestClearOut(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := clearOut(dir); err == nil {
		t.Fatal("a folder of other files was emptied")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("the refused folder lost its file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := clearOut(dir); err != nil {
		t.Fatalf("an earlier release was not cleared: %v", err)
	}
	if err := clearOut(filepath.Join(dir, "new")); err != nil {
		t.Fatalf("a new folder: %v", err)
	}
}
