//go:build unix

package sqlite

import "syscall"

// freeBytes is the space left to an unprivileged writer on the file
// system of dir; ok is false when the system cannot say.
func freeBytes(dir string) (free uint64, ok bool) {
	var fs syscall.Statfs_t
	if syscall.Statfs(dir, &fs) != nil {
		return 0, false
	}
	return uint64(fs.Bavail) * uint64(fs.Bsize), true
}
