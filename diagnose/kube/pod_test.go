package kube_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/internal/testagentapi"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/registry"
)

// The retry policy Explain reports: on a cluster the kubelet's unless the
// pullwarden controller runs (then the pod's annotation, else smart); on
// the agent the annotation, else the agent's policy (default smart).
func TestExplainRetryPolicy(t *testing.T) {
	reg := testregistry.StartInProcess(t)
	testimage.Push(t, testimage.Random(t, 1, 256), reg.Ref("team/app:v2.0"), nil)
	_, sock := testagentapi.Start(t)
	cs, err := apiserver.NewClient(sock)
	if err != nil {
		t.Fatal(err)
	}
	ck := diagnose.New(diagnose.Options{Registry: diagnose.FromClient(diagnose.NewRegistryClient(registry.Options{}))})
	pod := func(name, annotation string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: reg.Ref("team/app:v2")}}}}
		if annotation != "" {
			p.Annotations = map[string]string{podmeta.RetryPolicy: annotation}
		}
		p, err := cs.CoreV1().Pods("default").Create(t.Context(), p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.Status.Phase = corev1.PodPending
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}
		return p
	}
	plain, asKubelet, asSmart := pod("plain", ""), pod("kubelet", "kubelet"), pod("smart", "smart")
	for _, c := range []struct {
		name string
		o    kube.Options
		pod  *corev1.Pod
		want pull.RetryPolicy
	}{
		{"cluster", kube.Options{Remote: true}, plain, pull.RetryKubelet},
		{"cluster, annotation without the controller", kube.Options{Remote: true}, asSmart, pull.RetryKubelet},
		{"cluster with the controller", kube.Options{Remote: true, Controller: true}, plain, pull.RetrySmart},
		{"cluster with the controller, annotated kubelet", kube.Options{Remote: true, Controller: true}, asKubelet, pull.RetryKubelet},
		{"agent default", kube.Options{}, plain, pull.RetrySmart},
		{"agent on kubelet", kube.Options{RetryPolicy: pull.RetryKubelet}, plain, pull.RetryKubelet},
		{"agent on kubelet, annotated smart", kube.Options{RetryPolicy: pull.RetryKubelet}, asSmart, pull.RetrySmart},
		{"agent, annotated kubelet", kube.Options{}, asKubelet, pull.RetryKubelet},
	} {
		res, err := kube.Explain(t.Context(), cs, ck, c.pod, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		next := res.Containers[0].Result.Step(diagnose.StepNext)
		smart := strings.Contains(next.Evidence, "smart retry policy: TagNotFound needs a fix")
		if smart != (c.want == pull.RetrySmart) || (!smart && !strings.Contains(next.Evidence, "the kubelet retries")) {
			t.Errorf("%s: want %s, next step %q: %s", c.name, c.want, next.Title, next.Evidence)
		}
	}
}
