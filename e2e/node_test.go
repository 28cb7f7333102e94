//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/internal/testapiserver"
	"github.com/pullwarden/pullwarden/internal/testcontainerd"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testlog"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/node"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/runtime/cri"
)

// nodeFixture is a real API server, a real containerd and the node
// DaemonSet's work (package node) for "node-1" running against both.
type nodeFixture struct {
	api  *testapiserver.APIServer
	ctd  *testcontainerd.Containerd
	node *node.Node
	http *httptest.Server
	logs *testlog.Buffer
}

func startNode(t *testing.T, c clock.Clock) *nodeFixture {
	t.Helper()
	f := &nodeFixture{api: testapiserver.Start(t), ctd: testcontainerd.Start(t), logs: &testlog.Buffer{}}
	ctx := t.Context()
	for _, ns := range []string{"shop", "pullwarden-system"} {
		if _, err := f.api.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.api.Client.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(ctx, node.Config{NodeName: "node-1", Client: f.api.Client, ContainerdAddress: f.ctd.Address,
		Clock: c, Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry: registry.Options{Retry: registry.RetryPolicy{Attempts: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	f.node = n
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		_ = n.Close()
	})
	f.http = httptest.NewServer(n.Handler())
	t.Cleanup(f.http.Close)
	return f
}

// secret creates a docker-registry secret for host in ns.
func (f *nodeFixture) secret(t *testing.T, ns, name, host, user, password string) {
	t.Helper()
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"username": user, "password": password}}})
	if _, err := f.api.Client.CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitingPod creates a pod bound to nodeName whose container "app" waits
// with ErrImagePull (written through the status subresource, as the
// kubelet does), then asks for a pull with token.
func (f *nodeFixture) waitingPod(t *testing.T, name, nodeName, image, secret, token string) *corev1.Pod {
	t.Helper()
	ctx := t.Context()
	pods := f.api.Client.CoreV1().Pods("shop")
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: nodeName,
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: secret}},
		InitContainers:   []corev1.Container{{Name: "never", Image: "example.invalid/never:1", ImagePullPolicy: corev1.PullNever}},
		Containers:       []corev1.Container{{Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent}}}}
	p, err := pods.Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = corev1.PodPending
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "never", Image: "example.invalid/never:1",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull"}}}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "failed to pull"}}}}
	if p, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	return f.request(t, p.Name, token)
}

