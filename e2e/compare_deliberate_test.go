//go:build e2e && kubelet

package e2e

import "regexp"

// The one place that lists how the agent may differ from the real kubelet
// in the comparison suite (compare_test.go). The diff applies these
// rewrites to both sides' event and waiting messages and ignores nothing
// else. Each entry says why the difference is deliberate, or why it is
// noise that no implementation could match.
var deliberate = []struct {
	why  string
	re   *regexp.Regexp
	repl string
}{
	{
		// Deliberate: the agent names the classified cause first
		// ("TagNotFound: manifest unknown ...", "Unauthorized: ...",
		// "RegistryUnreachable: ...") where containerd says "rpc error:
		// code = NotFound desc = failed to pull and unpack image ...".
		why:  "pull errors carry the classified cause instead of containerd's rpc error text",
		re:   regexp.MustCompile(`(Failed to pull image "[^"]*": ).*`),
		repl: `${1}<pull error>`,
	},
	{
		why:  "the ImagePullBackOff waiting message repeats the last pull error (see above)",
		re:   regexp.MustCompile(`(Back-off pulling image "[^"]*": ErrImagePull: ).*`),
		repl: `${1}<pull error>`,
	},
	{
		why:  "the ErrImagePull waiting message is the pull error (see above)",
		re:   regexp.MustCompile(`^(ErrImagePull: ).*`),
		repl: `${1}<pull error>`,
	},
	{
		// Noise: how long a pull took differs from run to run.
		why:  "pull durations",
		re:   regexp.MustCompile(`in [0-9.hmsµn]+ \([0-9.hmsµn]+ including waiting\)`),
		repl: `in <duration> (<duration> including waiting)`,
	},
}

// normalize applies the deliberate differences to a message.
func normalize(msg string) string {
	for _, d := range deliberate {
		msg = d.re.ReplaceAllString(msg, d.repl)
	}
	return msg
}
