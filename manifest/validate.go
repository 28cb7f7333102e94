package manifest

import (
	"encoding/json"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxSecretBytes is the API server's limit on a secret's data.
const MaxSecretBytes = 1 << 20

var (
	pullPolicies     = []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}
	restartPolicies  = []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}
	dnsPolicies      = []corev1.DNSPolicy{corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone}
	messagePolicies  = []corev1.TerminationMessagePolicy{corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError}
	protocols        = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	metadataPath     = field.NewPath("metadata")
	specPath         = field.NewPath("spec")
	redactedSecret   = "<secret contents redacted>"
	podUpdatableHelp = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)

// Validate checks a defaulted object as the API server does on create. The
// error is nil or an Invalid *apierrors.StatusError naming the object and
// every bad field.
func Validate(obj Object) error {
	k, err := KindOf(obj)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	return asInvalid(k, obj.GetName(), validate(obj))
}

// ValidateUpdate checks newObj, about to replace oldObj.
func ValidateUpdate(newObj, oldObj Object) error {
	k, err := KindOf(newObj)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	errs := validate(newObj)
	errs = append(errs, apivalidation.ValidateObjectMetaAccessorUpdate(newObj, oldObj, metadataPath)...)
	switch n := newObj.(type) {
	case *corev1.Pod:
		errs = append(errs, validatePodSpecUpdate(&n.Spec, &oldObj.(*corev1.Pod).Spec)...)
	case *corev1.Secret:
		o := oldObj.(*corev1.Secret)
		if o.Immutable != nil && *o.Immutable {
			if n.Immutable == nil || !*n.Immutable {
				errs = append(errs, field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set"))
			}
			if !equalData(n.Data, o.Data) {
				errs = append(errs, field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"))
			}
		}
		if n.Type != o.Type {
			errs = append(errs, field.Invalid(field.NewPath("type"), n.Type, "field is immutable"))
		}
	}
	return asInvalid(k, newObj.GetName(), errs)
}

func asInvalid(k Kind, name string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(k.GroupKind(), name, errs)
}

func validate(obj Object) field.ErrorList {
	switch o := obj.(type) {
	case *corev1.Pod:
		errs := apivalidation.ValidateObjectMeta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, metadataPath)
		return append(errs, validatePodSpec(&o.Spec)...)
	case *corev1.Secret:
		errs := apivalidation.ValidateObjectMeta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, metadataPath)
		return append(errs, validateSecret(o)...)
	case *corev1.ServiceAccount:
		return apivalidation.ValidateObjectMeta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, metadataPath)
	case *corev1.Namespace:
		return apivalidation.ValidateObjectMeta(&o.ObjectMeta, false, apivalidation.NameIsDNSLabel, metadataPath)
	case *corev1.Event:
		errs := apivalidation.ValidateObjectMeta(&o.ObjectMeta, true, eventName, metadataPath)
		if o.InvolvedObject.Namespace != "" && o.InvolvedObject.Namespace != o.Namespace {
			errs = append(errs, field.Invalid(field.NewPath("involvedObject", "namespace"), o.InvolvedObject.Namespace, "does not match event.namespace"))
		}
		return errs
	}
	return nil
}

func eventName(name string, prefix bool) []string { return content.IsPathSegmentName(name) }

func validatePodSpec(s *corev1.PodSpec) field.ErrorList {
	var errs field.ErrorList
	if len(s.Containers) == 0 {
		errs = append(errs, field.Required(specPath.Child("containers"), ""))
	}
	regular := map[string]bool{}
	for _, c := range s.Containers {
		regular[c.Name] = true
	}
	seen := map[string]bool{}
	for i := range s.InitContainers {
		p := specPath.Child("initContainers").Index(i)
		c := &s.InitContainers[i]
		errs = append(errs, validateContainer(c, p)...)
		if c.Name != "" && (seen[c.Name] || regular[c.Name]) {
			errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
		}
		seen[c.Name] = true
	}
	seen = map[string]bool{}
	for i := range s.Containers {
		p := specPath.Child("containers").Index(i)
		c := &s.Containers[i]
		errs = append(errs, validateContainer(c, p)...)
		if c.Name != "" && seen[c.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
		}
		seen[c.Name] = true
	}
	if !contains(restartPolicies, s.RestartPolicy) {
		errs = append(errs, field.NotSupported(specPath.Child("restartPolicy"), s.RestartPolicy, restartPolicies))
	}
	if !contains(dnsPolicies, s.DNSPolicy) {
		errs = append(errs, field.NotSupported(specPath.Child("dnsPolicy"), s.DNSPolicy, dnsPolicies))
	}
	if s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds <= 0 {
		errs = append(errs, field.Invalid(specPath.Child("activeDeadlineSeconds"), *s.ActiveDeadlineSeconds, "must be between 1 and 2147483647, inclusive"))
	}
	if s.ServiceAccountName != "" {
		for _, msg := range apivalidation.NameIsDNSSubdomain(s.ServiceAccountName, false) {
			errs = append(errs, field.Invalid(specPath.Child("serviceAccountName"), s.ServiceAccountName, msg))
		}
	}
	if s.NodeName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(s.NodeName) {
			errs = append(errs, field.Invalid(specPath.Child("nodeName"), s.NodeName, msg))
		}
	}
	return errs
}

