package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/pullwarden/pullwarden/credential"
)

// credentialFlags are the flags that supply registry credentials.
type credentialFlags struct {
	secrets  []string
	authfile string
}

func (c *credentialFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&c.secrets, "secret", nil, "Kubernetes Secret manifest (kubernetes.io/dockerconfigjson or dockercfg) to take credentials from, tried before node credentials; repeatable")
	f.StringVar(&c.authfile, "authfile", "", "docker config.json with node credentials (default $DOCKER_CONFIG/config.json, else ~/.docker/config.json)")
}

// keyring builds the credentials in the kubelet's order: the secrets first,
// then the node's docker config. Secrets that cannot be used are skipped
// with a warning, as the kubelet does.
func (c *credentialFlags) keyring(ctx context.Context, stderr io.Writer) (credential.Keyring, error) {
	var rings []credential.Keyring
	if len(c.secrets) > 0 {
		secrets, warnings, err := credential.ReadSecretFiles(c.secrets)
		if err != nil {
			return nil, &usageError{err}
		}
		printWarnings(stderr, warnings)
		ring, warnings := credential.FromSecrets(secrets)
		printWarnings(stderr, warnings)
		rings = append(rings, ring)
	}
	node, warnings, err := credential.LoadDockerConfig(ctx, c.authfile)
	if err != nil {
		return nil, &usageError{fmt.Errorf("--authfile: %w", err)}
	}
	printWarnings(stderr, warnings)
	rings = append(rings, node)
	return credential.Union(rings...), nil
}

func printWarnings(w io.Writer, warnings []credential.Warning) {
	for _, x := range warnings {
		fmt.Fprintf(w, "Warning: %s: %s\n", x.Source, x.Message)
	}
}
