//go:build e2e

package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/controller"
	"github.com/pullwarden/pullwarden/internal/testapiserver"
	"github.com/pullwarden/pullwarden/internal/testlog"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
)

const ns = "shop"

// env is a real API server with pullwarden controller watching namespace
// shop on a fake clock (re-checks and the node timeout move only when the
// test steps it), and a registry. The test plays the kubelet (waiting
// statuses through pods/status, Failed events) and the node DaemonSet
// (pull-result).
type env struct {
	cs  kubernetes.Interface
	api *testapiserver.APIServer
	reg *testregistry.Registry
	clk *clock.Fake
	// metrics, health and notify are the controller's listen addresses.
	metrics, health, notify string
}

// freeAddr is a free loopback address for a listener.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpGet returns the status and body of GET url.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func start(t *testing.T) *env {
	t.Helper()
	e := &env{api: testapiserver.Start(t), reg: testregistry.StartInProcess(t), clk: clock.NewFake(time.Now())}
	e.cs = e.api.Client
	for _, n := range []string{ns, "other", controller.DefaultLeaseNamespace} {
		if _, err := e.cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cs.CoreV1().ServiceAccounts(n).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := e.restricted(t)
	e.metrics, e.health, e.notify = freeAddr(t), freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs testlog.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() {
		done <- controller.Run(ctx, cfg, controller.Options{Namespace: ns, MetricsListen: e.metrics, HealthListen: e.health,
			NotifyListen: e.notify, LeaderElect: true, NodeTimeout: 10 * time.Second, Clock: e.clk, Logger: logger})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller.Run: %v", err)
		}
		if strings.Contains(logs.String(), "forbidden") {
			t.Errorf("the controller met a permission it lacks (controller.ClusterRules, LeaderRules)")
		}
		if t.Failed() {
			t.Logf("controller log:\n%s", logs.String())
		}
	})
	return e
}

