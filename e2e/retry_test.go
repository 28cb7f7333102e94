//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// TestRetryTriggers: under the smart policy each trigger brings a waiting
// pod to Running soon after the fix, with a PullRetried event naming the
// trigger. A pod annotated with the kubelet policy waits for the same fix
// beside it, for comparison. Each scenario logs one line
//
//	recovery trigger=<t> policy=<p> seconds=<s>
//
// (seconds from the fix to Running seen through the API).
func TestRetryTriggers(t *testing.T) {
	requireReal(t)
	b := startBase(t)
	notifyAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	a := startAgentArgs(t, b.pauseRef, "--retry-policy", "smart", "--notify-listen", notifyAddr, "--metrics-listen", metricsAddr, "--log-format", "json")
	t.Run("group", func(t *testing.T) { retryScenarios(t, a, notifyAddr) })
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// registry_back is left out: the pod's own short backoff may win the
	// race against the probe.
	for _, trig := range []string{"notification", "recheck", "secret", "retry_command"} {
		if _, ran := recovered.Load(trig); !ran {
			continue // left out by -run
		}
		if want := `pullwarden_recovery_seconds_count{trigger="` + trig + `"}`; !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func retryScenarios(t *testing.T, a *Agent, notifyAddr string) {

	t.Run("PushNotified", func(t *testing.T) {
		t.Parallel()
		reg := testregistry.Start(t, testregistry.WithNotifications("http://"+notifyAddr+"/registry/notifications", nil))
		testTagFix(t, a, reg, "push", "the registry announced a push", 15*time.Second)
	})
	t.Run("PushRechecked", func(t *testing.T) {
		t.Parallel()
		reg := testregistry.Start(t)
		testTagFix(t, a, reg, "recheck", "a re-check found the image", 0)
	})
	t.Run("SecretApplied", func(t *testing.T) { t.Parallel(); testSecretFix(t, a) })
	t.Run("RegistryBack", func(t *testing.T) { t.Parallel(); testRegistryBack(t, a) })
	t.Run("RetryPod", func(t *testing.T) {
		t.Parallel()
		reg := testregistry.Start(t)
		testTagFix(t, a, reg, "retry", "retry requested", 15*time.Second)
	})
}

// waitPullWaiting polls until the pod's container waits with ErrImagePull or
// ImagePullBackOff (10 s at most) and returns the reason and message.
func waitPullWaiting(t *testing.T, a *Agent, name string) (string, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, msg := waiting(a.Pod(t, name), "app")
		if r == "ErrImagePull" || r == "ImagePullBackOff" || time.Now().After(deadline) {
			return r, msg
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// failedAt waits for the pod's first failed pull and returns when it was
// seen.
func waitFailed(t *testing.T, a *Agent, name string) time.Time {
	t.Helper()
	a.WaitEvent(t, name, corev1.EventTypeWarning, "Failed", func(m string) bool { return strings.HasPrefix(m, "Failed to pull image") }, 60*time.Second)
	return time.Now()
}

// waitRunning polls the API every 50ms until pod name runs and returns the
// seconds since fix.
func waitRunning(t *testing.T, a *Agent, name string, fix time.Time, timeout time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p := a.Pod(t, name); p != nil && p.Status.Phase == corev1.PodRunning {
			return time.Since(fix).Seconds()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("pod %s not Running %v after the fix\n%s", name, timeout, a.Describe(t, name))
	return 0
}

// recovered holds the metric labels of the triggers whose smart pod
// recovered in this run.
var recovered sync.Map

func logRecovery(t *testing.T, trigger, policy string, s float64) {
	t.Logf("recovery trigger=%s policy=%s seconds=%.2f", trigger, policy, s)
	if policy == "smart" {
		label := map[string]string{"push": "notification", "recheck": "recheck", "secret": "secret", "registry-back": "registry_back", "retry": "retry_command"}[trigger]
		recovered.Store(label, true)
	}
}

// testTagFix: pods wait on a missing tag; after delay the tag is pushed
// (and, for trigger "retry", `pullwarden retry pod` is run).
func testTagFix(t *testing.T, a *Agent, reg *testregistry.Registry, trigger, eventText string, delay time.Duration) {
	_, busybox := testImages(t)
	image := reg.Ref("later/app:v1")
	smart, kubelet := "tag-"+trigger, "tag-"+trigger+"-kubelet"
	cmd := []string{"sleep", "3600"}
	a.Apply(t, podManifest{Name: smart, Image: image, Command: cmd}.YAML())
	a.Apply(t, podManifest{Name: kubelet, Image: image, Command: cmd, Annotations: map[string]string{"pullwarden.io/retry-policy": "kubelet"}}.YAML())
	failed := waitFailed(t, a, smart)
	waitFailed(t, a, kubelet)
	// The status shows the failure at the pod's next sync (as the
	// kubelet's, written at the start of a sync), about a second later.
	if r, msg := waitPullWaiting(t, a, smart); !strings.Contains(msg, "TagNotFound") || !strings.Contains(msg, "fix: ") {
		t.Errorf("smart waiting %q %q: want the cause and the fix", r, msg)
	}
	time.Sleep(time.Until(failed.Add(delay)))
	testimage.Push(t, busybox, image, nil)
	fix := time.Now()
	if trigger == "retry" {
		if res := a.CLIT(t, "retry", "pod", smart); res.Code != 0 || !strings.Contains(res.Stdout, "pod/"+smart+" retried") {
			t.Fatalf("retry pod:\n%s", res)
		}
	}
	logRecovery(t, trigger, "smart", waitRunning(t, a, smart, fix, 60*time.Second))
	ev := a.WaitEvent(t, smart, corev1.EventTypeNormal, "PullRetried", func(m string) bool { return strings.Contains(m, eventText) }, 5*time.Second)
	t.Logf("PullRetried at %s (fix at %s): %s", eventTime(ev).Format(time.StampMilli), fix.Format(time.StampMilli), ev.Message)
	logRecovery(t, trigger, "kubelet", waitRunning(t, a, kubelet, fix, 330*time.Second))
}

// testSecretFix: pods need a secret that does not exist yet.
func testSecretFix(t *testing.T, a *Agent) {
	pause, _ := testImages(t)
	reg := testregistry.Start(t, testregistry.WithHtpasswd("e2e", "s3cret-pw"))
	image := reg.Ref("private/app:1")
	testimage.Push(t, pause, image, reg.Authenticator())
	smart, kubelet := "secret-smart", "secret-kubelet"
	a.Apply(t, podManifest{Name: smart, Image: image, PullSecret: "regcred"}.YAML())
	a.Apply(t, podManifest{Name: kubelet, Image: image, PullSecret: "regcred", Annotations: map[string]string{"pullwarden.io/retry-policy": "kubelet"}}.YAML())
	failed := waitFailed(t, a, smart)
	waitFailed(t, a, kubelet)
	time.Sleep(time.Until(failed.Add(15 * time.Second)))
	res := a.CLIT(t, "create", "secret", "docker-registry", "regcred", "--docker-server="+reg.Host,
		"--docker-username="+reg.Username, "--docker-password="+reg.Password)
	if res.Code != 0 {
		t.Fatalf("create secret:\n%s", res)
	}
	fix := time.Now()
	logRecovery(t, "secret", "smart", waitRunning(t, a, smart, fix, 60*time.Second))
	a.WaitEvent(t, smart, corev1.EventTypeNormal, "PullRetried", func(m string) bool { return strings.Contains(m, "a secret or service account") }, 5*time.Second)
	logRecovery(t, "secret", "kubelet", waitRunning(t, a, kubelet, fix, 330*time.Second))
}

// testRegistryBack: the registry is down when the pods start and comes
// back.
func testRegistryBack(t *testing.T, a *Agent) {
	pause, _ := testImages(t)
	reg := testregistry.Start(t)
	image := reg.Ref("back/app:1")
	testimage.Push(t, pause, image, nil)
	reg.Stop()
	smart, kubelet := "down-smart", "down-kubelet"
	a.Apply(t, podManifest{Name: smart, Image: image}.YAML())
	a.Apply(t, podManifest{Name: kubelet, Image: image, Annotations: map[string]string{"pullwarden.io/retry-policy": "kubelet"}}.YAML())
	failed := waitFailed(t, a, smart)
	waitFailed(t, a, kubelet)
	time.Sleep(time.Until(failed.Add(15 * time.Second)))
	reg.Restart()
	fix := time.Now()
	logRecovery(t, "registry-back", "smart", waitRunning(t, a, smart, fix, 60*time.Second))
	logRecovery(t, "registry-back", "kubelet", waitRunning(t, a, kubelet, fix, 330*time.Second))
}

func eventTime(ev corev1.Event) time.Time {
	if !ev.EventTime.IsZero() {
		return ev.EventTime.Time
	}
	return ev.LastTimestamp.Time
}
