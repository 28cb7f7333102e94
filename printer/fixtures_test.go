package printer

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// fixtureNow is the instant every fixture's ages are measured from. Ages are
// chosen away from HumanDuration's bucket edges so that the live comparisons
// against kubectl, which measure from the wall clock, give the same words
// even when kubectl runs a few seconds later.
var fixtureNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(fixtureNow.Add(-d)) }
func agoPtr(d time.Duration) *metav1.Time {
	t := ago(d)
	return &t
}
func ptr[T any](v T) *T { return &v }

// basePod is a scheduled pod created 30 minutes ago with one container app.
func basePod(name string) corev1.Pod {
	return corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default", UID: types.UID("uid-00000000-0000-0000-0000-" + name),
			CreationTimestamp: ago(30 * time.Minute),
		},
		Spec: corev1.PodSpec{
			NodeName:   "node-1",
			Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1.0"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending, HostIP: "10.0.0.5", StartTime: agoPtr(29 * time.Minute)},
	}
}

func waiting(name, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Image: "registry.example/app:1.0",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "details for " + reason}}}
}

func running(name string, ready bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Ready: ready, Started: ptr(true), Image: "registry.example/app:1.0",
		ImageID:     "registry.example/app@sha256:4bd2d9a7b7e3f4a1c0c8d8d2c5f8a2f8e5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0",
		ContainerID: "containerd://0f1e2d3c4b5a",
		State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ago(28 * time.Minute)}}}
}

func terminated(name string, exit, signal int32, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Image: "registry.example/app:1.0",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: exit, Signal: signal, Reason: reason, StartedAt: ago(29 * time.Minute), FinishedAt: ago(27 * time.Minute)}}}
}

func withInits(p corev1.Pod, n int) corev1.Pod {
	for i := 0; i < n; i++ {
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: []string{"init-a", "init-b", "init-c"}[i], Image: "registry.example/init:2"})
	}
	return p
}

func cond(t corev1.PodConditionType, s corev1.ConditionStatus) corev1.PodCondition {
	return corev1.PodCondition{Type: t, Status: s, LastTransitionTime: ago(28 * time.Minute)}
}

// statusCase is one pod and the STATUS (and READY, RESTARTS) kubectl shows
// for it, as derived from the apiserver's printPod.
type statusCase struct {
	pod                     corev1.Pod
	status, ready, restarts string
}