// request writes a new pull-request token on pod name.
func (f *nodeFixture) request(t *testing.T, name, token string) *corev1.Pod {
	t.Helper()
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{podmeta.PullRequest: token}}})
	p, err := f.api.Client.CoreV1().Pods("shop").Patch(t.Context(), name, "application/merge-patch+json", patch, metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// result waits (at most 20 s) for the pod's pull-result for token.
func (f *nodeFixture) result(t *testing.T, name, token string) podmeta.PullResultValue {
	t.Helper()
	var v podmeta.PullResultValue
	nodePoll(t, 20*time.Second, "pull-result "+token+" on pod "+name, func() bool {
		p, err := f.api.Client.CoreV1().Pods("shop").Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		v = podmeta.PullResultValue{}
		return json.Unmarshal([]byte(p.Annotations[podmeta.PullResult]), &v) == nil && v.Token == token
	})
	return v
}

func (f *nodeFixture) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(f.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	return string(b)
}

// nodePoll polls cond every 20 ms until it holds or timeout passes.
func nodePoll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertInContainerd checks that the CRI sees image and that containerd's
// k8s.io namespace holds it unpacked.
func assertInContainerd(t *testing.T, address, image string) {
	t.Helper()
	ctx := t.Context()
	rt, err := cri.New(ctx, address)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if _, err := rt.ImageStatus(ctx, image); err != nil {
		t.Errorf("the CRI does not see %s: %v", image, err)
	}
	ref, err := reference.Parse(image)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nctx := namespaces.WithNamespace(ctx, "k8s.io")
	rec, err := c.ImageService().Get(nctx, ref.String())
	if err != nil {
		t.Fatalf("containerd k8s.io has no %s: %v", ref, err)
	}
	if ok, err := client.NewImage(c, rec).IsUnpacked(nctx, "overlayfs"); err != nil || !ok {
		t.Errorf("%s unpacked = %v, %v", ref, ok, err)
	}
}

// TestNodeAnswersPullRequests: the node pulls a pod's waiting image with
// the pod's secret into containerd and answers with the digest; a wrong
// secret gets the cause in the answer and a Warning event, no credential
// anywhere; a pod of another node is ignored; a token is answered once.
func TestNodeAnswersPullRequests(t *testing.T) {
	requireReal(t)
	const goodPW, badPW = "g00d-pa55-3f9c1", "wr0ng-pa55-77ad2"
	reg := testregistry.Start(t, testregistry.WithHtpasswd("ci", goodPW))
	image := reg.Ref("team/app:v2")
	want := testimage.Push(t, testimage.Random(t, 2, 4096), image, reg.Authenticator())
	start := time.Now()
	f := startNode(t, clock.Real())
	t.Logf("API server, containerd and node up in %v", time.Since(start).Round(time.Millisecond))
	f.secret(t, "shop", "regcred", reg.Host, "ci", goodPW)
	f.secret(t, "shop", "badcred", reg.Host, "ci", badPW)

	f.waitingPod(t, "elsewhere", "node-2", image, "regcred", "t-other")
	f.waitingPod(t, "good", "node-1", image, "regcred", "t1")
	f.waitingPod(t, "bad", "node-1", image, "badcred", "t1")

	good := f.result(t, "good", "t1")
	if good.Node != "node-1" || !good.OK() || len(good.Images) != 1 {
		t.Fatalf("good answer %+v, want one pulled image (the Never init container skipped)", good)
	}
	if im := good.Images[0]; im.Container != "app" || im.Image != image || im.Digest != want.String() {
		t.Errorf("good image %+v, want app %s %s", im, image, want)
	}
	assertInContainerd(t, f.ctd.Address, image)

	bad := f.result(t, "bad", "t1")
	if bad.OK() || len(bad.Images) != 1 || bad.Images[0].Reason != "Unauthorized" || bad.Images[0].Digest != "" {
		t.Fatalf("bad answer %+v, want Unauthorized", bad)
	}
	var warnings []corev1.Event
	nodePoll(t, 10*time.Second, "the Warning event of pod bad", func() bool {
		list, err := f.api.Client.CoreV1().Events("shop").List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		warnings = warnings[:0]
		for _, e := range list.Items {
			if e.InvolvedObject.Name == "bad" && e.Source.Component == podmeta.NodeComponent {
				warnings = append(warnings, e)
			}
		}
		return len(warnings) > 0
	})
	if e := warnings[0]; e.Type != corev1.EventTypeWarning || e.Reason != "Unauthorized" || e.Source.Host != "node-1" ||
		!strings.HasPrefix(e.Message, "container app: image "+image+": ") || !strings.Contains(e.Message, "; fix: ") {
		t.Errorf("event %s %s from %s/%s: %q", e.Type, e.Reason, e.Source.Component, e.Source.Host, e.Message)
	}

	// The same token again (an unrelated update) is not answered twice; a
	// new token is.
	patch := []byte(`{"metadata":{"labels":{"touched":"yes"}}}`)
	if _, err := f.api.Client.CoreV1().Pods("shop").Patch(t.Context(), "bad", "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	f.request(t, "good", "t2")
	if again := f.result(t, "good", "t2"); !again.OK() || again.Images[0].Digest != want.String() {
		t.Errorf("second answer %+v", again)
	}
	metrics := f.get(t, "/metrics")
	for _, line := range []string{`pullwarden_node_pull_requests_total{result="success"} 2`, `pullwarden_node_pull_requests_total{result="failure"} 1`,
		`pullwarden_pulls_total{cause="Unauthorized",result="failure"} 1`} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	list, err := f.api.Client.CoreV1().Events("shop").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list.Items {
		if e.InvolvedObject.Name == "bad" && e.Source.Component == podmeta.NodeComponent {
			n++
		}
	}
	if n != 1 {
		t.Errorf("pod bad has %d events of the node, want 1 (token t1 answered once)", n)
	}

	// A pod of another node is never answered.
	other, err := f.api.Client.CoreV1().Pods("shop").Get(t.Context(), "elsewhere", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := other.Annotations[podmeta.PullResult]; r != "" {
		t.Errorf("pod of node-2 answered: %s", r)
	}

	// /images and the explain endpoints, and no credential anywhere.
	images := f.get(t, "/images")
	explained := f.get(t, "/explain/pod/shop/bad")
	var ex struct {
		Containers []struct {
			Name   string                  `json:"name"`
			Result struct{ Reason string } `json:"result"`
		} `json:"containers"`
	}
	if err := json.Unmarshal([]byte(explained), &ex); err != nil {
		t.Fatal(err)
	}
	app := ""
	for _, c := range ex.Containers {
		if c.Name == "app" {
			app = c.Result.Reason
		}
	}
	if app != "Unauthorized" {
		t.Errorf("/explain/pod/shop/bad: container app %q, want Unauthorized:\n%s", app, explained)
	}
	// Present and IfNotPresent: nothing to pull. Absent: the node has no
	// credential of its own for the registry.
	if present := f.get(t, "/explain/image?ref="+image); !strings.Contains(present, `"pullable": true`) {
		t.Errorf("/explain/image of a present image:\n%s", present)
	}
	explainedImage := f.get(t, "/explain/image?ref="+reg.Ref("team/app:v3"))
	if !strings.Contains(explainedImage, `"reason": "Unauthorized"`) {
		t.Errorf("/explain/image without node credentials should say Unauthorized:\n%s", explainedImage)
	}
	if !strings.Contains(images, `"pod": "good"`) || !strings.Contains(images, want.String()) || !strings.Contains(images, `"reason": "Unauthorized"`) {
		t.Errorf("/images:\n%s", images)
	}
	eventsJSON, _ := json.Marshal(list.Items)
	badPod, _ := f.api.Client.CoreV1().Pods("shop").Get(t.Context(), "bad", metav1.GetOptions{})
	annotations, _ := json.Marshal(badPod.Annotations)
	for what, s := range map[string]string{"logs": f.logs.String(), "events": string(eventsJSON), "annotations": string(annotations),
		"/images": images, "/explain/pod": explained, "/explain/image": explainedImage, "/metrics": metrics} {
		for _, pw := range []string{goodPW, badPW} {
			if strings.Contains(s, pw) {
				t.Errorf("%s hold a password", what)
			}
		}
	}
}

// TestNodePrepullFromConfigMap: the pre-pull ConfigMap names an image
// while its registry is down; once it is back (the fake clock stepped, no
// restart) the image is in containerd; a changed ConfigMap pulls its new
// image.
func TestNodePrepullFromConfigMap(t *testing.T) {
	requireReal(t)
	reg := testregistry.StartInProcess(t)
	first, second := reg.Ref("base/tools:1"), reg.Ref("base/shell:2")
	testimage.Push(t, testimage.Random(t, 1, 2048), first, nil)
	testimage.Push(t, testimage.Random(t, 1, 2048, testimage.WithSeed(7)), second, nil)
	reg.Stop()
	fake := clock.NewFake(time.Now())
	f := startNode(t, fake)
	cms := f.api.Client.CoreV1().ConfigMaps("pullwarden-system")
	cm, err := cms.Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: node.DefaultPrepullConfigMap},
		Data: map[string]string{node.PrepullImagesKey: "# deploy-time images\n" + first + "\n"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	state := func(image string) node.ImageState {
		for _, s := range f.node.Images().Prepull {
			if s.Image == image {
				return s
			}
		}
		return node.ImageState{}
	}
	nodePoll(t, 20*time.Second, "the pre-pull to fail while the registry is down", func() bool { return state(first).State == node.StateFailing })
	if s := state(first); s.Reason != "RegistryUnreachable" {
		t.Errorf("while down: %+v", s)
	}
	if m := f.get(t, "/metrics"); !strings.Contains(m, `pullwarden_prepull_images{cause="RegistryUnreachable",state="Failing"} 1`) {
		t.Errorf("/metrics while down:\n%s", grepLines(m, "prepull"))
	}
	reg.Restart()
	nodePoll(t, 20*time.Second, "the pre-pull once the registry is back", func() bool {
		if fake.HasWaiters() {
			fake.Step(time.Second)
		}
		return state(first).State == node.StatePresent
	})
	assertInContainerd(t, f.ctd.Address, first)

	// A changed ConfigMap: a new image, and a private one pulled with the
	// ConfigMap's secret.
	private := testregistry.Start(t, testregistry.WithHtpasswd("ci", "pre-pull-pw"))
	third := private.Ref("team/private:1")
	testimage.Push(t, testimage.Random(t, 1, 1024, testimage.WithSeed(9)), third, private.Authenticator())
	f.secret(t, "pullwarden-system", "prepullcred", private.Host, "ci", "pre-pull-pw")
	cm.Data[node.PrepullImagesKey] += second + "\n" + third + "\n"
	cm.Data[node.PrepullSecretsKey] = "prepullcred"
	if _, err := cms.Update(t.Context(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	nodePoll(t, 20*time.Second, "the new images of the changed ConfigMap", func() bool {
		return state(second).State == node.StatePresent && state(third).State == node.StatePresent
	})
	assertInContainerd(t, f.ctd.Address, second)
	assertInContainerd(t, f.ctd.Address, third)
	if m := f.get(t, "/metrics"); !strings.Contains(m, `pullwarden_prepull_images{cause="",state="Present"} 3`) {
		t.Errorf("/metrics once present:\n%s", grepLines(m, "prepull"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
