// Package testkube finds the Kubernetes binaries tests run: the ones
// scripts/kube.sh builds from the pinned k8s.io/kubernetes module, never one
// that merely happens to be installed (Debian's kubectl is 1.20).
//
// Lookup: $KUBECTL for kubectl (the Makefile sets it), else
// $PULLWARDEN_KUBEBIN/NAME, else $PULLWARDEN_KUBE_CACHE (default
// ~/.cache/pullwarden/kube)/VERSION/bin/NAME. A missing binary skips the
// test, or fails it when PULLWARDEN_REQUIRE_REAL=1.
package testkube

import (
	"os"
	"path/filepath"
	"testing"
)

// Version is the Kubernetes version the tests target (scripts/kube.sh's
// KUBE_VERSION).
const Version = "v1.37.2"

// Dir is the directory holding the binaries scripts/kube.sh builds.
func Dir() string {
	if d := os.Getenv("PULLWARDEN_KUBEBIN"); d != "" {
		return d
	}
	cache := os.Getenv("PULLWARDEN_KUBE_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "/root"
		}
		cache = filepath.Join(home, ".cache", "pullwarden", "kube")
	}
	return filepath.Join(cache, Version, "bin")
}

// Kubectl returns the kubectl binary to run, or skips t (fails it with
// PULLWARDEN_REQUIRE_REAL=1) when there is none.
func Kubectl(t testing.TB) string {
	t.Helper()
	p := os.Getenv("KUBECTL")
	if p == "" {
		p = filepath.Join(Dir(), "kubectl")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("PULLWARDEN_REQUIRE_REAL") == "1" {
			t.Fatalf("kubectl not found at %s (build it with scripts/kube.sh build kubectl; PULLWARDEN_REQUIRE_REAL=1 forbids skipping)", p)
		}
		t.Skipf("kubectl not found at %s (scripts/kube.sh build kubectl)", p)
	}
	return p
}
