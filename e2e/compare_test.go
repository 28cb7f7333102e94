//go:build e2e && kubelet

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
)

// The kubelet comparison suite: the same scenarios on the node agent and on
// a real kubelet v1.37.2 (scripts/cluster.sh up), side by side, at the same
// time and against the same registries. It diffs the STATUS sequences, the
// waiting reasons and messages, the events (type, reason, field path,
// message) and the pull attempt times. The only differences it ignores are
// listed in compare_deliberate_test.go.
//
// Run it with `make compare` (which brings the cluster up and down), or by
// hand: eval "$(scripts/cluster.sh up)"; go test -tags 'e2e kubelet' -run
// TestCompareKubelet ./e2e/; scripts/cluster.sh down.

// cluster is the real control plane from scripts/cluster.sh's exports.
type cluster struct {
	kube     kubernetes.Interface
	node     string
	registry string // holds pause:3.10 and busybox:1
	certsD   string // the cluster containerd's registry hosts directory
}

func clusterFromEnv(t *testing.T) *cluster {
	t.Helper()
	kc, node, reg, dir := os.Getenv("KUBECONFIG"), os.Getenv("PULLWARDEN_CLUSTER_NODE"), os.Getenv("REGISTRY"), os.Getenv("PULLWARDEN_CLUSTER_DIR")
	if kc == "" || node == "" || reg == "" || dir == "" {
		msg := "no cluster: run `make compare`, or eval \"$(scripts/cluster.sh up)\" first"
		if os.Getenv(envRequireReal) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{kube: c, node: node, registry: reg, certsD: filepath.Join(dir, "containerd", "certs.d")}
}

// allowHTTP lets the cluster's containerd pull from a loopback registry
// over plain HTTP.
func (c *cluster) allowHTTP(t *testing.T, host string) {
	t.Helper()
	dir := filepath.Join(c.certsD, host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", "http://"+host, "http://"+host)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
}

// scenario is one story run on both sides.
type scenario struct {
	name string
	// setup prepares registries and images and returns the pod (its
	// containers; the suite adds what both sides need).
	setup func(t *testing.T, e *compareEnv) *corev1.Pod
	// fixWhen, when set, is polled with both observations; once it holds,
	// fix runs (once).
	fixWhen func(agent, kubelet *observation) bool
	fix     func(t *testing.T, e *compareEnv)
	// done ends the observation early (both sides); the observation
	// always ends after limit.
	done  func(o *observation) bool
	limit time.Duration
}

// compareEnv is what the scenarios share.
type compareEnv struct {
	cluster *cluster
	agent   *Agent
	sides   []*side
}

// newRegistry starts a docker-registry both sides can pull from.
func (e *compareEnv) newRegistry(t *testing.T, opts ...testregistry.Option) *testregistry.Registry {
	r := testregistry.Start(t, opts...)
	e.cluster.allowHTTP(t, r.Host)
	return r
}

func appContainer(image, policy string) corev1.Container {
	return corev1.Container{Name: "app", Image: image, ImagePullPolicy: corev1.PullPolicy(policy),
		Command: []string{"sh", "-c", "exec sleep 3600"}}
}

func failedTwice(a, k *observation) bool { return a.failedPulls() >= 2 && k.failedPulls() >= 2 }

func running(o *observation) bool { return o.status() == "Running" }

func scenarios() []*scenario {
	return []*scenario{
		{
			name: "tag-pushed-later",
			setup: func(t *testing.T, e *compareEnv) *corev1.Pod {
				s := e.scenario(t)
				s.reg = e.newRegistry(t)
				_, bb := testImages(t)
				testimage.Push(t, bb, s.reg.Ref("cmp/later:present"), nil)
				return podWith(appContainer(s.reg.Ref("cmp/later:v1"), "IfNotPresent"))
			},
			fixWhen: failedTwice,
			fix: func(t *testing.T, e *compareEnv) {
				_, bb := testImages(t)
				testimage.Push(t, bb, e.scenario(t).reg.Ref("cmp/later:v1"), nil)
			},
			done: running, limit: 120 * time.Second,
		},
		{
			name: "secret-created-later",
			setup: func(t *testing.T, e *compareEnv) *corev1.Pod {
				s := e.scenario(t)
				s.reg = e.newRegistry(t, testregistry.WithHtpasswd("cmp", "cmp-password"))
				_, bb := testImages(t)
				testimage.Push(t, bb, s.reg.Ref("cmp/private:v1"), s.reg.Authenticator())
				p := podWith(appContainer(s.reg.Ref("cmp/private:v1"), "IfNotPresent"))
				p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred-" + s.id}}
				return p
			},
			fixWhen: failedTwice,
			fix: func(t *testing.T, e *compareEnv) {
				s := e.scenario(t)
				auth := base64.StdEncoding.EncodeToString([]byte("cmp:cmp-password"))
				cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{s.reg.Host: map[string]string{
					"username": "cmp", "password": "cmp-password", "auth": auth}}})
				for _, sd := range e.sides {
					sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred-" + s.id, Namespace: "default"},
						Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: cfg}}
					if _, err := sd.c.CoreV1().Secrets("default").Create(t.Context(), sec, metav1.CreateOptions{}); err != nil {
						t.Errorf("%s: create secret: %v", sd.name, err)
					}
				}
			},
			done: running, limit: 120 * time.Second,
		},
		{
			name: "registry-stopped-and-started",
			setup: func(t *testing.T, e *compareEnv) *corev1.Pod {
				s := e.scenario(t)
				s.reg = e.newRegistry(t)
				_, bb := testImages(t)
				testimage.Push(t, bb, s.reg.Ref("cmp/app:v1"), nil)
				s.reg.Stop()
				return podWith(appContainer(s.reg.Ref("cmp/app:v1"), "IfNotPresent"))
			},
			fixWhen: failedTwice,
			fix:     func(t *testing.T, e *compareEnv) { e.scenario(t).reg.Restart() },
			done:    running, limit: 120 * time.Second,
		},
		{
			name: "never-image-absent",
			setup: func(t *testing.T, e *compareEnv) *corev1.Pod {
				return podWith(appContainer(e.newRegistry(t).Ref("cmp/absent:v1"), "Never"))
			},
			limit: 35 * time.Second,
		},
		{
			name: "invalid-image-name",
			setup: func(t *testing.T, e *compareEnv) *corev1.Pod {
				return podWith(appContainer("Bad:Name", "IfNotPresent"))
			},
			limit: 35 * time.Second,
		},
		{
			name: "init-waits-for-registry",
			setup: func(t *testing.T, e *compareEnv) *corev1.Pod {
				s := e.scenario(t)
				tools := e.newRegistry(t)
				_, bb := testImages(t)
				testimage.Push(t, bb, tools.Ref("cmp/tools:v1"), nil)
				s.reg = e.newRegistry(t)
				testimage.Push(t, bb, s.reg.Ref("cmp/app:v1"), nil)
				s.reg.Stop()
				p := podWith(appContainer(s.reg.Ref("cmp/app:v1"), "IfNotPresent"))
				port := s.reg.Host[strings.LastIndex(s.reg.Host, ":")+1:]
				p.Spec.InitContainers = []corev1.Container{{Name: "wait-registry", Image: tools.Ref("cmp/tools:v1"),
					ImagePullPolicy: corev1.PullIfNotPresent,
					Command:         []string{"sh", "-c", "until nc -w 1 127.0.0.1 " + port + " </dev/null; do sleep 1; done"}}}
				return p
			},
			fixWhen: func(a, k *observation) bool {
				return a.sawStatus("Init:0/1") && k.sawStatus("Init:0/1") && a.initRunningFor() > 5*time.Second && k.initRunningFor() > 5*time.Second
			},
			fix:  func(t *testing.T, e *compareEnv) { e.scenario(t).reg.Restart() },
			done: running, limit: 90 * time.Second,
		},
		{
			name: "wrong-digest",
			setup: func(t *testing.T, e *compareEnv) *corev1.Pod {
				r := e.newRegistry(t)
				_, bb := testImages(t)
				testimage.Push(t, bb, r.Ref("cmp/app:v1"), nil)
				return podWith(appContainer(r.Ref("cmp/app@sha256:"+strings.Repeat("e", 64)), "IfNotPresent"))
			},
			limit: 50 * time.Second,
		},
	}
}

