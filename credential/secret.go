package credential

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// FromSecrets builds the keyring of a pod's image pull secrets, in the
// order given. All the secrets go into one keyring, as in the kubelet, so
// their keys are sorted together; credentials under the same key keep the
// order of the secrets.
//
// A secret is used when its type is kubernetes.io/dockerconfigjson with a
// non-empty `.dockerconfigjson` key, or kubernetes.io/dockercfg with a
// non-empty `.dockercfg` key; `stringData` wins over `data` per key, as the
// API server merges them. A secret that cannot be used (other type, missing
// key, malformed JSON, a bad `auth` field) is skipped with a Warning that
// names it; an entry whose server is not a URL is skipped with a Warning.
// The kubelet would fail the whole lookup on malformed JSON; a caller that
// wants that treats any Warning as fatal.
func FromSecrets(secrets []corev1.Secret) (Keyring, []Warning) {
	r := &ring{}
	var warns []Warning
	for i := range secrets {
		warns = append(warns, addSecret(r, &secrets[i])...)
	}
	return r, warns
}

func addSecret(r *ring, s *corev1.Secret) []Warning {
	name := secretName(s)
	var key string
	var decode func([]byte) ([]entry, error)
	switch s.Type {
	case corev1.SecretTypeDockerConfigJson:
		key, decode = corev1.DockerConfigJsonKey, decodeDockerConfigJSON
	case corev1.SecretTypeDockercfg:
		key, decode = corev1.DockerConfigKey, decodeDockercfg
	default:
		return []Warning{{Source: name, Message: fmt.Sprintf("has type %q; only %s and %s secrets hold registry credentials",
			s.Type, corev1.SecretTypeDockerConfigJson, corev1.SecretTypeDockercfg)}}
	}
	data, ok := secretValue(s, key)
	if !ok || len(data) == 0 {
		return []Warning{{Source: name, Message: fmt.Sprintf("is of type %s but has no %q key (or it is empty)", s.Type, key)}}
	}
	where := fmt.Sprintf("%s (%s)", name, key)
	ents, err := decode(data)
	if err != nil {
		return []Warning{{Source: where, Message: err.Error()}}
	}
	var warns []Warning
	if len(ents) == 0 {
		msg := "has no registry entries"
		if key == corev1.DockerConfigJsonKey {
			msg += ` (expected {"auths": {"<server>": {...}}})`
		}
		warns = append(warns, Warning{Source: where, Message: msg})
	}
	for _, e := range ents {
		src := fmt.Sprintf("%s entry %q", where, e.server)
		ref := &SecretRef{Namespace: s.Namespace, Name: s.Name, UID: string(s.UID)}
		if err := r.add(e.server, Credential{Source: src, Secret: ref, AuthConfig: e.auth}); err != nil {
			warns = append(warns, Warning{Source: src, Message: err.Error()})
		}
	}
	return warns
}

// secretValue is the value of key with stringData taking precedence over
// data, as the API server merges them on write.
func secretValue(s *corev1.Secret, key string) ([]byte, bool) {
	if v, ok := s.StringData[key]; ok {
		return []byte(v), true
	}
	v, ok := s.Data[key]
	return v, ok
}

// secretName is "secret NAMESPACE/NAME", or "secret NAME" without a
// namespace, or "unnamed secret".
func secretName(s *corev1.Secret) string {
	if s.Name == "" {
		return "unnamed secret"
	}
	if s.Namespace == "" {
		return "secret " + s.Name
	}
	return "secret " + s.Namespace + "/" + s.Name
}
