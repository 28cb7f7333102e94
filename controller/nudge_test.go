package controller

import (
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/workload"
)

const dig = "sha256:63b7a2e2eb1d46cdb303daffae51a64ef8288d65a3c00d975e2e91a6f8e23ef0"

func TestPinImage(t *testing.T) {
	for _, tc := range []struct {
		image, digest, want string
		ok                  bool
	}{
		{"r.example/app:v1", dig, "r.example/app:v1@" + dig, true},
		{"127.0.0.1:5000/team/app", dig, "127.0.0.1:5000/team/app@" + dig, true},
		{"r.example/app@" + dig, dig, "", false}, // pinned already
		{"r.example/app:v1", "", "", false},      // no verified digest
		{"r.example/app:v1", "garbage", "", false},
	} {
		got, ok := pinImage(tc.image, tc.digest)
		if got != tc.want || ok != tc.ok {
			t.Errorf("pinImage(%q, %q) = %q, %v; want %q, %v", tc.image, tc.digest, got, ok, tc.want, tc.ok)
		}
	}
}

func nudgePod(policy corev1.PullPolicy) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{}}, Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init", Image: "r.example/init:v1", ImagePullPolicy: corev1.PullAlways}},
		Containers:     []corev1.Container{{Name: "app", Image: "r.example/app:v1", ImagePullPolicy: policy}},
	}}
}

func volumePod(policy corev1.PullPolicy) *corev1.Pod {
	p := nudgePod(corev1.PullIfNotPresent)
	p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{
		Reference: "r.example/data:v1", PullPolicy: policy}}}}
	return p
}

func waitingOn(types ...string) *kube.PodResult {
	res := &kube.PodResult{Failing: true}
	for _, typ := range types {
		name, image := "app", "r.example/app:v1"
		switch typ {
		case workload.InitContainer:
			name, image = "init", "r.example/init:v1"
		case workload.ImageVolume:
			name, image = "data", "r.example/data:v1"
		}
		res.Containers = append(res.Containers, kube.ContainerResult{Name: name, Type: typ, Image: image,
			Result: diagnose.Result{Image: image, Pullable: true, Digest: dig}})
	}
	return res
}

func TestPlanNudge(t *testing.T) {
	okResult := podmeta.PullResultValue{Token: "t", Images: []podmeta.ImageResult{{Container: "app", Image: "r.example/app:v1", Digest: dig}}}
	volumeOK := podmeta.PullResultValue{Token: "t", Images: []podmeta.ImageResult{{Container: "data", Image: "r.example/data:v1", Digest: dig}}}
	failed := podmeta.PullResultValue{Token: "t", Images: []podmeta.ImageResult{{Container: "app", Image: "r.example/app:v1", Reason: "TagNotFound"}}}
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		res      *kube.PodResult
		result   podmeta.PullResultValue
		answered bool
		pins     map[string]map[string]string
		recreate bool
	}{
		{"Always pinned after the node's answer", nudgePod(corev1.PullAlways), waitingOn(workload.Container), okResult, true,
			map[string]map[string]string{workload.Container: {"app": "r.example/app:v1@" + dig}}, false},
		{"IfNotPresent left to the node's pull", nudgePod(corev1.PullIfNotPresent), waitingOn(workload.Container), okResult, true, nil, false},
		{"IfNotPresent pinned when the node failed", nudgePod(corev1.PullIfNotPresent), waitingOn(workload.Container), failed, true,
			map[string]map[string]string{workload.Container: {"app": "r.example/app:v1@" + dig}}, false},
		{"IfNotPresent pinned when the node did not answer", nudgePod(corev1.PullIfNotPresent), waitingOn(workload.Container), podmeta.PullResultValue{}, false,
			map[string]map[string]string{workload.Container: {"app": "r.example/app:v1@" + dig}}, false},
		{"Never is never pinned", nudgePod(corev1.PullNever), waitingOn(workload.Container), podmeta.PullResultValue{}, false, nil, false},
		{"init containers too", nudgePod(corev1.PullIfNotPresent), waitingOn(workload.InitContainer), okResult, true,
			map[string]map[string]string{workload.InitContainer: {"init": "r.example/init:v1@" + dig}}, false},
		{"Always image volume: only a recreate", volumePod(corev1.PullAlways), waitingOn(workload.ImageVolume), volumeOK, true, nil, true},
		{"IfNotPresent image volume left to the node's pull", volumePod(corev1.PullIfNotPresent), waitingOn(workload.ImageVolume), volumeOK, true, nil, false},
		{"IfNotPresent image volume recreated when the node failed", volumePod(corev1.PullIfNotPresent), waitingOn(workload.ImageVolume), failed, true, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := planNudge(tc.pod, tc.res, tc.result, tc.answered)
			if len(plan.pins) != len(tc.pins) || plan.recreate != tc.recreate {
				t.Fatalf("plan = %+v, want pins %v recreate %v", plan, tc.pins, tc.recreate)
			}
			for typ, m := range tc.pins {
				for name, img := range m {
					if plan.pins[typ][name] != img {
						t.Errorf("pin %s %s = %q, want %q", typ, name, plan.pins[typ][name], img)
					}
				}
			}
		})
	}
}