// restricted returns a client config for the service account
// pullwarden-controller bound to exactly controller.ClusterRules and, in
// the Lease's namespace, controller.LeaderRules: the tests prove the RBAC
// that deploy/ grants is enough.
func (e *env) restricted(t *testing.T) *rest.Config {
	t.Helper()
	ctx := t.Context()
	const name, sysNS = "pullwarden-controller", controller.DefaultLeaseNamespace
	rbac := e.cs.RbacV1()
	subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: sysNS}}
	steps := []func() error{
		func() error {
			_, err := e.cs.CoreV1().ServiceAccounts(sysNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: controller.ClusterRules()}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subjects,
				RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.Roles(sysNS).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: controller.LeaderRules()}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.RoleBindings(sysNS).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subjects,
				RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name}}, metav1.CreateOptions{})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := e.cs.CoreV1().ServiceAccounts(sysNS).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptrTo(int64(3600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(e.api.Config)
	cfg.BearerToken = tok.Status.Token
	return cfg
}

type podOpts struct {
	policy  corev1.PullPolicy
	secrets []string
	waiting string
	owned   bool
	annot   map[string]string
	volume  string // image of an image volume (the container's image then exists)
	sa      string // service account, default "default"
}

// pod creates a pod and writes its waiting status as the kubelet would.
func (e *env) pod(t *testing.T, namespace, name, image string, o podOpts) *corev1.Pod {
	t.Helper()
	ctx := t.Context()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: o.annot}, Spec: corev1.PodSpec{NodeName: "node-1",
		Containers: []corev1.Container{{Name: "app", Image: image, ImagePullPolicy: o.policy}}}}
	p.Spec.ServiceAccountName = o.sa
	for _, s := range o.secrets {
		p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	if o.owned {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-1",
			UID: "0d9c3c36-5f7e-4f59-9d0e-5a4d6c1b2a11", Controller: ptrTo(true)}}
	}
	waiting := &corev1.ContainerStateWaiting{Reason: o.waiting, Message: "Back-off pulling image " + image}
	if o.volume != "" {
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{
			Reference: o.volume, PullPolicy: corev1.PullAlways}}}}
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
		waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	p, err := e.cs.CoreV1().Pods(namespace).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if o.volume != "" {
		now := metav1.NewTime(time.Now())
		if _, err := e.cs.CoreV1().Events(namespace).Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name + ".failed"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: namespace, Name: name, UID: p.UID, APIVersion: "v1"},
			Reason:         reason.EventFailed, Message: fmt.Sprintf("Failed to pull image %q: not found", o.volume), Type: "Warning", Count: 1,
			FirstTimestamp: now, LastTimestamp: now, Source: corev1.EventSource{Component: "kubelet"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The controller may write its condition meanwhile (a pending pod with
	// an image volume and a Failed event): retry on conflicts.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if p, err = e.cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return err
		}
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: image, State: corev1.ContainerState{Waiting: waiting}}}
		p, err = e.cs.CoreV1().Pods(namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ptrTo[T any](v T) *T { return &v }

func (e *env) get(t *testing.T, namespace, name string) *corev1.Pod {
	t.Helper()
	p, err := e.cs.CoreV1().Pods(namespace).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func condition(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == podmeta.ConditionImagePull {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// waitFor polls until ok holds (20 s at most); step advances the fake
// clock by a second between polls, for the re-check schedule.
func (e *env) waitFor(t *testing.T, what string, step bool, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		if step {
			e.clk.Step(time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReason waits until the pod's condition has reason why.
func (e *env) waitReason(t *testing.T, name, why string, step bool) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	deadline := time.Now().Add(20 * time.Second)
	for {
		p = e.get(t, ns, name)
		c := condition(p)
		if c != nil && c.Reason == why {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for pod %s condition reason %s: condition %+v", name, why, c)
		}
		if step {
			e.clk.Step(time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// events lists the controller's events on the pod, oldest first.
func (e *env) events(t *testing.T, name string) []corev1.Event {
	t.Helper()
	list, err := e.cs.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Event
	for _, ev := range list.Items {
		if ev.InvolvedObject.Name == name && ev.Source.Component == podmeta.ControllerComponent {
			out = append(out, ev)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].ResourceVersion)
		b, _ := strconv.Atoi(out[j].ResourceVersion)
		return a < b
	})
	return out
}

// waitPullRetried waits for the pod's PullRetried event and checks that it
// is the only one and names trig; it returns the pod's events.
func (e *env) waitPullRetried(t *testing.T, name string, trig pull.Trigger) []corev1.Event {
	t.Helper()
	var evs []corev1.Event
	e.waitFor(t, "a PullRetried event on "+name, false, func() bool {
		evs = e.events(t, name)
		return countEvents(evs, corev1.EventTypeNormal, reason.EventPullRetried) > 0
	})
	time.Sleep(200 * time.Millisecond) // a second one would come now
	evs = e.events(t, name)
	if countEvents(evs, corev1.EventTypeNormal, reason.EventPullRetried) != 1 || !strings.Contains(evs[len(evs)-1].Message, string(trig)) {
		t.Fatalf("events = %+v, want one PullRetried naming %q", evs, trig)
	}
	return evs
}

func countEvents(evs []corev1.Event, typ, why string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ && ev.Reason == why {
			n++
		}
	}
	return n
}

// answer writes the node DaemonSet's pull-result for the pod's token.
func (e *env) answer(t *testing.T, p *corev1.Pod, images ...podmeta.ImageResult) {
	t.Helper()
	// The controller writes the condition, then the token.
	e.waitFor(t, "the pull-request token of "+p.Name, false, func() bool {
		p = e.get(t, p.Namespace, p.Name)
		return p.Annotations[podmeta.PullRequest] != ""
	})
	v := podmeta.PullResultValue{Token: p.Annotations[podmeta.PullRequest], Node: "node-1", Time: time.Now(), Images: images}
	val, _ := json.Marshal(v)
	raw, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{podmeta.PullResult: string(val)}}})
	if _, err := e.cs.CoreV1().Pods(p.Namespace).Patch(t.Context(), p.Name, types.MergePatchType, raw, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// running writes the container running, as the kubelet does once pulled.
func (e *env) running(t *testing.T, name string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p := e.get(t, ns, name)
		p.Status.Phase = corev1.PodRunning
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
		_, err := e.cs.CoreV1().Pods(ns).UpdateStatus(t.Context(), p, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func metricValue(t *testing.T, name, label, value string) float64 {
	t.Helper()
	mfs, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabel(m, label, value) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}
