package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/objects"
)

// TestExplainPodOnAgent reads the pod, its secret and its events from the
// agent's API and diagnoses the waiting containers with the pod's secret.
func TestExplainPodOnAgent(t *testing.T) {
	reg := testregistry.Start(t, testregistry.WithHtpasswd("ci", "pw"))
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("team/app:v2.0"), reg.Authenticator())
	// An agent on the kubelet's policy: the last step gives the window.
	s, server := apiFixture(t, apiserver.WithAgentInfo(apiserver.AgentInfo{RetryPolicy: "kubelet"}))
	ctx := t.Context()
	if _, e, code := run(t, "create", "secret", "docker-registry", "regcred", "--docker-server="+reg.Host,
		"--docker-username=ci", "--docker-password=pw", server); code != 0 {
		t.Fatalf("create secret: %s", e)
	}
	file := writeFile(t, "pods.yaml", `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  imagePullSecrets: [{name: regcred}]
  containers: [{name: app, image: `+reg.Ref("team/app:v2")+`}]
---
apiVersion: v1
kind: Pod
metadata: {name: job}
spec:
  imagePullSecrets: [{name: gone}]
  initContainers: [{name: init, image: `+reg.Ref("team/app:v2.0")+`}]
  containers: [{name: main, image: `+reg.Ref("team/app:v2.0")+`}]
`)
	if _, e, code := run(t, "apply", "-f", file, server); code != 0 {
		t.Fatalf("apply: %s", e)
	}
	setWaiting := func(name string, init bool, reason string) *corev1.Pod {
		p, err := objects.GetAs[*corev1.Pod](ctx, s, "default", name)
		if err != nil {
			t.Fatal(err)
		}
		p.Status.Phase = corev1.PodPending
		st := []corev1.ContainerStatus{{Name: p.Spec.Containers[0].Name,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}}
		if init {
			st[0].Name = p.Spec.InitContainers[0].Name
			p.Status.InitContainerStatuses = st
		} else {
			p.Status.ContainerStatuses = st
		}
		if err := s.UpdateStatus(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	web := setWaiting("web", false, "ImagePullBackOff")
	setWaiting("job", true, "ErrImagePull")
	last := time.Now().Add(-5 * time.Second)
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web.1", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web", UID: web.UID},
		Reason:         "Failed", Message: `Failed to pull image "` + reg.Ref("team/app:v2") + `": TagNotFound: not found`, Type: "Warning", Count: 3,
		FirstTimestamp: metav1.NewTime(last.Add(-time.Minute)), LastTimestamp: metav1.NewTime(last),
	}
	if err := s.Create(ctx, ev); err != nil {
		t.Fatal(err)
	}

	out, e, code := run(t, "explain", "pod", "web", server)
	if code != 1 {
		t.Fatalf("explain pod web: exit %d\n%s%s", code, out, e)
	}
	for _, want := range []string{"container app: waiting (ImagePullBackOff)", "[FAIL] tag or digest exists: TagNotFound",
		"nearest existing tags: v2.0", "accepted secret default/regcred", "after 3 failed pull(s): back-off 40s, the kubelet retries at"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain pod web lacks %q:\n%s", want, out)
		}
	}
	out, _, code = run(t, "explain", "pod", "job", server, "-o", "json")
	var res kube.PodResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 {
		t.Fatalf("explain pod job: exit %d %v\n%s", code, err, out)
	}
	if len(res.Containers) != 1 || res.Containers[0].Type != "initContainer" || res.Containers[0].Result.Reason != "Unauthorized" ||
		!strings.Contains(res.Containers[0].Result.Message, "missing secret(s) gone") {
		t.Fatalf("job: %+v", res.Containers)
	}
	if strings.Contains(out, `"pw"`) || strings.Contains(out, "Y2k6cHc") {
		t.Fatal("a credential value appears in the output")
	}
	out, _, code = run(t, "explain", "pod", "-A", server)
	if code != 1 || !strings.Contains(out, "Pod:      default/web") || !strings.Contains(out, "Pod:      default/job") {
		t.Fatalf("explain pod -A: exit %d\n%s", code, out)
	}
	out, _, code = run(t, "explain", "pod", "web", "-A", server, "-c", "app")
	if code != 1 || !strings.Contains(out, "Pod:      default/web") || strings.Contains(out, "default/job") {
		t.Fatalf("explain pod web -A: exit %d\n%s", code, out)
	}
	if _, e, code := run(t, "explain", "pod", "nosuch", server); code != 1 || !strings.Contains(e, "NotFound") {
		t.Fatalf("missing pod: exit %d %q", code, e)
	}
}
