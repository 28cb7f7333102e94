package credential

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeDockerConfig checks that decoding never panics and that errors
// never quote a secret value of the input.
func FuzzDecodeDockerConfig(f *testing.F) {
	for _, s := range []string{
		`{"auths":{"reg.example.com":{"username":"u","password":"p"}}}`,
		`{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}`,
		`{"auths":{"r":{"auth":"dTpw=="}}}`,
		`{"auths":{"r":{"auth":"bm9jb2xvbg=="}}}`,
		`{"r":{"auth":"%%%%","email":"e"}}`,
		`{"auths":{"r":{"identitytoken":"it","registrytoken":"rt"}}}`,
		`{"auths":[]}`, `null`, `{"auths":{"r":"secretvalue"}}`, `{"auths":{"r":{"password":secretvalue}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		secrets, keys := secretValues(data)
		for _, decode := range []func([]byte) ([]entry, error){decodeDockerConfigJSON, decodeDockercfg} {
			ents, err := decode(data)
			if err != nil {
				msg := err.Error()
				if !utf8.ValidString(msg) && utf8.Valid(data) {
					t.Fatalf("error not UTF-8: %q", msg)
				}
				for _, v := range secrets {
					if strings.Contains(msg, v) && !strings.Contains(keys, v) {
						t.Fatalf("error %q quotes the secret %q", msg, v)
					}
				}
				continue
			}
			for _, e := range ents {
				r := &ring{}
				_ = r.add(e.server, Credential{AuthConfig: e.auth})
			}
		}
	})
}

// secretValues finds the secret-bearing strings (6 characters or more) in
// a docker config and returns them with all its object keys joined.
func secretValues(data []byte) ([]string, string) {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil, ""
	}
	var secrets, keys []string
	var walk func(any)
	walk = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, x := range m {
			keys = append(keys, k)
			if s, ok := x.(string); ok && len(s) >= 6 {
				switch strings.ToLower(k) {
				case "password", "auth", "identitytoken", "registrytoken":
					secrets = append(secrets, s)
				}
			}
			walk(x)
		}
	}
	walk(v)
	return secrets, strings.Join(keys, "\x00")
}

// FuzzKeyMatch checks that key normalisation and matching never panic, and
// that a plain key matches a repository below it.
func FuzzKeyMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"https://index.docker.io/v1/", "docker.io/library/nginx"},
		{"quay.io/coreos", "quay.io/coreos/etcd"},
		{"*.example.com", "a.example.com/x"},
		{"http://reg:5000/v2/team", "reg:5000/team/app"},
		{"[::1]:5000", "[::1]:5000/app"},
		{"re[g", "reg/x"},
		{"%zz", "x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, server, image string) {
		k, err := Key(server)
		_ = Matches(server, image)
		if err != nil {
			return
		}
		_ = Matches(k, image)
		_ = isDockerHub(image)
		if k == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789.-/") != "" {
			return
		}
		if !Matches(k, k+"/app") {
			t.Fatalf("key %q (from %q) does not match %q", k, server, k+"/app")
		}
		r := &ring{}
		if err := r.add(server, Credential{Source: "s"}); err != nil {
			t.Fatalf("Key accepted %q but add did not: %v", server, err)
		}
		if got := r.Lookup(k + "/app"); len(got) != 1 || got[0].Server != k {
			t.Fatalf("Lookup(%q) = %v", k+"/app", got)
		}
	})
}

// FuzzDecodeSecretDocument checks that a Secret file (YAML or JSON
// documents, split by the shared reader) never makes the Secret reader
// panic, that whatever it accepts FromSecrets can take, and that an error
// names the file.
func FuzzDecodeSecretDocument(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ntype: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: e30=}\n",
		`{"apiVersion":"v1","kind":"SecretList","items":[{"metadata":{"name":"x"},"stringData":{"k":"v"}}]}`,
		"apiVersion: v1\nkind: List\nitems: [{kind: Pod}]\n",
		"kind: Secret\napiVersion: v1\ndata: [1]\n",
		"a: [\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		secrets, _, err := decodeSecretFile("f.yaml", doc)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml: document ") {
				t.Fatalf("error %q does not name the file and document", err)
			}
			return
		}
		_, _ = FromSecrets(secrets)
	})
}
