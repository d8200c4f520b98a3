package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// member is one file of an archive: where it comes from, its name inside
// the archive's folder and its mode.
type member struct {
	src, name string
	mode      int64
}

// members lists what an archive holds beside the binary: the licence, the
// README, the man pages and the completions (docs/man, docs/completions).
func members(root string) ([]member, error) {
	list := []member{
		{filepath.Join(root, "LICENSE"), "LICENSE", 0o644},
		{filepath.Join(root, "README.md"), "README.md", 0o644},
	}
	for _, dir := range []string{"man", "completions"} {
		files, err := filepath.Glob(filepath.Join(root, "docs", dir, "*"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("docs/%s is empty: generate it (go test ./cmd/authgate -run TestManAndCompletions -update)", dir)
		}
		for _, f := range files {
			list = append(list, member{f, dir + "/" + filepath.Base(f), 0o644})
		}
	}
	return list, nil
}

// writeArchive writes out/base.tar.gz (base.zip for Windows): a folder
// named base holding the binary and the members, every entry owned by
// root with the given time, in a fixed order.
func writeArchive(root, out, base string, t target, bin string, date time.Time) (string, error) {
	list, err := members(root)
	if err != nil {
		return "", err
	}
	list = append([]member{{bin, t.exe(), 0o755}}, list...)
	if t.goos == "windows" {
		name := filepath.Join(out, base+".zip")
		return name, writeZip(name, base, list, date)
	}
	name := filepath.Join(out, base+".tar.gz")
	return name, writeTarGz(name, base, list, date)
}

func writeTarGz(name, base string, list []member, date time.Time) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	gz := gzip.NewWriter(f)
	defer closeInto(gz, &err)
	tw := tar.NewWriter(gz)
	defer closeInto(tw, &err)
	for _, m := range list {
		data, err := os.ReadFile(m.src)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: base + "/" + m.name, Mode: m.mode, Size: int64(len(data)), ModTime: date, Format: tar.FormatPAX, Uname: "root", Gname: "root"}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return nil
}

func writeZip(name, base string, list []member, date time.Time) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	zw := zip.NewWriter(f)
	defer closeInto(zw, &err)
	for _, m := range list {
		data, err := os.ReadFile(m.src)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: base + "/" + m.name, Method: zip.Deflate, Modified: date}
		hdr.SetMode(os.FileMode(m.mode))
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	return nil
}

// closeInto closes c and keeps its error in *err unless one came first.
func closeInto(c io.Closer, err *error) {
	if cerr := c.Close(); *err == nil {
		*err = cerr
	}
}

// writeSums writes the SHA-256 of each file in sha256sum's format ("hex,
// two spaces, name"), sorted by name, so that `sha256sum -c SHA256SUMS`
// checks them.
func writeSums(name string, files []string) error {
	var lines []string
	for _, f := range files {
		sum, err := fileSHA256(f)
		if err != nil {
			return err
		}
		lines = append(lines, sum+"  "+filepath.Base(f))
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	return os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// fileSHA256 is the hex SHA-256 of a file's content.
func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
