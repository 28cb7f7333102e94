package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
	"github.com/pullwarden/pullwarden/store"
)

type pullOptions struct {
	policy   string
	platform string
	insecure []string
	output   string
	parallel int
	quiet    bool
	verify   bool
	creds    credentialFlags
	node     nodeFlags
}

func newPullCmd(g *globals) *cobra.Command {
	o := &pullOptions{}
	cmd := &cobra.Command{
		Use:   "pull IMAGE",
		Short: "Pull an image into the local store, as the kubelet would",
		Long: `Pull an image into the local store.

The pull policy decides whether the registry is asked at all: Always asks every
time (only the manifest travels when the layers are present), IfNotPresent and
Never use an image already in the store, Never fails when it is absent. Without
--policy the policy is defaulted as the API server does: Always for :latest or
no tag, IfNotPresent otherwise.

With --node the image goes into the node agent's containerd, where its pods
find it (a pod with imagePullPolicy: Never needs it there), instead of the OCI
store.

Registries on loopback are spoken to over plain HTTP; any other host needs
--insecure-registry for that. Failures print a reason, a message and a hint.`,
		Example: `  pullwarden pull nginx:1.27
  pullwarden pull 127.0.0.1:5000/app:v1 --policy Always -o json
  pullwarden pull reg.example.com/team/app:v2 --secret regcred.yaml`,
		Args: exactArgs(1, "IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.policy, "policy", "", "imagePullPolicy: Always, IfNotPresent or Never (default: from the tag, as the API server does)")
	f.StringVar(&o.platform, "platform", "", "platform to select from a multi-platform image, os/arch[/variant] (default: this host's)")
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry HOST[:PORT] to reach over plain HTTP (loopback always is); repeatable")
	f.StringVarP(&o.output, "output", "o", "", "output format: json (one object on stdout, on success and failure)")
	f.IntVar(&o.parallel, "max-concurrent-downloads", registry.DefaultParallel, "layers downloaded at once")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress")
	f.BoolVar(&o.verify, "verify", false, "re-hash the blobs of the image already in the store first; corrupt ones are deleted and fetched again")
	o.creds.register(f)
	o.node.register(f)
	_ = cmd.RegisterFlagCompletionFunc("policy", cobra.FixedCompletions(policyNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func policyNames() []string {
	var s []string
	for _, p := range policy.Policies {
		s = append(s, string(p))
	}
	return s
}

func runPull(cmd *cobra.Command, g *globals, o *pullOptions, image string) error {
	ctx := cmd.Context()
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if o.output != "" && o.output != "json" {
		return &usageError{fmt.Errorf("unknown output format %q: supported: json", o.output)}
	}
	if err := errors.Join(checkPositive("max-concurrent-downloads", o.parallel),
		checkRegistryHosts("insecure-registry", o.insecure), checkFileFlag("authfile", o.creds.authfile)); err != nil {
		return err
	}
	pol, err := policy.Parse(o.policy)
	if err != nil {
		return &usageError{fmt.Errorf("--policy: %w", err)}
	}
	platform, err := optionalPlatform(o.platform)
	if err != nil {
		return err
	}
	logger := g.logger(stderr)
	keyring, err := o.creds.keyring(ctx, stderr)
	if err != nil {
		return err
	}
	var s store.Store
	if o.node.node {
		cs, err := o.node.open(ctx)
		if err != nil {
			return report(stdout, stderr, o.output, pull.Result{Image: image}, err)
		}
		defer cs.Close()
		s = cs
	} else {
		ls, err := g.openStoreForWrite()
		if err != nil {
			return report(stdout, stderr, o.output, pull.Result{Image: image}, err)
		}
		s = ls
	}
	if o.verify {
		if err := repairImage(ctx, s, image, stderr, o.quiet || o.output == "json"); err != nil {
			return report(stdout, stderr, o.output, pull.Result{Image: image}, err)
		}
	}
	client := registry.New(registry.Options{
		Insecure: o.insecure,
		Platform: platform,
		Parallel: o.parallel,
		Logger:   logger,
	})
	view := newProgressView(stderr, o.quiet || o.output == "json")
	res, err := pull.New(s, client, pull.WithLogger(logger)).Pull(ctx, pull.Request{
		Image:    image,
		Policy:   pol,
		Keyring:  keyring,
		Progress: view.Update,
	})
	view.Done()
	if res.Image == "" {
		res.Image = image
	}
	return report(stdout, stderr, o.output, res, err)
}

// repairImage runs pull --verify's check: the blobs of the image's record
// (if any) are re-hashed and the corrupt ones deleted, so that the pull
// that follows fetches them again under any policy.
func repairImage(ctx context.Context, s store.Store, image string, stderr io.Writer, quiet bool) error {
	ref, err := reference.Parse(image)
	if err != nil {
		return nil // the pull reports it
	}
	img, err := s.Image(ctx, ref.String())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	dmg, err := store.RepairImage(ctx, s, img)
	if err != nil {
		return err
	}
	for _, d := range dmg {
		if !quiet && d.Removed {
			fmt.Fprintf(stderr, "Removed a corrupt blob, fetching it again: %v\n", d.Err)
		}
	}
	return nil
}

// pullReport is the -o json object.
type pullReport struct {
	Image      string `json:"image"`
	Digest     string `json:"digest"`
	Bytes      int64  `json:"bytes"`
	Downloaded int64  `json:"downloaded"`
	Pulled     bool   `json:"pulled"`
	Policy     string `json:"policy,omitempty"`
	Credential string `json:"credential,omitempty"`
	Reason     string `json:"reason"`
	Message    string `json:"message"`
	Hint       string `json:"hint"`
	RetryAfter string `json:"retryAfter,omitempty"`
}

func report(stdout, stderr io.Writer, output string, res pull.Result, err error) error {
	r := pullReport{
		Image: res.Image, Bytes: res.Size, Downloaded: res.Downloaded,
		Pulled: res.Pulled, Policy: string(res.Policy), Credential: res.Credential,
	}
	if res.RepoDigest.Hex != "" {
		r.Digest = res.RepoDigest.String()
	}
	if err != nil {
		c := cause.Of(err)
		r.Reason, r.Message, r.Hint = c.Reason(), err.Error(), c.Hint()
		if d := cause.RetryAfterOf(err); d > 0 {
			r.RetryAfter = d.String()
		}
	}
	if output == "json" {
		if werr := writeJSON(stdout, r); werr != nil {
			return werr
		}
	} else if err == nil {
		printPulled(stdout, r)
	}
	if err != nil {
		printFailure(stderr, err)
		return &reportedError{err}
	}
	return nil
}

func printPulled(w io.Writer, r pullReport) {
	if !r.Pulled {
		fmt.Fprintf(w, "%s: already present (policy %s)\nDigest: %s\n", r.Image, r.Policy, r.Digest)
		return
	}
	fmt.Fprintf(w, "%s: pulled, %s (%s transferred)\nDigest: %s\n", r.Image, humanBytes(r.Bytes), humanBytes(r.Downloaded), r.Digest)
}

// optionalPlatform parses a --platform flag; "" is nil (the host's).
func optionalPlatform(s string) (*v1.Platform, error) {
	if s == "" {
		return nil, nil
	}
	p, err := parsePlatform(s)
	if err != nil {
		return nil, &usageError{err}
	}
	return p, nil
}

// parsePlatform accepts os/arch[/variant] with non-empty parts.
func parsePlatform(s string) (*v1.Platform, error) {
	p, err := registry.ParsePlatform(s)
	if err != nil {
		return nil, fmt.Errorf("--platform %q: want os/arch[/variant], e.g. linux/arm64/v8", s)
	}
	return p, nil
}
