//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// recoveryTimeout bounds a recovery in faithful mode: backoff windows of
// 10 s, 20 s, 40 s plus a 10-15 s resync.
const recoveryTimeout = 120 * time.Second

// TestPullFailures runs the failure scenarios that need no agent restart
// as parallel pods in one agent.
func TestPullFailures(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	a := startAgent(t, b.pauseRef)

	t.Run("UnauthorizedUntilSecretExists", func(t *testing.T) { t.Parallel(); testSecretLater(t, a) })
	t.Run("TagPushedLater", func(t *testing.T) { t.Parallel(); testTagLater(t, a, b) })
	t.Run("RegistryDownComesBack", func(t *testing.T) { t.Parallel(); testRegistryDown(t, a) })
	t.Run("InitWaitsForPort", func(t *testing.T) { t.Parallel(); testInitWaits(t, a, b) })
	t.Run("NeverPullAbsent", func(t *testing.T) { t.Parallel(); testNeverPull(t, a, b) })
	t.Run("InvalidImageName", func(t *testing.T) { t.Parallel(); testInvalidName(t, a) })
}

// pullBackoff is the faithful window after the n-th consecutive failure.
func pullBackoff(n int32) time.Duration {
	d := 10 * time.Second
	for i := int32(1); i < n && d < 300*time.Second; i++ {
		d *= 2
	}
	return min(d, 300*time.Second)
}

// assertStatusOrder checks that want appears in seen in this order.
func assertStatusOrder(t *testing.T, seen []string, want ...string) {
	t.Helper()
	i := 0
	for _, s := range seen {
		if i < len(want) && s == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("STATUS sequence %q does not contain %q in order", seen, want)
	}
}

// transcript appends `get pods` and `describe pod` of name to log.
func transcript(t *testing.T, a *Agent, log *strings.Builder, stage, name string) {
	t.Helper()
	fmt.Fprintf(log, "\n===== %s: $ pullwarden get pods %s\n%s", stage, name, a.CLIT(t, "get", "pods", name).Stdout)
	fmt.Fprintf(log, "===== %s: $ pullwarden describe pod %s\n%s", stage, name, a.Describe(t, name))
}

