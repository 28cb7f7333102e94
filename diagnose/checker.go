package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
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
	// Now reads the clock; default time.Now.
	Now func() time.Time
	// StepTimeout bounds DNS, TCP and /v2/; default DefaultStepTimeout.
	StepTimeout time.Duration
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
	if o.Now == nil {
		o.Now = time.Now
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
	host := ref.Registry()
	if host == "docker.io" {
		host = "index.docker.io"
	}
	hc := c.host(ctx, host)
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
	c.registrySteps(ctx, r, req, ref, creds, hc)
	return r.res
}

func (c *Checker) host(ctx context.Context, host string) *hostCheck {
	c.mu.Lock()
	e := c.hosts[host]
	if e == nil {
		e = &hostEntry{}
		c.hosts[host] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.res = c.checkHost(ctx, host) })
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

// attempt is one credential's (or the anonymous) try at the manifest.
type attempt struct {
	source string
	repo   Repository
	head   registry.ManifestHead
	err    error
}

func (c *Checker) registrySteps(ctx context.Context, r *run, req Request, ref reference.Reference, creds []credential.Credential, hc *hostCheck) {
	tries := []credential.Credential{{}}
	if len(creds) > 0 {
		tries = creds
	}
	var refused []string
	var a attempt
	for _, cr := range tries {
		a = attempt{source: cr.Source}
		var auth authn.Authenticator = authn.Anonymous
		if cr.Source != "" {
			auth = cr.Authenticator()
		}
		a.repo, a.err = c.opts.Registry.Open(ctx, ref, auth)
		if a.err == nil {
			a.head, a.err = a.repo.Head(ctx, ref.Locator())
		}
		if cr.Source != "" && (errors.Is(a.err, cause.Unauthorized) || errors.Is(a.err, cause.Denied)) {
			refused = append(refused, cr.Source)
			continue
		}
		break
	}
	c.rateLimit(r, a.head.RateLimit, a.err)
	switch {
	case errors.Is(a.err, cause.Unauthorized), errors.Is(a.err, cause.Denied):
		r.fail(StepAuth, authError(a.err, refused, hc, ref, req))
		r.skipRest("not checked: the registry refused access")
		return
	case errors.Is(a.err, cause.RateLimited):
		r.skipRest("not checked: the registry rate-limited the request")
		return
	case a.err != nil && !errors.Is(a.err, cause.TagNotFound):
		r.fail(StepManifest, a.err)
		r.skipRest("not checked: the manifest request failed")
		return
	}
	r.res.Credential = a.source
	if a.source == "" {
		r.pass(StepAuth, "anonymous access accepted")
	} else {
		ev := "accepted " + a.source
		if len(refused) > 0 {
			ev += "; refused before it: " + strings.Join(refused, "; ")
		}
		r.pass(StepAuth, ev)
	}
	if a.err != nil {
		c.missing(ctx, r, ref, a)
		return
	}
	d := a.head.Descriptor
	r.res.Digest = d.Digest.String()
	r.pass(StepRepository, "the manifest HEAD answered")
	r.pass(StepManifest, fmt.Sprintf("%s is %s (%s, %d bytes)", ref.Locator(), d.Digest, d.MediaType, d.Size))
	c.platform(ctx, r, req, ref, a)
}

// authError explains refused access with what is known.
func authError(err error, refused []string, hc *hostCheck, ref reference.Reference, req Request) error {
	e := &cause.Error{Cause: cause.Of(err), Message: err.Error(), Err: err}
	switch {
	case len(refused) > 0:
		e.Message += fmt.Sprintf(" (credentials refused: %s)", strings.Join(refused, "; "))
	case hc.ping.Status == 401:
		e.Message = fmt.Sprintf("registry %s requires credentials and none matches it", ref.Registry())
		if len(req.MissingSecrets) > 0 {
			e.Message += fmt.Sprintf("; the pod names missing secret(s) %s", strings.Join(req.MissingSecrets, ", "))
		}
	}
	return e
}

// missing handles a manifest 404: is it the repository or the tag?
func (c *Checker) missing(ctx context.Context, r *run, ref reference.Reference, a attempt) {
	tags, err := a.repo.Tags(ctx)
	switch {
	case errors.Is(err, cause.RepositoryNotFound):
		r.fail(StepRepository, err)
		r.skipRest("not checked: the repository does not exist")
		return
	case err != nil:
		r.skip(StepRepository, "the tag list could not be read: "+err.Error())
	default:
		r.pass(StepRepository, fmt.Sprintf("%d tag(s)", len(tags)))
	}
	e := &cause.Error{Cause: cause.Of(a.err), Message: a.err.Error(), Err: a.err}
	if ref.Digest() == "" && err == nil {
		near := Nearest(ref.Tag(), tags, 3)
		r.res.NearestTags = near
		if len(near) > 0 {
			e.Message += fmt.Sprintf("; nearest existing tags: %s", strings.Join(near, ", "))
		} else {
			e.Message += "; the repository has no tags"
		}
	}
	r.fail(StepManifest, e)
	r.skipRest("not checked: the manifest does not exist")
}

func (c *Checker) platform(ctx context.Context, r *run, req Request, ref reference.Reference, a attempt) {
	want := registry.HostPlatform()
	if req.Platform != nil {
		want = req.Platform
	}
	d := a.head.Descriptor
	switch {
	case !registry.IsIndex(string(d.MediaType)):
		r.skip(StepPlatform, "a single-platform image: its platform is in the config blob, which is not read here")
	case ref.Registry() == "docker.io":
		r.skip(StepPlatform, "an index; reading it is a manifest GET, which Docker Hub counts as a pull: not read")
	default:
		got, err := a.repo.Platform(ctx, d, *want)
		if err != nil {
			r.fail(StepPlatform, err)
			return
		}
		r.pass(StepPlatform, fmt.Sprintf("%s is %s", registry.PlatformString(*want), got.Digest))
	}
}

func (c *Checker) rateLimit(r *run, rl registry.RateLimit, err error) {
	switch {
	case errors.Is(err, cause.RateLimited):
		r.fail(StepRateLimit, err)
	case rl.Known && rl.Remaining == 0:
		r.fail(StepRateLimit, cause.New(cause.RateLimited, "no pulls left: 0 of %d remaining in the %s window", rl.Limit, rl.Window))
	case rl.Known:
		r.pass(StepRateLimit, fmt.Sprintf("%d of %d pulls left in the %s window", rl.Remaining, rl.Limit, rl.Window))
	case err == nil || errors.Is(err, cause.TagNotFound):
		r.pass(StepRateLimit, "no rate-limit headers and no 429")
	}
}

// node reports what cannot be seen from here.
func (c *Checker) node(r *run, req Request) {
	if req.Node == "" {
		r.skip(StepNode, "the checks ran where the pull would run")
		return
	}
	r.skip(StepNode, fmt.Sprintf("not checked from here: the network path from node %s, its own credentials (docker config.json) and any kubelet credential provider; the pull may still differ on the node", req.Node))
}
