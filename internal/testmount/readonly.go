// Package testmount runs test commands with parts of the file system
// mounted differently, in a mount namespace of their own that ends with
// the command: nothing outside the command sees the change.
package testmount

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// ReadOnly returns a command that runs argv with dir bind-mounted read-only
// over itself, in a private mount namespace (unshare -m). Root ignores
// file modes but not a read-only mount, so this makes read-only tests real
// also as root. It skips the test where that is impossible (not root, no
// unshare), or fails it under PULLWARDEN_REQUIRE_REAL=1.
func ReadOnly(t testing.TB, dir string, argv ...string) *exec.Cmd {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		msg := fmt.Sprintf("a read-only mount needs root and unshare(1) (uid %d, %v)", os.Geteuid(), err)
		if os.Getenv("PULLWARDEN_REQUIRE_REAL") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	script := `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`
	args := append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", dir}, argv...)
	return exec.Command(unshare, args...)
}
