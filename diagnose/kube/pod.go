package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/diagnose"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/workload"
)

// Options tune ExplainPod.
type Options struct {
	// Remote: the pull runs on the pod's node, not where this runs.
	Remote bool
	// NodeKeyring holds node credentials visible here (the agent's
	// machine); nil when not visible.
	NodeKeyring credential.Keyring
	// NodeSource names NodeKeyring's origin for the evidence.
	NodeSource string
	// Container restricts the diagnosis to one container or image volume.
	Container string
	// RetryPolicy is the node agent's retry policy (serve --retry-policy)
	// for pods without the pullwarden.io/retry-policy annotation; ""
	// means pull.RetrySmart, the agent's default. Not used on a cluster
	// (Remote).
	RetryPolicy pull.RetryPolicy
	// Controller, on a cluster (Remote), says the pullwarden controller
	// runs there and retries waiting pods by the smart policy, unless a
	// pod's annotation asks for the kubelet's. Without it the kubelet's
	// back-off applies whatever the annotation says.
	Controller bool
}

// retryPolicy is the retry policy in force for pod: on a cluster the
// kubelet's unless the controller runs; then, or on the agent, the pod's
// annotation pullwarden.io/retry-policy when valid, else the default
// (the agent's, or smart under the controller).
func (o Options) retryPolicy(pod *corev1.Pod) pull.RetryPolicy {
	if o.Remote && !o.Controller {
		return pull.RetryKubelet
	}
	if v, ok := pod.Annotations[podmeta.RetryPolicy]; ok {
		if p, err := pull.ParseRetryPolicy(v); err == nil {
			return p
		}
	}
	if o.Remote || o.RetryPolicy == "" {
		return pull.RetrySmart
	}
	return o.RetryPolicy
}

// ContainerResult is the diagnosis of one image of the pod.
type ContainerResult struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Image   string `json:"image"`
	Waiting string `json:"waiting,omitempty"`
	// Message is the kubelet's waiting message.
	Message string          `json:"message,omitempty"`
	Result  diagnose.Result `json:"result"`
}

// PodResult is the diagnosis of a pod.
type PodResult struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Node      string `json:"node,omitempty"`
	Phase     string `json:"phase,omitempty"`
	// Failing is true when some container waits on its image.
	Failing    bool              `json:"failing"`
	Containers []ContainerResult `json:"containers"`
}

// Pullable is true when every diagnosed image can be pulled.
func (p *PodResult) Pullable() bool {
	for _, c := range p.Containers {
		if !c.Result.Pullable {
			return false
		}
	}
	return true
}

// imageReasons are the waiting reasons of a container stuck on its image.
var imageReasons = map[string]bool{
	reason.ErrImagePull: true, reason.ImagePullBackOff: true, reason.InvalidImageName: true,
	reason.ErrImageNeverPull: true, reason.SignatureValidationFailed: true, "RegistryUnavailable": true,
}

// ExplainPod diagnoses pod ns/name: the images of containers waiting on
// their image (every image when none is), with the pod's credentials.
func ExplainPod(ctx context.Context, cs kubernetes.Interface, ck *diagnose.Checker, ns, name string, o Options) (*PodResult, error) {
	pod, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return Explain(ctx, cs, ck, pod, o)
}

// Explain is ExplainPod for a pod already read.
func Explain(ctx context.Context, cs kubernetes.Interface, ck *diagnose.Checker, pod *corev1.Pod, o Options) (*PodResult, error) {
	ns, name := pod.Namespace, pod.Name
	base, err := credentials(ctx, cs, pod, o)
	if err != nil {
		return nil, err
	}
	events, err := podEvents(ctx, cs, pod)
	if err != nil {
		return nil, err
	}
	res := &PodResult{Namespace: pod.Namespace, Pod: pod.Name, Node: pod.Spec.NodeName, Phase: string(pod.Status.Phase)}
	waiting := waitingStates(pod)
	images := workload.FromPodSpec(&pod.Spec)
	var pick []workload.Image
	for _, im := range images {
		if o.Container != "" && im.Name != o.Container {
			continue
		}
		w := waiting[im.Type+"/"+im.Name]
		if imageReasons[w.Reason] || (im.Type == workload.ImageVolume && events.failures(im.Image) > 0 && pod.Status.Phase == corev1.PodPending) {
			pick = append(pick, im)
		}
	}
	res.Failing = len(pick) > 0
	if len(pick) == 0 {
		for _, im := range images {
			if o.Container == "" || im.Name == o.Container {
				pick = append(pick, im)
			}
		}
	}
	if len(pick) == 0 {
		return nil, fmt.Errorf("pod %s/%s has no container or image volume named %q", ns, name, o.Container)
	}
	for _, im := range pick {
		w := waiting[im.Type+"/"+im.Name]
		req := base
		req.Image, req.Policy = im.Image, im.Policy
		ks := &diagnose.KubeletState{Waiting: w.Reason, Retry: o.retryPolicy(pod)}
		ks.Failures, ks.LastFailure = events.failures(im.Image), events.last[im.Image]
		if imageReasons[w.Reason] {
			no := false
			req.Present = &no
		}
		if im.Type == workload.ImageVolume && w.Reason == "" && ks.Failures > 0 {
			ks.Waiting = reason.ErrImagePull
		}
		req.Kubelet = ks
		res.Containers = append(res.Containers, ContainerResult{Name: im.Name, Type: im.Type, Image: im.Image,
			Waiting: w.Reason, Message: w.Message, Result: ck.Check(ctx, req)})
	}
	return res, nil
}

