//go:build cluster

package cluster

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPrepullSurvivesOutage: an image listed in the pullwarden-prepull
// ConfigMap reaches the node's containerd without any pod asking for it;
// then its registry goes down, and a pod using it with IfNotPresent starts
// all the same.
func TestPrepullSurvivesOutage(t *testing.T) {
	c := clusterFromEnv(t)
	c.requireDeployed(t)
	ctx := context.Background()
	r := c.newRegistry(t)
	ref := r.Ref("prepull/app:" + randomSuffix())
	pushBusybox(t, r, ref)
	if c.hasImage(t, ref) {
		t.Fatalf("%s is in containerd before the test", ref)
	}

	cms := c.kube.CoreV1().ConfigMaps(systemNamespace)
	cm, err := cms.Get(ctx, prepullName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := cm.Data["images"]
	cm.Data["images"] = before + "# added by e2e/cluster TestPrepullSurvivesOutage\n" + ref + "\n"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cm, err := cms.Get(context.Background(), prepullName, metav1.GetOptions{})
		if err == nil {
			cm.Data["images"] = before
			_, _ = cms.Update(context.Background(), cm, metav1.UpdateOptions{})
		}
	})
	start := time.Now()
	waitFor(t, 90*time.Second, ref+" pre-pulled into the node's containerd", func() (bool, error) {
		return c.hasImage(t, ref), nil
	})
	t.Logf("pre-pulled %s in %.1f s after the ConfigMap change", ref, time.Since(start).Seconds())

	r.Stop()
	ns := c.namespace(t, "pw-prepull")
	pod := c.createPod(t, appPod(ns, "app", ref, corev1.PullIfNotPresent))
	waitFor(t, 60*time.Second, "the pod Running with its registry down", func() (bool, error) {
		p, err := c.pod(ns, pod.Name)
		if err != nil {
			return false, err
		}
		return isRunning(p), nil
	})
}

// hasImage: containerd's k8s.io namespace holds an image record for ref.
func (c *cluster) hasImage(t *testing.T, ref string) bool {
	t.Helper()
	out, err := exec.Command("ctr", "-a", c.containerd, "-n", "k8s.io", "images", "ls", "-q").Output()
	if err != nil {
		t.Fatalf("ctr images ls: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) == ref {
			return true
		}
	}
	return false
}
