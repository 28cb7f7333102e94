package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Bad flag values are usage errors (exit 2) naming the flag; nothing is
// created or contacted.
func TestBadOptionsAreRefused(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"zero downloads", []string{"pull", "127.0.0.1:1/a:1", "--max-concurrent-downloads", "0"}, "--max-concurrent-downloads 0: must be at least 1"},
		{"bad insecure host", []string{"pull", "127.0.0.1:1/a:1", "--insecure-registry", "bad host!!"}, `--insecure-registry "bad host!!"`},
		{"bad insecure port", []string{"pull", "127.0.0.1:1/a:1", "--insecure-registry", "reg.local:99999"}, `bad port "99999"`},
		{"missing authfile", []string{"pull", "127.0.0.1:1/a:1", "--authfile", missing}, "--authfile " + missing + ": no such file or directory"},
		{"store typo", []string{"images", "--store", missing}, "--store " + missing + ": no such file or directory"},
		{"serve without pause image", []string{"serve", "--data-dir", t.TempDir()}, "--pause-image is required"},
		{"serve missing authfile", []string{"serve", "--pause-image", "127.0.0.1:1/p:1", "--data-dir", t.TempDir(), "--authfile", missing}, "--authfile " + missing},
		{"serve bad insecure host", []string{"serve", "--pause-image", "127.0.0.1:1/p:1", "--data-dir", t.TempDir(), "--insecure-registry", "a_b"}, `--insecure-registry "a_b"`},
		{"serve bad retry policy", []string{"serve", "--pause-image", "127.0.0.1:1/p:1", "--data-dir", t.TempDir(), "--retry-policy", "fast"}, `--retry-policy: retry policy "fast": want "smart" or "kubelet"`},
		{"retry without kind", []string{"retry", "web"}, `retry takes the kind "pod"`},
		{"retry nothing selected", []string{"retry", "pod"}, "no pods selected"},
		{"retry names and all", []string{"retry", "pod", "web", "--all"}, "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(t, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("a refused command created %s", missing)
	}
	for _, ok := range []string{"reg.local", "reg.local:5000", "10.0.0.1:5000", "[::1]:5000", "::1", "my-reg.example.com"} {
		if err := checkRegistryHost(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "pullwarden version ") {
		t.Fatalf("--version: %d %q", code, out)
	}
}

func TestCompletionOfPodNames(t *testing.T) {
	s, server := apiFixture(t)
	for _, name := range []string{"web-1", "web-2", "job"} {
		p := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "127.0.0.1:5000/a:1"}}}}
		if _, err := s.Apply(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"get", server, "pods", "we"}, {"describe", server, "pod", "we"}, {"logs", server, "we"}, {"delete", server, "pod", "we"},
	} {
		out, errOut, code := run(t, append([]string{"__complete"}, args...)...)
		if code != 0 || !strings.HasPrefix(out, "web-1\nweb-2\n:4\n") {
			t.Errorf("complete %v: %d %q %q", args, code, out, errOut)
		}
	}
}
