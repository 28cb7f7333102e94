//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/internal/testimage"
)

// TestRunningPodIsQuietAndFollowsItsSpec: a running pod's status is not
// rewritten (a watch sees no MODIFIED event for 8 s, its resourceVersion
// stays), and changing its image restarts the container from the new image
// (restart count 1, a Killing event, the pull events), on real containerd.
func TestRunningPodIsQuietAndFollowsItsSpec(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	_, busybox := testImages(t)
	v2 := b.reg.Ref("busybox:2")
	testimage.Push(t, busybox, v2, nil)
	a := startAgent(t, b.pauseRef)
	const name = "quiet"
	pod := podManifest{Name: name, Image: b.busyboxRef, Command: []string{"sh", "-c", "exec sleep 3600"}}
	a.Apply(t, pod.YAML())
	a.WaitStatus(t, name, "Running", 60*time.Second)
	time.Sleep(2 * time.Second) // the last writes of the start
	before := a.Pod(t, name)

	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Second)
	defer cancel()
	w, err := a.Client.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{ResourceVersion: before.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	modified := 0
	for ev := range w.ResultChan() {
		if p, ok := ev.Object.(*corev1.Pod); ok && p.Name == name && ev.Type == watch.Modified {
			modified++
		}
	}
	if after := a.Pod(t, name); modified > 0 || after.ResourceVersion != before.ResourceVersion {
		t.Fatalf("a running pod was rewritten %d times in 8 s (resourceVersion %s -> %s)", modified, before.ResourceVersion, after.ResourceVersion)
	}

	pod.Image = v2
	a.Apply(t, pod.YAML())
	waitFor(t, 60*time.Second, "the container restarted from the new image", func() bool {
		p := a.Pod(t, name)
		cs := containerStatus(p, "app")
		return cs != nil && cs.RestartCount == 1 && cs.State.Running != nil && cs.Image == v2
	})
	evs := a.Events(t, name)
	if findEvent(evs, corev1.EventTypeNormal, "Killing", func(m string) bool { return m == "Container app definition changed, will be restarted" }) == nil {
		t.Errorf("no Killing event:\n%s", formatEvents(evs))
	}
	if findEvent(evs, corev1.EventTypeNormal, "Pulled", func(m string) bool {
		return m == `Container image "`+v2+`" already present on machine` || strings.HasPrefix(m, `Successfully pulled image "`+v2+`"`)
	}) == nil {
		t.Errorf("no Pulled event for %s:\n%s", v2, formatEvents(evs))
	}
}
