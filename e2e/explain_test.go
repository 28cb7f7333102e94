//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/internal/faultproxy"
	"github.com/pullwarden/pullwarden/internal/testapiserver"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/workload"
)

// plugin links the e2e binary as kubectl-pullwarden and runs it with args,
// as kubectl runs a plugin, with a hermetic docker config.
func plugin(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	link := filepath.Join(t.TempDir(), "kubectl-pullwarden")
	if err := os.Symlink(binary, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir(), "KUBECONFIG=")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// clusterFixture is a real API server with a private registry holding
// team/app:v2.0 and v1.9, the same registry behind a proxy answering 429,
// and a docker-registry secret "regcred" in namespace "shop".
type clusterFixture struct {
	api         *testapiserver.APIServer
	reg         *testregistry.Registry
	limited     string // host of the rate-limiting proxy
	unreachable string // host:port with nothing listening
}

func newClusterFixture(t *testing.T) *clusterFixture {
	t.Helper()
	f := &clusterFixture{api: testapiserver.Start(t)}
	f.reg = testregistry.Start(t, testregistry.WithHtpasswd("ci", "pw"))
	img := testimage.Random(t, 1, 512)
	for _, tag := range []string{"v2.0", "v1.9"} {
		testimage.Push(t, img, f.reg.Ref("team/app:"+tag), f.reg.Authenticator())
	}
	p, err := faultproxy.New(f.reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(faultproxy.Rule{Method: http.MethodHead, Path: `/manifests/`, Fault: faultproxy.Fault{
		Kind: faultproxy.Status, Code: http.StatusTooManyRequests, RetryAfter: "3600",
		Body: `{"errors":[{"code":"TOOMANYREQUESTS","message":"pull rate limit"}]}`}})
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Cleanup(p.Close)
	f.limited = strings.TrimPrefix(srv.URL, "http://")
	closed := httptest.NewServer(http.NotFoundHandler())
	f.unreachable = strings.TrimPrefix(closed.URL, "http://")
	closed.Close()
	auths := map[string]any{}
	for _, h := range []string{f.reg.Host, f.limited} {
		auths[h] = map[string]string{"username": "ci", "password": "pw"}
	}
	cfg, _ := json.Marshal(map[string]any{"auths": auths})
	ctx := t.Context()
	cs := f.api.Client
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// pod creates a pod in shop and sets its container's waiting state through
// the status subresource, as the kubelet does.
func (f *clusterFixture) pod(t *testing.T, name, image string, secrets []string, waiting string, failures int32) *corev1.Pod {
	t.Helper()
	ctx := t.Context()
	cs := f.api.Client.CoreV1()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: "node-1",
		Containers: []corev1.Container{{Name: "app", Image: image}}}}
	for _, s := range secrets {
		p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	p, err := cs.Pods("shop").Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = corev1.PodPending
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: waiting, Message: "Back-off pulling image " + image}}}}
	if p, err = cs.Pods("shop").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if failures > 0 {
		now := time.Now()
		_, err := cs.Events("shop").Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name + ".failed"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: name, UID: p.UID, APIVersion: "v1"},
			Reason:         "Failed", Message: fmt.Sprintf("Failed to pull image %q: not found", image), Type: "Warning", Count: failures,
			FirstTimestamp: metav1.NewTime(now.Add(-time.Minute)), LastTimestamp: metav1.NewTime(now.Add(-5 * time.Second)),
			Source: corev1.EventSource{Component: "kubelet", Host: "node-1"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestPluginExplainPodOnCluster: kubectl pullwarden explain pod against a
// real API server, one pod per cause of the article plus a rate limit.
func TestPluginExplainPodOnCluster(t *testing.T) {
	f := newClusterFixture(t)
	cases := []struct {
		name, image  string
		secrets      []string
		waiting      string
		failures     int32
		step, reason string
		evidence     string
	}{
		{"typo", f.reg.Ref("team/App:v2.0"), nil, "InvalidImageName", 0, "reference", "InvalidImageName", "must be lowercase"},
		{"nocreds", f.reg.Ref("team/app:v2.0"), []string{"gone"}, "ImagePullBackOff", 2, "authentication", "Unauthorized", "missing secret(s) gone"},
		{"notag", f.reg.Ref("team/app:v2"), nil, "ImagePullBackOff", 3, "manifest", "TagNotFound", "nearest existing tags: v2.0, v1.9"},
		{"down", f.unreachable + "/team/app:v2.0", nil, "ErrImagePull", 1, "tcp", "RegistryUnreachable", "connection refused"},
		{"limited", f.limited + "/team/app:v2.0", nil, "ErrImagePull", 1, "rateLimit", "RateLimited", "rate-limited"},
	}
	for _, tc := range cases {
		f.pod(t, tc.name, tc.image, tc.secrets, tc.waiting, tc.failures)
	}
	f.pod(t, "fine", f.reg.Ref("team/app:v2.0"), nil, "ErrImagePull", 1)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := plugin(t, "explain", "pod", tc.name, "-n", "shop", "--kubeconfig", f.api.Kubeconfig, "-o", "json")
			var res kube.PodResult
			if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 {
				t.Fatalf("exit %d, %v\n%s%s", code, err, out, errOut)
			}
			c := res.Containers[0]
			failed := c.Result.FailedStep()
			if failed == nil || failed.Name != tc.step || failed.Reason != tc.reason || !strings.Contains(c.Result.Message, tc.evidence) {
				t.Fatalf("failed step %+v, message %q; want %s %s with %q", failed, c.Result.Message, tc.step, tc.reason, tc.evidence)
			}
			if node := c.Result.Step("node"); node.Status != "skipped" || !strings.Contains(node.Evidence, "node node-1") {
				t.Errorf("node step: %+v", node)
			}
			if strings.Contains(out, `"pw"`) || strings.Contains(out, "Y2k6cHc=") {
				t.Fatal("a credential value in the output")
			}
		})
	}
	t.Run("fine", func(t *testing.T) {
		out, errOut, code := plugin(t, "explain", "pod", "fine", "-n", "shop", "--kubeconfig", f.api.Kubeconfig)
		if code != 0 || !strings.Contains(out, "accepted secret shop/regcred") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		t.Logf("kubectl pullwarden explain pod fine -n shop:\n%s", out)
	})
	out, _, _ := plugin(t, "explain", "pod", "notag", "-n", "shop", "--kubeconfig", f.api.Kubeconfig)
	t.Logf("kubectl pullwarden explain pod notag -n shop:\n%s", out)
	if !strings.Contains(out, "ImagePullBackOff after 3 failed pull(s): back-off 40s") {
		t.Errorf("the kubelet's next step is missing:\n%s", out)
	}
}