// statusCases covers every STATUS word of KUBELET_SEMANTICS §5 and the other
// branches of printPod.
func statusCases() []statusCase {
	var cs []statusCase
	add := func(p corev1.Pod, status, ready, restarts string) {
		cs = append(cs, statusCase{p, status, ready, restarts})
	}

	p := withInits(basePod("init-0-of-2"), 2)
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{running("init-a", false), waiting("init-b", "PodInitializing")}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
	add(p, "Init:0/2", "0/1", "0")

	p = withInits(basePod("init-1-of-2"), 2)
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("init-a", 0, 0, "Completed"), running("init-b", false)}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
	add(p, "Init:1/2", "0/1", "0")

	for _, r := range []string{"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "InvalidImageName"} {
		p = withInits(basePod("init-"+lower(r)), 2)
		p.Status.InitContainerStatuses = []corev1.ContainerStatus{waiting("init-a", r), waiting("init-b", "PodInitializing")}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
		add(p, "Init:"+r, "0/1", "0")
	}

	p = withInits(basePod("init-error"), 1)
	p.Status.Phase = corev1.PodFailed
	st := terminated("init-a", 1, 0, "Error")
	st.RestartCount = 3
	st.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: ago(12 * time.Minute)}}
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{st}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
	add(p, "Init:Error", "0/1", "3 (12m ago)")

	p = withInits(basePod("init-exitcode"), 1)
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("init-a", 2, 0, "")}
	add(p, "Init:ExitCode:2", "0/1", "0")

	p = withInits(basePod("init-signal"), 1)
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("init-a", 137, 9, "")}
	add(p, "Init:Signal:9", "0/1", "0")

	p = withInits(basePod("pod-initializing"), 1)
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("init-a", 0, 0, "Completed")}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
	p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodInitialized, corev1.ConditionTrue)}
	add(p, "PodInitializing", "0/1", "0")

	for _, r := range []string{"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "ContainerCreating"} {
		p = basePod(lower(r))
		p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", r)}
		add(p, r, "0/1", "0")
	}

	p = basePod("pending-unscheduled")
	p.Spec.NodeName = ""
	p.Status = corev1.PodStatus{Phase: corev1.PodPending}
	add(p, "Pending", "0/1", "0")

	p = basePod("running")
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP = "10.244.0.7"
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.244.0.7"}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true)}
	p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue)}
	add(p, "Running", "1/1", "0")

	p = basePod("running-unready")
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", false)}
	add(p, "Running", "0/1", "0")

	p = basePod("completed")
	p.Status.Phase = corev1.PodSucceeded
	p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", 0, 0, "Completed")}
	add(p, "Completed", "0/1", "0")

	p = basePod("error")
	p.Status.Phase = corev1.PodFailed
	p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", 1, 0, "Error")}
	add(p, "Error", "0/1", "0")

	p = basePod("exitcode")
	p.Status.Phase = corev1.PodFailed
	p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", 3, 0, "")}
	add(p, "ExitCode:3", "0/1", "0")

	p = basePod("signal")
	p.Status.Phase = corev1.PodFailed
	p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", 143, 15, "")}
	add(p, "Signal:15", "0/1", "0")

	p = basePod("crashloop")
	p.Status.Phase = corev1.PodRunning
	st = waiting("app", "CrashLoopBackOff")
	st.RestartCount = 5
	st.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: 1, Reason: "Error", StartedAt: ago(16 * time.Minute), FinishedAt: ago(15 * time.Minute)}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{st}
	add(p, "CrashLoopBackOff", "0/1", "5 (15m ago)")

	p = basePod("two-one-done-ready")
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "registry.example/side:1"})
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true), terminated("side", 0, 0, "Completed")}
	p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue)}
	add(p, "Running", "1/2", "0")

	p = basePod("two-one-done-notready")
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "registry.example/side:1"})
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true), terminated("side", 0, 0, "Completed")}
	p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionFalse)}
	add(p, "NotReady", "1/2", "0")

	p = basePod("two-one-failed")
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "registry.example/side:1"})
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", 0, 0, "Completed"), terminated("side", 2, 0, "Error")}
	add(p, "Error", "0/2", "0")

	p = basePod("two-failed-then-done")
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "registry.example/side:1"})
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true), terminated("side", 2, 0, "Error")}
	add(p, "Error", "1/2", "0")

	p = basePod("terminating")
	p.Status.Phase = corev1.PodRunning
	p.DeletionTimestamp = agoPtr(-20 * time.Second)
	p.DeletionGracePeriodSeconds = ptr(int64(30))
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true)}
	add(p, "Terminating", "1/1", "0")

	p = basePod("node-lost")
	p.Status.Phase = corev1.PodRunning
	p.Status.Reason = "NodeLost"
	p.DeletionTimestamp = agoPtr(time.Hour)
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true)}
	add(p, "Unknown", "1/1", "0")

	p = basePod("evicted")
	p.Status.Phase = corev1.PodFailed
	p.Status.Reason = "Evicted"
	p.Status.Message = "The node was low on resource: memory."
	add(p, "Evicted", "0/1", "0")

	p = basePod("scheduling-gated")
	p.Spec.NodeName = ""
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "SchedulingGated"}}}
	add(p, "SchedulingGated", "0/1", "0")

	p = withInits(basePod("sidecar"), 2)
	p.Spec.InitContainers[0].RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
	sc := running("init-a", true)
	sc.RestartCount = 2
	sc.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: ago(20 * time.Minute)}}
	p.Status.Phase = corev1.PodRunning
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{sc, terminated("init-b", 0, 0, "Completed")}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true)}
	p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodInitialized, corev1.ConditionTrue), cond(corev1.PodReady, corev1.ConditionTrue)}
	add(p, "Running", "2/2", "2 (20m ago)")

	p = basePod("gates")
	p.Namespace = "kube-system"
	p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}, {ConditionType: "example.com/dns"}}
	p.Status.Phase = corev1.PodRunning
	p.Status.NominatedNodeName = "node-2"
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.244.1.9"}, {IP: "fd00::9"}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true)}
	p.Status.Conditions = []corev1.PodCondition{{Type: "example.com/lb", Status: corev1.ConditionTrue}, cond(corev1.PodReady, corev1.ConditionFalse)}
	p.CreationTimestamp = ago(50 * time.Hour)
	add(p, "Running", "1/1", "0")
	return cs
}

func lower(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				out = append(out, '-')
			}
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out)
}

