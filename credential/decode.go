package credential

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// configEntry is one server's entry in a docker config, as docker writes it.
type configEntry struct {
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	Email         string `json:"email,omitempty"`
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

// entry is a decoded server entry: the server as written and its
// credentials, with auth already split into username and password.
type entry struct {
	server string
	auth   authn.AuthConfig
}

// decodeDockerConfigJSON decodes the value of a `.dockerconfigjson` key (or
// a docker config.json): `{"auths": {"<server>": {...}}}`. Entries come
// back sorted by server so that results never depend on map order. An
// entry whose `auth` field cannot be decoded fails the whole document, as it
// does in the kubelet. Errors never quote the input.
func decodeDockerConfigJSON(data []byte) ([]entry, error) {
	var doc struct {
		Auths map[string]configEntry `json:"auths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(err)
	}
	return entries(doc.Auths)
}

// decodeDockercfg decodes the value of a legacy `.dockercfg` key: the bare
// map `{"<server>": {...}}`.
func decodeDockercfg(data []byte) ([]entry, error) {
	var m map[string]configEntry
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, jsonError(err)
	}
	return entries(m)
}

func entries(m map[string]configEntry) ([]entry, error) {
	servers := make([]string, 0, len(m))
	for s := range m {
		servers = append(servers, s)
	}
	sort.Strings(servers)
	out := make([]entry, 0, len(servers))
	for _, s := range servers {
		a, err := m[s].authConfig()
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", s, err)
		}
		out = append(out, entry{server: s, auth: a})
	}
	return out, nil
}

// authConfig applies the `auth` field, which overrides username and
// password when present.
func (e configEntry) authConfig() (authn.AuthConfig, error) {
	a := authn.AuthConfig{
		Username:      e.Username,
		Password:      e.Password,
		IdentityToken: e.IdentityToken,
		RegistryToken: e.RegistryToken,
	}
	if e.Auth == "" {
		return a, nil
	}
	user, pass, err := decodeAuthField(e.Auth)
	if err != nil {
		return authn.AuthConfig{}, err
	}
	a.Username, a.Password = user, pass
	return a, nil
}

// decodeAuthField decodes a docker config `auth` field: base64 (padded or
// not) of "user:password", split at the first colon.
func decodeAuthField(field string) (user, password string, err error) {
	var raw []byte
	if strings.HasSuffix(strings.TrimSpace(field), "=") {
		raw, err = base64.StdEncoding.DecodeString(field)
	} else {
		raw, err = base64.RawStdEncoding.DecodeString(field)
	}
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return "", "", fmt.Errorf("auth field is not valid base64 (bad data at byte %d)", int64(ce))
		}
		return "", "", errors.New("auth field is not valid base64")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New(`auth field must be base64 of "username:password" and has no colon`)
	}
	return user, password, nil
}

// jsonError describes a JSON decoding error without quoting the input (a
// syntax error names the offending character, which may be part of a
// password).
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "top level"
		}
		return fmt.Errorf("malformed JSON: %s: unexpected JSON %s", where, typ.Value)
	default:
		return errors.New("malformed JSON")
	}
}
