package diagnose

import (
	"context"
	"fmt"
	"github.com/pullwarden/pullwarden/clock"
	"net"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/reference"
)

// DefaultStepTimeout bounds each network step (DNS, TCP, /v2/).
const DefaultStepTimeout = 10 * time.Second

// Options configure a Checker; zero fields take the stated defaults.
type Options struct {
	// Registry is the registry access; required (FromClient(NewRegistryClient(...))).
	Registry Registry
	// Resolver looks up registry hosts; default net.DefaultResolver.
	Resolver Resolver
	// Dial opens the TCP probe; default a net.Dialer.
	Dial DialFunc
	// Clock reads the time; default the real clock.
	Clock clock.PassiveClock
	// StepTimeout bounds DNS, TCP and /v2/; default DefaultStepTimeout.
	StepTimeout time.Duration
	// RegistryConfigPath is containerd's hosts.toml directory (the agent's
	// serve --registry-config-path); "" for none. The checks then reach
	// the registry as its own entry there says (server, ca, client,
	// skip_verify, header, API root), as the agent pulls from it; the
	// mirrors are named in the API step's evidence, not checked.
	RegistryConfigPath string
	// HostTTL is how long the network steps of a host (DNS, TCP, TLS,
	// /v2/) serve later checks; 0 keeps them for the Checker's life (a
	// batch such as check -f). A long-running checker (the controller)
	// sets it, or a registry that came back would stay unreachable.
	HostTTL time.Duration
}

// Checker runs the checklist. It remembers the network steps per registry
// host, so a batch (check -f) resolves, connects and pings each host once.
// It is safe for concurrent use.
type Checker struct {
	opts  Options
	mu    sync.Mutex
	hosts map[string]*hostEntry
}

type hostEntry struct {
	once sync.Once
	res  *hostCheck
	at   time.Time
}

// New returns a Checker.
func New(o Options) *Checker {
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Dial == nil {
		d := &net.Dialer{}
		o.Dial = d.DialContext
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.StepTimeout <= 0 {
		o.StepTimeout = DefaultStepTimeout
	}
	return &Checker{opts: o, hosts: map[string]*hostEntry{}}
}

// Request is what to diagnose.
type Request struct {
	// Image is the reference as written in the pod.
	Image string
	// Policy is the imagePullPolicy; "" means the API server's default.
	Policy policy.Policy
	// Present says whether the image is on the node; nil when unknown.
	Present *bool
	// Keyring holds the credentials the kubelet would try, in its order
	// (pod secrets, then node credentials when visible). Nil: none.
	Keyring credential.Keyring
	// Sources says where Keyring's credentials came from, for the
	// evidence ("imagePullSecrets of the pod: regcred").
	Sources []string
	// MissingSecrets names pull secrets the pod names that do not exist.
	MissingSecrets []string
	// Warnings are secrets that could not be used.
	Warnings []credential.Warning
	// Platform to look for in an index; default the host's.
	Platform *v1.Platform
	// Node, when set, is the node where the pull runs while this checker
	// runs elsewhere: the network steps are then from here, and the
	// node's own path and credentials are reported as not checked.
	Node string
	// Kubelet is the kubelet's backoff state for the container, when known.
	Kubelet *KubeletState
}

// Check runs the checklist for req. It only reads: one GET /v2/ per host,
// manifest HEADs (one per credential tried), the tag list when the tag is
// missing, and an index by digest for the platform (not on Docker Hub,
// where a manifest GET counts as a pull).
func (c *Checker) Check(ctx context.Context, req Request) Result {
	r := newRun(req.Image)
	defer c.next(r, req)
	c.node(r, req)
	ref, err := reference.Parse(req.Image)
	if err != nil {
		r.fail(StepReference, err)
		r.skipRest("not checked: the reference does not parse")
		return r.res
	}
	r.res.Reference = ref.String()
	ev := "normalised to " + ref.String()
	if ref.TagImplied() {
		ev += " (no tag: latest implied)"
	}
	r.pass(StepReference, ev)
	if !c.policy(r, req, ref) {
		return r.res
	}
	creds := c.credentials(r, req, ref)
	ctx, target, ep, err := c.endpoint(ctx, ref)
	if err != nil {
		r.fail(StepDNS, err)
		r.skipRest("not checked: the registry host configuration cannot be used")
		return r.res
	}
	host := target.Registry()
	if host == "docker.io" {
		host = "index.docker.io"
	}
	hc := c.host(ctx, host, ep)
	for _, s := range []struct {
		name string
		o    stepOutcome
	}{{StepDNS, hc.dns}, {StepTCP, hc.tcp}, {StepTLS, hc.tls}, {StepAPI, hc.api}} {
		if !s.o.apply(r, s.name) {
			r.skipRest("not checked: the registry cannot be reached")
			return r.res
		}
		if req.Node != "" && s.o.status == Passed {
			st := r.step(s.name)
			st.Evidence += " (from this machine, not from node " + req.Node + ")"
		}
	}
	if ep.mirrors != "" {
		r.step(StepAPI).Evidence += "; " + ep.mirrors
	}
	c.registrySteps(ctx, r, req, target, creds, hc)
	return r.res
}

// Forget drops the remembered network steps of every host: the next check
// of each runs them again (a registry announced back, say).
func (c *Checker) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.hosts)
}