// WaitingPods lists the pods of ns ("" for every namespace) with a
// container waiting on its image.
func WaitingPods(ctx context.Context, cs kubernetes.Interface, ns string) ([]corev1.Pod, error) {
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		for _, w := range waitingStates(&p) {
			if imageReasons[w.Reason] {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

// FindPod finds the pod called name in any namespace; more than one is an
// error listing their namespaces.
func FindPod(ctx context.Context, cs kubernetes.Interface, name string) (*corev1.Pod, error) {
	list, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var found []corev1.Pod
	for _, p := range list.Items {
		if p.Name == name {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, apierrors.NewNotFound(corev1.Resource("pods"), name)
	case 1:
		return &found[0], nil
	}
	var nss []string
	for _, p := range found {
		nss = append(nss, p.Namespace)
	}
	return nil, fmt.Errorf("pod %q exists in several namespaces (%s): choose one with -n", name, strings.Join(nss, ", "))
}

// credentials builds the request's keyring from the pod's secrets (or its
// service account's) and the node keyring.
func credentials(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod, o Options) (diagnose.Request, error) {
	var req diagnose.Request
	if o.Remote {
		req.Node = pod.Spec.NodeName
		if req.Node == "" {
			req.Node = "(not scheduled yet)"
		}
	}
	ps, err := ReadPodSecrets(ctx, cs, pod)
	if err != nil {
		return req, err
	}
	if ps.NoServiceAccount {
		req.Sources = append(req.Sources, fmt.Sprintf("service account %s does not exist", ps.ServiceAccount))
	}
	req.MissingSecrets = ps.Missing
	names, from, saName, secrets := ps.Names, ps.From, ps.ServiceAccount, ps.Secrets
	if len(names) > 0 {
		req.Sources = append(req.Sources, fmt.Sprintf("%s: %s", from, strings.Join(names, ", ")))
	} else {
		req.Sources = append(req.Sources, fmt.Sprintf("no imagePullSecrets on the pod or service account %s", saName))
	}
	ring, warns := credential.FromSecrets(secrets)
	req.Warnings = warns
	rings := []credential.Keyring{ring}
	switch {
	case o.NodeKeyring != nil:
		rings = append(rings, o.NodeKeyring)
		req.Sources = append(req.Sources, "node credentials: "+o.NodeSource)
	case o.Remote:
		req.Sources = append(req.Sources, "the node's own credentials are not visible from here")
	}
	req.Keyring = credential.Union(rings...)
	return req, nil
}

type waitingState struct{ Reason, Message string }

func waitingStates(pod *corev1.Pod) map[string]waitingState {
	out := map[string]waitingState{}
	add := func(typ string, sts []corev1.ContainerStatus) {
		for _, s := range sts {
			if s.State.Waiting != nil {
				out[typ+"/"+s.Name] = waitingState{s.State.Waiting.Reason, s.State.Waiting.Message}
			}
		}
	}
	add(workload.InitContainer, pod.Status.InitContainerStatuses)
	add(workload.Container, pod.Status.ContainerStatuses)
	add(workload.EphemeralContainer, pod.Status.EphemeralContainerStatuses)
	return out
}

// pullEvents counts the kubelet's "Failed to pull image" events per image.
type pullEvents struct {
	count map[string]int
	last  map[string]time.Time
}

func (p pullEvents) failures(image string) int { return p.count[image] }

func podEvents(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod) (pullEvents, error) {
	pe := pullEvents{count: map[string]int{}, last: map[string]time.Time{}}
	// The pod's own events only: the server filters by UID, so the cost
	// does not grow with the namespace's other events.
	sel := fields.OneTermEqualSelector("involvedObject.uid", string(pod.UID)).String()
	list, err := cs.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return pe, fmt.Errorf("reading the events of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	for _, e := range list.Items {
		if e.InvolvedObject.UID != pod.UID || e.Reason != reason.EventFailed {
			continue
		}
		img, ok := pulledImage(e.Message)
		if !ok {
			continue
		}
		n := int(e.Count)
		if e.Series != nil && int(e.Series.Count) > n {
			n = int(e.Series.Count)
		}
		pe.count[img] += max(n, 1)
		t := e.LastTimestamp.Time
		if e.Series != nil && e.Series.LastObservedTime.After(t) {
			t = e.Series.LastObservedTime.Time
		}
		if t.IsZero() {
			t = e.EventTime.Time
		}
		if t.After(pe.last[img]) {
			pe.last[img] = t
		}
	}
	return pe, nil
}

// pulledImage reads the image of a `Failed to pull image "X": ...` message.
func pulledImage(msg string) (string, bool) {
	const prefix = `Failed to pull image "`
	rest, ok := strings.CutPrefix(msg, prefix)
	if !ok {
		return "", false
	}
	img, _, ok := strings.Cut(rest, `"`)
	return img, ok
}
