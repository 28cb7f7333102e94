package credential

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Credential is one set of registry credentials that matched an image.
//
// Printing a Credential with fmt (any verb), encoding it as JSON or logging
// it with slog shows only where it came from (Source and Server), never the
// secret parts of the embedded AuthConfig.
type Credential struct {
	// Source says, for people, where the credential came from, e.g.
	// `secret default/regcred (.dockerconfigjson) entry "reg.example.com"`.
	// It never holds a secret value.
	Source string
	// Server is the normalised keyring key that matched ("reg.example.com",
	// "quay.io/coreos", "index.docker.io").
	Server string
	// Secret names the Kubernetes Secret the credential came from; nil for
	// the node's own credentials.
	Secret *SecretRef
	authn.AuthConfig
}

// SecretRef identifies a Secret: the coordinates the kubelet records
// (KEP-2535) for the credentials that pulled an image.
type SecretRef struct {
	Namespace, Name, UID string
}

// Hash is a SHA-256 of the secret parts (hex), to recognise the same
// credentials in another secret without keeping them. It is the same for
// equal credentials and reveals nothing usable.
func (c Credential) Hash() string {
	b, _ := json.Marshal([]string{c.Username, c.Password, c.Auth, c.IdentityToken, c.RegistryToken})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Authenticator turns the credential into a go-containerregistry
// authenticator (Basic, identity token or registry token, as set).
func (c Credential) Authenticator() authn.Authenticator {
	return authn.FromConfig(c.AuthConfig)
}

// String is the credential's Source: safe to print.
func (c Credential) String() string { return c.Source }

// GoString keeps %#v from printing the embedded secrets.
func (c Credential) GoString() string {
	return "credential.Credential{Source:" + quote(c.Source) + ", Server:" + quote(c.Server) + "}"
}

// MarshalJSON hides the secrets that the embedded authn.AuthConfig would
// otherwise marshal.
func (c Credential) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Source string `json:"source"`
		Server string `json:"server"`
	}{c.Source, c.Server})
}

// LogValue makes slog print the source and server only.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("source", c.Source), slog.String("server", c.Server))
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Keyring finds the credentials for an image.
type Keyring interface {
	// Lookup returns every credential whose key matches image, most
	// specific first. image is a normalised repository name without tag or
	// digest: "docker.io/library/nginx", "localhost:5000/app".
	Lookup(image string) []Credential
}

// Union chains keyrings: Lookup returns the matches of the first keyring,
// then those of the second, and so on (pod secrets first, then the node's
// credentials). Nil keyrings are skipped.
func Union(rings ...Keyring) Keyring { return union(rings) }

type union []Keyring

func (u union) Lookup(image string) []Credential {
	var out []Credential
	for _, r := range u {
		if r == nil {
			continue
		}
		out = append(out, r.Lookup(image)...)
	}
	return out
}

// Warning is a secret, file or entry that could not be used. It was skipped
// and the pull goes on without it. Neither field holds a secret value.
type Warning struct {
	// Source names what was skipped: `secret default/regcred`,
	// `docker config /root/.docker/config.json entry "gcr.io"`.
	Source string
	// Message says what is wrong with it.
	Message string
}

func (w Warning) String() string { return w.Source + ": " + w.Message }

// MissingSecretsWarning is the kubelet's event text (reason
// FailedToRetrieveImagePullSecret) for pull secrets that a pod names but
// that do not exist.
func MissingSecretsWarning(names []string) string {
	return "Unable to retrieve some image pull secrets (" + strings.Join(names, ", ") +
		"); attempting to pull the image may not succeed."
}
