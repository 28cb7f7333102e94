package printer

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// containers writes one container section ("Containers:", "Init
// Containers:") with each container's details and status.
func (d *describeContext) containers(label string, cs []corev1.Container, statuses []corev1.ContainerStatus) {
	w := d.w
	byName := make(map[string]corev1.ContainerStatus, len(statuses))
	for _, s := range statuses {
		byName[s.Name] = s
	}
	none := ""
	if len(cs) == 0 {
		none = " <none>"
	}
	w.write(level0, "%s:%s\n", label, none)
	for i := range cs {
		c := &cs[i]
		st, ok := byName[c.Name]
		d.containerInfo(c, st, ok)
		d.command(c)
		if ok {
			d.containerStatus(st)
		}
		d.resources(&c.Resources, level2)
		d.probes(c)
		if len(c.EnvFrom) > 0 {
			d.envFrom(c)
		}
		d.env(c)
		d.mounts(c)
	}
}

// containerInfo writes the name, IDs, image and ports of a container.
func (d *describeContext) containerInfo(c *corev1.Container, st corev1.ContainerStatus, ok bool) {
	w := d.w
	w.write(level1, "%v:\n", c.Name)
	if ok {
		w.write(level2, "Container ID:\t%s\n", st.ContainerID)
	}
	w.write(level2, "Image:\t%s\n", c.Image)
	if ok {
		w.write(level2, "Image ID:\t%s\n", st.ImageID)
	}
	ports := portList(c.Ports, func(p corev1.ContainerPort) int32 { return p.ContainerPort })
	if strings.Contains(ports, ",") {
		w.write(level2, "Ports:\t%s\n", ports)
	} else {
		w.write(level2, "Port:\t%s\n", orNone(ports))
	}
	hostPorts := portList(c.Ports, func(p corev1.ContainerPort) int32 { return p.HostPort })
	if strings.Contains(hostPorts, ",") {
		w.write(level2, "Host Ports:\t%s\n", hostPorts)
	} else {
		w.write(level2, "Host Port:\t%s\n", orNone(hostPorts))
	}
	if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil {
		w.write(level2, "SeccompProfile:\t%s\n", sc.SeccompProfile.Type)
		if sc.SeccompProfile.Type == corev1.SeccompProfileTypeLocalhost && sc.SeccompProfile.LocalhostProfile != nil {
			w.write(level3, "LocalhostProfile:\t%s\n", *sc.SeccompProfile.LocalhostProfile)
		}
	}
}

