package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullwarden/pullwarden/diagnose/kube"
	"github.com/pullwarden/pullwarden/podmeta"
	"github.com/pullwarden/pullwarden/workload"
)

// nudgePlan is what makes the kubelet pull a fixed pod's images at once.
type nudgePlan struct {
	// pins are the containers' new images (name:tag@digest), by type
	// (workload.Container, workload.InitContainer) and name.
	pins map[string]map[string]string
	// originals are the images as written, by container name.
	originals map[string]string
	// recreate: something waits that no in-place update can restart.
	recreate bool
}

// answerGrace is how long the kubelet has, after the node's successful
// answer, to start an IfNotPresent container before the controller pins
// it. The answer's pod update makes the kubelet sync at once (well under a
// second here); but a kubelet 1.35+ that pulled the same image content
// under another name, or with other credentials, verifies the pod's
// credentials by pulling (KubeletEnsureSecretPulledImages), and that pull
// is in the pod's image backoff: only a new image string (the pin) starts
// it at once.
const answerGrace = 2 * time.Second

// nudge acts on the node's answer to the pod's token, or on its absence
// after NodeTimeout (Reconcile waits until then): pin in place, else
// recreate an owned, opted-in pod. A pod still waiting answerGrace after
// the node's successful pull (the kubelet did not take the node's update
// as its nudge) is treated as if the node had failed. Every step is
// idempotent: a pinned container stays pinned, a deleted pod is gone.
func (r *reconciler) nudge(ctx context.Context, pod *corev1.Pod, st *podState, res *kube.PodResult) error {
	result, answered := pullResult(pod, st.token)
	if answered {
		// Timed on this controller's clock from when it saw the answer
		// (the node's clock may differ).
		if st.answeredAt.IsZero() {
			st.answeredAt = r.opts.Clock.Now()
		}
		escalateAt := st.answeredAt.Add(answerGrace)
		if wait := escalateAt.Sub(r.opts.Clock.Now()); wait > 0 {
			r.armEscalation(pod, st, wait)
		} else {
			answered = false // the node's pull did not start the pod
		}
	}
	plan := planNudge(pod, res, result, answered)
	if len(plan.pins) > 0 {
		return r.pin(ctx, pod, plan)
	}
	if plan.recreate {
		return r.recreate(ctx, pod)
	}
	return nil
}

// pullResult reads the node's answer to token.
func pullResult(pod *corev1.Pod, token string) (podmeta.PullResultValue, bool) {
	var v podmeta.PullResultValue
	raw := pod.Annotations[podmeta.PullResult]
	if raw == "" || token == "" || json.Unmarshal([]byte(raw), &v) != nil || v.Token != token {
		return podmeta.PullResultValue{}, false
	}
	return v, true
}

// planNudge decides per waiting image: Always containers are pinned to the
// verified digest (the node's, else the diagnosis'); IfNotPresent ones too
// when the node failed or did not answer (the node's pull is their nudge
// otherwise); image volumes (but IfNotPresent ones the node pulled) and
// images already pinned by digest can only be restarted by recreating the
// pod.
func planNudge(pod *corev1.Pod, res *kube.PodResult, result podmeta.PullResultValue, answered bool) nudgePlan {
	plan := nudgePlan{pins: map[string]map[string]string{}, originals: map[string]string{}}
	var recorded map[string]string
	_ = json.Unmarshal([]byte(pod.Annotations[podmeta.OriginalImages]), &recorded)
	nodeImage := map[string]podmeta.ImageResult{}
	for _, im := range result.Images {
		nodeImage[im.Container] = im
	}
	for _, c := range res.Containers {
		node, nodeOK := nodeImage[c.Name]
		nodeOK = answered && nodeOK && node.Reason == ""
		switch c.Type {
		case workload.ImageVolume:
			// The node's pull (and its pod update) is the nudge of an
			// IfNotPresent volume; nothing else restarts an Always one.
			if volumePolicy(pod, c.Name) != corev1.PullIfNotPresent || !nodeOK {
				plan.recreate = true
			}
			continue
		case workload.Container, workload.InitContainer:
		default:
			continue // ephemeral containers cannot be updated
		}
		spec := containerSpec(pod, c.Type, c.Name)
		if spec == nil {
			continue
		}
		if orig, ok := recorded[c.Name]; ok && orig != spec.Image {
			continue // pinned already
		}
		if spec.ImagePullPolicy != corev1.PullAlways && (spec.ImagePullPolicy != corev1.PullIfNotPresent || nodeOK) {
			continue
		}
		digest := node.Digest
		if digest == "" {
			digest = c.Result.Digest
		}
		pinned, ok := pinImage(spec.Image, digest)
		if !ok {
			plan.recreate = true
			continue
		}
		if plan.pins[c.Type] == nil {
			plan.pins[c.Type] = map[string]string{}
		}
		plan.pins[c.Type][c.Name] = pinned
		plan.originals[c.Name] = spec.Image
	}
	return plan
}

