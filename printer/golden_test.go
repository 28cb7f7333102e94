package printer

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// getCase is one `kubectl get` invocation and the same output from this
// package. Golden files hold kubectl's output for tables computed by the
// apiserver's printers.
type getCase struct {
	golden string
	args   []string
	render func(*bytes.Buffer) error
}

func inNamespace[T any](items []T, ns string, of func(*T) string) []T {
	var out []T
	for i := range items {
		if of(&items[i]) == ns {
			out = append(out, items[i])
		}
	}
	return out
}

func getCases() []getCase {
	pods, events := fixturePods(), fixtureEvents()
	podNS := func(p *corev1.Pod) string { return p.Namespace }
	evNS := func(e *corev1.Event) string { return e.Namespace }
	def := inNamespace(pods, "default", podNS)
	defEv := inNamespace(events, "default", evNS)
	return []getCase{
		{"get-pods.txt", []string{"get", "pods"}, func(b *bytes.Buffer) error {
			return Pods(b, def, PodOptions{Now: fixtureNow})
		}},
		{"get-pods-wide.txt", []string{"get", "pods", "-o", "wide"}, func(b *bytes.Buffer) error {
			return Pods(b, def, PodOptions{Now: fixtureNow, Wide: true})
		}},
		{"get-pods-all.txt", []string{"get", "pods", "-A"}, func(b *bytes.Buffer) error {
			return Pods(b, pods, PodOptions{Now: fixtureNow, AllNamespaces: true})
		}},
		{"get-pods-all-wide-noheaders.txt", []string{"get", "pods", "-A", "-o", "wide", "--no-headers"}, func(b *bytes.Buffer) error {
			return Pods(b, pods, PodOptions{Now: fixtureNow, AllNamespaces: true, Wide: true, NoHeaders: true})
		}},
		{"get-events.txt", []string{"get", "events"}, func(b *bytes.Buffer) error {
			return Events(b, defEv, EventOptions{Now: fixtureNow})
		}},
		{"get-events-all.txt", []string{"get", "events", "-A"}, func(b *bytes.Buffer) error {
			return Events(b, events, EventOptions{Now: fixtureNow, AllNamespaces: true})
		}},
		{"get-events-wide.txt", []string{"get", "events", "-o", "wide"}, func(b *bytes.Buffer) error {
			return Events(b, defEv, EventOptions{Now: fixtureNow, Wide: true})
		}},
	}
}

// describeCase is one `kubectl describe pod` invocation.
type describeCase struct {
	golden string
	pod    corev1.Pod
}

func describeCases() []describeCase {
	cases := []describeCase{{"describe-web.txt", describedPod()}}
	for _, c := range statusCases() {
		switch c.pod.Name {
		case "crashloop", "errimagepull", "init-error", "terminating", "sidecar", "evicted", "pending-unscheduled":
			cases = append(cases, describeCase{"describe-" + c.pod.Name + ".txt", c.pod})
		}
	}
	return cases
}

// describeEvents returns the fixture events of pod.
func describeEvents(pod *corev1.Pod) []corev1.Event {
	var out []corev1.Event
	for _, e := range append(describedEvents(), fixtureEvents()...) {
		if e.Namespace == pod.Namespace && e.InvolvedObject.Name == pod.Name {
			out = append(out, e)
		}
	}
	return out
}

// TestGetGolden compares Pods and Events with kubectl's output kept in
// testdata.
func TestGetGolden(t *testing.T) {
	t.Parallel()
	for _, c := range getCases() {
		t.Run(c.golden, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := c.render(&b); err != nil {
				t.Fatal(err)
			}
			diff(t, c.golden, golden(t, c.golden), b.String())
		})
	}
}

// TestGetLiveKubectl serves the apiserver-made tables kept in testdata to
// the real kubectl and checks that it prints what this package prints.
func TestGetLiveKubectl(t *testing.T) {
	t.Parallel()
	kubectlPath(t)
	api := &fakeAPI{podTable: readTable(t, "pods-table.json"), eventTable: readTable(t, "events-table.json")}
	for _, c := range getCases() {
		t.Run(c.golden, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := c.render(&b); err != nil {
				t.Fatal(err)
			}
			diff(t, "kubectl "+c.golden, runKubectl(t, api, c.args...), b.String())
		})
	}
}

