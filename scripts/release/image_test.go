package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// imageInspect is what the test reads of `podman image inspect`.
type imageInspect struct {
	Config struct {
		User         string
		Entrypoint   []string
		Cmd          []string
		WorkingDir   string
		Volumes      map[string]struct{}
		ExposedPorts map[string]struct{}
		Labels       map[string]string
	}
	Healthcheck struct {
		Test []string
	}
}

// testImage builds the container image from the release in opts.out and
// checks it without running it (images cannot run on these machines):
// podman image inspect shows the numeric non-root user, the entrypoint,
// the health check through `authgate health`, the OCI labels; the image's
// files, exported from a container created but never started, hold the
// very binary of the release (which, run here, says the stamped version),
// the CA bundle, and a data folder the user owns. podman's storage is the
// test's own (vfs, in a temporary folder), so nothing is left behind and
// no other storage is touched.
func testImage(t *testing.T, opts options) {
	if _, err := exec.LookPath("podman"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("podman is not installed, and CI must build the image (.ci/run installs it)")
		}
		t.Skip("podman is not installed (apt-get install podman): the container image is not built")
	}
	store := t.TempDir()
	conf := filepath.Join(store, "storage.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(store, "root"), filepath.Join(store, "run")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONTAINERS_STORAGE_CONF", conf)
	opts.image = "localhost/authgate:test"
	if err := buildImage(opts); err != nil {
		t.Fatal(err)
	}
	podman := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command("podman", args...).Output()
		if err != nil {
			msg := err.Error()
			if ee, ok := err.(*exec.ExitError); ok {
				msg += ": " + string(ee.Stderr)
			}
			t.Fatalf("podman %v: %s", args, msg)
		}
		return out
	}

	var inspected []imageInspect
	if err := json.Unmarshal(podman("image", "inspect", opts.image), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("podman image inspect: %v (%d images)", err, len(inspected))
	}
	img := inspected[0]
	const bin = "/usr/local/bin/authgate"
	checks := []struct {
		what      string
		got, want any
	}{
		{"user", img.Config.User, "65532:65532"},
		{"entrypoint", img.Config.Entrypoint, []string{bin}},
		{"cmd", img.Config.Cmd, []string{"serve", "--config", "/etc/authgate/authgate.yaml"}},
		{"healthcheck", img.Healthcheck.Test, []string{"CMD", bin, "health"}},
		{"working dir", img.Config.WorkingDir, "/var/lib/authgate"},
		{"volumes", img.Config.Volumes, map[string]struct{}{"/var/lib/authgate": {}}},
		{"ports", img.Config.ExposedPorts, map[string]struct{}{"8080/tcp": {}, "9090/tcp": {}}},
	}
	for label, want := range map[string]string{
		"version":  opts.stamp.version,
		"revision": opts.stamp.revision,
		"source":   "https://github.com/authgate/authgate",
		"licenses": "Apache-2.0",
	} {
		key := "org.opencontainers.image." + label
		checks = append(checks, struct {
			what      string
			got, want any
		}{key, img.Config.Labels[key], want})
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("image %s: %v, want %v", c.what, c.got, c.want)
		}
	}

	// The image's files, from a container that is created, never started.
	id := strings.TrimSpace(string(podman("create", opts.image)))
	defer podman("rm", id)
	files := map[string]*tar.Header{}
	var extracted []byte
	tr := tar.NewReader(bytes.NewReader(podman("export", id)))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.TrimPrefix(hdr.Name, "./")
		files[strings.TrimSuffix(name, "/")] = hdr
		if name == bin {
			if extracted, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, want := range []string{bin, "/etc/ssl/certs/ca-certificates.crt", "/var/lib/authgate"} {
		if files[want] == nil {
			t.Errorf("the image lacks %s: %v", want, names)
		}
	}
	if data := files["/var/lib/authgate"]; data != nil && (data.Uid != 65532 || data.Gid != 65532) {
		t.Errorf("/var/lib/authgate is owned by %d:%d, want 65532:65532", data.Uid, data.Gid)
	}
	for _, name := range names {
		if strings.HasPrefix(name, "/bin") || strings.HasSuffix(name, "/sh") {
			t.Errorf("the image holds %s: it must have no shell", name)
		}
	}
	release, err := os.ReadFile(filepath.Join(opts.out, "build", "linux_"+runtime.GOARCH, "authgate"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(extracted, release) {
		t.Fatalf("the image's %s (%d bytes) is not the release binary (%d bytes)", bin, len(extracted), len(release))
	}
	if runtime.GOOS != "linux" {
		return
	}
	run := filepath.Join(t.TempDir(), "authgate")
	if err := os.WriteFile(run, extracted, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(run, "version").CombinedOutput()
	if want := "authgate " + opts.stamp.version + " revision " + opts.stamp.revision + " "; err != nil || !strings.HasPrefix(string(out), want) {
		t.Errorf("the image's binary says %q (%v), want %q…", out, err, want)
	}
}
