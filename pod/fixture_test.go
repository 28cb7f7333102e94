package pod

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/event"
	"github.com/pullwarden/pullwarden/internal/testimage"
	"github.com/pullwarden/pullwarden/internal/testregistry"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/runtime"
	"github.com/pullwarden/pullwarden/store"
	"github.com/pullwarden/pullwarden/store/ocilayout"
)

// scriptRuntime is an in-memory container runtime for lifecycle tests: a
// container whose command is ["exit", "N"] exits with N as soon as it
// starts, any other command runs until exit() is called. Real containerd
// runs in the agent's end-to-end tests; here the lifecycle logic is stepped
// with a fake clock, which a real runtime cannot follow.
type scriptRuntime struct {
	mu         sync.Mutex
	clk        clock.PassiveClock
	n          int
	sandboxes  map[string]runtime.SandboxInfo
	containers map[string]*scriptContainer
	started    []string // container names in start order
}

type scriptContainer struct {
	info   runtime.Container
	status runtime.ContainerStatus
	cmd    []string
}

func newScriptRuntime(clk clock.PassiveClock) *scriptRuntime {
	return &scriptRuntime{clk: clk, sandboxes: map[string]runtime.SandboxInfo{}, containers: map[string]*scriptContainer{}}
}

func (r *scriptRuntime) id(prefix string) string { r.n++; return fmt.Sprintf("%s%d", prefix, r.n) }

func (r *scriptRuntime) RunPodSandbox(_ context.Context, p runtime.Sandbox) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.id("sb")
	r.sandboxes[id] = runtime.SandboxInfo{ID: id, Name: p.Name, Namespace: p.Namespace, UID: p.UID, Ready: true}
	return id, nil
}

func (r *scriptRuntime) StopPodSandbox(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[id]
	sb.Ready = false
	r.sandboxes[id] = sb
	return nil
}

func (r *scriptRuntime) RemovePodSandbox(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sandboxes, id)
	return nil
}

func (r *scriptRuntime) ListPodSandboxes(context.Context) ([]runtime.SandboxInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runtime.SandboxInfo
	for _, s := range r.sandboxes {
		out = append(out, s)
	}
	return out, nil
}

func (r *scriptRuntime) CreateContainer(_ context.Context, sb string, _ runtime.Sandbox, spec runtime.ContainerSpec) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.id("c")
	r.containers[id] = &scriptContainer{
		info:   runtime.Container{ID: id, SandboxID: sb, Name: spec.Name, Attempt: spec.Attempt, State: runtime.StateCreated, Image: spec.Image, Labels: spec.Labels},
		status: runtime.ContainerStatus{ID: id, Name: spec.Name, Attempt: spec.Attempt, State: runtime.StateCreated, Image: spec.Image, ImageRef: spec.Image, CreatedAt: r.clk.Now()},
		cmd:    spec.Command,
	}
	return id, nil
}

func (r *scriptRuntime) StartContainer(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	c.status.State, c.status.StartedAt = runtime.StateRunning, r.clk.Now()
	r.started = append(r.started, c.info.Name)
	if len(c.cmd) == 2 && c.cmd[0] == "exit" {
		code, _ := strconv.Atoi(c.cmd[1])
		r.exitLocked(c, int32(code))
	}
	return nil
}

func (r *scriptRuntime) exitLocked(c *scriptContainer, code int32) {
	c.status.State, c.status.ExitCode, c.status.FinishedAt = runtime.StateExited, code, r.clk.Now()
	c.status.Reason = "Completed"
	if code != 0 {
		c.status.Reason = "Error"
	}
	c.info.State = runtime.StateExited
}

func (r *scriptRuntime) StopContainer(_ context.Context, id string, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.containers[id]; ok && c.status.State == runtime.StateRunning {
		r.exitLocked(c, 137)
	}
	return nil
}

func (r *scriptRuntime) RemoveContainer(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.containers, id)
	return nil
}

func (r *scriptRuntime) ContainerStatus(_ context.Context, id string) (runtime.ContainerStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return runtime.ContainerStatus{}, runtime.ErrNotFound
	}
	return c.status, nil
}

func (r *scriptRuntime) ListContainers(_ context.Context, f runtime.ContainerFilter) ([]runtime.Container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runtime.Container
	for _, c := range r.containers {
		if f.SandboxID == "" || c.info.SandboxID == f.SandboxID {
			out = append(out, c.info)
		}
	}
	return out, nil
}

func (r *scriptRuntime) ImageStatus(context.Context, string) (runtime.Image, error) {
	return runtime.Image{}, runtime.ErrNotFound
}

func (r *scriptRuntime) startOrder() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.started...)
}

// objectsFake holds secrets and the last status written per pod.
type objectsFake struct {
	mu       sync.Mutex
	secrets  map[string]*corev1.Secret
	statuses map[types.UID]corev1.PodStatus
	writes   map[types.UID]int
	state    map[string][]byte
	// onWrite, when set, sees every status write (under the lock).
	onWrite func(*corev1.Pod)
}

func newObjects() *objectsFake {
	return &objectsFake{secrets: map[string]*corev1.Secret{}, statuses: map[types.UID]corev1.PodStatus{}, writes: map[types.UID]int{}, state: map[string][]byte{}}
}