// TestDescribeGolden compares DescribePod with kubectl's output kept in
// testdata.
func TestDescribeGolden(t *testing.T) {
	t.Parallel()
	for _, c := range describeCases() {
		t.Run(c.golden, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := DescribePod(&b, &c.pod, describeEvents(&c.pod), fixtureNow); err != nil {
				t.Fatal(err)
			}
			diff(t, c.golden, golden(t, c.golden), b.String())
		})
	}
}

// TestDescribeLiveKubectl runs the real `kubectl describe pod` (which
// renders on the client) and compares it with DescribePod.
func TestDescribeLiveKubectl(t *testing.T) {
	t.Parallel()
	kubectlPath(t)
	for _, c := range describeCases() {
		t.Run(c.golden, func(t *testing.T) {
			t.Parallel()
			events := describeEvents(&c.pod)
			var b bytes.Buffer
			if err := DescribePod(&b, &c.pod, events, fixtureNow); err != nil {
				t.Fatal(err)
			}
			got := runKubectl(t, liveDescribeAPI(t, c.pod, events), "describe", "pod", c.pod.Name)
			diff(t, "kubectl describe "+c.pod.Name, got, b.String())
		})
	}
}

// liveDescribeAPI serves pod and events with their relative times moved to
// the wall clock: the event times and the deletion timestamp. Absolute
// times that describe prints (Start Time, Started, Finished) stay as they
// are.
func liveDescribeAPI(t *testing.T, pod corev1.Pod, events []corev1.Event) *fakeAPI {
	shift := time.Since(fixtureNow)
	if pod.DeletionTimestamp != nil {
		moved := shiftTimes(t, *pod.DeletionTimestamp, shift)
		pod.DeletionTimestamp = &moved
	}
	return &fakeAPI{pods: []corev1.Pod{pod}, events: shiftTimes(t, events, shift)}
}

// TestRegenerateGolden rewrites testdata from the real programs. It runs
// only with PRINTER_KGEN set to a kgen binary: a small program built
// against k8s.io/kubernetes that turns a PodList or EventList into the
// metav1.Table the apiserver would serve (printers.NewTableGenerator with
// pkg/printers/internalversion's handlers). The tables are then printed by
// the real kubectl and the output becomes the golden files. kgen's source is
// testdata/kgen (its own module, pinned to k8s.io/kubernetes v1.37.2):
//
//	(cd printer/testdata/kgen && go build -o /tmp/kgen .)
//	PRINTER_KGEN=/tmp/kgen go test ./printer -run TestRegenerateGolden
func TestRegenerateGolden(t *testing.T) {
	kgen := os.Getenv("PRINTER_KGEN")
	if kgen == "" {
		t.Skip("PRINTER_KGEN not set")
	}
	dir := t.TempDir()
	shift := time.Since(fixtureNow)
	gen := func(kind string, list any, out string) {
		raw, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, kind+".json")
		if err := os.WriteFile(in, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(kgen, kind, in, filepath.Join("testdata", out)).CombinedOutput(); err != nil {
			t.Fatalf("kgen: %v\n%s", err, b)
		}
	}
	// The apiserver lists objects by namespace, then name.
	pods, events := fixturePods(), fixtureEvents()
	sort.SliceStable(pods, func(i, j int) bool {
		return pods[i].Namespace+"/"+pods[i].Name < pods[j].Namespace+"/"+pods[j].Name
	})
	sort.SliceStable(events, func(i, j int) bool {
		return events[i].Namespace+"/"+events[i].Name < events[j].Namespace+"/"+events[j].Name
	})
	gen("pods", corev1.PodList{Items: shiftTimes(t, pods, shift)}, "pods-table.json")
	gen("events", corev1.EventList{Items: shiftTimes(t, events, shift)}, "events-table.json")
	api := &fakeAPI{podTable: readTable(t, "pods-table.json"), eventTable: readTable(t, "events-table.json")}
	for _, c := range getCases() {
		write(t, c.golden, runKubectl(t, api, c.args...))
	}
	for _, c := range describeCases() {
		events := describeEvents(&c.pod)
		write(t, c.golden, runKubectl(t, liveDescribeAPI(t, c.pod, events), "describe", "pod", c.pod.Name))
	}
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
