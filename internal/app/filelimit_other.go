//go:build !unix

package app

// fileLimit is the process's limit on open files: unknown here (Windows
// has no such per-process limit on sockets), so the configured caps stand.
func fileLimit() uint64 { return 0 }
