package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/registry"
)

func newExplainCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "explain",
		Short: "Run the image pull checklist and say why a pull fails",
		Long: `Run the whole manual checklist of a failing image pull automatically: the
reference, the pull policy, the credentials that match the registry (named,
never shown) and whether the registry accepts them, DNS, TCP, TLS and /v2/,
the repository, the tag or digest (with the nearest existing tags), the
platform, the rate-limit headroom and what happens next: the kubelet's
back-off, or what pullwarden does for the cause under its smart retry policy
(the agent's default, a pod's pullwarden.io/retry-policy annotation, or the
pullwarden controller on a cluster). Each step
is passed, failed or skipped with its evidence. It only reads: manifest HEADs
and tag lists, never a layer.

Exit status: 0 when the image can be pulled, 1 when not, 2 on bad input.`,
	}
	cmd.AddCommand(newExplainImageCmd(g), newExplainPodCmd(g))
	return cmd
}

type explainImageOptions struct {
	creds    credentialFlags
	insecure []string
	hostsDir string
	platform string
	policy   string
	output   string
}

func newExplainImageCmd(g *globals) *cobra.Command {
	o := &explainImageOptions{}
	cmd := &cobra.Command{
		Use:   "image REF",
		Short: "Explain whether REF can be pulled with the given credentials",
		Example: `  pullwarden explain image reg.example.com/team/app:v2 --secret regcred.yaml
  pullwarden explain image nginx:1.27 -o json`,
		Args: exactArgs(1, "REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := checkOutput(o.output, "json"); err != nil {
				return err
			}
			p, err := policy.Parse(o.policy)
			if err != nil {
				return &usageError{err}
			}
			req := diagnose.Request{Image: args[0], Policy: p}
			if o.platform != "" {
				if req.Platform, err = parsePlatform(o.platform); err != nil {
					return &usageError{err}
				}
			}
			if req.Keyring, err = o.creds.keyring(ctx, cmd.ErrOrStderr()); err != nil {
				return err
			}
			req.Sources = o.creds.sources()
			ck := newHostsChecker(g, cmd.ErrOrStderr(), o.insecure, o.hostsDir)
			res := ck.Check(ctx, req)
			if o.output == "json" {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else {
				renderResult(cmd.OutOrStdout(), res)
			}
			if !res.Pullable {
				return &reportedError{fmt.Errorf("%s", res.Reason)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	o.creds.register(f)
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry HOST[:PORT] to reach over plain HTTP (loopback always is); repeatable")
	f.StringVar(&o.hostsDir, "registry-config-path", "", hostsDirUsage)
	f.StringVar(&o.platform, "platform", "", "platform to look for in a multi-platform image, os/arch[/variant] (default: this host's)")
	f.StringVar(&o.policy, "policy", "", "imagePullPolicy: Always, IfNotPresent or Never (default: from the tag, as the API server does)")
	f.StringVarP(&o.output, "output", "o", "", "output format: json")
	return cmd
}

type explainPodOptions struct {
	target    targetFlags
	authfile  string
	insecure  []string
	hostsDir  string
	container string
	output    string
}

func newExplainPodCmd(g *globals) *cobra.Command {
	o := &explainPodOptions{}
	cmd := &cobra.Command{
		Use:   "pod [NAME]",
		Short: "Explain why a pod's image does not pull, with the pod's own credentials",
		Long: `Read the pod, its pull secrets, its service account and its events from the
node agent (--server) or a cluster (--kubeconfig, --context; as kubectl
pullwarden always a cluster), find the containers waiting on their image
(init, regular, ephemeral or image volume) and run the checklist for each with
the pod's own credentials. On a cluster the checks run from this machine, so
the node's network path, its own credentials and kubelet credential
providers are reported as not checked.

Without NAME, every pod of the namespace (of all namespaces with -A) that has a
container waiting on its image is explained; with NAME and -A, the pod is
looked for in every namespace.`,
		Example: `  pullwarden explain pod web-0 -n shop
  kubectl pullwarden explain pod web-0 -n shop --context prod
  kubectl pullwarden explain pod -A`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := checkOutput(o.output, "json"); err != nil {
				return err
			}
			t, err := o.target.open(ctx)
			if err != nil {
				return err
			}
			ko := kube.Options{Remote: t.remote, Container: o.container}
			if !t.remote {
				ring, warns, err := credential.LoadDockerConfig(ctx, o.authfile)
				if err != nil {
					return &usageError{fmt.Errorf("--authfile: %w", err)}
				}
				printWarnings(cmd.ErrOrStderr(), warns)
				ko.NodeKeyring, ko.NodeSource = ring, nodeConfigName(o.authfile)
				if ac, ok := t.client.(*apiserver.Client); ok {
					// The agent's default retry policy and mirror
					// configuration; an API without them (or an older
					// agent) leaves the defaults: smart, no hosts.toml.
					if info, found, err := ac.AgentInfo(ctx); err == nil && found {
						ko.RetryPolicy = pull.RetryPolicy(info.RetryPolicy)
						if !cmd.Flags().Changed("registry-config-path") {
							o.hostsDir = info.RegistryConfigPath
						}
					}
				}
			}
			ck := newHostsChecker(g, cmd.ErrOrStderr(), o.insecure, o.hostsDir)
			pods, err := o.pods(cmd, t, args)
			if err != nil {
				return kubeError(cmd.ErrOrStderr(), err)
			}
			var results []*kube.PodResult
			pullable := true
			for i := range pods {
				res, err := kube.Explain(ctx, t.client, ck, &pods[i], ko)
				if err != nil {
					return kubeError(cmd.ErrOrStderr(), err)
				}
				results = append(results, res)
				pullable = pullable && res.Pullable()
			}
			switch {
			case o.output == "json" && len(args) == 1:
				err = writeJSON(cmd.OutOrStdout(), results[0])
			case o.output == "json":
				err = writeJSON(cmd.OutOrStdout(), results)
			case len(results) == 0:
				fmt.Fprintln(cmd.OutOrStdout(), "No pod is waiting on its image.")
			default:
				for i, res := range results {
					if i > 0 {
						fmt.Fprintln(cmd.OutOrStdout())
					}
					renderPod(cmd.OutOrStdout(), res)
				}
			}
			if err != nil {
				return err
			}
			if !pullable {
				return &reportedError{fmt.Errorf("an image cannot be pulled")}
			}
			return nil
		},
	}
	f := cmd.Flags()
	o.target.register(f, true)
	f.StringVar(&o.authfile, "authfile", "", "the agent's node credentials, docker config.json (default $DOCKER_CONFIG/config.json, else ~/.docker/config.json); not used on a cluster")
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry HOST[:PORT] to reach over plain HTTP (loopback always is); repeatable")
	f.StringVar(&o.hostsDir, "registry-config-path", "", hostsDirUsage+" (on the agent: the agent's, by default)")
	f.StringVarP(&o.container, "container", "c", "", "diagnose only this container or image volume")
	f.StringVarP(&o.output, "output", "o", "", "output format: json")
	return cmd
}

// pods finds the pods to explain.
func (o *explainPodOptions) pods(cmd *cobra.Command, t *apiTarget, args []string) ([]corev1.Pod, error) {
	ctx := cmd.Context()
	ns := t.namespace
	if o.target.allNamespaces {
		ns = ""
	}
	if len(args) == 0 {
		return kube.WaitingPods(ctx, t.client, ns)
	}
	if ns == "" {
		p, err := kube.FindPod(ctx, t.client, args[0])
		if err != nil {
			return nil, err
		}
		return []corev1.Pod{*p}, nil
	}
	p, err := t.client.CoreV1().Pods(ns).Get(ctx, args[0], metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return []corev1.Pod{*p}, nil
}

func nodeConfigName(authfile string) string {
	if authfile != "" {
		return authfile
	}
	return "docker config.json of this machine"
}

func checkOutput(output string, allowed ...string) error {
	if output == "" {
		return nil
	}
	for _, a := range allowed {
		if output == a {
			return nil
		}
	}
	return &usageError{fmt.Errorf("--output %q: supported: %s", output, strings.Join(allowed, ", "))}
}

// hostsDirUsage is the help of explain's --registry-config-path.
const hostsDirUsage = "directory of containerd hosts.toml files (serve --registry-config-path): reach the registry with its entry's server, ca, client, skip_verify and headers; mirrors are named, not checked"

func newChecker(g *globals, stderr io.Writer, insecure []string) *diagnose.Checker {
	return newHostsChecker(g, stderr, insecure, "")
}

// newHostsChecker is newChecker reaching registries as the hosts.toml
// files under hostsDir say ("" for none).
func newHostsChecker(g *globals, stderr io.Writer, insecure []string, hostsDir string) *diagnose.Checker {
	rc := diagnose.NewRegistryClient(registry.Options{Insecure: insecure, Logger: g.logger(stderr)})
	return diagnose.New(diagnose.Options{Registry: diagnose.FromClient(rc), RegistryConfigPath: hostsDir})
}

// sources names where the flags' credentials come from.
func (c *credentialFlags) sources() []string {
	var out []string
	for _, s := range c.secrets {
		out = append(out, "--secret "+s)
	}
	return append(out, "node credentials: "+nodeConfigName(c.authfile))
}

var marks = map[diagnose.Status]string{diagnose.Passed: "ok  ", diagnose.Failed: "FAIL", diagnose.Skipped: "skip"}

// renderResult prints a checklist, one step a line, then the verdict.
func renderResult(w io.Writer, r diagnose.Result) {
	fmt.Fprintf(w, "Image:    %s\n", r.Image)
	if r.Reference != "" && r.Reference != r.Image {
		fmt.Fprintf(w, "Resolved: %s\n", r.Reference)
	}
	for _, s := range r.Steps {
		line := fmt.Sprintf("  [%s] %s", marks[s.Status], s.Title)
		if s.Status == diagnose.Failed {
			line += ": " + s.Reason
		}
		if s.Evidence != "" {
			line += ": " + s.Evidence
		}
		fmt.Fprintln(w, line)
	}
	if r.Pullable {
		via := "anonymously"
		if r.Credential != "" {
			via = "with " + r.Credential
		}
		if r.Digest != "" {
			fmt.Fprintf(w, "Verdict:  can be pulled %s (%s)\n", via, r.Digest)
		} else {
			fmt.Fprintln(w, "Verdict:  nothing checked stands in the way")
		}
		return
	}
	fmt.Fprintf(w, "Verdict:  cannot be pulled: %s\n", r.Reason)
	if r.Hint != "" {
		fmt.Fprintf(w, "Hint:     %s\n", r.Hint)
	}
}

func renderPod(w io.Writer, p *kube.PodResult) {
	fmt.Fprintf(w, "Pod:      %s/%s", p.Namespace, p.Pod)
	if p.Node != "" {
		fmt.Fprintf(w, " on node %s", p.Node)
	}
	fmt.Fprintf(w, " (%s)\n", p.Phase)
	if !p.Failing {
		fmt.Fprintln(w, "No container is waiting on its image; checking every image.")
	}
	for _, c := range p.Containers {
		fmt.Fprintf(w, "\n%s %s", c.Type, c.Name)
		if c.Waiting != "" {
			fmt.Fprintf(w, ": waiting (%s)", c.Waiting)
		}
		fmt.Fprintln(w)
		if c.Message != "" {
			fmt.Fprintf(w, "Message:  %s\n", c.Message)
		}
		renderResult(w, c.Result)
	}
}
