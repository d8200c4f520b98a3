package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// The CycloneDX 1.6 JSON document (https://cyclonedx.org/docs/1.6/json/),
// as much of it as a Go binary's module list fills.
type (
	bom struct {
		BOMFormat    string       `json:"bomFormat"`
		SpecVersion  string       `json:"specVersion"`
		SerialNumber string       `json:"serialNumber"`
		Version      int          `json:"version"`
		Metadata     bomMetadata  `json:"metadata"`
		Components   []component  `json:"components"`
		Dependencies []dependency `json:"dependencies"`
	}
	bomMetadata struct {
		Timestamp string    `json:"timestamp"`
		Component component `json:"component"`
	}
	component struct {
		Type       string     `json:"type"`
		BOMRef     string     `json:"bom-ref"`
		Name       string     `json:"name"`
		Version    string     `json:"version"`
		PURL       string     `json:"purl"`
		Hashes     []hash     `json:"hashes,omitempty"`
		Licenses   []license  `json:"licenses,omitempty"`
		Properties []property `json:"properties,omitempty"`
	}
	hash struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	}
	license struct {
		Expression string `json:"expression"`
	}
	property struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	dependency struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	}
)

// writeSBOM writes the CycloneDX SBOM of the binary bin, read from the
// module list the Go toolchain embeds in it (what `go version -m` prints):
// the application, every module compiled in (replacements resolved) and
// the Go standard library, as package URLs (pkg:golang/…).
func writeSBOM(name, bin string, t target, st stamp) (string, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("reading the module list of %s: %w", bin, err)
	}
	sum, err := fileSHA256(bin)
	if err != nil {
		return "", err
	}
	qualifiers := "?" + url.Values{"goos": {t.goos}, "goarch": {t.goarch}, "type": {"module"}}.Encode()
	app := component{
		Type: "application", Name: info.Main.Path, Version: st.version,
		PURL:     purl(info.Main.Path, st.version) + qualifiers,
		Hashes:   []hash{{"SHA-256", sum}},
		Licenses: []license{{"Apache-2.0"}},
		Properties: []property{
			{"authgate:revision", st.revision},
			{"authgate:go", info.GoVersion},
		},
	}
	app.BOMRef = app.PURL
	for _, s := range info.Settings {
		if strings.HasPrefix(s.Key, "-") || s.Key == "CGO_ENABLED" || s.Key == "GOOS" || s.Key == "GOARCH" {
			app.Properties = append(app.Properties, property{"go:build:" + s.Key, s.Value})
		}
	}
	stdlib := strings.TrimPrefix(info.GoVersion, "go")
	doc := bom{
		BOMFormat: "CycloneDX", SpecVersion: "1.6", Version: 1,
		SerialNumber: "urn:uuid:" + uuidFrom(sum),
		Metadata:     bomMetadata{Timestamp: st.date.Format(time.RFC3339), Component: app},
		Components:   []component{{Type: "library", Name: "stdlib", Version: stdlib, PURL: purl("stdlib", stdlib)}},
	}
	for _, m := range info.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		doc.Components = append(doc.Components, component{Type: "library", Name: m.Path, Version: m.Version, PURL: purl(m.Path, m.Version)})
	}
	refs := make([]string, len(doc.Components))
	for i := range doc.Components {
		doc.Components[i].BOMRef = doc.Components[i].PURL
		refs[i] = doc.Components[i].PURL
	}
	doc.Dependencies = []dependency{{Ref: app.BOMRef, DependsOn: refs}}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	return name, os.WriteFile(name, append(data, '\n'), 0o644)
}

// purl is the package URL of a Go module (the purl spec's golang type: the
// path's segments percent-encoded, the version after @).
func purl(path, version string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "pkg:golang/" + strings.Join(segs, "/") + "@" + url.PathEscape(version)
}

// uuidFrom makes a version-5-shaped UUID of a hex digest, so that the
// same binary always gets the same serial number.
func uuidFrom(hexsum string) string {
	b := []byte(hexsum[:32])
	b[12] = '5'
	b[16] = "89ab"[strings.IndexByte("0123456789abcdef", b[16])%4]
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[0:8], b[8:12], b[12:16], b[16:20], b[20:32])
}
