package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/objects"
)

// explain pod on the agent says what pullwarden does next under the
// agent's retry policy (read from the agent), and a pod's
// pullwarden.io/retry-policy annotation overrides it.
func TestExplainPodRetryPolicy(t *testing.T) {
	reg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("team/app:v2.0"), nil)
	const smart, kubelet = "[ok  ] what pullwarden does next: ImagePullBackOff, smart retry policy: TagNotFound needs a fix",
		"[ok  ] what the kubelet does next: ImagePullBackOff: the kubelet retries after its back-off"
	for _, c := range []struct {
		name               string
		opts               []apiserver.Option
		plain, annotatedAs string // what the plain pod and the pod annotated kubelet get
	}{
		{"agent smart", []apiserver.Option{apiserver.WithAgentInfo(apiserver.AgentInfo{RetryPolicy: "smart"})}, smart, kubelet},
		{"agent kubelet", []apiserver.Option{apiserver.WithAgentInfo(apiserver.AgentInfo{RetryPolicy: "kubelet"})}, kubelet, kubelet},
		{"agent that does not say", nil, smart, kubelet},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, server := apiFixture(t, c.opts...)
			file := writeFile(t, "pods.yaml", `apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  containers: [{name: app, image: `+reg.Ref("team/app:v2")+`}]
---
apiVersion: v1
kind: Pod
metadata: {name: annotated, annotations: {pullwarden.io/retry-policy: kubelet}}
spec:
  containers: [{name: app, image: `+reg.Ref("team/app:v2")+`}]
`)
			if _, e, code := run(t, "apply", "-f", file, server); code != 0 {
				t.Fatalf("apply: %s", e)
			}
			for _, name := range []string{"plain", "annotated"} {
				p, err := objects.GetAs[*corev1.Pod](t.Context(), s, "default", name)
				if err != nil {
					t.Fatal(err)
				}
				p.Status.Phase = corev1.PodPending
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app",
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}
				if err := s.UpdateStatus(t.Context(), p); err != nil {
					t.Fatal(err)
				}
			}
			for name, want := range map[string]string{"plain": c.plain, "annotated": c.annotatedAs} {
				out, e, code := run(t, "explain", "pod", name, server)
				if code != 1 || !strings.Contains(out, want) {
					t.Errorf("explain pod %s: exit %d, want %q in:\n%s%s", name, code, want, out, e)
				}
			}
		})
	}
}

// explain uses a hosts.toml directory: the one given, or on the agent the
// agent's own (here a broken file, which the checks name).
func TestExplainRegistryConfigPath(t *testing.T) {
	reg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("team/app:v1"), nil)
	root := t.TempDir()
	dir := filepath.Join(root, strings.ReplaceAll(reg.Host, ":", "_")+"_")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "hosts.toml")
	if err := os.WriteFile(file, []byte("[host.\"http://m\"]\ncapabilities = \"pull\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, code := run(t, "explain", "image", reg.Ref("team/app:v1")); code != 0 {
		t.Fatalf("without the directory: exit %d\n%s", code, out)
	}
	out, _, code := run(t, "explain", "image", reg.Ref("team/app:v1"), "--registry-config-path", root)
	if code != 1 || !strings.Contains(out, file) {
		t.Fatalf("explain image --registry-config-path: exit %d, want the broken %s named:\n%s", code, file, out)
	}
	_, server := apiFixture(t, apiserver.WithAgentInfo(apiserver.AgentInfo{RetryPolicy: "smart", RegistryConfigPath: root}))
	pods := writeFile(t, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: "+reg.Ref("team/app:v1")+"}]\n")
	if _, e, code := run(t, "apply", "-f", pods, server); code != 0 {
		t.Fatalf("apply: %s", e)
	}
	if out, _, code := run(t, "explain", "pod", "p", server); code != 1 || !strings.Contains(out, file) {
		t.Fatalf("explain pod on the agent: exit %d, want the agent's %s named:\n%s", code, file, out)
	}
	if out, _, code := run(t, "explain", "pod", "p", server, "--registry-config-path", ""); code != 0 {
		t.Fatalf("explain pod --registry-config-path \"\": exit %d\n%s", code, out)
	}
}
