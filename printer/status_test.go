package printer

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestPodStatus checks STATUS, READY and RESTARTS of every fixture against
// the values derived by hand from the apiserver's printPod. The same pods are
// rendered by the real printers in testdata/pods-table.json (TestGetGolden).
func TestPodStatus(t *testing.T) {
	t.Parallel()
	for _, c := range statusCases() {
		t.Run(c.pod.Name, func(t *testing.T) {
			t.Parallel()
			if got := PodStatus(&c.pod); got != c.status {
				t.Errorf("PodStatus = %q, want %q", got, c.status)
			}
			row := podRow(&c.pod, fixtureNow)
			if row[1] != c.ready || row[3] != c.restarts {
				t.Errorf("READY, RESTARTS = %q, %q; want %q, %q", row[1], row[3], c.ready, c.restarts)
			}
		})
	}
}

// TestPodStatusSemantics covers every STATUS word KUBELET_SEMANTICS §5 names.
func TestPodStatusSemantics(t *testing.T) {
	t.Parallel()
	want := []string{"Init:0/2", "Init:ErrImagePull", "Init:ImagePullBackOff", "ErrImagePull", "ImagePullBackOff",
		"ErrImageNeverPull", "InvalidImageName", "ContainerCreating", "PodInitializing", "Running", "Completed",
		"Error", "CrashLoopBackOff", "Init:Error"}
	seen := map[string]bool{}
	for _, c := range statusCases() {
		seen[PodStatus(&c.pod)] = true
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("no fixture shows %q", w)
		}
	}
}

func TestPodWatch(t *testing.T) {
	t.Parallel()
	short := basePod("a")
	short.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "ErrImagePull")}
	long := basePod("a-much-longer-name")
	long.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "ContainerCreating")}
	backoff := short
	backoff.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "ImagePullBackOff")}

	var b bytes.Buffer
	pw := NewPodWatch(&b, PodOptions{})
	if err := pw.Print(fixtureNow); err != nil { // an empty initial list prints nothing
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Fatalf("empty list printed %q", b.String())
	}
	for _, p := range []corev1.Pod{short, long, backoff} {
		if err := pw.Print(fixtureNow.Add(90*time.Second), p); err != nil {
			t.Fatal(err)
		}
	}
	// The header comes once; widths only grow, so the third line keeps the
	// widths of the second.
	want := "" +
		"NAME   READY   STATUS         RESTARTS   AGE\n" +
		"a      0/1     ErrImagePull   0          31m\n" +
		"a-much-longer-name   0/1     ContainerCreating   0          31m\n" +
		"a                    0/1     ImagePullBackOff    0          31m\n"
	diff(t, "watch", want, b.String())
}

func TestCellText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":           "plain",
		"two\nlines":      "two...",
		"cr\rreturn":      "cr...",
		"form\ffeed":      "form...",
		"esc\x1b[31mred":  "esc^[[31mred",
		"\x1b[1m\nsecond": "^[[1m...",
	} {
		if got := cellText(in); got != want {
			t.Errorf("cellText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSince(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		90 * time.Second:                  "90s",
		5*time.Minute + 30*time.Second:    "5m30s",
		2*time.Hour + 10*time.Minute:      "130m",
		5*time.Hour + 7*time.Minute:       "5h7m",
		50 * time.Hour:                    "2d2h",
		-500 * time.Millisecond:           "0s",
		-3 * time.Second:                  "<invalid>",
		400 * 24 * time.Hour:              "400d",
		3*365*24*time.Hour + 24*time.Hour: "3y1d",
	} {
		if got := since(fixtureNow.Add(-d), fixtureNow); got != want {
			t.Errorf("since(%v) = %q, want %q", d, got, want)
		}
	}
	if got := since(time.Time{}, fixtureNow); got != "<unknown>" {
		t.Errorf("zero time = %q", got)
	}
}

func TestEmptyAndNoResources(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Pods(&b, nil, PodOptions{}); err != nil || b.Len() != 0 {
		t.Fatalf("empty pods: %q, %v", b.String(), err)
	}
	if err := Events(&b, nil, EventOptions{}); err != nil || b.Len() != 0 {
		t.Fatalf("empty events: %q, %v", b.String(), err)
	}
	if got := NoResources("default", false); got != "No resources found in default namespace." {
		t.Errorf("NoResources = %q", got)
	}
	if got := NoResources("", true); got != "No resources found" {
		t.Errorf("NoResources -A = %q", got)
	}
}

// TestDescribeDoesNotModify checks that DescribePod and the tables leave
// their inputs alone (kubectl sorts mounts and events in place; we copy).
func TestDescribeDoesNotModify(t *testing.T) {
	t.Parallel()
	pod := describedPod()
	events := describedEvents()
	firstMount := pod.Spec.Containers[0].VolumeMounts[0].MountPath
	firstEvent := events[0].Name
	var b bytes.Buffer
	if err := DescribePod(&b, &pod, events, fixtureNow); err != nil {
		t.Fatal(err)
	}
	if pod.Spec.Containers[0].VolumeMounts[0].MountPath != firstMount || events[0].Name != firstEvent {
		t.Error("DescribePod reordered its input")
	}
	if !strings.Contains(b.String(), "Events:\n  Type     Reason") {
		t.Errorf("no events table in\n%s", b.String())
	}
}
