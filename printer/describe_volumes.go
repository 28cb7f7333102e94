package printer

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// volumes writes "Volumes:" with the details kubectl shows for the volume
// types a pod on a single node uses (hostPath, emptyDir, secret, configMap,
// projected, downwardAPI, persistentVolumeClaim, image, csi, nfs). Other
// types print "<unknown>".
func (d *describeContext) volumes() {
	w := d.w
	if len(d.pod.Spec.Volumes) == 0 {
		w.write(level0, "Volumes:\t<none>\n")
		return
	}
	w.write(level0, "Volumes:\n")
	for _, v := range d.pod.Spec.Volumes {
		w.write(level1, "%v:\n", v.Name)
		switch s := v.VolumeSource; {
		case s.HostPath != nil:
			hpType := "<none>"
			if s.HostPath.Type != nil {
				hpType = string(*s.HostPath.Type)
			}
			w.write(level2, "Type:\tHostPath (bare host directory volume)\n    Path:\t%v\n    HostPathType:\t%v\n", s.HostPath.Path, hpType)
		case s.EmptyDir != nil:
			limit := "<unset>"
			if s.EmptyDir.SizeLimit != nil && s.EmptyDir.SizeLimit.Sign() > 0 {
				limit = s.EmptyDir.SizeLimit.String()
			}
			w.write(level2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t%v\n    SizeLimit:\t%v\n", s.EmptyDir.Medium, limit)
		case s.Secret != nil:
			w.write(level2, "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t%v\n    Optional:\t%v\n", s.Secret.SecretName, isTrue(s.Secret.Optional))
		case s.NFS != nil:
			w.write(level2, "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t%v\n    Path:\t%v\n    ReadOnly:\t%v\n", s.NFS.Server, s.NFS.Path, s.NFS.ReadOnly)
		case s.PersistentVolumeClaim != nil:
			w.write(level2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t%v\n    ReadOnly:\t%v\n", s.PersistentVolumeClaim.ClaimName, s.PersistentVolumeClaim.ReadOnly)
		case s.DownwardAPI != nil:
			d.downwardAPIVolume(s.DownwardAPI)
		case s.ConfigMap != nil:
			w.write(level2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t%v\n    Optional:\t%v\n", s.ConfigMap.Name, isTrue(s.ConfigMap.Optional))
		case s.Projected != nil:
			d.projectedVolume(s.Projected)
		case s.CSI != nil:
			d.csiVolume(s.CSI)
		case s.Image != nil:
			w.write(level2, "Type:\tImage (a container image or OCI artifact)\n    Reference:\t%v\n    PullPolicy:\t%v\n", s.Image.Reference, s.Image.PullPolicy)
		default:
			w.write(level1, "<unknown>\n")
		}
	}
}

// isTrue dereferences an optional flag, nil being false.
func isTrue(b *bool) bool { return b != nil && *b }

// downwardAPIVolume writes a downwardAPI volume and its items.
func (d *describeContext) downwardAPIVolume(s *corev1.DownwardAPIVolumeSource) {
	d.w.write(level2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
	for _, item := range s.Items {
		if item.FieldRef != nil {
			d.w.write(level3, "%v -> %v\n", item.FieldRef.FieldPath, item.Path)
		}
		if item.ResourceFieldRef != nil {
			d.w.write(level3, "%v -> %v\n", item.ResourceFieldRef.Resource, item.Path)
		}
	}
}

// projectedVolume writes a projected volume (the service account token
// volume every pod gets is one).
func (d *describeContext) projectedVolume(s *corev1.ProjectedVolumeSource) {
	w := d.w
	w.write(level2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
	for _, src := range s.Sources {
		switch {
		case src.Secret != nil:
			w.write(level2, "SecretName:\t%v\n    Optional:\t%v\n", src.Secret.Name, isTrue(src.Secret.Optional))
		case src.DownwardAPI != nil:
			w.write(level2, "DownwardAPI:\ttrue\n")
		case src.ConfigMap != nil:
			w.write(level2, "ConfigMapName:\t%v\n    Optional:\t%v\n", src.ConfigMap.Name, isTrue(src.ConfigMap.Optional))
		case src.ServiceAccountToken != nil:
			var seconds int64
			if src.ServiceAccountToken.ExpirationSeconds != nil {
				seconds = *src.ServiceAccountToken.ExpirationSeconds
			}
			w.write(level2, "TokenExpirationSeconds:\t%d\n", seconds)
		}
	}
}

// csiVolume writes a CSI ephemeral volume.
func (d *describeContext) csiVolume(s *corev1.CSIVolumeSource) {
	w := d.w
	var readOnly bool
	var fsType string
	if s.ReadOnly != nil && *s.ReadOnly {
		readOnly = true
	}
	if s.FSType != nil {
		fsType = *s.FSType
	}
	w.write(level2, "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t%v\n    FSType:\t%v\n    ReadOnly:\t%v\n", s.Driver, fsType, readOnly)
	w.write(level2, "VolumeAttributes:\t")
	if len(s.VolumeAttributes) == 0 {
		w.line("<none>")
		return
	}
	for i, k := range sortedKeys(s.VolumeAttributes, "") {
		if i != 0 {
			w.write(level2, "%s", "")
			w.write(level2, "\t")
		}
		line := k + "=" + s.VolumeAttributes[k]
		if len(line) > maxAnnotationLen {
			line = line[:maxAnnotationLen] + "..."
		}
		w.write(level2, "%s\n", line)
	}
}

// labels writes a "Title:\tk=v" block, keys sorted, "<none>" when empty.
func (d *describeContext) labels(title string, labels map[string]string) {
	d.labelsIndented("", title, "\t", labels)
}

// labelsIndented is kubectl's printLabelsMultilineWithIndent.
func (d *describeContext) labelsIndented(initialIndent, title, innerIndent string, labels map[string]string) {
	w := d.w
	w.write(level0, "%s%s:%s", initialIndent, title, innerIndent)
	if len(labels) == 0 {
		w.line("<none>")
		return
	}
	for i, k := range sortedKeys(labels, "") {
		if i != 0 {
			w.write(level0, "%s%s", initialIndent, innerIndent)
		}
		w.write(level0, "%s=%s\n", k, labels[k])
	}
}

// sortedKeys returns the keys of m without skip, sorted.
func sortedKeys(m map[string]string, skip string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != skip {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// maxAnnotationLen is where kubectl wraps and cuts annotation values.
const maxAnnotationLen = 140

// annotations writes the Annotations block. The last-applied-configuration
// annotation is left out; a long or multi-line value goes on its own lines,
// each cut at 138 characters with "...".
func (d *describeContext) annotations() {
	w := d.w
	w.write(level0, "Annotations:\t")
	keys := sortedKeys(d.pod.Annotations, corev1.LastAppliedConfigAnnotation)
	if len(keys) == 0 {
		w.line("<none>")
		return
	}
	for i, k := range keys {
		if i != 0 {
			w.write(level0, "\t")
		}
		v := strings.TrimSuffix(d.pod.Annotations[k], "\n")
		if len(v)+len(k)+2 > maxAnnotationLen || strings.Contains(v, "\n") {
			w.write(level0, "%s:\n", k)
			for _, s := range strings.Split(v, "\n") {
				if len(s) > maxAnnotationLen-2 {
					s = s[:maxAnnotationLen-2] + "..."
				}
				w.write(level0, "\t  %s\n", s)
			}
		} else {
			w.write(level0, "%s: %s\n", k, v)
		}
	}
}

// tolerations writes the Tolerations block, sorted by key.
func (d *describeContext) tolerations() {
	w := d.w
	w.write(level0, "Tolerations:\t")
	if len(d.pod.Spec.Tolerations) == 0 {
		w.line("<none>")
		return
	}
	ts := append([]corev1.Toleration(nil), d.pod.Spec.Tolerations...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Key < ts[j].Key })
	for i, t := range ts {
		if i != 0 {
			w.write(level0, "\t")
		}
		var b strings.Builder
		b.WriteString(t.Key)
		if t.Value != "" {
			b.WriteString("=" + t.Value)
		}
		if t.Effect != "" {
			b.WriteString(":" + string(t.Effect))
		}
		if t.Operator == corev1.TolerationOpExists && t.Value == "" {
			if t.Key != "" || t.Effect != "" {
				b.WriteString(" op=Exists")
			} else {
				b.WriteString("op=Exists")
			}
		}
		if t.TolerationSeconds != nil {
			b.WriteString(" for " + itoa64(*t.TolerationSeconds) + "s")
		}
		w.write(level0, "%s\n", b.String())
	}
}

// topologySpread writes "Topology Spread Constraints:" when there are any.
func (d *describeContext) topologySpread() {
	w := d.w
	tscs := append([]corev1.TopologySpreadConstraint(nil), d.pod.Spec.TopologySpreadConstraints...)
	if len(tscs) == 0 {
		return
	}
	sort.Slice(tscs, func(i, j int) bool { return tscs[i].TopologyKey < tscs[j].TopologyKey })
	w.write(level0, "Topology Spread Constraints:\t")
	for i, t := range tscs {
		if i != 0 {
			w.write(level0, "\t")
		}
		w.write(level0, "%s:%v when max skew %d is exceeded", t.TopologyKey, t.WhenUnsatisfiable, t.MaxSkew)
		if t.LabelSelector != nil {
			w.write(level0, " for selector %s", metav1.FormatLabelSelector(t.LabelSelector))
		}
		w.write(level0, "\n")
	}
}
