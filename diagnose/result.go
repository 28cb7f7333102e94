package diagnose

import (
	"time"

	"github.com/pullwarden/pullwarden/cause"
)

// Status is the outcome of one step.
type Status string

// The outcomes of a step.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Step names, stable for scripts (-o json), in the order they run.
const (
	StepReference   = "reference"
	StepPolicy      = "policy"
	StepCredentials = "credentials"
	StepDNS         = "dns"
	StepTCP         = "tcp"
	StepTLS         = "tls"
	StepAPI         = "api"
	StepAuth        = "authentication"
	StepRepository  = "repository"
	StepManifest    = "manifest"
	StepPlatform    = "platform"
	StepRateLimit   = "rateLimit"
	StepNode        = "node"
	StepNext        = "next"
)

// titles are the steps' human names, in order.
var titles = []struct{ name, title string }{
	{StepReference, "reference valid"},
	{StepPolicy, "pull policy"},
	{StepCredentials, "credentials for the registry"},
	{StepDNS, "DNS"},
	{StepTCP, "TCP connection"},
	{StepTLS, "TLS"},
	{StepAPI, "registry API (/v2/)"},
	{StepAuth, "registry accepts the credentials"},
	{StepRepository, "repository exists"},
	{StepManifest, "tag or digest exists"},
	{StepPlatform, "platform present"},
	{StepRateLimit, "rate-limit headroom"},
	{StepNode, "node-side checks"},
	{StepNext, "what the kubelet does next"},
}

// Step is one item of the checklist.
type Step struct {
	Name     string `json:"name"`
	Title    string `json:"title"`
	Status   Status `json:"status"`
	Evidence string `json:"evidence,omitempty"`
	// Reason and Hint are the cause of a failed step (package cause).
	Reason string `json:"reason,omitempty"`
	Hint   string `json:"hint,omitempty"`
}

// Result is the whole diagnosis of one image.
type Result struct {
	// Image is the reference as given; Reference its normalised form.
	Image     string `json:"image"`
	Reference string `json:"reference,omitempty"`
	Policy    string `json:"policy,omitempty"`
	// Credential names the credential the registry accepted (its source,
	// never its value); empty for anonymous access.
	Credential string `json:"credential,omitempty"`
	Digest     string `json:"digest,omitempty"`
	// Pullable is true when nothing checked stands in the way of the pull
	// (or no pull is needed). Skipped steps do not count against it.
	Pullable bool `json:"pullable"`
	// Reason, Message and Hint describe the first failed step.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Hint    string `json:"hint,omitempty"`
	// RetryAfter is the wait the registry asked for, in seconds.
	RetryAfter  float64  `json:"retryAfterSeconds,omitempty"`
	NearestTags []string `json:"nearestTags,omitempty"`
	Steps       []Step   `json:"steps"`
}

// Step returns the step named name (the zero Step when absent).
func (r *Result) Step(name string) Step {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return Step{}
}

// FailedStep is the first failed step, or nil.
func (r *Result) FailedStep() *Step {
	for i := range r.Steps {
		if r.Steps[i].Status == Failed {
			return &r.Steps[i]
		}
	}
	return nil
}

// run fills a Result step by step.
type run struct {
	res   Result
	index map[string]int
}

func newRun(image string) *run {
	r := &run{res: Result{Image: image, Pullable: true}, index: map[string]int{}}
	for i, t := range titles {
		r.res.Steps = append(r.res.Steps, Step{Name: t.name, Title: t.title, Status: Skipped})
		r.index[t.name] = i
	}
	return r
}

func (r *run) step(name string) *Step { return &r.res.Steps[r.index[name]] }

func (r *run) pass(name, evidence string) {
	s := r.step(name)
	s.Status, s.Evidence = Passed, evidence
}

func (r *run) skip(name, why string) {
	s := r.step(name)
	s.Status, s.Evidence = Skipped, why
}

// skipUnset marks every step not yet decided after from as skipped for why.
func (r *run) skipRest(why string) {
	for i := range r.res.Steps {
		s := &r.res.Steps[i]
		if s.Status == Skipped && s.Evidence == "" && s.Name != StepNext && s.Name != StepNode {
			s.Evidence = why
		}
	}
}

// fail records err (a *cause.Error or any error) on step name; the first
// failure becomes the result's verdict.
func (r *run) fail(name string, err error) {
	c := cause.Of(err)
	s := r.step(name)
	s.Status, s.Evidence, s.Reason, s.Hint = Failed, err.Error(), c.Reason(), c.Hint()
	if r.res.Pullable {
		r.res.Pullable = false
		r.res.Reason, r.res.Message, r.res.Hint = c.Reason(), err.Error(), c.Hint()
		if d := cause.RetryAfterOf(err); d > 0 {
			r.res.RetryAfter = d.Seconds()
		}
	}
}

func seconds(d time.Duration) string { return d.Round(time.Second).String() }
