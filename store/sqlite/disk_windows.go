package sqlite

import "golang.org/x/sys/windows"

// freeBytes is the space left to the calling user on the volume of dir;
// ok is false when the system cannot say.
func freeBytes(dir string) (free uint64, ok bool) {
	path, err := windows.UTF16PtrFromString(dir)
	if err != nil || windows.GetDiskFreeSpaceEx(path, &free, nil, nil) != nil {
		return 0, false
	}
	return free, true
}
