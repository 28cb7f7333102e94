//go:build !linux

package ocilayout

import "os"

// writebackSupported: no sync_file_range here.
const writebackSupported = false

// startWriteback does nothing where sync_file_range does not exist; Commit's
// fsync writes the whole blob.
func startWriteback(*os.File, int64, int64) {}