func (o *objectsFake) GetSecret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.secrets[ns+"/"+name]
	if !ok {
		return nil, fmt.Errorf("secrets %q not found", name)
	}
	return s.DeepCopy(), nil
}

func (o *objectsFake) UpdatePodStatus(_ context.Context, p *corev1.Pod) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.statuses[p.UID] = *p.Status.DeepCopy()
	o.writes[p.UID]++
	if o.onWrite != nil {
		o.onWrite(p)
	}
	return nil
}

func (o *objectsFake) PutState(k string, v []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.state[k] = append([]byte{}, v...)
	return nil
}

func (o *objectsFake) GetState(k string) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state[k], nil
}

// recorderAdapter sends pod events to a real event.Recorder.
type recorderAdapter struct{ r *event.Recorder }

func (a recorderAdapter) Event(p *corev1.Pod, fieldPath, eventtype, why, msg string) {
	ref := event.PodRef(p.Namespace, p.Name, string(p.UID))
	ref.FieldPath = fieldPath
	a.r.Event(ref, eventtype, why, msg)
}

// fixture is a manager on a real registry, a real store and puller, a
// scripted runtime and a fake clock.
type fixture struct {
	t        *testing.T
	clk      *clock.Fake
	reg      *testregistry.Registry
	rt       *scriptRuntime
	objects  *objectsFake
	events   *event.Memory
	m        *Manager
	storeDir string
	// wrap, when set, wraps the image store the puller uses.
	wrap func(store.Store) store.Store
	// onPull, when set, runs as each pull starts.
	onPull func(pull.EnsureRequest)
	// retry is the puller's retry policy: the kubelet's unless a test
	// sets it before newManager.
	retry  pull.RetryPolicy
	puller *pull.Puller
	// regOpts configure the registry client, pullOpts the puller.
	regOpts  registry.Options
	pullOpts []pull.Option
}

// hookedImages calls the fixture's onPull before each image step.
type hookedImages struct {
	*pull.Puller
	f *fixture
}

func (h hookedImages) Ensure(ctx context.Context, req pull.EnsureRequest) (pull.Result, error) {
	if h.f.onPull != nil {
		h.f.onPull(req)
	}
	return h.Puller.Ensure(ctx, req)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		t:        t,
		clk:      clock.NewFake(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)),
		reg:      testregistry.StartInProcess(t),
		objects:  newObjects(),
		events:   event.NewMemory(),
		storeDir: t.TempDir(),
	}
	f.rt = newScriptRuntime(f.clk)
	f.m = f.newManager()
	return f
}

func (f *fixture) newManager() *Manager {
	f.t.Helper()
	s, err := ocilayout.Open(f.storeDir)
	if err != nil {
		f.t.Fatal(err)
	}
	var st store.Store = s
	if f.wrap != nil {
		st = f.wrap(s)
	}
	if f.retry == "" {
		f.retry = pull.RetryKubelet
	}
	opts := append([]pull.Option{pull.WithClock(f.clk),
		pull.WithRetry(pull.RetryOptions{Policy: f.retry, OnRetry: func(r pull.Retried) { f.m.Retried(r) }})}, f.pullOpts...)
	puller := pull.New(st, registry.New(f.regOpts), opts...)
	f.puller = puller
	rec := event.NewRecorder(event.Options{Sink: f.events, Host: "node1", Clock: f.clk})
	m, err := New(Config{
		NodeName: "node1", NodeIP: "127.0.0.1",
		Runtime: f.rt, Images: hookedImages{puller, f}, Objects: f.objects, Recorder: recorderAdapter{rec},
		Clock: f.clk, LogDir: f.t.TempDir(), State: f.objects,
		Rand: rand.New(rand.NewPCG(1, 2)),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *fixture) push(repoTag string) string {
	f.t.Helper()
	ref := f.reg.Ref(repoTag)
	testimage.Push(f.t, testimage.Random(f.t, 1, 1024), ref, nil)
	return ref
}

func newPod(name string, containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec:       corev1.PodSpec{Containers: containers, RestartPolicy: corev1.RestartPolicyAlways},
	}
}

// sync runs one sync of w and returns the outcome of its actions, the
// status the next sync writes (the kubelet writes a sync's outcome at the
// start of the following one), and the delay.
func (f *fixture) sync(w *worker) (corev1.PodStatus, time.Duration) {
	f.t.Helper()
	d := f.m.sync(f.t.Context(), w)
	return f.m.status(w.current(), &w.state), d
}

// written is the last status written for the pod of w.
func (f *fixture) written(w *worker) corev1.PodStatus {
	f.objects.mu.Lock()
	defer f.objects.mu.Unlock()
	return f.objects.statuses[w.pod.UID]
}

// eventsWith returns the messages of stored events with the given reason,
// with their counts.
func (f *fixture) eventsWith(why string) map[string]int32 {
	out := map[string]int32{}
	for _, e := range f.events.List() {
		if e.Reason == why {
			out[e.Type+" "+e.Message] += e.Count
		}
	}
	return out
}

// missingTag pushes repo:present and returns the reference repo:v1, a tag
// the registry does not have in a repository it has.
func (f *fixture) missingTag(repo string) string {
	f.t.Helper()
	f.push(repo + ":present")
	return f.reg.Ref(repo + ":v1")
}

// imageOf is the image reference of the current container of name.
func (r *scriptRuntime) imageOf(w *worker, name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.containers[w.state.containers[name].id].status.ImageRef
}
