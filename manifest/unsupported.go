package manifest

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// unsupportedText is the warning for one field the agent stores but does
// not act on.
const unsupportedText = "%s: not supported by the pullwarden agent: stored, but has no effect"

// Unsupported returns one warning per field of obj that the node agent
// accepts and stores but does not implement (its job is pulls, not a whole
// kubelet), in the API server's field path notation, e.g.
// "spec.volumes: not supported by the pullwarden agent: stored, but has no
// effect". Fields the defaulting fills in are not reported. Only pods have
// such fields.
func Unsupported(obj Object) []string {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil
	}
	var fields []string
	add := func(set bool, path string) {
		if set {
			fields = append(fields, path)
		}
	}
	s := &pod.Spec
	add(len(s.Volumes) > 0, "spec.volumes")
	add(s.Affinity != nil, "spec.affinity")
	add(len(s.NodeSelector) > 0, "spec.nodeSelector")
	add(len(s.TopologySpreadConstraints) > 0, "spec.topologySpreadConstraints")
	add(s.SecurityContext != nil && !emptyPodSecurityContext(s.SecurityContext), "spec.securityContext")
	add(s.HostPID, "spec.hostPID")
	add(s.HostIPC, "spec.hostIPC")
	add(s.ShareProcessNamespace != nil && *s.ShareProcessNamespace, "spec.shareProcessNamespace")
	add(len(s.HostAliases) > 0, "spec.hostAliases")
	add(s.DNSConfig != nil, "spec.dnsConfig")
	add(s.Hostname != "", "spec.hostname")
	add(s.Subdomain != "", "spec.subdomain")
	add(s.RuntimeClassName != nil, "spec.runtimeClassName")
	add(s.ActiveDeadlineSeconds != nil, "spec.activeDeadlineSeconds")
	add(len(s.EphemeralContainers) > 0, "spec.ephemeralContainers")
	add(len(s.ResourceClaims) > 0, "spec.resourceClaims")
	add(s.Resources != nil, "spec.resources")
	for i := range s.InitContainers {
		fields = append(fields, unsupportedInContainer(&s.InitContainers[i], fmt.Sprintf("spec.initContainers[%d]", i))...)
	}
	for i := range s.Containers {
		fields = append(fields, unsupportedInContainer(&s.Containers[i], fmt.Sprintf("spec.containers[%d]", i))...)
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = fmt.Sprintf(unsupportedText, f)
	}
	return out
}

// emptyPodSecurityContext tells whether sc sets nothing (its slices and
// pointers all empty).
func emptyPodSecurityContext(sc *corev1.PodSecurityContext) bool {
	return sc.SELinuxOptions == nil && sc.WindowsOptions == nil && sc.RunAsUser == nil && sc.RunAsGroup == nil &&
		sc.RunAsNonRoot == nil && len(sc.SupplementalGroups) == 0 && sc.FSGroup == nil && len(sc.Sysctls) == 0 &&
		sc.FSGroupChangePolicy == nil && sc.SeccompProfile == nil && sc.AppArmorProfile == nil &&
		sc.SupplementalGroupsPolicy == nil && sc.SELinuxChangePolicy == nil
}

func unsupportedInContainer(c *corev1.Container, p string) []string {
	var fields []string
	add := func(set bool, path string) {
		if set {
			fields = append(fields, p+"."+path)
		}
	}
	add(c.LivenessProbe != nil, "livenessProbe")
	add(c.ReadinessProbe != nil, "readinessProbe")
	add(c.StartupProbe != nil, "startupProbe")
	add(c.Lifecycle != nil, "lifecycle")
	add(len(c.Resources.Limits) > 0 || len(c.Resources.Requests) > 0 || len(c.Resources.Claims) > 0, "resources")
	add(len(c.ResizePolicy) > 0, "resizePolicy")
	for j, e := range c.Env {
		add(e.ValueFrom != nil, fmt.Sprintf("env[%d].valueFrom", j))
	}
	add(len(c.EnvFrom) > 0, "envFrom")
	add(len(c.VolumeMounts) > 0, "volumeMounts")
	add(len(c.VolumeDevices) > 0, "volumeDevices")
	add(c.SecurityContext != nil, "securityContext")
	add(c.Stdin, "stdin")
	add(c.TTY, "tty")
	add(c.RestartPolicy != nil, "restartPolicy")
	add(len(c.RestartPolicyRules) > 0, "restartPolicyRules")
	return fields
}