// TestPluginCheckOnCluster: kubectl pullwarden check -f with one bad image
// per cause, secrets and service accounts read from the cluster.
func TestPluginCheckOnCluster(t *testing.T) {
	f := newClusterFixture(t)
	deploy := func(name, image, secret string) string {
		ps := ""
		if secret != "" {
			ps = "      imagePullSecrets: [{name: " + secret + "}]\n"
		}
		return fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s}\nspec:\n  template:\n    spec:\n%s      containers: [{name: app, image: %q}]\n", name, ps, image)
	}
	docs := []string{
		deploy("ok", f.reg.Ref("team/app:v2.0"), ""),
		deploy("typo", f.reg.Ref("team/App:v2.0"), ""),
		deploy("nocreds", f.reg.Ref("team/app:v2.0"), "gone"),
		deploy("notag", f.reg.Ref("team/app:v2"), ""),
		deploy("down", f.unreachable+"/team/app:v2.0", ""),
		deploy("limited", f.limited+"/team/app:v2.0", ""),
	}
	file := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(file, []byte(strings.Join(docs, "---\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, errOut, code := plugin(t, "check", "-f", file, "-n", "shop", "--kubeconfig", f.api.Kubeconfig, "-o", "json")
	elapsed := time.Since(start)
	var rep workload.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
		t.Fatalf("exit %d, %v\n%s%s", code, err, out, errOut)
	}
	want := map[string]string{"Deployment/ok": "", "Deployment/typo": "InvalidImageName", "Deployment/nocreds": "Unauthorized",
		"Deployment/notag": "TagNotFound", "Deployment/down": "RegistryUnreachable", "Deployment/limited": "RateLimited"}
	for _, r := range rep.Rows {
		if r.Result.Reason != want[r.Workload] {
			t.Errorf("%s: %s (%s), want %q", r.Workload, r.Result.Reason, r.Result.Message, want[r.Workload])
		}
		if r.Workload == "Deployment/ok" && !strings.HasPrefix(r.Credential, "secret shop/regcred") {
			t.Errorf("ok used %q, want the service account's regcred from the cluster", r.Credential)
		}
	}
	table, _, _ := plugin(t, "check", "-f", file, "-n", "shop", "--kubeconfig", f.api.Kubeconfig)
	t.Logf("kubectl pullwarden check -f app.yaml -n shop (%s):\n%s", elapsed.Round(time.Millisecond), table)
}
