//go:build e2e

package controller_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/controller"
	"github.com/pullwarden/pullwarden/internal/cli"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/notify"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
)

// TestController runs one controller (namespace shop, fake clock, RBAC of
// ClusterRules and LeaderRules) through the stories of a stuck pod, one
// subtest each, in order: later ones rely on the images pushed earlier.
func TestController(t *testing.T) {
	e := start(t)
	img := testimage.Random(t, 1, 256)
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}

	// The repositories exist, the tags the pods want do not (yet).
	for _, repo := range []string{"team/app:v0", "team/data:v0"} {
		testimage.Push(t, img, e.reg.Ref(repo), nil)
	}

	// A pod in another namespace, waiting the same way, must stay untouched.
	e.pod(t, "other", "elsewhere", e.reg.Ref("team/app:v1"), podOpts{policy: corev1.PullAlways, waiting: reason.ErrImagePull})

	t.Run("tag pushed: TagNotFound, Fixed, pinned to the digest after the node's answer", func(t *testing.T) {
		image := e.reg.Ref("team/app:v1")
		e.pod(t, ns, "tag", image, podOpts{policy: corev1.PullAlways, waiting: reason.ErrImagePull})
		p := e.waitReason(t, "tag", "TagNotFound", false)
		if c := condition(p); c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "container app: image "+image) || !strings.Contains(c.Message, "; fix: ") {
			t.Fatalf("condition = %+v", c)
		}
		e.waitFor(t, "pods_waiting{cause=TagNotFound} = 1", false, func() bool {
			return metricValue(t, "pullwarden_controller_pods_waiting", "cause", "TagNotFound") == 1
		})
		// Re-checks that find the same cause write nothing: one event.
		for range 40 {
			e.clk.Step(time.Second)
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		if evs := e.events(t, "tag"); len(evs) != 1 || evs[0].Type != corev1.EventTypeWarning || evs[0].Reason != "TagNotFound" {
			t.Fatalf("events after re-checks of the same cause = %+v, want one Warning TagNotFound", evs)
		}
		testimage.Push(t, img, image, nil)
		p = e.waitReason(t, "tag", podmeta.ReasonFixed, true)
		e.waitPullRetried(t, "tag", pull.TriggerRecheck)
		if p.Spec.Containers[0].Image != image {
			t.Fatalf("image pinned before the node answered: %s", p.Spec.Containers[0].Image)
		}
		e.answer(t, p, podmeta.ImageResult{Container: "app", Image: image, Digest: digest.String()})
		e.waitFor(t, "the image pinned to its digest", false, func() bool {
			p = e.get(t, ns, "tag")
			return p.Spec.Containers[0].Image == image+"@"+digest.String()
		})
		var orig map[string]string
		if err := json.Unmarshal([]byte(p.Annotations[podmeta.OriginalImages]), &orig); err != nil || orig["app"] != image {
			t.Fatalf("%s = %q (%v)", podmeta.OriginalImages, p.Annotations[podmeta.OriginalImages], err)
		}
		before := metricValue(t, "pullwarden_controller_fix_to_running_seconds", "trigger", "recheck")
		e.running(t, "tag")
		p = e.waitReason(t, "tag", podmeta.ReasonPulled, false)
		if condition(p).Status != corev1.ConditionTrue {
			t.Fatalf("condition = %+v", condition(p))
		}
		if len(p.Status.Conditions) != 2 || !slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool { return c.Type == corev1.PodScheduled }) {
			t.Fatalf("the kubelet's conditions were not kept: %+v", p.Status.Conditions)
		}
		e.waitFor(t, "fix_to_running{trigger=recheck} observed", false, func() bool {
			return metricValue(t, "pullwarden_controller_fix_to_running_seconds", "trigger", "recheck") == before+1
		})
		if n := countEvents(e.events(t, "tag"), corev1.EventTypeWarning, "TagNotFound"); n != 1 {
			t.Errorf("%d TagNotFound events, want 1", n)
		}
	})

	t.Run("secret created: Unauthorized, retried on the Secret event without a re-check", func(t *testing.T) {
		auth := testregistry.Start(t, testregistry.WithHtpasswd("ci", "pw"))
		image := auth.Ref("team/private:v1")
		testimage.Push(t, img, image, auth.Authenticator())
		e.pod(t, ns, "creds", image, podOpts{policy: corev1.PullIfNotPresent, secrets: []string{"regcred"}, waiting: reason.ImagePullBackOff})
		p := e.waitReason(t, "creds", "Unauthorized", false)
		if !strings.Contains(condition(p).Message, "regcred") {
			t.Errorf("condition message does not name the missing secret: %q", condition(p).Message)
		}
		cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{auth.Host: map[string]string{"username": "ci", "password": "pw"}}})
		if _, err := e.cs.CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"},
			Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// The fake clock does not move: only the Secret event can retry.
		p = e.waitReason(t, "creds", podmeta.ReasonFixed, false)
		evs := e.waitPullRetried(t, "creds", pull.TriggerCredentials)
		for _, ev := range evs {
			if strings.Contains(ev.Message, "pw") && strings.Contains(ev.Message, "ci:") {
				t.Fatalf("event leaks the credential: %q", ev.Message)
			}
		}
		// IfNotPresent with the node's pull done: the node's update is the
		// nudge, the image stays as written.
		e.answer(t, p, podmeta.ImageResult{Container: "app", Image: image, Digest: digest.String()})
		e.running(t, "creds")
		p = e.waitReason(t, "creds", podmeta.ReasonPulled, false)
		if p.Spec.Containers[0].Image != image || p.Annotations[podmeta.OriginalImages] != "" {
			t.Fatalf("IfNotPresent pod pinned after the node pulled: %s %q", p.Spec.Containers[0].Image, p.Annotations[podmeta.OriginalImages])
		}
	})

	t.Run("registry back: RegistryUnreachable, retried by the probe before any re-check", func(t *testing.T) {
		reg := testregistry.Start(t)
		image := reg.Ref("team/outage:v1")
		testimage.Push(t, img, image, nil)
		reg.Stop()
		e.pod(t, ns, "outage", image, podOpts{policy: corev1.PullIfNotPresent, waiting: reason.ImagePullBackOff})
		e.waitReason(t, "outage", "RegistryUnreachable", false)
		reg.Restart()
		// One second: the probe (500ms to 1s) is due, the image's re-check
		// (2s) is not.
		e.clk.Step(time.Second)
		e.waitReason(t, "outage", podmeta.ReasonFixed, false)
		e.waitPullRetried(t, "outage", pull.TriggerRegistryBack)
		e.running(t, "outage")
		e.waitReason(t, "outage", podmeta.ReasonPulled, false)
	})

	t.Run("push notification from the registry: retried at once", func(t *testing.T) {
		reg := testregistry.Start(t, testregistry.WithNotifications("http://"+e.notify+notify.Path, nil))
		testimage.Push(t, img, reg.Ref("team/pushed:v0"), nil)
		image := reg.Ref("team/pushed:v1")
		e.pod(t, ns, "pushed", image, podOpts{policy: corev1.PullAlways, waiting: reason.ErrImagePull})
		e.waitReason(t, "pushed", "TagNotFound", false)
		testimage.Push(t, img, image, nil)
		// The fake clock does not move: only the notification can retry.
		e.waitReason(t, "pushed", podmeta.ReasonFixed, false)
		e.waitPullRetried(t, "pushed", pull.TriggerPush)
		e.running(t, "pushed")
		e.waitReason(t, "pushed", podmeta.ReasonPulled, false)
	})

	t.Run("IfNotPresent pod still waiting after the node's pull: pinned after the grace", func(t *testing.T) {
		// A kubelet that must verify the pod's credentials pulls anyway,
		// inside its backoff: the node's update did not start the pod.
		image := e.reg.Ref("team/grace:v1")
		testimage.Push(t, img, e.reg.Ref("team/grace:v0"), nil)
		e.pod(t, ns, "grace", image, podOpts{policy: corev1.PullIfNotPresent, waiting: reason.ImagePullBackOff})
		e.waitReason(t, "grace", "TagNotFound", false)
		testimage.Push(t, img, image, nil)
		p := e.waitReason(t, "grace", podmeta.ReasonFixed, true)
		e.answer(t, p, podmeta.ImageResult{Container: "app", Image: image, Digest: digest.String()})
		time.Sleep(300 * time.Millisecond)
		if got := e.get(t, ns, "grace").Spec.Containers[0].Image; got != image {
			t.Fatalf("pinned before the kubelet had its grace: %s", got)
		}
		// Well within --node-timeout: the grace after the answer is 2 s.
		e.clk.Step(4 * time.Second)
		e.waitFor(t, "the image pinned once the grace is over", false, func() bool {
			return e.get(t, ns, "grace").Spec.Containers[0].Image == image+"@"+digest.String()
		})
		e.running(t, "grace")
		e.waitReason(t, "grace", podmeta.ReasonPulled, false)
	})

	t.Run("service account given a pull secret: retried on the ServiceAccount event", func(t *testing.T) {
		auth := testregistry.Start(t, testregistry.WithHtpasswd("sa", "pw2"))
		image := auth.Ref("team/viasa:v1")
		testimage.Push(t, img, image, auth.Authenticator())
		if _, err := e.cs.CoreV1().ServiceAccounts(ns).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.pod(t, ns, "viasa", image, podOpts{policy: corev1.PullIfNotPresent, sa: "builder", waiting: reason.ImagePullBackOff})
		e.waitReason(t, "viasa", "Unauthorized", false)
		cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{auth.Host: map[string]string{"username": "sa", "password": "pw2"}}})
		if _, err := e.cs.CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "builder-pull"},
			Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		raw := []byte(`{"imagePullSecrets":[{"name":"builder-pull"}]}`)
		if _, err := e.cs.CoreV1().ServiceAccounts(ns).Patch(t.Context(), "builder", types.MergePatchType, raw, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		e.waitReason(t, "viasa", podmeta.ReasonFixed, false) // the clock stands still
		e.waitPullRetried(t, "viasa", pull.TriggerCredentials)
		// The node pulled, but the pod still waits (the kubelet did not
		// take the node's update as its nudge): NodeTimeout later the
		// IfNotPresent container is pinned too.
		e.answer(t, e.get(t, ns, "viasa"), podmeta.ImageResult{Container: "app", Image: image, Digest: digest.String()})
		time.Sleep(300 * time.Millisecond)
		if got := e.get(t, ns, "viasa").Spec.Containers[0].Image; got != image {
			t.Fatalf("pinned right after the node's pull: %s", got)
		}
		e.waitFor(t, "the image pinned once the pod kept waiting", true, func() bool {
			return e.get(t, ns, "viasa").Spec.Containers[0].Image == image+"@"+digest.String()
		})
		e.running(t, "viasa")
		e.waitReason(t, "viasa", podmeta.ReasonPulled, false)
	})

	t.Run("retry requested through pullwarden retry pod", func(t *testing.T) {
		image := e.reg.Ref("team/app:never")
		e.pod(t, ns, "manual", image, podOpts{policy: corev1.PullIfNotPresent, waiting: reason.ImagePullBackOff})
		e.waitReason(t, "manual", "TagNotFound", false)
		before := metricValue(t, "pullwarden_controller_retries_total", "trigger", "retry_command")
		var out, errb bytes.Buffer
		code := cli.Main(t.Context(), []string{"retry", "pod", "manual", "-n", ns, "--kubeconfig", e.api.Kubeconfig}, nil, &out, &errb)
		if code != 0 || out.String() != "pod/manual retried\n" {
			t.Fatalf("retry pod: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
		p := e.waitReason(t, "manual", podmeta.ReasonFixed, false)
		if _, err := time.Parse(time.RFC3339, p.Annotations[podmeta.RetryRequested]); err != nil {
			t.Fatalf("%s = %q: %v", podmeta.RetryRequested, p.Annotations[podmeta.RetryRequested], err)
		}
		e.waitPullRetried(t, "manual", pull.TriggerManual)
		if after := metricValue(t, "pullwarden_controller_retries_total", "trigger", "retry_command"); after != before+1 {
			t.Errorf("retries_total{trigger=retry_command} %v -> %v", before, after)
		}
		// The node failed and the tag is still missing: the next re-check
		// finds the cause again (a change from Fixed: one more event).
		e.answer(t, p, podmeta.ImageResult{Container: "app", Image: image, Reason: "TagNotFound", Message: "not found"})
		e.waitReason(t, "manual", "TagNotFound", true)
		if n := countEvents(e.events(t, "manual"), corev1.EventTypeWarning, "TagNotFound"); n != 2 {
			t.Errorf("%d TagNotFound events, want 2 (before and after the retry)", n)
		}
		// --all annotates only the pods waiting on an image (tag and creds run).
		out.Reset()
		errb.Reset()
		code = cli.Main(t.Context(), []string{"retry", "pod", "--all", "-n", ns, "--kubeconfig", e.api.Kubeconfig}, nil, &out, &errb)
		if code != 0 || out.String() != "pod/manual retried\n" {
			t.Fatalf("retry pod --all: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
		if e.get(t, ns, "tag").Annotations[podmeta.RetryRequested] != "" {
			t.Error("retry pod --all annotated a running pod")
		}
		out.Reset()
		errb.Reset()
		code = cli.Main(t.Context(), []string{"retry", "pod", "-l", "app=none", "-n", ns, "--kubeconfig", e.api.Kubeconfig}, nil, &out, &errb)
		if code != 0 || out.String() != "" || !strings.Contains(errb.String(), "No pods matched.") {
			t.Fatalf("retry pod -l app=none: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
		errb.Reset()
		code = cli.Main(t.Context(), []string{"retry", "pod", "nosuch", "-n", ns, "--kubeconfig", e.api.Kubeconfig}, nil, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), `Error from server (NotFound): pods "nosuch" not found`) {
			t.Fatalf("retry pod nosuch: exit %d, stderr %q", code, errb.String())
		}
		e.waitFor(t, "a second PullRetried on manual", false, func() bool {
			return countEvents(e.events(t, "manual"), corev1.EventTypeNormal, reason.EventPullRetried) == 2
		})
	})

	t.Run("node silent: an IfNotPresent pod is pinned after --node-timeout", func(t *testing.T) {
		image := e.reg.Ref("team/app:late")
		e.pod(t, ns, "silent", image, podOpts{policy: corev1.PullIfNotPresent, waiting: reason.ImagePullBackOff})
		e.waitReason(t, "silent", "TagNotFound", false)
		testimage.Push(t, img, image, nil)
		e.waitReason(t, "silent", podmeta.ReasonFixed, true)
		e.waitFor(t, "the pull-request token", false, func() bool { return e.get(t, ns, "silent").Annotations[podmeta.PullRequest] != "" })
		time.Sleep(300 * time.Millisecond)
		if img := e.get(t, ns, "silent").Spec.Containers[0].Image; img != image {
			t.Fatalf("pinned before the node timeout: %s", img)
		}
		e.waitFor(t, "the image pinned once the node timed out", true, func() bool {
			return e.get(t, ns, "silent").Spec.Containers[0].Image == image+"@"+digest.String()
		})
	})

	t.Run("leader election, health and metrics endpoints", func(t *testing.T) {
		lease, err := e.cs.CoordinationV1().Leases(controller.DefaultLeaseNamespace).Get(t.Context(), controller.LeaseName, metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
			t.Fatalf("lease %s: %+v, %v", controller.LeaseName, lease, err)
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			if code, body := httpGet(t, "http://"+e.health+path); code != http.StatusOK {
				t.Errorf("GET %s: %d %s", path, code, body)
			}
		}
		code, body := httpGet(t, "http://"+e.metrics+"/metrics")
		for _, m := range []string{"pullwarden_controller_pods_waiting", "pullwarden_controller_fix_to_running_seconds_bucket", `pullwarden_controller_retries_total{trigger="retry_command"} 2`} {
			if code != http.StatusOK || !strings.Contains(body, m) {
				t.Errorf("GET /metrics: %d, no %s", code, m)
			}
		}
	})

	t.Run("recreate on fix: an owned opted-in pod is deleted, a bare pod never", func(t *testing.T) {
		app := e.reg.Ref("team/app:v1") // pushed above
		vol := e.reg.Ref("team/data:v1")
		optIn := map[string]string{podmeta.RecreateOnFix: "true"}
		e.pod(t, ns, "owned", app, podOpts{policy: corev1.PullIfNotPresent, owned: true, annot: optIn, volume: vol})
		e.pod(t, ns, "bare", app, podOpts{policy: corev1.PullIfNotPresent, annot: optIn, volume: vol})
		e.waitReason(t, "owned", "TagNotFound", false)
		e.waitReason(t, "bare", "TagNotFound", false)
		testimage.Push(t, img, vol, nil)
		bare := e.waitReason(t, "bare", podmeta.ReasonFixed, true)
		owned := e.waitReason(t, "owned", podmeta.ReasonFixed, true)
		e.answer(t, bare, podmeta.ImageResult{Container: "data", Image: vol, Digest: digest.String()})
		e.answer(t, owned, podmeta.ImageResult{Container: "data", Image: vol, Digest: digest.String()})
		// Without a kubelet a deleted pod keeps its deletionTimestamp.
		e.waitFor(t, "the owned pod deleted", false, func() bool {
			p, err := e.cs.CoreV1().Pods(ns).Get(t.Context(), "owned", metav1.GetOptions{})
			return apierrors.IsNotFound(err) || (err == nil && p.DeletionTimestamp != nil)
		})
		time.Sleep(500 * time.Millisecond)
		if p := e.get(t, ns, "bare"); p.DeletionTimestamp != nil {
			t.Fatal("the bare pod is being deleted")
		}
	})

	t.Run("one registry request per re-check for all the pods of an image", func(t *testing.T) {
		var heads atomic.Int64
		counted := testregistry.StartInProcess(t, testregistry.WithMiddleware(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodHead && strings.HasSuffix(r.URL.Path, "/manifests/v1") {
					heads.Add(1)
				}
				h.ServeHTTP(w, r)
			})
		}))
		testimage.Push(t, img, counted.Ref("team/many:v0"), nil)
		image := counted.Ref("team/many:v1")
		const pods = 6
		for i := range pods {
			e.pod(t, ns, fmt.Sprintf("many-%d", i), image, podOpts{policy: corev1.PullIfNotPresent, waiting: reason.ImagePullBackOff})
		}
		for i := range pods {
			e.waitReason(t, fmt.Sprintf("many-%d", i), "TagNotFound", false)
		}
		e.clk.Step(time.Second) // past the memo of the first diagnoses
		time.Sleep(200 * time.Millisecond)
		before := heads.Load()
		e.clk.Step(2 * time.Second) // the shared re-check is due
		e.waitFor(t, "the re-check round", false, func() bool { return heads.Load() > before })
		time.Sleep(500 * time.Millisecond)
		if n := heads.Load() - before; n != 1 {
			t.Fatalf("%d manifest HEADs for one re-check of %d pods, want 1", n, pods)
		}
	})

	t.Run("namespace scoping", func(t *testing.T) {
		p := e.get(t, "other", "elsewhere")
		if condition(p) != nil || p.Annotations[podmeta.PullRequest] != "" {
			t.Fatalf("pod outside --namespace touched: %+v %v", p.Status.Conditions, p.Annotations)
		}
		list, err := e.cs.CoreV1().Events("other").List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 0 {
			t.Fatalf("events in namespace other: %+v", list.Items)
		}
	})
}
