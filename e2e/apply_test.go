//go:build e2e

package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestApplyBadInput feeds `apply -f` input the API server rejects: the
// command fails, says why on stderr (naming the field), and stores nothing.
func TestApplyBadInput(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	a := startAgent(t, b.pauseRef)

	pod := func(name, containers string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n" + containers
	}
	okContainer := "  - name: app\n    image: " + b.pauseRef + "\n"
	cases := []struct {
		name, manifest string
		// stderr must contain every one of these.
		want []string
		// pods that must not exist afterwards.
		absent []string
	}{
		{
			name:     "InvalidYAML",
			manifest: "apiVersion: v1\nkind: Pod\nmetadata: {name: broken\nspec: [\n",
			want:     []string{"error: error parsing", "error converting YAML to JSON", "line 3"},
			absent:   []string{"broken"},
		},
		{
			name:     "UnknownKind",
			manifest: "apiVersion: v1\nkind: Frobnicator\nmetadata: {name: frob}\n",
			want:     []string{`no matches for kind "Frobnicator" in version "v1"`},
		},
		{
			name:     "NoContainers",
			manifest: "apiVersion: v1\nkind: Pod\nmetadata: {name: empty}\nspec: {containers: []}\n",
			want:     []string{`The Pod "empty" is invalid: spec.containers: Required value`},
			absent:   []string{"empty"},
		},
		{
			name:     "DuplicateContainerNames",
			manifest: pod("dup", okContainer+okContainer),
			want:     []string{`The Pod "dup" is invalid: spec.containers[1].name: Duplicate value: "app"`},
			absent:   []string{"dup"},
		},
		{
			name: "Oversized",
			manifest: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: huge\n  annotations:\n    filler: \"" +
				strings.Repeat("x", 3<<20+16) + "\"\nspec:\n  containers:\n" + okContainer,
			want:   []string{"is too large", "3145728 bytes"},
			absent: []string{"huge"},
		},
		{
			name: "SecondDocumentInvalid",
			manifest: pod("multi-first", okContainer) + "---\n" +
				pod("multi-second", "  - name: app\n    image: "+b.pauseRef+"\n    imagePullPolicy: Sometimes\n"),
			want:   []string{`The Pod "multi-second" is invalid: spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes"`},
			absent: []string{"multi-first", "multi-second"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "in.yaml", tc.manifest)
			res := a.CLIT(t, "apply", "-f", p)
			if res.Code == 0 {
				t.Fatalf("apply succeeded:\n%s", res)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
				}
			}
			if strings.Contains(res.Stdout, "created") || strings.Contains(res.Stdout, "configured") {
				t.Errorf("stdout reports a change:\n%s", res.Stdout)
			}
			for _, name := range tc.absent {
				got := a.CLIT(t, "get", "pods", name)
				if got.Code == 0 || !strings.Contains(got.Stderr, `pods "`+name+`" not found`) {
					t.Errorf("pod %s was stored:\n%s", name, got)
				}
			}
		})
	}
	if res := a.CLI("get", "pods"); strings.TrimSpace(res.Stderr) != "No resources found in default namespace." || res.Stdout != "" {
		t.Errorf("get pods after the rejected applies:\n%s", res)
	}

	// The API server itself rejects what a client sends without checking.
	t.Run("ServerRejects", func(t *testing.T) {
		bad := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "server-side", Namespace: "default"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{
				{Name: "app", Image: b.pauseRef}, {Name: "app", Image: b.pauseRef},
			}},
		}
		_, err := a.Client.CoreV1().Pods("default").Create(t.Context(), bad, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("create with duplicate container names: %v, want Invalid", err)
		}
		if !strings.Contains(err.Error(), "spec.containers[1].name") {
			t.Errorf("error does not name the field: %v", err)
		}
		if _, err := a.Client.CoreV1().Pods("default").Get(t.Context(), "server-side", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("rejected pod stored: %v", err)
		}
	})
}
