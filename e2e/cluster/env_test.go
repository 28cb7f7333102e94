//go:build cluster

package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

const (
	envRequireReal = "PULLWARDEN_REQUIRE_REAL"
	// envSide says whether pullwarden is deployed ("with") or the kubelet
	// is alone ("without"); unset: "with" when the controller Deployment
	// exists.
	envSide = "PULLWARDEN_CLUSTER_SIDE"

	systemNamespace = "pullwarden-system"
	controllerName  = "pullwarden-controller"
	nodeName        = "pullwarden-node"
	prepullName     = "pullwarden-prepull"
)

// cluster is the running cluster of scripts/cluster.sh.
type cluster struct {
	kube       kubernetes.Interface
	kubeconfig string
	kubectl    string
	node       string
	registry   string // the cluster's registry: pause, busybox, pullwarden
	dir        string
	containerd string // the containerd socket
}

func clusterFromEnv(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{
		kubeconfig: os.Getenv("KUBECONFIG"),
		node:       os.Getenv("PULLWARDEN_CLUSTER_NODE"),
		registry:   os.Getenv("REGISTRY"),
		dir:        os.Getenv("PULLWARDEN_CLUSTER_DIR"),
		containerd: os.Getenv("PULLWARDEN_CLUSTER_CONTAINERD"),
		kubectl:    os.Getenv("KUBECTL"),
	}
	if c.kubeconfig == "" || c.node == "" || c.registry == "" || c.dir == "" || c.containerd == "" {
		missing(t, "no cluster: run `make cluster-e2e`, or eval \"$(scripts/cluster.sh up)\" first")
	}
	if c.kubectl == "" {
		c.kubectl = filepath.Join(os.Getenv("PULLWARDEN_KUBEBIN"), "kubectl")
	}
	if _, err := os.Stat(c.kubectl); err != nil {
		missing(t, "no kubectl at %s: set KUBECTL (bash scripts/kube.sh build kubectl)", c.kubectl)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	if c.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return c
}

func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(envRequireReal) == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// side is "with" (pullwarden deployed) or "without" (the kubelet alone).
func (c *cluster) side(t *testing.T) string {
	t.Helper()
	switch s := os.Getenv(envSide); s {
	case "with", "without":
		return s
	case "":
	default:
		t.Fatalf("%s=%q: want with or without", envSide, s)
	}
	_, err := c.kube.AppsV1().Deployments(systemNamespace).Get(context.Background(), controllerName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "without"
	}
	if err != nil {
		t.Fatal(err)
	}
	return "with"
}

// requireDeployed fails the test at once when pullwarden is not deployed
// or not ready (within a minute) on the cluster.
func (c *cluster) requireDeployed(t *testing.T) {
	t.Helper()
	if c.side(t) != "with" {
		t.Fatalf("pullwarden is not deployed on this cluster: eval \"$(scripts/cluster.sh deploy)\" (or make cluster-e2e)")
	}
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := c.kube.AppsV1().Deployments(systemNamespace).Get(ctx, controllerName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := c.kube.AppsV1().DaemonSets(systemNamespace).Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.AvailableReplicas >= 1 && ds.Status.DesiredNumberScheduled >= 1 && ds.Status.NumberReady == ds.Status.DesiredNumberScheduled {
			return
		}
		if time.Now().After(deadline) {
			out, _ := c.run(ctx, "-n", systemNamespace, "get", "pods", "-o", "wide")
			t.Fatalf("pullwarden is deployed but not ready: controller %d/%d available, node DaemonSet %d/%d ready\n%s",
				d.Status.AvailableReplicas, d.Status.Replicas, ds.Status.NumberReady, ds.Status.DesiredNumberScheduled, out)
		}
		time.Sleep(time.Second)
	}
}

// run runs kubectl against the cluster and returns its stdout.
func (c *cluster) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.kubectl, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.kubeconfig)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// allowHTTP lets the cluster's containerd (and the node agent, which reads
// the same hosts.toml directory) pull from a loopback registry over plain
// HTTP.
func (c *cluster) allowHTTP(t *testing.T, host string) {
	t.Helper()
	dir := filepath.Join(c.dir, "containerd", "certs.d", host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", "http://"+host, "http://"+host)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
}

// newRegistry starts a docker-registry the cluster pulls from.
func (c *cluster) newRegistry(t *testing.T, opts ...testregistry.Option) *testregistry.Registry {
	t.Helper()
	r := testregistry.Start(t, opts...)
	c.allowHTTP(t, r.Host)
	return r
}

// pushBusybox pushes a busybox image (sh, sleep) to ref.
func pushBusybox(t *testing.T, r *testregistry.Registry, ref string) string {
	t.Helper()
	img, err := testimage.NewBusybox()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testimage.Write(context.Background(), img, ref, r.Authenticator())
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return d.String()
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// namespace creates a namespace for one test, waits for its default
// ServiceAccount (kube-controller-manager creates it) and deletes it in
// cleanup.
func (c *cluster) namespace(t *testing.T, prefix string) string {
	t.Helper()
	ctx := context.Background()
	ns := prefix + "-" + randomSuffix()
	_, err := c.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpNamespace(t, ns)
		}
		zero := int64(0)
		_ = c.kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	waitFor(t, 60*time.Second, "the default ServiceAccount of "+ns, func() (bool, error) {
		_, err := c.kube.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	return ns
}

// dumpNamespace logs the pods and events of ns, for a failed test.
func (c *cluster) dumpNamespace(t *testing.T, ns string) {
	out, _ := c.run(context.Background(), "-n", ns, "get", "pods", "-o", "wide")
	t.Logf("pods in %s:\n%s", ns, out)
	out, _ = c.run(context.Background(), "-n", ns, "get", "events", "--sort-by=.lastTimestamp")
	t.Logf("events in %s:\n%s", ns, out)
	out, _ = c.run(context.Background(), "-n", ns, "get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name} {.metadata.annotations} {.status.conditions}{\"\\n\"}{end}")
	t.Logf("annotations and conditions in %s:\n%s", ns, out)
}

// appPod is a pod of one container running sleep, on the host network,
// tolerating every taint (no CNI: the node is NotReady).
func appPod(ns, name, image string, policy corev1.PullPolicy, secrets ...string) *corev1.Pod {
	zero := int64(0)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{
			HostNetwork:                   true,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			TerminationGracePeriodSeconds: &zero,
			Containers: []corev1.Container{{
				Name: "app", Image: image, ImagePullPolicy: policy,
				Command: []string{"sh", "-c", "exec sleep 3600"},
			}},
		},
	}
	for _, s := range secrets {
		p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	return p
}

func (c *cluster) createPod(t *testing.T, p *corev1.Pod) *corev1.Pod {
	t.Helper()
	got, err := c.kube.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s/%s: %v", p.Namespace, p.Name, err)
	}
	return got
}

// pullSecret creates a kubernetes.io/dockerconfigjson Secret for host.
func (c *cluster) pullSecret(t *testing.T, ns, name, host, user, password string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{
		"username": user, "password": password, "auth": auth}}})
	if err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: cfg},
	}
	if _, err := c.kube.CoreV1().Secrets(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond every 200 ms until it holds, fails, or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last error: %v)", what, limit, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *cluster) pod(ns, name string) (*corev1.Pod, error) {
	return c.kube.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
}

// waitingReason is the waiting reason of the pod's first waiting
// container, "" when none waits.
func waitingReason(p *corev1.Pod) string {
	for _, s := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if s.State.Waiting != nil {
			return s.State.Waiting.Reason
		}
	}
	return ""
}

// isRunning: phase Running and every container running.
func isRunning(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Running == nil {
			return false
		}
	}
	return true
}

// condition returns the pod condition of type typ, or nil.
func condition(p *corev1.Pod, typ string) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if string(p.Status.Conditions[i].Type) == typ {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// events lists the events about the object with uid.
func (c *cluster) events(ns string, uid string) ([]corev1.Event, error) {
	l, err := c.kube.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.uid=" + uid})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}
