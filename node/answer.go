package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/policy"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reason"
	"github.com/pullwarden/pullwarden/workload"
)

// answer is what the node answered for a pod, kept for /images.
type answer struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	podmeta.PullResultValue
}

// waitingReasons are the kubelet's waiting reasons of a container whose
// image the node can pull (ErrImageNeverPull is policy Never: skipped).
var waitingReasons = map[string]bool{
	reason.ErrImagePull: true, reason.ImagePullBackOff: true, reason.InvalidImageName: true, "RegistryUnavailable": true,
}

// processNext answers one queued pod; false when the queue shut down.
func (n *Node) processNext(ctx context.Context) bool {
	key, quit := n.queue.Get()
	if quit {
		return false
	}
	defer n.queue.Done(key)
	if err := n.answerKey(ctx, key); err != nil {
		if ctx.Err() != nil {
			return true
		}
		n.cfg.Logger.Warn("answering a pull request", "pod", key, "error", err)
		n.queue.AddRateLimited(key)
		return true
	}
	n.queue.Forget(key)
	return true
}

func (n *Node) answerKey(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := n.podLister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	token := n.pending(pod)
	if token == "" {
		return nil
	}
	val, err := n.pullFor(ctx, pod, token)
	if err != nil {
		return err
	}
	if err := n.writeResult(ctx, pod, val); err != nil {
		return err
	}
	n.mu.Lock()
	n.answered[string(pod.UID)] = answer{Namespace: pod.Namespace, Pod: pod.Name, PullResultValue: val}
	n.mu.Unlock()
	n.gauges.request(val.OK())
	return nil
}

// WaitingImages are the images of pod's containers (init and ephemeral
// ones too) that wait on their image, in the kubelet's order; policy
// Never is skipped: the node must not pull what the kubelet may not.
func WaitingImages(pod *corev1.Pod) []workload.Image {
	waiting := map[string]bool{}
	add := func(typ string, sts []corev1.ContainerStatus) {
		for _, s := range sts {
			if w := s.State.Waiting; w != nil && waitingReasons[w.Reason] {
				waiting[typ+"/"+s.Name] = true
			}
		}
	}
	add(workload.InitContainer, pod.Status.InitContainerStatuses)
	add(workload.Container, pod.Status.ContainerStatuses)
	add(workload.EphemeralContainer, pod.Status.EphemeralContainerStatuses)
	var out []workload.Image
	for _, im := range workload.FromPodSpec(&pod.Spec) {
		if waiting[im.Type+"/"+im.Name] && im.Policy.Or(im.Image) != policy.Never {
			out = append(out, im)
		}
	}
	return out
}

// pullFor pulls pod's waiting images with its credentials and builds the
// answer; a failed pull also gets a Warning event on the pod.
func (n *Node) pullFor(ctx context.Context, pod *corev1.Pod, token string) (podmeta.PullResultValue, error) {
	val := podmeta.PullResultValue{Token: token, Node: n.cfg.NodeName, Images: []podmeta.ImageResult{}}
	images := WaitingImages(pod)
	var ring credential.Keyring
	if len(images) > 0 {
		var err error
		if ring, _, err = n.podKeyring(ctx, pod); err != nil {
			return val, err
		}
	}
	for _, im := range images {
		res, err := n.puller.Ensure(ctx, pull.EnsureRequest{Image: im.Image, Policy: im.Policy, Keyring: ring})
		if ctx.Err() != nil {
			return val, ctx.Err()
		}
		r := podmeta.ImageResult{Container: im.Name, Image: im.Image}
		if err == nil {
			n.waitVisible(ctx, im.Image)
			r.Digest = res.RepoDigest.String()
			n.cfg.Logger.Info("pulled for a pull request", "pod", pod.Namespace+"/"+pod.Name, "image", im.Image, "digest", r.Digest)
		} else {
			c, msg := failure(err)
			r.Reason, r.Message = c.Reason(), msg
			n.cfg.Logger.Warn("pull for a pull request failed", "pod", pod.Namespace+"/"+pod.Name, "image", im.Image, "reason", r.Reason, "message", msg)
			n.warn(ctx, pod, im, c, msg)
		}
		val.Images = append(val.Images, r)
	}
	val.Time = n.cfg.Clock.Now().UTC().Truncate(time.Second)
	return val, nil
}

// failure reads the cause and the message of an Ensure error.
func failure(err error) (*cause.Cause, string) {
	c := cause.Of(err)
	var ce *cause.Error
	if errors.As(err, &ce) {
		return c, ce.Message
	}
	return c, err.Error()
}

// EventMessage is the text of the Warning event of a failed pull (and of
// the controller's condition): "container C: image I: MESSAGE; fix: HINT".
func EventMessage(container, image, message string, c *cause.Cause) string {
	s := fmt.Sprintf("container %s: image %s: %s", container, image, message)
	if h := c.Hint(); h != "" {
		s += "; fix: " + h
	}
	return s
}

// warn records a Warning event on pod, signed pullwarden-node, reason the
// cause.
func (n *Node) warn(ctx context.Context, pod *corev1.Pod, im workload.Image, c *cause.Cause, msg string) {
	now := metav1.NewTime(n.cfg.Clock.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
			UID: pod.UID, ResourceVersion: pod.ResourceVersion, FieldPath: fieldPath(im)},
		Reason: c.Reason(), Message: EventMessage(im.Name, im.Image, msg, c), Type: corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: podmeta.NodeComponent, Host: n.cfg.NodeName},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: podmeta.NodeComponent, ReportingInstance: podmeta.NodeComponent + "-" + n.cfg.NodeName,
	}
	if _, err := n.cfg.Client.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		n.cfg.Logger.Warn("recording an event", "pod", pod.Namespace+"/"+pod.Name, "error", err)
	}
}

func fieldPath(im workload.Image) string {
	switch im.Type {
	case workload.InitContainer:
		return "spec.initContainers{" + im.Name + "}"
	case workload.Container:
		return "spec.containers{" + im.Name + "}"
	case workload.EphemeralContainer:
		return "spec.ephemeralContainers{" + im.Name + "}"
	}
	return ""
}

// writeResult patches the answer into the pod's pull-result annotation
// (the pod's UID as precondition): the update that makes the kubelet sync
// the pod at once.
func (n *Node) writeResult(ctx context.Context, pod *corev1.Pod, val podmeta.PullResultValue) error {
	b, err := json.Marshal(val)
	if err != nil {
		return err
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid": pod.UID, "annotations": map[string]string{podmeta.PullResult: string(b)}}})
	if err != nil {
		return err
	}
	_, err = n.cfg.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: podmeta.NodeComponent})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // deleted, or replaced by a pod of the same name
	}
	return err
}

// answeredToken is the token of the pod's pull-result, "" when none or
// unreadable.
func answeredToken(pod *corev1.Pod) string {
	s := pod.Annotations[podmeta.PullResult]
	if s == "" {
		return ""
	}
	var v podmeta.PullResultValue
	if json.Unmarshal([]byte(s), &v) != nil {
		return ""
	}
	return v.Token
}