// fixturePods returns every status case's pod.
func fixturePods() []corev1.Pod {
	var pods []corev1.Pod
	for _, c := range statusCases() {
		pods = append(pods, c.pod)
	}
	return pods
}

func ev(name, pod, typ, reason, msg string) corev1.Event {
	return corev1.Event{
		TypeMeta:       metav1.TypeMeta{Kind: "Event", APIVersion: "v1"},
		ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: pod, UID: types.UID("uid-00000000-0000-0000-0000-" + pod), APIVersion: "v1"},
		Type:           typ, Reason: reason, Message: msg,
		Source: corev1.EventSource{Component: "kubelet", Host: "node-1"},
		Count:  1, FirstTimestamp: ago(25 * time.Minute), LastTimestamp: ago(25 * time.Minute),
	}
}

// fixtureEvents are the events of the crashloop and errimagepull pods in the
// shapes the apiserver holds: legacy counted events, an events.k8s.io event
// with eventTime only, a series, field paths, a multi-line message.
func fixtureEvents() []corev1.Event {
	sched := ev("crashloop.1828a1", "crashloop", "Normal", "Scheduled", "Successfully assigned default/crashloop to node-1")
	sched.Source = corev1.EventSource{}
	sched.ReportingController, sched.ReportingInstance = "default-scheduler", "default-scheduler-node-1"
	sched.Count, sched.FirstTimestamp, sched.LastTimestamp = 0, metav1.Time{}, metav1.Time{}
	sched.EventTime = metav1.NewMicroTime(fixtureNow.Add(-30 * time.Minute))

	pulled := ev("crashloop.1828a2", "crashloop", "Normal", "Pulled", "Container image \"registry.example/app:1.0\" already present on machine")
	pulled.InvolvedObject.FieldPath = "spec.containers{app}"
	pulled.Count, pulled.FirstTimestamp, pulled.LastTimestamp = 6, ago(29*time.Minute), ago(15*time.Minute)

	backoff := ev("crashloop.1828a3", "crashloop", "Warning", "BackOff", "Back-off restarting failed container app in pod crashloop_default(uid)")
	backoff.InvolvedObject.FieldPath = "spec.containers{app}"
	backoff.Count, backoff.FirstTimestamp, backoff.LastTimestamp = 42, ago(28*time.Minute), ago(12*time.Minute)

	series := ev("crashloop.1828a4", "crashloop", "Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503")
	series.Source = corev1.EventSource{}
	series.ReportingController, series.ReportingInstance = "kubelet", "node-1"
	series.Count, series.FirstTimestamp, series.LastTimestamp = 0, metav1.Time{}, metav1.Time{}
	series.EventTime = metav1.NewMicroTime(fixtureNow.Add(-27 * time.Minute))
	series.Series = &corev1.EventSeries{Count: 17, LastObservedTime: metav1.NewMicroTime(fixtureNow.Add(-13 * time.Minute))}

	pulling := ev("errimagepull.17f0b1", "errimagepull", "Normal", "Pulling", "Pulling image \"registry.example/app:1.0\"")
	pulling.InvolvedObject.FieldPath = "spec.containers{app}"
	pulling.Count, pulling.FirstTimestamp, pulling.LastTimestamp = 4, ago(29*time.Minute), ago(14*time.Minute)

	failed := ev("errimagepull.17f0b2", "errimagepull", "Warning", "Failed", "Failed to pull image \"registry.example/app:1.0\": rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example/app:1.0\": failed to resolve reference \"registry.example/app:1.0\": registry.example/app:1.0: not found\n")
	failed.InvolvedObject.FieldPath = "spec.containers{app}"
	failed.Count, failed.FirstTimestamp, failed.LastTimestamp = 4, ago(29*time.Minute), ago(14*time.Minute)

	multi := ev("errimagepull.17f0b3", "errimagepull", "Warning", "Failed", "Error: ErrImagePull\nsecond line")
	multi.InvolvedObject.FieldPath = "spec.containers{app}"

	other := ev("kube-proxy.99", "kube-proxy-x", "Normal", "Started", "Started container kube-proxy")
	other.Namespace, other.InvolvedObject.Namespace = "kube-system", "kube-system"
	other.LastTimestamp = ago(40 * time.Hour)
	other.FirstTimestamp = ago(50 * time.Hour)

	return []corev1.Event{sched, pulled, backoff, series, pulling, failed, multi, other}
}

