package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// containerfile builds the image; caBundle is the host's CA bundle
// (Debian's ca-certificates), copied in for https fetches.
const (
	containerfile = "deploy/container/Containerfile"
	caBundle      = "/etc/ssl/certs/ca-certificates.crt"
)

// buildImage assembles the image's build context in out/image — the linux
// binary of the host's architecture, the CA bundle, an empty data folder —
// and builds opts.image from it with podman, labelled with the stamp.
// podman's storage follows its configuration (CONTAINERS_STORAGE_CONF).
func buildImage(opts options) error {
	t := target{"linux", runtime.GOARCH}
	bin := filepath.Join(opts.out, "build", t.String(), t.exe())
	if _, err := os.Stat(bin); err != nil {
		if err := build(opts.root, t, opts.stamp, bin); err != nil {
			return err
		}
	}
	ctx := filepath.Join(opts.out, "image")
	if err := os.MkdirAll(filepath.Join(ctx, "data"), 0o755); err != nil {
		return err
	}
	for src, dst := range map[string]string{bin: "authgate", caBundle: "ca-certificates.crt"} {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("the image needs %s: %w", src, err)
		}
		if err := os.WriteFile(filepath.Join(ctx, dst), data, 0o755); err != nil {
			return err
		}
	}
	cmd := exec.Command("podman", "build", "--format", "docker", "-f", filepath.Join(opts.root, containerfile),
		"--build-arg", "VERSION="+opts.stamp.version, "--build-arg", "REVISION="+opts.stamp.revision,
		"-t", opts.image, ctx)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("podman build: %v\n%s", err, out)
	}
	log.Printf("image %s (%s)", opts.image, t)
	return nil
}
