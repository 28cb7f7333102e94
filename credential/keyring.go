package credential

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"sort"
	"strings"
)

// dockerHubKey is the key Docker Hub credentials are stored under once
// normalised: "https://index.docker.io/v1/", "index.docker.io/v1/" and
// "index.docker.io" all become it.
const dockerHubKey = "index.docker.io"

// Key normalises a server entry of a docker config the way the kubelet does:
// "https://" is added when the entry has no http(s) scheme, a leading "/v1/"
// or "/v2/" is stripped from the path, and the key is host+path, or the host
// alone when the path is empty or "/". The port stays part of the host.
//
//	"https://index.docker.io/v1/" -> "index.docker.io"
//	"quay.io/coreos"              -> "quay.io/coreos"
//	"http://reg:5000/v2/team/"    -> "reg:5000/team/"
func Key(server string) (string, error) {
	value := server
	if !strings.HasPrefix(value, "https://") && !strings.HasPrefix(value, "http://") {
		value = "https://" + value
	}
	u, err := url.Parse(value)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("not a valid registry address: %v", err)
	}
	p := u.Path
	if strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/v2/") {
		p = p[3:]
	}
	if p == "" || p == "/" {
		return u.Host, nil
	}
	return u.Host + p, nil
}

// Matches reports whether a normalised key matches an image repository
// name ("docker.io/library/nginx") by the kubelet's rules: the ports are
// equal, the hosts have the same number of dot-separated labels and each
// label of the key glob-matches (path.Match) the image's, and the image's
// path starts with the key's path as a plain string prefix (so the key
// "reg/foo" matches "reg/foobar"). It does not apply the Docker Hub
// fallback; Lookup does.
func Matches(key, image string) bool {
	k, err := url.Parse("https://" + key)
	if err != nil {
		return false
	}
	img, err := url.Parse("https://" + image)
	if err != nil {
		return false
	}
	kLabels, kPort := splitHost(k.Host)
	iLabels, iPort := splitHost(img.Host)
	if kPort != iPort || len(kLabels) != len(iLabels) {
		return false
	}
	if !strings.HasPrefix(img.Path, k.Path) {
		return false
	}
	for i, pattern := range kLabels {
		ok, err := path.Match(pattern, iLabels[i])
		if err != nil || !ok {
			return false
		}
	}
	return true
}

func splitHost(hostport string) (labels []string, port string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	return strings.Split(host, "."), port
}

// isDockerHub reports whether an image name pulls from Docker Hub, as the
// kubelet decides it: a one-part name, a first part "docker.io" or
// "index.docker.io", or a first part without "." or ":".
func isDockerHub(image string) bool {
	first, _, found := strings.Cut(image, "/")
	if first == "" {
		return false
	}
	if !found || first == "docker.io" || first == "index.docker.io" {
		return true
	}
	return !strings.ContainsAny(first, ".:")
}

// ring is the kubelet's basic keyring: credentials indexed by normalised key,
// keys sorted reverse-lexicographically.
type ring struct {
	index []string
	creds map[string][]Credential
}

// add files c under the normalised form of server. It fails only when
// server is not a URL.
func (r *ring) add(server string, c Credential) error {
	key, err := Key(server)
	if err != nil {
		return err
	}
	if r.creds == nil {
		r.creds = map[string][]Credential{}
	}
	if _, seen := r.creds[key]; !seen {
		r.index = append(r.index, key)
		sort.Sort(sort.Reverse(sort.StringSlice(r.index)))
	}
	c.Server = key
	r.creds[key] = append(r.creds[key], c)
	return nil
}

// Lookup returns the credentials of every matching key, keys in
// reverse-lexicographic order and, within a key, in the order they were
// added. When nothing matches and the image is on Docker Hub, the
// credentials stored under "index.docker.io" are returned.
func (r *ring) Lookup(image string) []Credential {
	var out []Credential
	for _, k := range r.index {
		if Matches(k, image) {
			out = append(out, r.creds[k]...)
		}
	}
	if len(out) == 0 && isDockerHub(image) {
		out = append(out, r.creds[dockerHubKey]...)
	}
	return out
}
