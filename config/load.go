package config

import (
	"fmt"
	"os"

	"github.com/authgate/authgate/internal/strictyaml"
)

// Error is a configuration error at one place in one file.
type Error = strictyaml.Error

// Load reads, expands, decodes and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse is Load on data already read; lookup resolves ${VAR}.
func Parse(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	return parse(file, data, lookup, false)
}

// ParseService is Parse for the gateway inside a service (package
// middleware): the same file, without routes — the service's own mux
// routes its requests, so a routes section is refused rather than
// silently ignored.
func ParseService(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	return parse(file, data, lookup, true)
}

func parse(file string, data []byte, lookup func(string) (string, bool), service bool) (*Config, error) {
	cfg := Default()
	cfg.File = file
	at, err := strictyaml.Decode(file, data, lookup, cfg)
	if err != nil {
		return nil, err
	}
	cfg.service = service
	if err := cfg.validate(at); err != nil {
		return nil, err
	}
	return cfg, nil
}