// A container pinned by the controller is not pinned again (nor does its
// digest make the pod a candidate for recreation).
func TestPlanNudgeKeepsAPinnedContainer(t *testing.T) {
	pod := nudgePod(corev1.PullAlways)
	orig, _ := json.Marshal(map[string]string{"app": "r.example/app:v1"})
	pod.Annotations[podmeta.OriginalImages] = string(orig)
	pod.Spec.Containers[0].Image = "r.example/app:v1@" + dig
	res := waitingOn(workload.Container)
	res.Containers[0].Image = pod.Spec.Containers[0].Image
	plan := planNudge(pod, res, podmeta.PullResultValue{}, false)
	if len(plan.pins) != 0 || plan.recreate {
		t.Fatalf("plan = %+v, want nothing", plan)
	}
}

func TestToken(t *testing.T) {
	now := time.Date(2026, 11, 30, 1, 2, 3, 456, time.UTC)
	a, b := newToken(now), newToken(now)
	if a == b {
		t.Fatalf("two tokens at the same time are equal: %s", a)
	}
	if got := tokenTime(a); !got.Equal(now) {
		t.Fatalf("tokenTime(%q) = %v, want %v", a, got, now)
	}
	for _, bad := range []string{"", "x", "nodash", "2026-99-99T00:00:00Z-ab"} {
		if got := tokenTime(bad); !got.IsZero() {
			t.Errorf("tokenTime(%q) = %v, want zero", bad, got)
		}
	}
}

func TestTriggerAfter(t *testing.T) {
	for prev, want := range map[string]pull.Trigger{
		"Unauthorized": pull.TriggerCredentials, "Denied": pull.TriggerCredentials,
		"RegistryUnreachable": pull.TriggerRegistryBack, "ServerError": pull.TriggerRegistryBack,
		"TagNotFound": pull.TriggerRecheck, "": pull.TriggerRecheck, "Fixed": pull.TriggerRecheck,
	} {
		if got := triggerAfter(prev); got != want {
			t.Errorf("triggerAfter(%q) = %q, want %q", prev, got, want)
		}
	}
}

func TestWaitingOnImage(t *testing.T) {
	waiting := func(why string) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: why}}}
	}
	volume := []corev1.Volume{{Name: "d", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "r/d:1"}}}}
	for _, tc := range []struct {
		name string
		pod  corev1.Pod
		want bool
	}{
		{"ImagePullBackOff", corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("ImagePullBackOff")}}}, true},
		{"init ErrImagePull", corev1.Pod{Status: corev1.PodStatus{InitContainerStatuses: []corev1.ContainerStatus{waiting("ErrImagePull")}}}, true},
		{"InvalidImageName", corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("InvalidImageName")}}}, true},
		{"ErrImageNeverPull", corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("ErrImageNeverPull")}}}, true},
		{"CrashLoopBackOff", corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("CrashLoopBackOff")}}}, false},
		{"pending with an image volume", corev1.Pod{Spec: corev1.PodSpec{Volumes: volume}, Status: corev1.PodStatus{Phase: corev1.PodPending}}, true},
		{"running with an image volume", corev1.Pod{Spec: corev1.PodSpec{Volumes: volume}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}, false},
		{"being deleted", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &metav1.Time{}},
			Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("ErrImagePull")}}}, false},
	} {
		if got := WaitingOnImage(&tc.pod); got != tc.want {
			t.Errorf("%s: WaitingOnImage = %v, want %v", tc.name, got, tc.want)
		}
	}
}
