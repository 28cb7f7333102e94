package cli

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/apiserver"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/printer"
)

func newCreateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create objects (as kubectl create does)",
	}
	cmd.AddCommand(newCreateSecretCmd(g))
	return cmd
}

func newCreateSecretCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Create a secret",
	}
	cmd.AddCommand(newCreateDockerRegistrySecretCmd(g))
	return cmd
}

func newCreateDockerRegistrySecretCmd(g *globals) *cobra.Command {
	var (
		o         credential.DockerRegistryOptions
		fromFiles []string
		output    string
		dryRun    string
		k         kubeFlags
	)
	cmd := &cobra.Command{
		Use:   "docker-registry NAME --docker-username=USER --docker-password=PASSWORD [--docker-server=SERVER] [--docker-email=EMAIL] [--from-file=.dockerconfigjson=PATH]",
		Short: "Create a kubernetes.io/dockerconfigjson Secret, as kubectl create secret docker-registry does",
		Long: `Create a Secret of type kubernetes.io/dockerconfigjson for pulling from a
private registry, in the agent, or with --dry-run=client only print it. The
object is identical, field for field, to what kubectl create secret
docker-registry prints for the same flags. The server defaults to
https://index.docker.io/v1/ (Docker Hub).`,
		Example: `  pullwarden create secret docker-registry regcred --docker-server=reg.example.com \
      --docker-username=ci --docker-password="$TOKEN" --dry-run=client -o yaml > regcred.yaml
  pullwarden pull reg.example.com/team/app:v2 --secret regcred.yaml`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			files, err := parseFromFiles(fromFiles)
			if err != nil {
				return &usageError{err}
			}
			o.FromFiles = files
			if output != "" && output != "yaml" && output != "json" {
				return &usageError{fmt.Errorf("unknown output format %q: supported: yaml, json", output)}
			}
			if dryRun != "none" && dryRun != "client" {
				return &usageError{fmt.Errorf(`--dry-run %q: supported: "none", "client"`, dryRun)}
			}
			secret, err := credential.NewDockerRegistrySecret(o)
			if err != nil {
				// kubectl's words and form, so scripts see the same.
				fmt.Fprintf(cmd.ErrOrStderr(), "error: %v\n", err)
				return &reportedError{err}
			}
			suffix := " (dry run)"
			if dryRun == "none" {
				suffix = ""
				c, err := k.client()
				if err != nil {
					return err
				}
				if err := createSecret(cmd.Context(), c, secret); err != nil {
					return kubeError(cmd.ErrOrStderr(), err)
				}
			}
			if output == "" {
				fmt.Fprintf(cmd.OutOrStdout(), "secret/%s created%s\n", secret.Name, suffix)
				return nil
			}
			b, err := printer.Marshal(secret, output)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Server, "docker-server", credential.DefaultServer, "server location for the registry")
	f.StringVar(&o.Username, "docker-username", "", "username for registry authentication")
	f.StringVar(&o.Password, "docker-password", "", "password for registry authentication")
	f.StringVar(&o.Email, "docker-email", "", "email for the registry")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of the secret")
	f.StringVar(&k.server, "server", "", "agent API: a unix socket or http://127.0.0.1:PORT (default $"+envServer+", else the default data dir's socket)")
	f.StringVar(&dryRun, "dry-run", "none", `"client" prints the object without storing it; "none" creates it in the agent`)
	f.Lookup("dry-run").NoOptDefVal = "client"
	f.StringArrayVar(&fromFiles, "from-file", nil, "key=path of a docker config file, e.g. .dockerconfigjson=~/.docker/config.json; repeatable")
	f.StringVarP(&output, "output", "o", "", "output format: yaml or json")
	return cmd
}

// parseFromFiles turns KEY=PATH (or PATH, keyed by its base name) values
// into a map, as kubectl's --from-file does.
func parseFromFiles(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, v := range values {
		key, path, ok := strings.Cut(v, "=")
		if !ok {
			path = v
			key = path[strings.LastIndex(path, "/")+1:]
		}
		if key == "" || path == "" {
			return nil, fmt.Errorf("--from-file %q: expected KEY=PATH", v)
		}
		m[key] = path
	}
	return m, nil
}

func createSecret(ctx context.Context, c *apiserver.Client, s *corev1.Secret) error {
	ns := s.Namespace
	if ns == "" {
		ns = "default"
	}
	created, err := c.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{})
	if err == nil {
		*s = *created
		s.APIVersion, s.Kind = "v1", "Secret"
	}
	return err
}
