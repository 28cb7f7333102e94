//go:build cluster

package cluster

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// deployDir is deploy/ of this tree.
func deployDir(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	d := filepath.Join(filepath.Dir(file), "..", "..", "deploy")
	if _, err := os.Stat(filepath.Join(d, "kustomization.yaml")); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDeployRenders: deploy/ renders with the pinned kubectl and names what
// cluster-spec fixes, and the API server accepts it (server-side dry run).
func TestDeployRenders(t *testing.T) {
	c := clusterFromEnv(t)
	ctx := context.Background()
	out, err := c.run(ctx, "kustomize", deployDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"kind: Namespace\nmetadata:\n  labels:\n    app.kubernetes.io/part-of: pullwarden\n  name: pullwarden-system",
		"name: pullwarden-controller\n  namespace: pullwarden-system",
		"name: pullwarden-node\n  namespace: pullwarden-system",
		"name: pullwarden-controller-metrics",
		"name: pullwarden-prepull",
		"- controller\n        - --leader-elect",
		"path: /run/containerd/containerd.sock",
		"image: ghcr.io/pullwarden/pullwarden:latest",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl kustomize deploy/: no %q in\n%s", want, out)
		}
	}
	for _, dir := range []string{deployDir(t), filepath.Join(deployDir(t), "overlays", "loopback")} {
		if out, err := c.run(ctx, "apply", "-k", dir, "--dry-run=server"); err != nil {
			t.Errorf("server-side dry run of %s: %v\n%s", dir, err, out)
		}
	}
}

// TestDeployedReady: the controller Deployment and the node DaemonSet run
// the image scripts/cluster.sh deploy pushed, and their pods are Ready.
func TestDeployedReady(t *testing.T) {
	c := clusterFromEnv(t)
	c.requireDeployed(t)
	ctx := context.Background()
	waitFor(t, 2*time.Minute, "controller Deployment available and node DaemonSet ready", func() (bool, error) {
		d, err := c.kube.AppsV1().Deployments(systemNamespace).Get(ctx, controllerName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ds, err := c.kube.AppsV1().DaemonSets(systemNamespace).Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return d.Status.AvailableReplicas == 1 && ds.Status.DesiredNumberScheduled >= 1 &&
			ds.Status.NumberReady == ds.Status.DesiredNumberScheduled, nil
	})
	pods, err := c.kube.CoreV1().Pods(systemNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/part-of=pullwarden"})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.SplitN(os.Getenv("PULLWARDEN_IMAGE"), "@", 2)[0]
	seen := map[string]bool{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		seen[p.Labels["app.kubernetes.io/name"]] = true
		if cond := podReady(&p); !cond {
			t.Errorf("pod %s is not Ready: %+v", p.Name, p.Status.Conditions)
		}
		if want != "" && p.Spec.Containers[0].Image != want {
			t.Errorf("pod %s runs %s, want the image just pushed, %s", p.Name, p.Spec.Containers[0].Image, want)
		}
		if p.Spec.NodeName != c.node {
			t.Errorf("pod %s is on node %q, want %q", p.Name, p.Spec.NodeName, c.node)
		}
	}
	if !seen[controllerName] || !seen[nodeName] {
		t.Errorf("pods of %v, want both %s and %s", seen, controllerName, nodeName)
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// TestLeastPrivilege asks the API server, with `kubectl auth can-i --as`,
// what each ServiceAccount may do: what the protocol needs, and not more.
func TestLeastPrivilege(t *testing.T) {
	c := clusterFromEnv(t)
	c.requireDeployed(t)
	const (
		ctrl = "system:serviceaccount:pullwarden-system:pullwarden-controller"
		node = "system:serviceaccount:pullwarden-system:pullwarden-node"
	)
	cases := []struct {
		as, verb, resource, ns string
		want                   bool
	}{
		// The controller: pods (patch annotations, pin images, delete an
		// owned pod that opted in), its condition, credentials read-only.
		{ctrl, "watch", "pods", "", true},
		{ctrl, "update", "pods", "team-a", true},
		{ctrl, "delete", "pods", "team-a", true},
		{ctrl, "patch", "pods/status", "team-a", true},
		{ctrl, "list", "secrets", "", true},
		{ctrl, "watch", "serviceaccounts", "", true},
		{ctrl, "get", "namespaces", "", true},
		{ctrl, "create", "events", "team-a", true},
		{ctrl, "create", "leases.coordination.k8s.io", systemNamespace, true},
		{ctrl, "create", "leases.coordination.k8s.io", "team-a", false},
		{ctrl, "create", "pods", "team-a", false},
		{ctrl, "create", "secrets", "team-a", false},
		{ctrl, "update", "secrets", "team-a", false},
		{ctrl, "patch", "nodes", "", false},
		{ctrl, "update", "deployments.apps", "team-a", false},
		{ctrl, "create", "pods/exec", "team-a", false},
		// The node agent: pods of its node (watch, patch the answer), one
		// credential by name, the pre-pull ConfigMap in its namespace.
		{node, "watch", "pods", "", true},
		{node, "patch", "pods", "team-a", true},
		{node, "get", "secrets", "team-a", true},
		{node, "get", "serviceaccounts", "team-a", true},
		{node, "create", "events", "team-a", true},
		{node, "watch", "configmaps", systemNamespace, true},
		{node, "delete", "pods", "team-a", false},
		{node, "update", "pods", "team-a", false},
		{node, "patch", "pods/status", "team-a", false},
		{node, "list", "secrets", "", false},
		{node, "list", "secrets", "team-a", false},
		{node, "watch", "secrets", "team-a", false},
		{node, "get", "configmaps", "team-a", false},
		{node, "update", "configmaps", systemNamespace, false},
		{node, "create", "pods", "team-a", false},
		{node, "patch", "nodes", "", false},
	}
	ctx := context.Background()
	for _, tc := range cases {
		// kubectl reads RESOURCE/NAME: a subresource goes in its own flag.
		resource, sub, _ := strings.Cut(tc.resource, "/")
		args := []string{"auth", "can-i", tc.verb, resource, "--as", tc.as}
		if sub != "" {
			args = append(args, "--subresource", sub)
		}
		if tc.ns == "" {
			args = append(args, "--all-namespaces")
		} else {
			args = append(args, "-n", tc.ns)
		}
		out, err := c.run(ctx, args...)
		got := strings.TrimSpace(out) == "yes"
		if err != nil && strings.TrimSpace(out) != "no" {
			t.Errorf("kubectl %s: %v", strings.Join(args, " "), err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s %s %s (namespace %q): allowed=%v, want %v", tc.as[strings.LastIndex(tc.as, ":")+1:], tc.verb, tc.resource, tc.ns, got, tc.want)
		}
	}
}
