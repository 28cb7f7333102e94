package credential

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// DefaultServer is the registry `kubectl create secret docker-registry`
// writes credentials for when --docker-server is not given.
const DefaultServer = "https://index.docker.io/v1/"

// DockerRegistryOptions are the flags of
// `kubectl create secret docker-registry`.
type DockerRegistryOptions struct {
	// Name of the secret; required.
	Name string
	// Namespace is set in the object only when given (kubectl sets it only
	// with an explicit -n/--namespace).
	Namespace string
	// Server defaults to DefaultServer.
	Server   string
	Username string
	Password string
	// Email is optional and left out of the JSON when empty.
	Email string
	// FromFiles maps a data key to a file whose bytes become its value
	// (--from-file=KEY=PATH). The key "" stands for ".dockerconfigjson".
	// When set, Server, Username, Password and Email are ignored.
	FromFiles map[string]string
}

// dockerConfigJSON and dockerConfigEntry fix the field order and omitempty
// rules of the JSON kubectl writes.
type dockerConfigJSON struct {
	Auths map[string]dockerConfigEntry `json:"auths"`
}

type dockerConfigEntry struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Email    string `json:"email,omitempty"`
	Auth     string `json:"auth,omitempty"`
}

// NewDockerRegistrySecret builds the Secret that
// `kubectl create secret docker-registry NAME --docker-server=S
// --docker-username=U --docker-password=P --docker-email=E` creates: type
// kubernetes.io/dockerconfigjson, key .dockerconfigjson holding
// {"auths":{S:{"username":U,"password":P,"email":E,"auth":base64(U:P)}}}.
// Errors use kubectl's words.
func NewDockerRegistrySecret(opts DockerRegistryOptions) (*corev1.Secret, error) {
	if opts.Server == "" {
		opts.Server = DefaultServer
	}
	if opts.Name == "" {
		return nil, errors.New("name must be specified")
	}
	if len(opts.FromFiles) == 0 && (opts.Username == "" || opts.Password == "") {
		return nil, errors.New("either --from-file or the combination of --docker-username, --docker-password and --docker-server is required")
	}
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: opts.Name, Namespace: opts.Namespace},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{},
	}
	if len(opts.FromFiles) > 0 {
		if err := addFiles(s, opts.FromFiles); err != nil {
			return nil, err
		}
		return s, nil
	}
	cfg := dockerConfigJSON{Auths: map[string]dockerConfigEntry{
		opts.Server: {
			Username: opts.Username,
			Password: opts.Password,
			Email:    opts.Email,
			Auth:     base64.StdEncoding.EncodeToString([]byte(opts.Username + ":" + opts.Password)),
		},
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	s.Data[corev1.DockerConfigJsonKey] = b
	return s, nil
}

func addFiles(s *corev1.Secret, files map[string]string) error {
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := files[k]
		key := k
		if key == "" {
			key = corev1.DockerConfigJsonKey
		}
		if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
			return fmt.Errorf("%q is not valid key name for a Secret %s", key, strings.Join(errs, ";"))
		}
		data, err := os.ReadFile(p)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return fmt.Errorf("error reading %s: %v", p, pe.Err)
			}
			return fmt.Errorf("error reading %s: %v", p, err)
		}
		s.Data[key] = data
	}
	return nil
}