// podWith is a pod both sides can run: host network, bound to the node,
// tolerating the NotReady node (no CNI), quick to stop.
func podWith(cs ...corev1.Container) *corev1.Pod {
	grace := int64(1)
	return &corev1.Pod{Spec: corev1.PodSpec{
		Containers: cs, HostNetwork: true, TerminationGracePeriodSeconds: &grace,
		Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
	}}
}

// per-scenario state (t.Name() -> state), for setup and fix.
type scenarioState struct {
	id  string
	reg *testregistry.Registry
}

var states sync.Map

func (e *compareEnv) scenario(t *testing.T) *scenarioState {
	v, _ := states.LoadOrStore(t.Name(), &scenarioState{id: fmt.Sprintf("%d", time.Now().UnixNano()%1e6)})
	return v.(*scenarioState)
}

// initRunningFor is how long the first init container has been running.
func (o *observation) initRunningFor() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.last == nil || len(o.last.Status.InitContainerStatuses) == 0 {
		return 0
	}
	r := o.last.Status.InitContainerStatuses[0].State.Running
	if r == nil {
		return 0
	}
	return time.Since(r.StartedAt.Time)
}

func TestCompareKubelet(t *testing.T) {
	requireReal(t)
	cl := clusterFromEnv(t)
	agent := startAgent(t, cl.registry+"/pause:3.10")
	e := &compareEnv{cluster: cl, agent: agent, sides: []*side{{"agent", agent.Client}, {"kubelet", cl.kube}}}
	results := &strings.Builder{}
	var mu sync.Mutex
	t.Cleanup(func() {
		out := os.Getenv("PULLWARDEN_COMPARE_RESULTS")
		if out == "" {
			out = filepath.Join(os.TempDir(), "pullwarden-compare.txt")
		}
		_ = os.WriteFile(out, []byte(results.String()), 0o644)
		t.Logf("per-scenario results (also in %s):\n%s", out, results.String())
	})
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			line := runCompare(t, e, sc)
			mu.Lock()
			fmt.Fprintf(results, "%s\n", line)
			mu.Unlock()
		})
	}
}