// describedPod is a running pod with most of what describe shows on a node.
func describedPod() corev1.Pod {
	p := basePod("web-7d4b9c")
	p.Labels = map[string]string{"app": "web", "pod-template-hash": "7d4b9c"}
	p.Annotations = map[string]string{
		"kubectl.kubernetes.io/last-applied-configuration": "{}",
		"example.com/short": "yes",
		"example.com/long":  repeat("abcdefghij", 16),
		"example.com/multi": "line one\nline two\n",
	}
	p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d4b9c", UID: "rs-uid", Controller: ptr(true)}}
	p.Spec.Priority = ptr(int32(0))
	p.Spec.ServiceAccountName = "default"
	p.Spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	p.Spec.Tolerations = []corev1.Toleration{
		{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
		{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
		{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "web", Effect: corev1.TaintEffectNoSchedule},
	}
	p.Spec.InitContainers = []corev1.Container{{Name: "fetch", Image: "registry.example/fetch:2", Command: []string{"sh", "-c", "echo one\necho two"},
		VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}}
	p.Spec.Containers = []corev1.Container{
		{
			Name: "web", Image: "registry.example/web:1.4", Args: []string{"--port=8080", "--verbose"},
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}, {ContainerPort: 9090, Protocol: corev1.ProtocolTCP}},
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			},
			LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}}, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, InitialDelaySeconds: 5, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
			StartupProbe:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/ready"}}}, TimeoutSeconds: 1, PeriodSeconds: 5, SuccessThreshold: 1, FailureThreshold: 30},
			Env: []corev1.EnvVar{
				{Name: "MODE", Value: "production"},
				{Name: "BANNER", Value: "hello\nworld"},
				{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
				{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}},
				{Name: "CPU_LIMIT", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
				{Name: "MEM_REQ", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.memory", Divisor: resource.MustParse("1Mi")}}},
				{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "web-secret"}, Key: "token"}}},
				{Name: "COLOR", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"}, Key: "color", Optional: ptr(true)}}},
			},
			EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "web-env"}}}, {Prefix: "DB_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}}},
			VolumeMounts: []corev1.VolumeMount{
				{Name: "kube-api-access-abcde", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
				{Name: "data", MountPath: "/data"},
				{Name: "config", MountPath: "/etc/web/web.conf", SubPath: "web.conf", ReadOnly: true},
			},
		},
		{Name: "pull-me", Image: "registry.example/missing:9"},
	}
	p.Spec.Volumes = []corev1.Volume{
		{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"}}}},
		{Name: "certs", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "web-certs", Optional: ptr(true)}}},
		{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log", Type: ptr(corev1.HostPathDirectory)}}},
		{Name: "kube-api-access-abcde", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: ptr(int64(3607)), Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{}},
		}}}},
	}
	p.Status.Phase = corev1.PodPending
	p.Status.PodIP = "10.244.0.12"
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.244.0.12"}}
	p.Status.QOSClass = corev1.PodQOSBurstable
	p.Status.Conditions = []corev1.PodCondition{
		cond("PodReadyToStartContainers", corev1.ConditionTrue),
		cond(corev1.PodInitialized, corev1.ConditionTrue),
		cond(corev1.PodReady, corev1.ConditionFalse),
		cond(corev1.ContainersReady, corev1.ConditionFalse),
		cond(corev1.PodScheduled, corev1.ConditionTrue),
	}
	initSt := terminated("fetch", 0, 0, "Completed")
	initSt.ContainerID, initSt.ImageID = "containerd://aa11", "registry.example/fetch@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{initSt}
	web := running("web", true)
	web.Name = "web"
	web.RestartCount = 1
	web.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Signal: 9, Reason: "OOMKilled", Message: "killed", StartedAt: ago(29 * time.Minute), FinishedAt: ago(28 * time.Minute)}}
	pull := waiting("pull-me", "ImagePullBackOff")
	p.Status.ContainerStatuses = []corev1.ContainerStatus{web, pull}
	return p
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

// describedEvents are events of describedPod.
func describedEvents() []corev1.Event {
	var out []corev1.Event
	for _, e := range fixtureEvents() {
		if e.Namespace != "default" {
			continue
		}
		e.InvolvedObject.Name = "web-7d4b9c"
		e.InvolvedObject.UID = "uid-00000000-0000-0000-0000-web-7d4b9c"
		out = append(out, e)
	}
	return out
}
