package node

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pullwarden/pullwarden/clock"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/pull"
)

// The keys of the pre-pull ConfigMap.
const (
	// PrepullImagesKey holds one image per line; blank lines and lines
	// starting with # are ignored, as is what follows " #" on a line.
	PrepullImagesKey = "images"
	// PrepullSecretsKey holds comma-separated names of docker-registry
	// secrets in the ConfigMap's namespace.
	PrepullSecretsKey = "imagePullSecrets"
)

// The states of an image in /images.
const (
	StatePending = "Pending"
	StatePresent = "Present"
	StateFailing = "Failing"
)

// prepullWaiter names the pre-puller as the engine's waiter: its holds
// and re-checks are shared with nobody's pod.
const prepullWaiter = podmeta.NodeComponent + "/prepull"

// ParsePrepull reads the pre-pull ConfigMap's data: its images (order
// kept, duplicates dropped) and its secret names.
func ParsePrepull(data map[string]string) (images, secrets []string) {
	for line := range strings.Lines(data[PrepullImagesKey]) {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || slices.Contains(images, line) {
			continue
		}
		images = append(images, line)
	}
	for s := range strings.SplitSeq(data[PrepullSecretsKey], ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(secrets, s) {
			secrets = append(secrets, s)
		}
	}
	return images, secrets
}

// ImageState is what the node holds for one image.
type ImageState struct {
	Image  string `json:"image"`
	Digest string `json:"digest,omitempty"`
	State  string `json:"state"`
	// Reason and Message are the cause of the last failure.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// RetryAt is when the engine lets the next attempt run (zero: when a
	// re-check or a trigger releases the image).
	RetryAt time.Time `json:"retryAt,omitzero"`
	// Since is when the state last changed.
	Since time.Time `json:"since,omitzero"`
}

// prepull is the pre-pull list and what became of each image.
type prepull struct {
	clock   clock.Clock
	mu      sync.Mutex
	images  []string
	secrets []string
	states  map[string]ImageState
	kick    chan struct{}
}

func newPrepull(c clock.Clock) *prepull {
	return &prepull{clock: c, states: map[string]ImageState{}, kick: make(chan struct{}, 1)}
}

// set replaces the list (from the ConfigMap) and wakes the loop.
func (p *prepull) set(images, secrets []string) {
	p.mu.Lock()
	p.images, p.secrets = images, secrets
	for im := range p.states {
		if !slices.Contains(images, im) {
			delete(p.states, im)
		}
	}
	for _, im := range images {
		if _, ok := p.states[im]; !ok {
			p.states[im] = ImageState{Image: im, State: StatePending, Since: p.clock.Now()}
		}
	}
	p.mu.Unlock()
	p.wake()
}

func (p *prepull) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *prepull) list() (images, secrets []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.images), slices.Clone(p.secrets)
}

func (p *prepull) record(s ImageState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.states[s.Image]; !ok {
		return // removed from the list meanwhile
	}
	if old := p.states[s.Image]; old.State == s.State && old.Reason == s.Reason {
		s.Since = old.Since
	} else {
		s.Since = p.clock.Now()
	}
	p.states[s.Image] = s
}

func (p *prepull) get(image string) ImageState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.states[image]
}

// snapshot lists the states in the ConfigMap's order.
func (p *prepull) snapshot() []ImageState {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []ImageState{}
	for _, im := range p.images {
		out = append(out, p.states[im])
	}
	return out
}

// runPrepull pulls every listed image that is not present, at start, on
// every change of the list, when the engine releases a held image (a
// re-check found it, the registry answers again) or its transient backoff
// ends, and every PrepullResync (an image the kubelet's GC removed comes
// back). The engine's smart policy decides when an attempt may run: a
// held image costs no request.
func (n *Node) runPrepull(ctx context.Context) {
	for {
		next := n.prepullPass(ctx)
		wait := n.cfg.PrepullResync
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(n.cfg.Clock.Now()), 0))
		}
		t := n.cfg.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-n.prepull.kick:
			t.Stop()
		case <-t.C():
		}
	}
}

// prepullPass ensures each image once and returns the earliest time a
// failed one may be tried again (zero: none is timed).
func (n *Node) prepullPass(ctx context.Context) time.Time {
	images, secrets := n.prepull.list()
	if len(images) == 0 {
		n.gauges.prepull(nil)
		return time.Time{}
	}
	ring, missing, err := n.secretsKeyring(ctx, n.cfg.Namespace, secrets)
	if err != nil {
		n.cfg.Logger.Warn("pre-pull: reading its secrets", "error", err)
		return n.cfg.Clock.Now().Add(pull.TransientInitial)
	}
	if len(missing) > 0 {
		n.cfg.Logger.Warn("pre-pull: secrets not found", "namespace", n.cfg.Namespace, "secrets", strings.Join(missing, ","))
	}
	var next time.Time
	for _, im := range images {
		if ctx.Err() != nil {
			return next
		}
		res, err := n.puller.Ensure(ctx, pull.EnsureRequest{Image: im, Policy: policy.IfNotPresent, Keyring: ring,
			BackoffKey: prepullWaiter + "/" + im, Waiter: prepullWaiter})
		st := ImageState{Image: im}
		if err == nil {
			st.State, st.Digest = StatePresent, res.RepoDigest.String()
			if res.Pulled {
				n.cfg.Logger.Info("pre-pulled", "image", im, "digest", st.Digest)
			}
		} else {
			c, msg := failure(err)
			st.State, st.Reason, st.Message = StateFailing, c.Reason(), msg
			f, _ := err.(*pull.Failure)
			if old := n.prepull.get(im); f != nil && f.Err == nil && old.State == StateFailing {
				// Held by the engine: no attempt ran; the cause is the
				// last attempt's.
				st.Reason, st.Message = old.Reason, old.Message
			}
			if f != nil && !f.RetryAt.IsZero() {
				st.RetryAt = f.RetryAt
				if next.IsZero() || f.RetryAt.Before(next) {
					next = f.RetryAt
				}
			}
		}
		n.prepull.record(st)
	}
	n.gauges.prepull(n.prepull.snapshot())
	return next
}
