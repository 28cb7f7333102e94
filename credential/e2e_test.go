package credential_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/internal/tokenserver"
	"github.com/pullwarden/pullwarden/printer"
)

// TestSecretFileToPull goes the whole way: kubectl-shaped Secret written to
// a 0600 file, read back, matched for the image, and used against a real
// docker-registry behind a token server.
func TestSecretFileToPull(t *testing.T) {
	t.Parallel()
	ts := tokenserver.Start(t, map[string]string{"ci": "ci-pass", "dev": "dev-pass"},
		tokenserver.Grant{User: "ci", Repository: "*", Actions: []string{"*"}},
		tokenserver.Grant{User: "dev", Repository: "team/*", Actions: []string{"pull"}})
	host := ts.StartRegistry(t)
	ref, err := name.ParseReference(host+"/team/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(t.Context()), remote.WithAuth(&authn.Basic{Username: "ci", Password: "ci-pass"})); err != nil {
		t.Fatal(err)
	}

	s, err := credential.NewDockerRegistrySecret(credential.DockerRegistryOptions{
		Name: "regcred", Namespace: "default", Server: "http://" + host + "/v2/team", Username: "dev", Password: "dev-pass"})
	if err != nil {
		t.Fatal(err)
	}
	y, err := printer.Marshal(s, "yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "secret.yaml")
	if err := credential.WriteFile(file, y); err != nil {
		t.Fatal(err)
	}
	secrets, _, err := credential.ReadSecretFiles([]string{file})
	if err != nil {
		t.Fatal(err)
	}
	pod, warns := credential.FromSecrets(secrets)
	if len(warns) != 0 {
		t.Fatal(warns)
	}
	node, warns, err := credential.LoadDockerConfig(t.Context(), filepath.Join(t.TempDir(), "absent.json"))
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	creds := credential.Union(pod, node).Lookup(ref.Context().Name())
	if len(creds) != 1 || creds[0].Server != host+"/team" {
		t.Fatalf("lookup %q: %v", ref.Context().Name(), creds)
	}
	got, err := remote.Image(ref, remote.WithContext(t.Context()), remote.WithAuth(creds[0].Authenticator()))
	if err != nil {
		t.Fatalf("pull with %v: %v", creds[0], err)
	}
	if _, err := got.RawConfigFile(); err != nil {
		t.Fatal(err)
	}
	if other := credential.Union(pod, node).Lookup(host + "/other/app"); len(other) != 0 {
		t.Fatalf("credentials for another path: %v", other)
	}
	_ = os.Remove(file)
}
