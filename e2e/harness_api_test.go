//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod reads a pod through the API (nil when it cannot).
func (a *Agent) Pod(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err := a.Client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Logf("get pod %s: %v", name, err)
		return nil
	}
	return p
}

// Status is the STATUS column of `pullwarden get pods NAME`.
func (a *Agent) Status(t *testing.T, name string) string {
	t.Helper()
	res := a.CLIT(t, "get", "pods", name, "--no-headers")
	if res.Code != 0 {
		t.Logf("get pods %s:\n%s", name, res)
		return ""
	}
	f := strings.Fields(res.Stdout)
	if len(f) < 3 {
		return ""
	}
	return f[2]
}

// WaitStatus polls `get pods NAME` until its STATUS is want and returns
// the statuses seen on the way.
func (a *Agent) WaitStatus(t *testing.T, name, want string, timeout time.Duration) []string {
	t.Helper()
	var seen []string
	ok := poll(timeout, func() bool {
		s := a.Status(t, name)
		if len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		return s == want
	})
	if !ok {
		t.Fatalf("pod %s: STATUS never became %q within %v; seen %q\n%s", name, want, timeout, seen, a.Describe(t, name))
	}
	return seen
}

// Describe is `pullwarden describe pod NAME`.
func (a *Agent) Describe(t *testing.T, name string) string {
	t.Helper()
	res := a.CLIT(t, "describe", "pod", name)
	return res.Stdout + res.Stderr
}

// Events lists the events about pod name (any UID) from the API.
func (a *Agent) Events(t *testing.T, name string) []corev1.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	list, err := a.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// findEvent returns the first event with reason r whose message satisfies
// match (nil: any).
func findEvent(evs []corev1.Event, eventType, r string, match func(string) bool) *corev1.Event {
	for i := range evs {
		e := &evs[i]
		if e.Reason == r && (eventType == "" || e.Type == eventType) && (match == nil || match(e.Message)) {
			return e
		}
	}
	return nil
}

// countEvents sums the counts of the events with reason r.
func countEvents(evs []corev1.Event, r string) int32 {
	var n int32
	for _, e := range evs {
		if e.Reason == r {
			c := e.Count
			if c == 0 {
				c = 1
			}
			n += c
		}
	}
	return n
}

// WaitEvent polls until an event about pod name with reason r and a
// matching message exists, and returns it.
func (a *Agent) WaitEvent(t *testing.T, name, eventType, r string, match func(string) bool, timeout time.Duration) corev1.Event {
	t.Helper()
	var found *corev1.Event
	if !poll(timeout, func() bool {
		found = findEvent(a.Events(t, name), eventType, r, match)
		return found != nil
	}) {
		t.Fatalf("pod %s: no %s event %q within %v; events:\n%s", name, eventType, r, timeout, formatEvents(a.Events(t, name)))
	}
	return *found
}

func formatEvents(evs []corev1.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  %s %s x%d %s: %s\n", e.Type, e.Reason, e.Count, e.InvolvedObject.FieldPath, e.Message)
	}
	return b.String()
}

// containerStatus returns the named container's (or init container's) status.
func containerStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	if p == nil {
		return nil
	}
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// waiting is the container's waiting reason and message ("" when not
// waiting).
func waiting(p *corev1.Pod, name string) (string, string) {
	cs := containerStatus(p, name)
	if cs == nil || cs.State.Waiting == nil {
		return "", ""
	}
	return cs.State.Waiting.Reason, cs.State.Waiting.Message
}

// podManifest is a one-container pod in namespace default.
type podManifest struct {
	Name, Image, Policy string
	Command             []string
	PullSecret          string
	RestartPolicy       string
	// Init, when set, is an init container (image InitImage, command Init).
	Init      []string
	InitImage string
	// Annotations are the pod's annotations.
	Annotations map[string]string
}

func (m podManifest) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: default\n", m.Name)
	if len(m.Annotations) > 0 {
		b.WriteString("  annotations:\n")
		for k, v := range m.Annotations {
			fmt.Fprintf(&b, "    %s: %q\n", k, v)
		}
	}
	b.WriteString("spec:\n")
	b.WriteString("  terminationGracePeriodSeconds: 2\n")
	if m.RestartPolicy != "" {
		fmt.Fprintf(&b, "  restartPolicy: %s\n", m.RestartPolicy)
	}
	if m.PullSecret != "" {
		fmt.Fprintf(&b, "  imagePullSecrets:\n  - name: %s\n", m.PullSecret)
	}
	if m.Init != nil {
		fmt.Fprintf(&b, "  initContainers:\n  - name: init\n    image: %q\n    command: %s\n", m.InitImage, yamlList(m.Init))
	}
	fmt.Fprintf(&b, "  containers:\n  - name: app\n    image: %q\n", m.Image)
	if m.Policy != "" {
		fmt.Fprintf(&b, "    imagePullPolicy: %s\n", m.Policy)
	}
	if m.Command != nil {
		fmt.Fprintf(&b, "    command: %s\n", yamlList(m.Command))
	}
	return b.String()
}

func yamlList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