func validateContainer(c *corev1.Container, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), c.Name, msg))
		}
	}
	// As the API server: only presence and no surrounding whitespace. A
	// malformed reference is the kubelet's InvalidImageName, later.
	if c.Image == "" {
		errs = append(errs, field.Required(p.Child("image"), ""))
	} else if strings.TrimSpace(c.Image) != c.Image {
		errs = append(errs, field.Invalid(p.Child("image"), c.Image, "must not have leading or trailing whitespace"))
	}
	if !contains(pullPolicies, c.ImagePullPolicy) {
		errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), c.ImagePullPolicy, pullPolicies))
	}
	if !contains(messagePolicies, c.TerminationMessagePolicy) {
		errs = append(errs, field.NotSupported(p.Child("terminationMessagePolicy"), c.TerminationMessagePolicy, messagePolicies))
	}
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
			errs = append(errs, field.Invalid(pp.Child("containerPort"), port.ContainerPort, msg))
		}
		if !contains(protocols, port.Protocol) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, protocols))
		}
	}
	for i, e := range c.Env {
		if e.Name == "" {
			errs = append(errs, field.Required(p.Child("env").Index(i).Child("name"), ""))
		}
	}
	return errs
}

// validatePodSpecUpdate allows only the fields the API server lets change.
func validatePodSpecUpdate(n, o *corev1.PodSpec) field.ErrorList {
	m := o.DeepCopy()
	if len(m.Containers) == len(n.Containers) {
		for i := range m.Containers {
			m.Containers[i].Image = n.Containers[i].Image
		}
	}
	if len(m.InitContainers) == len(n.InitContainers) {
		for i := range m.InitContainers {
			m.InitContainers[i].Image = n.InitContainers[i].Image
		}
	}
	m.ActiveDeadlineSeconds = n.ActiveDeadlineSeconds
	m.TerminationGracePeriodSeconds = n.TerminationGracePeriodSeconds
	if len(n.Tolerations) >= len(m.Tolerations) {
		m.Tolerations = n.Tolerations
	}
	a, _ := json.Marshal(m)
	b, _ := json.Marshal(n)
	if string(a) == string(b) {
		return nil
	}
	return field.ErrorList{field.Forbidden(specPath, podUpdatableHelp)}
}

func validateSecret(s *corev1.Secret) field.ErrorList {
	var errs field.ErrorList
	dataPath := field.NewPath("data")
	total := 0
	for k, v := range s.Data {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(dataPath.Key(k), k, msg))
		}
		total += len(v)
	}
	if total > MaxSecretBytes {
		errs = append(errs, field.TooLong(dataPath, "", MaxSecretBytes))
	}
	requireJSON := func(key string) {
		v, ok := s.Data[key]
		if !ok {
			errs = append(errs, field.Required(dataPath.Key(key), ""))
			return
		}
		var x map[string]any
		if err := json.Unmarshal(v, &x); err != nil {
			errs = append(errs, field.Invalid(dataPath.Key(key), redactedSecret, err.Error()))
		}
	}
	switch s.Type {
	case corev1.SecretTypeDockerConfigJson:
		requireJSON(corev1.DockerConfigJsonKey)
	case corev1.SecretTypeDockercfg:
		requireJSON(corev1.DockerConfigKey)
	case corev1.SecretTypeBasicAuth:
		_, u := s.Data[corev1.BasicAuthUsernameKey]
		_, p := s.Data[corev1.BasicAuthPasswordKey]
		if !u && !p {
			errs = append(errs, field.Required(dataPath.Key(corev1.BasicAuthUsernameKey), ""))
			errs = append(errs, field.Required(dataPath.Key(corev1.BasicAuthPasswordKey), ""))
		}
	case corev1.SecretTypeSSHAuth:
		if len(s.Data[corev1.SSHAuthPrivateKey]) == 0 {
			errs = append(errs, field.Required(dataPath.Key(corev1.SSHAuthPrivateKey), ""))
		}
	case corev1.SecretTypeTLS:
		for _, key := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
			if _, ok := s.Data[key]; !ok {
				errs = append(errs, field.Required(dataPath.Key(key), ""))
			}
		}
	}
	if len(s.Type) > 0 {
		for _, msg := range validation.IsQualifiedName(string(s.Type)) {
			errs = append(errs, field.Invalid(field.NewPath("type"), s.Type, msg))
		}
	}
	return errs
}

func equalData(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || string(v) != string(w) {
			return false
		}
	}
	return true
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
