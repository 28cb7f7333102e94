package ocilayout

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackSupported: sync_file_range exists.
const writebackSupported = true

// startWriteback asks the kernel to begin writing f's dirty pages in
// [off, off+n) to disk without waiting for them (sync_file_range with
// SYNC_FILE_RANGE_WRITE). It makes nothing durable: Commit's fsync still
// does that, but finds most of the data already written, so the fsync at
// the end of a large blob waits for the last few MiB instead of the whole
// blob. Failure is ignored: it only loses the head start.
func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