// volumePolicy is the pull policy of image volume name, as the API
// server defaults it (Always for :latest or no tag, else IfNotPresent).
func volumePolicy(pod *corev1.Pod, name string) corev1.PullPolicy {
	for _, v := range pod.Spec.Volumes {
		if v.Name == name && v.Image != nil {
			return v.Image.PullPolicy
		}
	}
	return ""
}

func containerSpec(pod *corev1.Pod, typ, name string) *corev1.Container {
	list := pod.Spec.Containers
	if typ == workload.InitContainer {
		list = pod.Spec.InitContainers
	}
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// pinImage adds @digest to an image written by tag: "name:tag@sha256:...".
// An image already naming a digest, or no digest, cannot be pinned.
func pinImage(image, digest string) (string, bool) {
	if digest == "" || strings.Contains(image, "@") || !strings.Contains(digest, ":") {
		return "", false
	}
	return image + "@" + digest, true
}

// pin updates the images in place, recording the images as written in
// OriginalImages in the same patch (entries already recorded are kept).
func (r *reconciler) pin(ctx context.Context, pod *corev1.Pod, plan nudgePlan) error {
	orig := map[string]string{}
	_ = json.Unmarshal([]byte(pod.Annotations[podmeta.OriginalImages]), &orig)
	for name, img := range plan.originals {
		if _, ok := orig[name]; !ok {
			orig[name] = img
		}
	}
	origJSON, err := json.Marshal(orig)
	if err != nil {
		return err
	}
	spec := map[string]any{}
	for typ, field := range map[string]string{workload.Container: "containers", workload.InitContainer: "initContainers"} {
		var list []map[string]string
		for name, img := range plan.pins[typ] {
			list = append(list, map[string]string{"name": name, "image": img})
		}
		if len(list) > 0 {
			spec[field] = list
		}
	}
	patch := map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{podmeta.OriginalImages: string(origJSON)}},
		"spec":     spec,
	}
	raw, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	if err := r.client.Patch(ctx, pod, client.RawPatch(types.StrategicMergePatchType, raw)); err != nil {
		return fmt.Errorf("pinning the images of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	r.opts.Logger.Info("pinned images to their verified digests", "pod", pod.Namespace+"/"+pod.Name,
		"images", fmt.Sprint(plan.pins))
	return nil
}

// recreate deletes a pod its controller will recreate, only when a
// controller owns it and the pod or its namespace opted in. Bare pods are
// never deleted.
func (r *reconciler) recreate(ctx context.Context, pod *corev1.Pod) error {
	log := r.opts.Logger.With("pod", pod.Namespace+"/"+pod.Name)
	if metav1.GetControllerOf(pod) == nil {
		log.Debug("no in-place nudge, and a bare pod is never recreated")
		return nil
	}
	opted := pod.Annotations[podmeta.RecreateOnFix] == "true"
	if !opted {
		ns, err := r.cs.CoreV1().Namespaces().Get(ctx, pod.Namespace, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading namespace %s for %s: %w", pod.Namespace, podmeta.RecreateOnFix, err)
		}
		opted = ns.Annotations[podmeta.RecreateOnFix] == "true"
	}
	if !opted {
		log.Debug("no in-place nudge; recreate-on-fix not set on the pod or its namespace")
		return nil
	}
	err := r.cs.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: ptr.To(pod.UID)}})
	if err != nil {
		return fmt.Errorf("recreating pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	log.Info("deleted the pod for its controller to recreate (recreate-on-fix)")
	return nil
}