// portList joins ports as "80/TCP (http), 443/TCP" (kubectl 1.34+ names
// named ports).
func portList(ports []corev1.ContainerPort, number func(corev1.ContainerPort) int32) string {
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		s := fmt.Sprintf("%d/%s", number(p), p.Protocol)
		if p.Name != "" {
			s += " (" + p.Name + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// command writes Command and Args, one line per argument line.
func (d *describeContext) command(c *corev1.Container) {
	for _, part := range []struct {
		title string
		items []string
	}{{"Command", c.Command}, {"Args", c.Args}} {
		if len(part.items) == 0 {
			continue
		}
		d.w.write(level2, "%s:\n", part.title)
		for _, item := range part.items {
			for _, s := range strings.Split(item, "\n") {
				d.w.write(level3, "%s\n", s)
			}
		}
	}
}

// containerStatus writes State, Last State, Ready and Restart Count.
func (d *describeContext) containerStatus(st corev1.ContainerStatus) {
	d.state("State", st.State)
	if st.LastTerminationState.Terminated != nil {
		d.state("Last State", st.LastTerminationState)
	}
	d.w.write(level2, "Ready:\t%v\n", boolWord(st.Ready))
	d.w.write(level2, "Restart Count:\t%d\n", st.RestartCount)
}

// state writes one container state. A waiting state shows only its reason:
// kubectl leaves the waiting message out of describe.
func (d *describeContext) state(name string, s corev1.ContainerState) {
	w := d.w
	switch {
	case s.Running != nil:
		w.write(level2, "%s:\tRunning\n", name)
		w.write(level3, "Started:\t%v\n", d.stamp(s.Running.StartedAt.Time))
	case s.Waiting != nil:
		w.write(level2, "%s:\tWaiting\n", name)
		if s.Waiting.Reason != "" {
			w.write(level3, "Reason:\t%s\n", s.Waiting.Reason)
		}
	case s.Terminated != nil:
		t := s.Terminated
		w.write(level2, "%s:\tTerminated\n", name)
		if t.Reason != "" {
			w.write(level3, "Reason:\t%s\n", t.Reason)
		}
		if t.Message != "" {
			w.write(level3, "Message:\t%s\n", t.Message)
		}
		w.write(level3, "Exit Code:\t%d\n", t.ExitCode)
		if t.Signal > 0 {
			w.write(level3, "Signal:\t%d\n", t.Signal)
		}
		w.write(level3, "Started:\t%s\n", d.stamp(t.StartedAt.Time))
		w.write(level3, "Finished:\t%s\n", d.stamp(t.FinishedAt.Time))
	default:
		w.write(level2, "%s:\tWaiting\n", name)
	}
}

// boolWord is kubectl's printBool: True or False.
func boolWord(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// resources writes Limits and Requests, names sorted.
func (d *describeContext) resources(r *corev1.ResourceRequirements, level int) {
	for _, part := range []struct {
		title string
		list  corev1.ResourceList
	}{{"Limits", r.Limits}, {"Requests", r.Requests}} {
		if len(part.list) == 0 {
			continue
		}
		d.w.write(level, "%s:\n", part.title)
		names := make([]string, 0, len(part.list))
		for n := range part.list {
			names = append(names, string(n))
		}
		sort.Strings(names)
		for _, n := range names {
			q := part.list[corev1.ResourceName(n)]
			d.w.write(level+1, "%s:\t%s\n", n, q.String())
		}
	}
}

// probes writes the liveness, readiness and startup probes.
func (d *describeContext) probes(c *corev1.Container) {
	for _, p := range []struct {
		title string
		probe *corev1.Probe
	}{{"Liveness", c.LivenessProbe}, {"Readiness", c.ReadinessProbe}, {"Startup", c.StartupProbe}} {
		if p.probe != nil {
			d.w.write(level2, "%s:\t%s\n", p.title, probeText(p.probe))
		}
	}
}

// probeText is kubectl's DescribeProbe.
func probeText(p *corev1.Probe) string {
	attrs := fmt.Sprintf("delay=%ds timeout=%ds period=%ds successThreshold=%d failureThreshold=%d",
		p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold)
	switch {
	case p.Exec != nil:
		return fmt.Sprintf("exec %v %s", p.Exec.Command, attrs)
	case p.HTTPGet != nil:
		u := &url.URL{Scheme: strings.ToLower(string(p.HTTPGet.Scheme)), Path: p.HTTPGet.Path, Host: p.HTTPGet.Host}
		if port := p.HTTPGet.Port.String(); port != "" {
			u.Host = net.JoinHostPort(p.HTTPGet.Host, port)
		}
		return fmt.Sprintf("http-get %s %s", u.String(), attrs)
	case p.TCPSocket != nil:
		return fmt.Sprintf("tcp-socket %s:%s %s", p.TCPSocket.Host, p.TCPSocket.Port.String(), attrs)
	case p.GRPC != nil:
		service := ""
		if p.GRPC.Service != nil {
			service = *p.GRPC.Service
		}
		return fmt.Sprintf("grpc <pod>:%d %s %s", p.GRPC.Port, service, attrs)
	}
	return "unknown " + attrs
}

// envFrom writes "Environment Variables from:".
func (d *describeContext) envFrom(c *corev1.Container) {
	d.w.write(level2, "Environment Variables from:\n")
	for _, e := range c.EnvFrom {
		from, name, optional := "", "", false
		switch {
		case e.ConfigMapRef != nil:
			from, name = "ConfigMap", e.ConfigMapRef.Name
			optional = e.ConfigMapRef.Optional != nil && *e.ConfigMapRef.Optional
		case e.SecretRef != nil:
			from, name = "Secret", e.SecretRef.Name
			optional = e.SecretRef.Optional != nil && *e.SecretRef.Optional
		}
		if e.Prefix == "" {
			d.w.write(level3, "%s\t%s\tOptional: %t\n", name, from, optional)
		} else {
			d.w.write(level3, "%s\t%s with prefix '%s'\tOptional: %t\n", name, from, e.Prefix, optional)
		}
	}
}

// env writes "Environment:". Secret and ConfigMap values are never shown,
// only where they come from.
func (d *describeContext) env(c *corev1.Container) {
	w := d.w
	if len(c.Env) == 0 {
		w.write(level2, "Environment:\t<none>\n")
		return
	}
	w.write(level2, "Environment:\n")
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			for i, s := range strings.Split(e.Value, "\n") {
				if i == 0 {
					w.write(level3, "%s:\t%s\n", e.Name, s)
				} else {
					w.write(level3, "\t%s\n", s)
				}
			}
			continue
		}
		switch vf := e.ValueFrom; {
		case vf.FieldRef != nil:
			w.write(level3, "%s:\t%s (%s:%s)\n", e.Name, d.fieldValue(vf.FieldRef.FieldPath), vf.FieldRef.APIVersion, vf.FieldRef.FieldPath)
		case vf.ResourceFieldRef != nil:
			v := resourceFieldValue(vf.ResourceFieldRef, c)
			if v == "0" && (vf.ResourceFieldRef.Resource == "limits.cpu" || vf.ResourceFieldRef.Resource == "limits.memory") {
				v = "node allocatable"
			}
			w.write(level3, "%s:\t%s (%s)\n", e.Name, v, vf.ResourceFieldRef.Resource)
		case vf.SecretKeyRef != nil:
			optional := vf.SecretKeyRef.Optional != nil && *vf.SecretKeyRef.Optional
			w.write(level3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %t\n", e.Name, vf.SecretKeyRef.Key, vf.SecretKeyRef.Name, optional)
		case vf.ConfigMapKeyRef != nil:
			optional := vf.ConfigMapKeyRef.Optional != nil && *vf.ConfigMapKeyRef.Optional
			w.write(level3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %t\n", e.Name, vf.ConfigMapKeyRef.Key, vf.ConfigMapKeyRef.Name, optional)
		}
	}
}

// fieldValue resolves a downward-API field path the way kubectl's describe
// does: only metadata fields are resolved; anything else is empty.
func (d *describeContext) fieldValue(path string) string {
	m := d.pod.ObjectMeta
	switch path {
	case "metadata.name":
		return m.Name
	case "metadata.namespace":
		return m.Namespace
	case "metadata.uid":
		return string(m.UID)
	}
	for prefix, values := range map[string]map[string]string{"metadata.labels": m.Labels, "metadata.annotations": m.Annotations} {
		if strings.HasPrefix(path, prefix+"['") && strings.HasSuffix(path, "']") {
			return values[strings.TrimSuffix(strings.TrimPrefix(path, prefix+"['"), "']")]
		}
	}
	return ""
}

// resourceFieldValue is the value of a resourceFieldRef: the container's
// request or limit divided by the divisor (default 1), rounded up.
func resourceFieldValue(fs *corev1.ResourceFieldSelector, c *corev1.Container) string {
	divisor := resource.MustParse("1")
	if !fs.Divisor.IsZero() {
		divisor = fs.Divisor
	}
	kind, name, ok := strings.Cut(fs.Resource, ".")
	if !ok {
		return ""
	}
	list := c.Resources.Requests
	if kind == "limits" {
		list = c.Resources.Limits
	} else if kind != "requests" {
		return ""
	}
	q := list[corev1.ResourceName(name)]
	switch {
	case name == "cpu":
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10)
	case name == "memory" || name == "ephemeral-storage" || strings.HasPrefix(name, "hugepages-"):
		return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10)
	}
	return ""
}

// mounts writes "Mounts:" (sorted by mount path) and "Devices:".
func (d *describeContext) mounts(c *corev1.Container) {
	w := d.w
	none := ""
	if len(c.VolumeMounts) == 0 {
		none = "\t<none>"
	}
	w.write(level2, "Mounts:%s\n", none)
	mounts := append([]corev1.VolumeMount(nil), c.VolumeMounts...)
	sort.Sort(byMountPath(mounts))
	for _, m := range mounts {
		flags := []string{"rw"}
		if m.ReadOnly {
			flags[0] = "ro"
		}
		if m.SubPath != "" {
			flags = append(flags, fmt.Sprintf("path=%q", m.SubPath))
		}
		w.write(level3, "%s from %s (%s)\n", m.MountPath, m.Name, strings.Join(flags, ","))
	}
	if len(c.VolumeDevices) > 0 {
		w.write(level2, "Devices:%s\n", none)
		devices := append([]corev1.VolumeDevice(nil), c.VolumeDevices...)
		sort.Slice(devices, func(i, j int) bool { return devices[i].DevicePath < devices[j].DevicePath })
		for _, dev := range devices {
			w.write(level3, "%s from %s\n", dev.DevicePath, dev.Name)
		}
	}
}

// byMountPath sorts mounts as kubectl does (sort.Sort, by mount path).
type byMountPath []corev1.VolumeMount

func (l byMountPath) Len() int           { return len(l) }
func (l byMountPath) Swap(i, j int)      { l[i], l[j] = l[j], l[i] }
func (l byMountPath) Less(i, j int) bool { return l[i].MountPath < l[j].MountPath }
