package credential_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/printer"
)

func ExampleFromSecrets() {
	secret := corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "regcred"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(
			`{"auths":{"quay.io":{"auth":"dXNlcjpwYXNz"},"https://quay.io/v2/coreos":{"username":"bot","password":"x"}}}`)},
	}
	pods, warnings := credential.FromSecrets([]corev1.Secret{secret})
	for _, w := range warnings {
		fmt.Println("warning:", w)
	}
	for _, c := range credential.Union(pods).Lookup("quay.io/coreos/etcd") {
		fmt.Printf("%s -> key %s, user %s\n", c, c.Server, c.Username)
	}
	// Output:
	// secret default/regcred (.dockerconfigjson) entry "https://quay.io/v2/coreos" -> key quay.io/coreos, user bot
	// secret default/regcred (.dockerconfigjson) entry "quay.io" -> key quay.io, user user
}

func ExampleNewDockerRegistrySecret() {
	s, _ := credential.NewDockerRegistrySecret(credential.DockerRegistryOptions{
		Name: "regcred", Server: "reg.example.com", Username: "u", Password: "p"})
	out, _ := printer.Marshal(s, "yaml")
	fmt.Print(string(out))
	// Output:
	// apiVersion: v1
	// data:
	//   .dockerconfigjson: eyJhdXRocyI6eyJyZWcuZXhhbXBsZS5jb20iOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiYXV0aCI6ImRUcHcifX19
	// kind: Secret
	// metadata:
	//   name: regcred
	// type: kubernetes.io/dockerconfigjson
}