// runCompare runs one scenario on both sides and diffs what they showed;
// it returns a summary line.
func runCompare(t *testing.T, e *compareEnv, sc *scenario) string {
	pod := sc.setup(t, e)
	name := "cmp-" + sc.name
	obs := map[string]*observation{}
	ctx, cancel := context.WithTimeout(t.Context(), sc.limit)
	defer cancel()
	var wg sync.WaitGroup
	for _, sd := range e.sides {
		p := pod.DeepCopy()
		p.Name, p.Namespace, p.Spec.NodeName = name, "default", e.cluster.node
		o := newObservation(sd.name)
		o.created = time.Now()
		created, err := sd.c.CoreV1().Pods("default").Create(t.Context(), p, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: create pod: %v", sd.name, err)
		}
		o.uid = created.UID
		obs[sd.name] = o
		t.Cleanup(func() {
			zero := int64(0)
			_ = sd.c.CoreV1().Pods("default").Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.observe(ctx, sd, "default", name)
		}()
	}
	a, k := obs["agent"], obs["kubelet"]
	fixed := time.Duration(0)
	start := time.Now()
	for ctx.Err() == nil {
		if sc.fix != nil && fixed == 0 && sc.fixWhen(a, k) {
			sc.fix(t, e)
			fixed = time.Since(start).Round(time.Second)
		}
		if sc.done != nil && sc.done(a) && sc.done(k) {
			sleepCtx(ctx, 3*time.Second) // the last events
			cancel()
			break
		}
		sleepCtx(ctx, 250*time.Millisecond)
	}
	cancel()
	wg.Wait()
	return diffSides(t, sc, a, k, fixed)
}

// diffSides compares the two observations and returns the summary line.
func diffSides(t *testing.T, sc *scenario, a, k *observation, fixed time.Duration) string {
	var diffs []string
	if ac, kc := a.collapsed(), k.collapsed(); !slices.Equal(ac, kc) {
		diffs = append(diffs, fmt.Sprintf("STATUS sequence: agent %v, kubelet %v", ac, kc))
	}
	// When each STATUS first shows: within 6 s of each other (the sides'
	// resync jitter), so that a status that trails by a whole sync on one
	// side shows.
	for w, ta := range a.firstSeen() {
		if tk, ok := k.firstSeen()[w]; ok && (ta-tk > 6*time.Second || tk-ta > 6*time.Second) {
			diffs = append(diffs, fmt.Sprintf("STATUS %s first shown at %v on the agent, %v on the kubelet", w, ta, tk))
		}
	}
	if onlyA, onlyK := setDiff(a.waiting, k.waiting); len(onlyA)+len(onlyK) > 0 {
		diffs = append(diffs, fmt.Sprintf("waiting: only agent %q, only kubelet %q", onlyA, onlyK))
	}
	if onlyA, onlyK := setDiff(a.events, k.events); len(onlyA)+len(onlyK) > 0 {
		diffs = append(diffs, fmt.Sprintf("events: only agent %q, only kubelet %q", onlyA, onlyK))
	}
	for _, o := range []*observation{a, k} {
		if err := backoffGaps(o.attempts); err != nil {
			diffs = append(diffs, fmt.Sprintf("%s pull attempts %v: %v", o.side, o.attempts, err))
		}
	}
	if n, m := len(a.attempts), len(k.attempts); n-m > 1 || m-n > 1 {
		diffs = append(diffs, fmt.Sprintf("pull attempts: agent %d %v, kubelet %d %v", n, a.attempts, m, k.attempts))
	}
	verdict := "same"
	if len(diffs) > 0 {
		verdict = "DIFFERENT"
		for _, d := range diffs {
			t.Error(d)
		}
	}
	fix := ""
	if fixed > 0 {
		fix = fmt.Sprintf(" fixed at %v;", fixed)
	}
	t.Logf("agent   STATUS %s\nkubelet STATUS %s\nagent   attempts %v\nkubelet attempts %v\nevents (both, normalized):\n  %s",
		a.raw(), k.raw(), a.attempts, k.attempts, strings.Join(keys(k.events), "\n  "))
	return fmt.Sprintf("%-30s %s;%s STATUS %v; attempts agent %v kubelet %v", sc.name, verdict, fix, k.collapsed(), a.attempts, k.attempts)
}
