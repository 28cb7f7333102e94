package node

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/cause"
)

func waiting(name, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func TestWaitingImages(t *testing.T) {
	pod := &corev1.Pod{
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "r.example/init:1"}, {Name: "done", Image: "r.example/done:1"}},
			Containers: []corev1.Container{
				{Name: "app", Image: "r.example/app:1", ImagePullPolicy: corev1.PullAlways},
				{Name: "local", Image: "r.example/local:1", ImagePullPolicy: corev1.PullNever},
				{Name: "creating", Image: "r.example/creating:1"},
				{Name: "typo", Image: "r.example/Typo:1"},
			},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "r.example/debug:1"}}},
		},
		Status: corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{waiting("init", "ImagePullBackOff"), waiting("done", "PodInitializing")},
			ContainerStatuses: []corev1.ContainerStatus{waiting("app", "ErrImagePull"), waiting("local", "ErrImageNeverPull"),
				waiting("creating", "ContainerCreating"), waiting("typo", "InvalidImageName")},
			EphemeralContainerStatuses: []corev1.ContainerStatus{waiting("debug", "ErrImagePull")},
		},
	}
	var got []string
	for _, im := range WaitingImages(pod) {
		got = append(got, im.Type+"/"+im.Name)
	}
	want := []string{"initContainer/init", "container/app", "container/typo", "ephemeralContainer/debug"}
	if len(got) != len(want) {
		t.Fatalf("WaitingImages = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("WaitingImages = %q, want %q", got, want)
		}
	}
}

func TestEventMessage(t *testing.T) {
	got := EventMessage("app", "r.example/app:v2", `manifest for tag "v2" not found`, cause.TagNotFound)
	want := `container app: image r.example/app:v2: manifest for tag "v2" not found; fix: ` + cause.TagNotFound.Hint()
	if got != want {
		t.Errorf("EventMessage = %q, want %q", got, want)
	}
}
