package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/internal/testagentapi"
	"github.com/pullwarden/pullwarden/internal/testlog"
	"github.com/pullwarden/pullwarden/manifest"
	"github.com/pullwarden/pullwarden/objects"
)

// apiFixture serves a real object store over the agent's API on a unix
// socket, without containerd: the commands' side of the agent.
func apiFixture(t *testing.T, opts ...apiserver.Option) (*objects.Store, string) {
	t.Helper()
	s, sock := testagentapi.Start(t, opts...)
	return s, "--server=" + sock
}

const twoPods = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: app, image: 127.0.0.1:5000/web:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: job}
spec:
  initContainers: [{name: init, image: 127.0.0.1:5000/init:1}]
  containers: [{name: main, image: 127.0.0.1:5000/job:1}]
`

func TestKubeCommands(t *testing.T) {
	s, server := apiFixture(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "pods.yaml")
	if err := os.WriteFile(file, []byte(twoPods), 0o600); err != nil {
		t.Fatal(err)
	}
	out, e, code := run(t, "apply", "-f", file, server)
	if code != 0 || out != "pod/web created\npod/job created\n" {
		t.Fatalf("apply: %d %q %q", code, out, e)
	}
	out, _, _ = run(t, "apply", "-f", file, server)
	if out != "pod/web unchanged\npod/job unchanged\n" {
		t.Fatalf("second apply: %q", out)
	}

	// Status as the pod manager writes it.
	ctx := t.Context()
	web, err := objects.GetAs[*corev1.Pod](ctx, s, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	if web.Spec.NodeName != "node1" || web.Spec.Containers[0].ImagePullPolicy != corev1.PullIfNotPresent {
		t.Fatalf("admission: node %q policy %q", web.Spec.NodeName, web.Spec.Containers[0].ImagePullPolicy)
	}
	web.Status.Phase = corev1.PodPending
	web.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: web.Spec.Containers[0].Image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}}}
	if err := s.UpdateStatus(ctx, web); err != nil {
		t.Fatal(err)
	}
	job, _ := objects.GetAs[*corev1.Pod](ctx, s, "default", "job")
	job.Status.Phase = corev1.PodPending
	job.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "init",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}}}
	if err := s.UpdateStatus(ctx, job); err != nil {
		t.Fatal(err)
	}
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web.1", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web", UID: web.UID, FieldPath: "spec.containers{app}"},
		Reason:         "BackOff", Message: `Back-off pulling image "127.0.0.1:5000/web:1"`, Type: "Normal", Count: 5,
		FirstTimestamp: metav1.NewTime(time.Now().Add(-2 * time.Minute)), LastTimestamp: metav1.NewTime(time.Now()),
		Source: corev1.EventSource{Component: "kubelet", Host: "node1"},
	}
	if err := s.Create(ctx, ev); err != nil {
		t.Fatal(err)
	}

	out, _, _ = run(t, "get", "pods", server)
	for _, want := range []string{"NAME   READY   STATUS", "job    0/1     Init:ErrImagePull", "web    0/1     ImagePullBackOff"} {
		if !strings.Contains(out, want) {
			t.Errorf("get pods lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, "describe", "pod", "web", server)
	for _, want := range []string{"Name:             web", "Node:             node1", "      Reason:       ImagePullBackOff", "  Normal  BackOff  ", "(x5 over 2m)"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, "get", "events", server)
	if !strings.Contains(out, "pod/web") || !strings.Contains(out, "BackOff") {
		t.Errorf("get events:\n%s", out)
	}
	out, _, _ = run(t, "get", "pod", "web", "-o", "yaml", server)
	if !strings.HasPrefix(out, "apiVersion: v1\nkind: Pod\n") {
		t.Errorf("get pod -o yaml:\n%s", out)
	}

	// Secrets created in the agent, not printed.
	out, e, code = run(t, "create", "secret", "docker-registry", "regcred", "--docker-server=127.0.0.1:5000",
		"--docker-username=u", "--docker-password=p", server)
	if code != 0 || out != "secret/regcred created\n" {
		t.Fatalf("create secret: %d %q %q", code, out, e)
	}
	if sec, err := objects.GetAs[*corev1.Secret](ctx, s, "default", "regcred"); err != nil || sec.Type != corev1.SecretTypeDockerConfigJson {
		t.Fatalf("stored secret: %v %v", sec, err)
	}
	_, e, code = run(t, "create", "secret", "docker-registry", "regcred", "--docker-username=u", "--docker-password=p", server)
	if code == 0 || !strings.Contains(e, "Error from server (AlreadyExists)") {
		t.Fatalf("second create: %d %q", code, e)
	}

	if out, _, code := run(t, "delete", "pod", "web", server); code != 0 || out != "pod \"web\" deleted from default namespace\n" {
		t.Fatalf("delete: %q", out)
	}
	_, e, code = run(t, "delete", "pod", "web", server)
	if code == 0 || e != "Error from server (NotFound): pods \"web\" not found\n" {
		t.Fatalf("delete of a missing pod: %d %q", code, e)
	}
}

func TestApplyRejectsBadInputAndStoresNothing(t *testing.T) {
	s, server := apiFixture(t)
	bad := twoPods + `---
apiVersion: v1
kind: Pod
metadata: {name: dup}
spec:
  containers: [{name: a, image: img1}, {name: a, image: img2}]
`
	file := filepath.Join(t.TempDir(), "pods.yaml")
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, e, code := run(t, "apply", "-f", file, server)
	if code == 0 || !strings.Contains(e, `The Pod "dup" is invalid: spec.containers[1].name: Duplicate value: "a"`) {
		t.Fatalf("apply: %d %q", code, e)
	}
	pods, _, err := s.List(t.Context(), kindPod(t), "")
	if err != nil || len(pods) != 0 {
		t.Fatalf("stored after a rejected apply: %d %v", len(pods), err)
	}
	_, e, _ = run(t, "get", "pods", server)
	if e != "No resources found in default namespace.\n" {
		t.Fatalf("get pods on an empty namespace: %q", e)
	}
}

func kindPod(t *testing.T) manifest.Kind {
	t.Helper()
	k, ok := manifest.KindByName("Pod")
	if !ok {
		t.Fatal("no Pod kind")
	}
	return k
}

func TestGetPodsWatch(t *testing.T) {
	s, server := apiFixture(t)
	file := filepath.Join(t.TempDir(), "pods.yaml")
	if err := os.WriteFile(file, []byte(twoPods), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, e, code := run(t, "apply", "-f", file, server); code != 0 {
		t.Fatal(e)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var out testlog.Buffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"get", "pods", "-w", server}, strings.NewReader(""), &out, io.Discard)
	}()
	waitOutput := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("watch output lacks %q:\n%s", want, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitOutput("web    0/1     Pending")
	web, err := objects.GetAs[*corev1.Pod](t.Context(), s, "default", "web")
	if err != nil {
		t.Fatal(err)
	}
	web.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}}}
	if err := s.UpdateStatus(t.Context(), web); err != nil {
		t.Fatal(err)
	}
	waitOutput("ErrImagePull")
	cancel()
	<-done
	if n := strings.Count(out.String(), "NAME"); n != 1 {
		t.Fatalf("the header was printed %d times:\n%s", n, out.String())
	}
}
