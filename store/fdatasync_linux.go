package store

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data and the metadata needed to read it back (its size), not
// its times: one journal write costs one device flush, as bbolt's own syncs do.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
