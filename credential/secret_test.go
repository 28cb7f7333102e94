package credential

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const pw = "s3cr3t-Pa55w0rd"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func dcjSecret(name, json string) corev1.Secret {
	return corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(json)},
	}
}

func TestFromSecretsDecodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		secret corev1.Secret
		image  string
		want   authn.AuthConfig
		source string
	}{
		{"username and password",
			dcjSecret("a", `{"auths":{"reg.example.com":{"username":"u","password":"`+pw+`"}}}`),
			"reg.example.com/app", authn.AuthConfig{Username: "u", Password: pw},
			`secret default/a (.dockerconfigjson) entry "reg.example.com"`},
		{"auth overrides username and password",
			dcjSecret("a", `{"auths":{"reg.example.com":{"username":"x","password":"y","auth":"`+b64("u:"+pw)+`"}}}`),
			"reg.example.com/app", authn.AuthConfig{Username: "u", Password: pw}, ""},
		{"auth without padding",
			dcjSecret("a", `{"auths":{"reg.example.com":{"auth":"`+strings.TrimRight(b64("u:p"), "=")+`"}}}`),
			"reg.example.com/app", authn.AuthConfig{Username: "u", Password: "p"}, ""},
		{"auth splits at the first colon",
			dcjSecret("a", `{"auths":{"reg.example.com":{"auth":"`+b64("u:p:a:ss")+`"}}}`),
			"reg.example.com/app", authn.AuthConfig{Username: "u", Password: "p:a:ss"}, ""},
		{"identity and registry tokens",
			dcjSecret("a", `{"auths":{"reg.example.com":{"identitytoken":"it","registrytoken":"rt"}}}`),
			"reg.example.com/app", authn.AuthConfig{IdentityToken: "it", RegistryToken: "rt"}, ""},
		{"legacy dockercfg",
			corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "old"}, Type: corev1.SecretTypeDockercfg,
				Data: map[string][]byte{corev1.DockerConfigKey: []byte(`{"https://index.docker.io/v1/":{"auth":"` + b64("hub:"+pw) + `","email":"e@x"}}`)}},
			"docker.io/library/nginx", authn.AuthConfig{Username: "hub", Password: pw},
			`secret old (.dockercfg) entry "https://index.docker.io/v1/"`},
		{"stringData wins over data",
			corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sd"}, Type: corev1.SecretTypeDockerConfigJson,
				Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"reg.example.com":{"username":"old","password":"old"}}}`)},
				StringData: map[string]string{corev1.DockerConfigJsonKey: `{"auths":{"reg.example.com":{"username":"new","password":"new"}}}`}},
			"reg.example.com/app", authn.AuthConfig{Username: "new", Password: "new"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kr, warns := FromSecrets([]corev1.Secret{tc.secret})
			if len(warns) != 0 {
				t.Fatalf("warnings: %v", warns)
			}
			got := kr.Lookup(tc.image)
			if len(got) != 1 {
				t.Fatalf("Lookup(%q) = %d credentials", tc.image, len(got))
			}
			if got[0].AuthConfig != tc.want {
				t.Errorf("got %+v, want %+v", got[0].AuthConfig, tc.want)
			}
			if tc.source != "" && got[0].Source != tc.source {
				t.Errorf("source %q, want %q", got[0].Source, tc.source)
			}
		})
	}
}

func TestFromSecretsSkipsBadSecretsWithWarnings(t *testing.T) {
	t.Parallel()
	good := dcjSecret("good", `{"auths":{"reg.example.com":{"username":"u","password":"p"}}}`)
	for _, tc := range []struct {
		name   string
		secret corev1.Secret
		source string
		msg    string
	}{
		{"malformed JSON", dcjSecret("bad", `{"auths":{"reg.example.com":{"password":"`+pw+`"`),
			"secret default/bad (.dockerconfigjson)", "malformed JSON"},
		{"syntax error next to the password", dcjSecret("bad", `{"auths":{"r":{"password":`+pw+`}}}`),
			"secret default/bad (.dockerconfigjson)", "malformed JSON at byte"},
		{"auth not base64", dcjSecret("bad", `{"auths":{"reg.example.com":{"auth":"`+pw+`!!"}}}`),
			"secret default/bad (.dockerconfigjson)", `entry "reg.example.com": auth field is not valid base64`},
		{"auth without colon", dcjSecret("bad", `{"auths":{"reg.example.com":{"auth":"`+b64(pw)+`"}}}`),
			"secret default/bad (.dockerconfigjson)", "no colon"},
		{"wrong JSON types", dcjSecret("bad", `{"auths":{"reg.example.com":"`+pw+`"}}`),
			"secret default/bad (.dockerconfigjson)", "malformed JSON: auths"},
		{"bare map in a dockerconfigjson", dcjSecret("bad", `{"reg.example.com":{"username":"u","password":"`+pw+`"}}`),
			"secret default/bad (.dockerconfigjson)", `no registry entries (expected {"auths"`},
		{"wrong type", corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bad"}, Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(pw)}},
			"secret default/bad", `has type "Opaque"`},
		{"missing key", corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bad"}, Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigKey: []byte(pw)}},
			"secret default/bad", `no ".dockerconfigjson" key`},
		{"dockercfg missing key", corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bad"}, Type: corev1.SecretTypeDockercfg},
			"secret default/bad", `no ".dockercfg" key`},
		{"server that is not a URL", dcjSecret("bad", `{"auths":{"reg:port":{"username":"u","password":"`+pw+`"}}}`),
			`secret default/bad (.dockerconfigjson) entry "reg:port"`, "not a valid registry address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kr, warns := FromSecrets([]corev1.Secret{tc.secret, good})
			if len(warns) != 1 {
				t.Fatalf("warnings %v, want 1", warns)
			}
			w := warns[0]
			if w.Source != tc.source || !strings.Contains(w.Message, tc.msg) {
				t.Errorf("warning %q, want source %q and message containing %q", w, tc.source, tc.msg)
			}
			if strings.Contains(w.String(), pw) {
				t.Errorf("warning reveals the secret: %q", w)
			}
			if got := sources(kr.Lookup("reg.example.com/app")); len(got) != 1 || !strings.Contains(got[0], "default/good") {
				t.Errorf("the good secret was not used: %q", got)
			}
		})
	}
}

func TestFromSecretsSortsAcrossSecrets(t *testing.T) {
	t.Parallel()
	kr, warns := FromSecrets([]corev1.Secret{
		dcjSecret("first", `{"auths":{"reg.example.com":{"username":"1","password":"p"}}}`),
		dcjSecret("second", `{"auths":{"reg.example.com/team":{"username":"2","password":"p"},"reg.example.com":{"username":"3","password":"p"}}}`),
	})
	if len(warns) != 0 {
		t.Fatal(warns)
	}
	var users []string
	for _, c := range kr.Lookup("reg.example.com/team/app") {
		users = append(users, c.Username)
	}
	if strings.Join(users, ",") != "2,1,3" {
		t.Fatalf("order %v, want 2,1,3 (more specific key first, then secret order)", users)
	}
}

func TestCredentialNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	c := Credential{Source: "secret default/x", Server: "reg.example.com", AuthConfig: authn.AuthConfig{
		Username: "user", Password: pw, Auth: b64("user:" + pw), IdentityToken: pw + "-id", RegistryToken: pw + "-reg"}}
	wrapped := struct{ C Credential }{c}
	out := fmt.Sprintf("%v %+v %#v %s %q %v %+v %#v", c, c, c, c, c, &c, []Credential{c}, wrapped)
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "cred", c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "cred", c)
	for _, s := range []string{out, string(j), logs.String()} {
		if strings.Contains(s, pw) || strings.Contains(s, b64("user:"+pw)) {
			t.Errorf("secret printed: %s", s)
		}
		if !strings.Contains(s, "secret default/x") {
			t.Errorf("source missing: %s", s)
		}
	}
	if c.String() != "secret default/x" {
		t.Errorf("String() = %q", c)
	}
}

func TestAuthenticator(t *testing.T) {
	t.Parallel()
	c := Credential{AuthConfig: authn.AuthConfig{Username: "u", Password: "p"}}
	got, err := authn.Authorization(t.Context(), c.Authenticator())
	if err != nil || got.Username != "u" || got.Password != "p" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestMissingSecretsWarning(t *testing.T) {
	t.Parallel()
	got := MissingSecretsWarning([]string{"a", "b"})
	want := "Unable to retrieve some image pull secrets (a, b); attempting to pull the image may not succeed."
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
