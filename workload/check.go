package workload

import (
	"context"
	"fmt"
	"github.com/pullwarden/pullwarden/clock"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/reference"
)

// Lookup finds the Secrets and ServiceAccounts workloads name. Both
// return nil, nil when the object does not exist.
type Lookup interface {
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
}

// Defaults of CheckOptions.
const (
	DefaultPerRegistry   = 4
	DefaultParallel      = 16
	DefaultMaxRetryAfter = 60 * time.Second
)

// CheckOptions configure Check; zero fields take the defaults.
type CheckOptions struct {
	// Checker runs each distinct check; required.
	Checker *diagnose.Checker
	// Lookup finds named secrets and service accounts; default: the Set's
	// own (SetLookup).
	Lookup Lookup
	// Node are the node's credentials (docker config), tried after the
	// workload's secrets; NodeSource names them.
	Node       credential.Keyring
	NodeSource string
	// Namespace is used for objects without one; default "default".
	Namespace string
	// PerRegistry bounds concurrent checks per registry host (default 4),
	// Parallel all of them (default 16).
	PerRegistry, Parallel int
	// MaxRetryAfter is the longest Retry-After waited for before checking
	// again (once); a longer one is reported as RateLimited. Default 60s.
	MaxRetryAfter time.Duration
	// Sleep waits; default a timer that ends with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Clock reads the time; default the real clock.
	Clock clock.PassiveClock
}

// Row is one image of one workload.
type Row struct {
	Workload string `json:"workload"`
	Source   string `json:"source"`
	Document int    `json:"document"`
	Image
	// Credential names the credential the check used: its source, or
	// "anonymous"; never a value.
	Credential string `json:"credential"`
	// MissingSecrets are pull secrets the workload names that exist
	// neither in the input nor the cluster.
	MissingSecrets []string        `json:"missingSecrets,omitempty"`
	Result         diagnose.Result `json:"result"`
}

// Report is the outcome of Check.
type Report struct {
	Rows []Row `json:"rows"`
	// Workloads, Images and Checks count the workloads, the distinct
	// images and the distinct (image, credential) pairs checked.
	Workloads int  `json:"workloads"`
	Images    int  `json:"images"`
	Checks    int  `json:"checks"`
	Pullable  bool `json:"pullable"`
}

// Check resolves each workload's credentials the kubelet's way and checks
// every distinct (image, matching credentials) once, in parallel within
// per-registry limits, waiting out a registry's Retry-After (up to
// MaxRetryAfter) before the registry is asked again.
func Check(ctx context.Context, set *Set, o CheckOptions) (*Report, error) {
	o = checkDefaults(set, o)
	rep := &Report{Workloads: len(set.Workloads), Pullable: true}
	type job struct {
		req diagnose.Request
		res diagnose.Result
	}
	jobs := map[string]*job{}
	var order []string
	images := map[string]bool{}
	var rowJob []string
	for _, w := range set.Workloads {
		ring, sources, missing, err := o.credentials(ctx, w)
		if err != nil {
			return nil, err
		}
		for _, im := range FromPodSpec(&w.Spec) {
			images[im.Image] = true
			matched := matching(ring, im.Image)
			key := im.Image + "\x00" + string(im.Policy) + "\x00" + strings.Join(sourcesOf(matched), "\x00")
			if jobs[key] == nil {
				jobs[key] = &job{req: diagnose.Request{Image: im.Image, Policy: im.Policy, Keyring: fixedRing(matched), Sources: sources}}
				order = append(order, key)
			}
			rep.Rows = append(rep.Rows, Row{Workload: w.Ref(), Source: w.Source, Document: w.Document, Image: im, MissingSecrets: missing})
			rowJob = append(rowJob, key)
		}
	}
	rep.Images, rep.Checks = len(images), len(jobs)
	g := newGates(o)
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(o.Parallel)
	for _, key := range order {
		j := jobs[key]
		eg.Go(func() error {
			j.res = g.run(gctx, j.req)
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		r.Result = jobs[rowJob[i]].res
		r.Credential = credentialLabel(r.Result, jobs[rowJob[i]].req)
		if !r.Result.Pullable {
			rep.Pullable = false
			if len(r.MissingSecrets) > 0 && r.Result.Reason == cause.Unauthorized.Reason() {
				r.Result.Message += fmt.Sprintf("; the workload names missing secret(s): %s", strings.Join(r.MissingSecrets, ", "))
			}
		}
	}
	return rep, nil
}

func checkDefaults(set *Set, o CheckOptions) CheckOptions {
	if o.Lookup == nil {
		o.Lookup = SetLookup(set)
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.PerRegistry <= 0 {
		o.PerRegistry = DefaultPerRegistry
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, clock.Real(), d) }
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	return o
}

// credentials resolves w's pull secrets: its own imagePullSecrets, else
// its service account's; then the node's credentials.
func (o CheckOptions) credentials(ctx context.Context, w Workload) (credential.Keyring, []string, []string, error) {
	ns := w.Namespace
	if ns == "" {
		ns = o.Namespace
	}
	var sa *corev1.ServiceAccount
	saName := ServiceAccountName(&w.Spec)
	if len(w.Spec.ImagePullSecrets) == 0 {
		var err error
		if sa, err = o.Lookup.ServiceAccount(ctx, ns, saName); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: service account %s/%s: %w", w.Ref(), ns, saName, err)
		}
	}
	names, from := PullSecrets(&w.Spec, sa)
	var secrets []corev1.Secret
	var missing []string
	for _, n := range names {
		s, err := o.Lookup.Secret(ctx, ns, n)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: secret %s/%s: %w", w.Ref(), ns, n, err)
		}
		if s == nil {
			missing = append(missing, n)
			continue
		}
		cp := *s
		cp.Namespace = ns
		secrets = append(secrets, cp)
	}
	var sources []string
	if len(names) > 0 {
		sources = append(sources, from+": "+strings.Join(names, ", "))
	}
	ring, _ := credential.FromSecrets(secrets)
	rings := []credential.Keyring{ring}
	if o.Node != nil {
		rings = append(rings, o.Node)
		sources = append(sources, "node credentials: "+o.NodeSource)
	}
	return credential.Union(rings...), sources, missing, nil
}

func matching(ring credential.Keyring, image string) []credential.Credential {
	ref, err := reference.Parse(image)
	if err != nil {
		return nil
	}
	return ring.Lookup(ref.Name())
}

func sourcesOf(creds []credential.Credential) []string {
	var out []string
	for _, c := range creds {
		out = append(out, c.Source)
	}
	return out
}

// fixedRing returns the same credentials for every image.
type fixedRing []credential.Credential

func (f fixedRing) Lookup(string) []credential.Credential { return f }

// credentialLabel is the CREDENTIAL column: the credential accepted, the
// first one matched, or anonymous.
func credentialLabel(res diagnose.Result, req diagnose.Request) string {
	if res.Credential != "" {
		return res.Credential
	}
	creds := req.Keyring.Lookup(req.Image)
	if len(creds) == 0 {
		return "anonymous"
	}
	label := creds[0].Source
	if len(creds) > 1 {
		label += fmt.Sprintf(" (+%d more)", len(creds)-1)
	}
	if res.Reason == cause.Unauthorized.Reason() || res.Reason == cause.Denied.Reason() {
		label += " (refused)"
	}
	return label
}
