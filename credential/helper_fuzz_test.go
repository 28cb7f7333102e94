package credential

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzHelperAnswer feeds arbitrary bytes as a credential helper's answer to
// get and list (a helper is a program on the node; its output is not
// trusted). The parsers never panic; an answer they accept maps "<token>"
// to an identity token and anything else to a user and password, exactly;
// an error never quotes the secret the answer carried.
func FuzzHelperAnswer(f *testing.F) {
	for _, s := range []string{
		`{"ServerURL":"reg.example.com","Username":"ci","Secret":"s3cr3t-value"}`,
		`{"ServerURL":"reg.example.com","Username":"<token>","Secret":"identity-token-value"}`,
		`{"https://index.docker.io/v1/":"ci","reg.example.com":"bob"}`,
		`{"Username":1,"Secret":"s3cr3t-value"}`,
		`{"Secret":"s3cr3t-value"`,
		`null`,
		``,
		`credentials not found in native keychain`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		var loose map[string]any
		_ = json.Unmarshal(out, &loose)
		secret, _ := loose["Secret"].(string)

		a, err := parseGetAnswer("docker-credential-x", out)
		if err != nil {
			if len(secret) >= 6 && strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q quotes the secret", err)
			}
		} else {
			var resp struct{ Username, Secret string }
			if json.Unmarshal(out, &resp) != nil {
				t.Fatalf("accepted an answer encoding/json rejects")
			}
			if resp.Username == tokenUsername {
				if a.IdentityToken != resp.Secret || a.Username != "" || a.Password != "" {
					t.Fatalf("token answer decoded as %+v", a)
				}
			} else if a.Username != resp.Username || a.Password != resp.Secret || a.IdentityToken != "" {
				t.Fatalf("answer decoded as %+v", a)
			}
		}
		servers, err := parseListAnswer("docker-credential-x", out)
		if err == nil {
			for i := 1; i < len(servers); i++ {
				if servers[i-1] > servers[i] {
					t.Fatalf("servers not sorted: %v", servers)
				}
			}
		}
	})
}
