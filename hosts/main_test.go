package hosts_test

import (
	"os"
	"testing"

	ctrlog "github.com/containerd/log"
)

// TestMain quiets containerd's package logger (its config package logs
// at info level when an http host has TLS settings).
func TestMain(m *testing.M) {
	_ = ctrlog.SetLevel("warn")
	os.Exit(m.Run())
}