func (c *Checker) host(ctx context.Context, host string, ep configured) *hostCheck {
	key := host + "\x00" + ep.key
	now := c.opts.Clock.Now()
	c.mu.Lock()
	e := c.hosts[key]
	if e == nil || (c.opts.HostTTL > 0 && now.Sub(e.at) >= c.opts.HostTTL) {
		e = &hostEntry{at: now}
		c.hosts[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.res = c.checkHost(ctx, host, ep.scheme) })
	return e.res
}

// policy records the policy step; false when no registry check follows.
func (c *Checker) policy(r *run, req Request, ref reference.Reference) bool {
	p := req.Policy.Or(ref.Raw())
	r.res.Policy = string(p)
	how := string(p)
	if req.Policy == "" {
		how += " (the API server's default for this reference)"
	}
	if req.Present == nil {
		switch p {
		case policy.Never:
			r.skip(StepPolicy, how+": the kubelet never pulls; whether the image is on the node is not known here")
			r.skipRest("not checked: policy Never never pulls")
			return false
		case policy.IfNotPresent:
			r.pass(StepPolicy, how+": a pull happens when the image is not on the node (not known here); checking the registry")
		default:
			r.pass(StepPolicy, how+": the kubelet asks the registry every time")
		}
		return true
	}
	d, err := policy.Decide(p, ref.String(), *req.Present)
	if err != nil {
		r.fail(StepPolicy, err)
		r.skipRest("not checked: policy Never and the image is not on the node")
		return false
	}
	if d == policy.UsePresent {
		r.pass(StepPolicy, how+": the image is on the node, no pull needed")
		r.skipRest("not checked: no pull is needed")
		return false
	}
	r.pass(StepPolicy, how+": a pull is needed")
	return true
}

// credentials records which credentials match; nil means anonymous.
func (c *Checker) credentials(r *run, req Request, ref reference.Reference) []credential.Credential {
	var creds []credential.Credential
	if req.Keyring != nil {
		creds = req.Keyring.Lookup(ref.Name())
	}
	var parts []string
	if len(creds) == 0 {
		parts = append(parts, fmt.Sprintf("no credential matches %s: the pull is anonymous", ref.Registry()))
	} else {
		var names []string
		for _, cr := range creds {
			names = append(names, cr.Source)
		}
		parts = append(parts, fmt.Sprintf("%d matching, tried in order: %s", len(creds), strings.Join(names, "; ")))
	}
	if len(req.Sources) > 0 {
		parts = append(parts, "looked in: "+strings.Join(req.Sources, "; "))
	}
	if len(req.MissingSecrets) > 0 {
		parts = append(parts, fmt.Sprintf("MISSING secret(s) the pod names: %s", strings.Join(req.MissingSecrets, ", ")))
	}
	for _, w := range req.Warnings {
		parts = append(parts, "unusable: "+w.String())
	}
	r.pass(StepCredentials, strings.Join(parts, "; "))
	return creds
}

// node reports what cannot be seen from here.
func (c *Checker) node(r *run, req Request) {
	if req.Node == "" {
		r.skip(StepNode, "the checks ran where the pull would run")
		return
	}
	r.skip(StepNode, fmt.Sprintf("not checked from here: the network path from node %s, its own credentials (docker config.json) and any kubelet credential provider; the pull may still differ on the node", req.Node))
}
