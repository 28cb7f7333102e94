//go:build e2e && kubelet

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/pullwarden/pullwarden/printer"
)

// side is one of the two things compared: the agent or the real cluster.
type side struct {
	name string
	c    kubernetes.Interface
}

// observation is what one side showed of one pod: every STATUS it wrote
// (through a watch), the waiting reasons and messages, the events, and the
// times of the pull attempts.
type observation struct {
	side    string
	mu      sync.Mutex
	created time.Time
	uid     types.UID
	// statuses are the STATUS words in the order written, consecutive
	// duplicates removed, with the time since creation.
	statuses []stamped
	waiting  map[string]bool // "container: reason: normalized message"
	events   map[string]bool // "Type Reason fieldPath: normalized message"
	// pulls counts the Pulling events seen; attempts are their times.
	pulls    int32
	failures int32
	attempts []time.Duration
	last     *corev1.Pod
}

type stamped struct {
	status string
	at     time.Duration
}

func newObservation(s string) *observation {
	return &observation{side: s, waiting: map[string]bool{}, events: map[string]bool{}}
}

func (o *observation) status() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.statuses) == 0 {
		return ""
	}
	return o.statuses[len(o.statuses)-1].status
}

func (o *observation) failedPulls() int32 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failures
}

func (o *observation) sawStatus(s string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, st := range o.statuses {
		if st.status == s {
			return true
		}
	}
	return false
}

// pod records one version of the pod.
func (o *observation) pod(p *corev1.Pod) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = p.DeepCopy()
	s := printer.PodStatus(p)
	if n := len(o.statuses); n == 0 || o.statuses[n-1].status != s {
		o.statuses = append(o.statuses, stamped{s, time.Since(o.created).Round(100 * time.Millisecond)})
	}
	all := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, cs := range all {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			o.waiting[fmt.Sprintf("%s: %s", cs.Name, normalize(w.Reason+": "+w.Message))] = true
		}
	}
}

// eventsOf records the pod's events.
func (o *observation) eventsOf(evs []corev1.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var pulls, failures int32
	var latest time.Time
	for _, e := range evs {
		o.events[fmt.Sprintf("%s %s %s: %s", e.Type, e.Reason, e.InvolvedObject.FieldPath, normalize(e.Message))] = true
		switch {
		case e.Reason == "Pulling" && e.InvolvedObject.FieldPath == "spec.containers{app}":
			// The app container's attempts: the backoff is per image.
			pulls += max(e.Count, 1)
			latest = e.LastTimestamp.Time
		case e.Reason == "Failed" && strings.HasPrefix(e.Message, "Failed to pull image"):
			failures += max(e.Count, 1)
		}
	}
	if pulls > o.pulls {
		o.pulls = pulls
		at := time.Since(o.created)
		if !latest.IsZero() {
			at = latest.Sub(o.created.Truncate(time.Second))
		}
		o.attempts = append(o.attempts, at.Round(time.Second))
	}
	o.failures = failures
}

// observe follows the pod on one side until ctx ends: a watch for the pod
// (every status write), a poll every second for its events.
func (o *observation) observe(ctx context.Context, s *side, ns, name string) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			w, err := s.c.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
			if err != nil {
				sleepCtx(ctx, time.Second)
				continue
			}
			for ev := range w.ResultChan() {
				if p, ok := ev.Object.(*corev1.Pod); ok && p.Name == name && p.UID == o.uid {
					o.pod(p)
				}
			}
			w.Stop()
			// The watch ended: catch up with a get, then watch again.
			if p, err := s.c.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); err == nil && p.UID == o.uid {
				o.pod(p)
			}
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		list, err := s.c.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.uid=" + string(o.uid)})
		if err == nil {
			o.eventsOf(list.Items)
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// collapsed is the STATUS sequence with each run of alternating pull
// failures (ErrImagePull, ImagePullBackOff, and their Init: forms) folded
// into one word: how many times they alternate depends on the 10-15 s
// resync jitter of each side, not on the behaviour compared.
func (o *observation) collapsed() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for i, s := range o.statuses {
		w := s.status
		if i == 0 && w == "Pending" {
			// The API server's status of a new pod, before the node
			// writes one; whether a watch sees it is a race.
			continue
		}
		switch strings.TrimPrefix(w, "Init:") {
		case "ErrImagePull", "ImagePullBackOff":
			w = strings.TrimSuffix(w, strings.TrimPrefix(w, "Init:")) + "ErrImagePull~ImagePullBackOff"
		}
		if n := len(out); n == 0 || out[n-1] != w {
			out = append(out, w)
		}
	}
	return out
}

func (o *observation) raw() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	parts := make([]string, len(o.statuses))
	for i, s := range o.statuses {
		parts[i] = fmt.Sprintf("%s@%v", s.status, s.at)
	}
	return strings.Join(parts, " ")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// setDiff lists what only a has and what only b has.
func setDiff(a, b map[string]bool) (onlyA, onlyB []string) {
	for _, k := range keys(a) {
		if !b[k] {
			onlyA = append(onlyA, k)
		}
	}
	for _, k := range keys(b) {
		if !a[k] {
			onlyB = append(onlyB, k)
		}
	}
	return onlyA, onlyB
}

// backoffGaps checks the gaps between pull attempts against the kubelet's
// rule: the n-th retry comes at the first 10-15 s sync after a window of
// 10, 20, 40 ... s (a second of slack for event timestamps).
func backoffGaps(attempts []time.Duration) error {
	window := 10 * time.Second
	for i := 1; i < len(attempts); i++ {
		gap := attempts[i] - attempts[i-1]
		if gap < window-time.Second || gap > window+16*time.Second {
			return fmt.Errorf("attempt %d came %v after attempt %d; want %v to %v", i+1, gap, i, window, window+15*time.Second)
		}
		window *= 2
	}
	return nil
}

// firstSeen is when each STATUS word first showed.
func (o *observation) firstSeen() map[string]time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]time.Duration{}
	for _, s := range o.statuses {
		if _, ok := out[s.status]; !ok {
			out[s.status] = s.at
		}
	}
	return out
}