func testSecretLater(t *testing.T, a *Agent) {
	pause, _ := testImages(t)
	reg := testregistry.Start(t, testregistry.WithHtpasswd("e2e", "s3cret-pw"))
	image := reg.Ref("private/app:1")
	testimage.Push(t, pause, image, reg.Authenticator())
	const name = "secret-later"
	var log strings.Builder
	defer func() { t.Logf("scenario 1 transcripts:%s", log.String()) }()

	a.Apply(t, podManifest{Name: name, Image: image, PullSecret: "regcred"}.YAML())

	ev := a.WaitEvent(t, name, corev1.EventTypeWarning, "FailedToRetrieveImagePullSecret", nil, 60*time.Second)
	if want := "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed."; ev.Message != want {
		t.Errorf("FailedToRetrieveImagePullSecret message:\n got %q\nwant %q", ev.Message, want)
	}
	if ev.InvolvedObject.FieldPath != "" {
		t.Errorf("FailedToRetrieveImagePullSecret fieldPath = %q, want none (the pod)", ev.InvolvedObject.FieldPath)
	}
	seen := a.WaitStatus(t, name, "ErrImagePull", 60*time.Second)
	r, msg := waiting(a.Pod(t, name), "app")
	if r != "ErrImagePull" || !strings.HasPrefix(msg, "Unauthorized: ") {
		t.Errorf("waiting = %q %q, want ErrImagePull with a message starting %q", r, msg, "Unauthorized: ")
	}
	transcript(t, a, &log, "ErrImagePull", name)
	seen = append(seen, a.WaitStatus(t, name, "ImagePullBackOff", 90*time.Second)...)
	assertStatusOrder(t, seen, "ErrImagePull", "ImagePullBackOff")
	r, msg = waiting(a.Pod(t, name), "app")
	if prefix := fmt.Sprintf("Back-off pulling image %q: ErrImagePull: Unauthorized: ", image); r != "ImagePullBackOff" || !strings.HasPrefix(msg, prefix) {
		t.Errorf("waiting = %q %q, want ImagePullBackOff with a message starting %q", r, msg, prefix)
	}
	transcript(t, a, &log, "ImagePullBackOff", name)
	evs := a.Events(t, name)
	failed := findEvent(evs, corev1.EventTypeWarning, "Failed", func(m string) bool {
		return strings.HasPrefix(m, fmt.Sprintf("Failed to pull image %q: Unauthorized: ", image))
	})
	if failed == nil {
		t.Fatalf("no Warning Failed `Failed to pull image %q: Unauthorized: ...` event:\n%s", image, formatEvents(evs))
	}
	for _, want := range []struct{ typ, reason, msg string }{
		{corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", image)},
		{corev1.EventTypeWarning, "Failed", "Error: ErrImagePull"},
		{corev1.EventTypeNormal, "BackOff", fmt.Sprintf("Back-off pulling image %q", image)},
		{corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff"},
	} {
		if findEvent(evs, want.typ, want.reason, func(m string) bool { return m == want.msg }) == nil {
			t.Errorf("no %s %s event %q:\n%s", want.typ, want.reason, want.msg, formatEvents(evs))
		}
	}

	// Let a third failure happen: its 40 s window holds a sync (10-15 s
	// later) at which a backoff reset on the new secret would show as an
	// early pull. Faithful mode must wait for the whole window.
	var failures int32
	var lastFailure time.Time
	waitFor(t, 90*time.Second, "a third failed pull", func() bool {
		failures, lastFailure = failedPulls(a.Events(t, name))
		return failures >= 3
	})
	res := a.CLIT(t, "create", "secret", "docker-registry", "regcred", "--docker-server="+reg.Host,
		"--docker-username="+reg.Username, "--docker-password="+reg.Password)
	if res.Code != 0 || strings.TrimSpace(res.Stdout) != "secret/regcred created" {
		t.Fatalf("create secret:\n%s", res)
	}
	if strings.Contains(res.Stdout+res.Stderr, reg.Password) {
		t.Errorf("create secret printed the password")
	}
	created := time.Now()
	window := pullBackoff(failures)
	a.WaitStatus(t, name, "Running", window+recoveryTimeout)
	t.Logf("failure #%d at %v, secret created %v later, window %v, Running observed %v after the failure",
		failures, lastFailure.Format(time.TimeOnly), created.Sub(lastFailure).Round(time.Millisecond), window, time.Since(lastFailure).Round(time.Second))
	transcript(t, a, &log, "Running", name)
	pulled := a.WaitEvent(t, name, corev1.EventTypeNormal, "Pulled", func(m string) bool {
		return strings.HasPrefix(m, fmt.Sprintf("Successfully pulled image %q in ", image))
	}, 10*time.Second)
	if earliest := lastFailure.Add(window - time.Second); pulled.FirstTimestamp.Time.Before(earliest) {
		t.Errorf("pulled at %v, before the window of failure #%d ended (%v + %v): the new secret reset the backoff",
			pulled.FirstTimestamp.Time.Format(time.TimeOnly), failures, lastFailure.Format(time.TimeOnly), window)
	}
	if n, _ := failedPulls(a.Events(t, name)); n != failures {
		t.Errorf("%d failed pulls in the end, want %d (the first pull after the secret must succeed)", n, failures)
	}
	res = a.CLIT(t, "get", "events")
	fmt.Fprintf(&log, "\n===== Running: $ pullwarden get events (rows about %s)\n", name)
	for _, line := range strings.Split(res.Stdout, "\n") {
		if strings.Contains(line, "LAST SEEN") || strings.Contains(line, "pod/"+name) {
			log.WriteString(line + "\n")
		}
	}
	for _, want := range []string{"FailedToRetrieveImagePullSecret", "Unable to retrieve some image pull secrets (regcred)", "ImagePullBackOff", "Successfully pulled image"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("get events lacks %q:\n%s", want, res.Stdout)
		}
	}
}

func testTagLater(t *testing.T, a *Agent, b *base) {
	pause, _ := testImages(t)
	// Another tag exists, so the repository does: the missing tag is
	// TagNotFound, not RepositoryNotFound.
	testimage.Push(t, pause, b.reg.Ref("later/app:1"), nil)
	image := b.reg.Ref("later/app:2")
	const name = "tag-later"
	a.Apply(t, podManifest{Name: name, Image: image}.YAML())

	ev := a.WaitEvent(t, name, corev1.EventTypeWarning, "Failed", func(m string) bool {
		return strings.HasPrefix(m, fmt.Sprintf("Failed to pull image %q: TagNotFound: ", image))
	}, 60*time.Second)
	t.Logf("Failed event: %s", ev.Message)
	a.WaitStatus(t, name, "ErrImagePull", 30*time.Second)
	if r, msg := waiting(a.Pod(t, name), "app"); r != "ErrImagePull" || !strings.HasPrefix(msg, "TagNotFound: ") {
		t.Errorf("waiting = %q %q, want ErrImagePull with a message starting TagNotFound: ", r, msg)
	}
	digest := testimage.Push(t, pause, image, nil)
	a.WaitStatus(t, name, "Running", recoveryTimeout)
	a.WaitEvent(t, name, corev1.EventTypeNormal, "Pulled", func(m string) bool {
		return strings.HasPrefix(m, fmt.Sprintf("Successfully pulled image %q in ", image))
	}, 10*time.Second)
	// The kubelet on containerd reports a repo digest of the image (the
	// CRI's RepoDigests[0]), not the config ID. Other scenarios push the
	// same content to other repositories, and containerd's CRI may name
	// any of them, as it does under a kubelet: the digest must match.
	cs := containerStatus(a.Pod(t, name), "app")
	if cs == nil || strings.HasPrefix(cs.ImageID, "sha256:") || !strings.HasSuffix(cs.ImageID, "@"+digest.String()) {
		got := "<no status>"
		if cs != nil {
			got = cs.ImageID
		}
		t.Errorf("containerStatuses[app].imageID = %q, want REGISTRY/REPO@%s", got, digest)
	}
}

func testRegistryDown(t *testing.T, a *Agent) {
	pause, _ := testImages(t)
	reg := testregistry.Start(t)
	image := reg.Ref("flaky/app:1")
	testimage.Push(t, pause, image, nil)
	reg.Stop()
	const name = "registry-down"
	a.Apply(t, podManifest{Name: name, Image: image}.YAML())

	ev := a.WaitEvent(t, name, corev1.EventTypeWarning, "Failed", func(m string) bool {
		return strings.HasPrefix(m, fmt.Sprintf("Failed to pull image %q: ", image))
	}, 60*time.Second)
	if !strings.Contains(ev.Message, "RegistryUnreachable") {
		t.Errorf("Failed event message lacks RegistryUnreachable: %q", ev.Message)
	}
	a.WaitStatus(t, name, "ErrImagePull", 30*time.Second)
	if r, msg := waiting(a.Pod(t, name), "app"); r != "ErrImagePull" || !strings.HasPrefix(msg, "RegistryUnreachable: ") {
		t.Errorf("waiting = %q %q, want ErrImagePull with a message starting RegistryUnreachable: ", r, msg)
	}
	reg.Restart()
	a.WaitStatus(t, name, "Running", recoveryTimeout)
}

func testInitWaits(t *testing.T, a *Agent, b *base) {
	port := freePort(t)
	const name = "init-waits"
	a.Apply(t, podManifest{
		Name: name, Image: b.pauseRef,
		InitImage: b.busyboxRef,
		Init:      []string{"sh", "-c", fmt.Sprintf("until nc -w 1 127.0.0.1 %d </dev/null; do sleep 1; done; echo port open", port)},
	}.YAML())

	seen := a.WaitStatus(t, name, "Init:0/1", 60*time.Second)
	// It keeps waiting while the port is closed (a few syncs later).
	a.WaitEvent(t, name, corev1.EventTypeNormal, "Started", func(m string) bool { return m == "Container started" }, 10*time.Second)
	// The status shows it at the next sync (written at the start of a sync,
	// as the kubelet does), a relist period later.
	var p *corev1.Pod
	if !poll(5*time.Second, func() bool {
		p = a.Pod(t, name)
		cs := containerStatus(p, "init")
		return cs != nil && cs.State.Running != nil
	}) {
		t.Fatalf("init container not running while waiting: %+v", containerStatus(p, "init"))
	}
	if r, _ := waiting(p, "app"); r != "PodInitializing" {
		t.Errorf("app waiting reason = %q, want PodInitializing", r)
	}
	if p.Status.Phase != corev1.PodPending {
		t.Errorf("phase = %s, want Pending", p.Status.Phase)
	}
	if s := a.Status(t, name); s != "Init:0/1" {
		t.Errorf("STATUS while the port is closed = %q, want Init:0/1", s)
	}

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	seen = append(seen, a.WaitStatus(t, name, "Running", 60*time.Second)...)
	t.Logf("STATUS sequence: %q", seen)
	p = a.Pod(t, name)
	init := containerStatus(p, "init")
	if init == nil || init.State.Terminated == nil {
		t.Fatalf("init container not terminated: %+v", init)
	}
	if term := init.State.Terminated; term.ExitCode != 0 || term.Reason != "Completed" {
		t.Errorf("init terminated = exit %d reason %q, want exit 0 reason Completed", term.ExitCode, term.Reason)
	}
	app := containerStatus(p, "app")
	if app == nil || app.State.Running == nil {
		t.Fatalf("app not running: %+v", app)
	}
	if app.State.Running.StartedAt.Before(&init.State.Terminated.FinishedAt) {
		t.Errorf("app started at %v, before init finished at %v", app.State.Running.StartedAt, init.State.Terminated.FinishedAt)
	}
	if res := a.CLIT(t, "logs", name, "-c", "init"); !strings.Contains(res.Stdout, "port open") {
		t.Errorf("init logs lack %q:\n%s", "port open", res)
	}
	// Event order: the app's image step and start come after init started.
	evs := a.Events(t, name)
	initStarted := startedEvent(evs, "spec.initContainers{init}")
	appStarted := startedEvent(evs, "spec.containers{app}")
	if initStarted == nil || appStarted == nil {
		t.Fatalf("missing Started events:\n%s", formatEvents(evs))
	}
	if appStarted.FirstTimestamp.Before(&init.State.Terminated.FinishedAt) {
		t.Errorf("app Started event at %v, before init finished at %v", appStarted.FirstTimestamp, init.State.Terminated.FinishedAt)
	}
}

func testNeverPull(t *testing.T, a *Agent, b *base) {
	image := b.reg.Ref("never/app:1")
	const name = "never-pull"
	a.Apply(t, podManifest{Name: name, Image: image, Policy: "Never"}.YAML())
	a.WaitStatus(t, name, "ErrImageNeverPull", 60*time.Second)
	want := fmt.Sprintf("Container image %q is not present with pull policy of Never", image)
	if r, msg := waiting(a.Pod(t, name), "app"); r != "ErrImageNeverPull" || msg != want {
		t.Errorf("waiting = %q %q, want ErrImageNeverPull %q", r, msg, want)
	}
	// Re-evaluated on every sync: wait for a second evaluation, then check
	// that no pull was ever attempted.
	if !poll(40*time.Second, func() bool {
		e := findEvent(a.Events(t, name), corev1.EventTypeWarning, "ErrImageNeverPull", nil)
		return e != nil && e.Count >= 2
	}) {
		t.Errorf("ErrImageNeverPull not re-evaluated within 40s:\n%s", formatEvents(a.Events(t, name)))
	}
	evs := a.Events(t, name)
	if e := findEvent(evs, corev1.EventTypeWarning, "ErrImageNeverPull", nil); e == nil || e.Message != want {
		t.Errorf("ErrImageNeverPull event = %+v, want message %q", e, want)
	}
	if e := findEvent(evs, "", "Pulling", nil); e != nil {
		t.Errorf("a Pulling event with policy Never: %q", e.Message)
	}
	if e := findEvent(evs, "", "BackOff", nil); e != nil {
		t.Errorf("a BackOff event with policy Never (not a pull failure): %q", e.Message)
	}
}

func testInvalidName(t *testing.T, a *Agent) {
	const name, image = "invalid-name", "Bad:Name"
	a.Apply(t, podManifest{Name: name, Image: image}.YAML())
	a.WaitStatus(t, name, "InvalidImageName", 60*time.Second)
	prefix := fmt.Sprintf("Failed to apply default image tag %q: ", image)
	ev := a.WaitEvent(t, name, corev1.EventTypeWarning, "InspectFailed", nil, 10*time.Second)
	if !strings.HasPrefix(ev.Message, prefix) {
		t.Errorf("InspectFailed message = %q, want prefix %q", ev.Message, prefix)
	}
	if r, msg := waiting(a.Pod(t, name), "app"); r != "InvalidImageName" || !strings.HasPrefix(msg, prefix) {
		t.Errorf("waiting = %q %q, want InvalidImageName with prefix %q", r, msg, prefix)
	}
	if e := findEvent(a.Events(t, name), "", "Pulling", nil); e != nil {
		t.Errorf("a Pulling event for an invalid name: %q", e.Message)
	}
}

// startedEvent is the Started event of the container at fieldPath (1.37's
// "Container started" names no container: the fieldPath does).
func startedEvent(evs []corev1.Event, fieldPath string) *corev1.Event {
	for i := range evs {
		if evs[i].Reason == "Started" && evs[i].InvolvedObject.FieldPath == fieldPath {
			return &evs[i]
		}
	}
	return nil
}
