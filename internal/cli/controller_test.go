package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// pullwarden controller refuses bad flags with a usage error (exit 2)
// before contacting anything.
func TestControllerBadOptions(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"recheck max below the interval", []string{"controller", "--recheck-interval", "10s", "--recheck-max", "5s"}, "--recheck-max 5s is below --recheck-interval 10s"},
		{"bad log format", []string{"controller", "--log-format", "xml"}, `--log-format "xml"`},
		{"missing kubeconfig", []string{"controller", "--kubeconfig", missing}, "--kubeconfig: "},
		{"outside a cluster", []string{"controller"}, "not running in a cluster: pass --kubeconfig"},
		{"arguments", []string{"controller", "extra"}, "needs 0 argument(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(t, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}
