package pod

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullwarden/pullwarden/backoff"
	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/runtime"
)

// Objects is what the manager reads and writes of the API objects.
type Objects interface {
	GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	// UpdatePodStatus writes pod.Status of the pod with pod's UID.
	UpdatePodStatus(ctx context.Context, pod *corev1.Pod) error
}

// Images is the image manager; *pull.Puller. Ensure is the kubelet's
// EnsureImageExists; Backoff is the pull backoff it keeps (persisted by the
// manager, forgotten per pod on removal).
type Images interface {
	Ensure(ctx context.Context, req pull.EnsureRequest) (pull.Result, error)
	Backoff() *backoff.Backoff
}

// Recorder records events about a pod; fieldPath names a container
// ("spec.containers{app}") or is empty for the pod itself.
type Recorder interface {
	Event(pod *corev1.Pod, fieldPath, eventtype, reason, message string)
}

// StateStore persists the manager's backoff across restarts.
type StateStore interface {
	PutState(key string, value []byte) error
	GetState(key string) ([]byte, error)
}

// Config wires a Manager. Every field but Logger, NodeKeyring, State and
// Rand is required.
type Config struct {
	NodeName string
	// NodeIP is reported as hostIP and, for host-network pods, podIP.
	NodeIP   string
	Runtime  runtime.Runtime
	Images   Images
	Objects  Objects
	Recorder Recorder
	Clock    clock.Clock
	// LogDir is where container logs go: LogDir/<ns>_<name>_<uid>/<container>/<n>.log.
	LogDir string
	// NodeKeyring holds the node's own registry credentials, tried after
	// the pod's secrets.
	NodeKeyring credential.Keyring
	// State, when set, persists the backoff so that it survives restarts.
	State  StateStore
	Logger *slog.Logger
	// Rand is the jitter source of the resync period (default: random).
	Rand *rand.Rand
}

// The kubelet's timing.
const (
	// ResyncPeriod is the delay before a failing pod is synced again; up
	// to ResyncJitter of it is added at random.
	ResyncPeriod = 10 * time.Second
	ResyncJitter = 0.5
	// RelistPeriod is how often running containers are polled (the PLEG's
	// relist period).
	RelistPeriod = time.Second
	stateKey     = "pod/backoff"
)

// Manager runs the pods assigned to it.
type Manager struct {
	cfg      Config
	pulls    *backoff.Backoff
	crashes  *backoff.CrashLoop
	mu       sync.Mutex
	workers  map[types.UID]*worker
	removing map[types.UID]chan struct{}
	randMu   sync.Mutex
	logger   *slog.Logger
	persist  sync.Mutex
	lastSave []byte
}

// New returns a Manager and restores its persisted backoff.
func New(cfg Config) (*Manager, error) {
	m := &Manager{
		cfg:      cfg,
		pulls:    cfg.Images.Backoff(),
		crashes:  backoff.NewCrashLoop(cfg.Clock),
		workers:  map[types.UID]*worker{},
		removing: map[types.UID]chan struct{}{},
		logger:   cfg.Logger,
	}
	if m.logger == nil {
		m.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if m.cfg.Rand == nil {
		m.cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if err := m.restore(); err != nil {
		return nil, err
	}
	return m, nil
}

// persisted is the saved form of the manager's state.
type persisted struct {
	Pulls   []backoff.Entry `json:"pulls"`
	Crashes []backoff.Entry `json:"crashes"`
}

func (m *Manager) restore() error {
	if m.cfg.State == nil {
		return nil
	}
	b, err := m.cfg.State.GetState(stateKey)
	if err != nil || len(b) == 0 {
		return nil
	}
	var p persisted
	if err := json.Unmarshal(b, &p); err != nil {
		m.logger.Warn("ignoring unreadable saved backoff", "error", err)
		return nil
	}
	m.pulls.Restore(p.Pulls)
	m.crashes.Restore(p.Crashes)
	return nil
}

// save persists the backoff when it changed.
func (m *Manager) save() {
	if m.cfg.State == nil {
		return
	}
	b, err := json.Marshal(persisted{Pulls: m.pulls.Snapshot(), Crashes: m.crashes.Snapshot()})
	if err != nil {
		return
	}
	m.persist.Lock()
	defer m.persist.Unlock()
	if string(b) == string(m.lastSave) {
		return
	}
	if err := m.cfg.State.PutState(stateKey, b); err != nil {
		m.logger.Error("saving backoff", "error", err)
		return
	}
	m.lastSave = b
}

// resyncDelay is 10 s plus up to 50 % jitter.
func (m *Manager) resyncDelay() time.Duration {
	m.randMu.Lock()
	defer m.randMu.Unlock()
	return ResyncPeriod + time.Duration(m.cfg.Rand.Float64()*ResyncJitter*float64(ResyncPeriod))
}

// Update gives the manager the current version of a pod: a new pod gets a
// worker, a known one is synced at once with its new spec.
func (m *Manager) Update(ctx context.Context, p *corev1.Pod) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w, ok := m.workers[p.UID]; ok {
		w.update(p)
		return
	}
	w := newWorker(m, p)
	m.workers[p.UID] = w
	go w.run(ctx)
}

// Remove stops a pod: its pulls are canceled, its containers stopped and
// its sandbox removed. It returns when that is done.
func (m *Manager) Remove(ctx context.Context, uid types.UID) {
	m.RemovePod(ctx, uid, nil)
}

// RemovePod is Remove for a pod whose deletion asked for a grace period
// (deleted.DeletionGracePeriodSeconds): its containers are stopped within
// that period instead of the pod's own. deleted may be nil.
func (m *Manager) RemovePod(ctx context.Context, uid types.UID, deleted *corev1.Pod) {
	m.mu.Lock()
	w, ok := m.workers[uid]
	delete(m.workers, uid)
	if !ok {
		// Another call may be tearing it down: wait for that one.
		done := m.removing[uid]
		m.mu.Unlock()
		if done != nil {
			select {
			case <-done:
			case <-ctx.Done():
			}
		}
		return
	}
	done := make(chan struct{})
	m.removing[uid] = done
	m.mu.Unlock()

	w.stop()
	if deleted != nil && deleted.DeletionGracePeriodSeconds != nil {
		w.setDeletionGrace(*deleted.DeletionGracePeriodSeconds)
	}
	m.teardown(ctx, w)
	m.pulls.ResetPrefix(string(uid) + "_")
	if f, ok := m.cfg.Images.(forgetter); ok {
		f.Forget(string(uid))
	}
	m.forgetCrashes(w.current())
	m.save()

	m.mu.Lock()
	delete(m.removing, uid)
	m.mu.Unlock()
	close(done)
}

// forgetter is the optional capability of Images to drop a removed pod
// from the pulls it waited on (*pull.Puller).
type forgetter interface{ Forget(uid string) }

// SyncNow asks the worker of uid to sync at once (for example after the
// store received an image).
func (m *Manager) SyncNow(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w, ok := m.workers[uid]; ok {
		w.poke()
	}
}

// Stop ends every worker without touching the containers: a restarted
// manager adopts them.
func (m *Manager) Stop() {
	m.mu.Lock()
	ws := make([]*worker, 0, len(m.workers))
	for _, w := range m.workers {
		ws = append(ws, w)
	}
	m.workers = map[types.UID]*worker{}
	m.mu.Unlock()
	for _, w := range ws {
		w.stop()
	}
}
