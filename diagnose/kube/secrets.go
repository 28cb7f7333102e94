package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullwarden/pullwarden/workload"
)

// PodSecrets are the docker-registry secrets the kubelet would use for a
// pod's pulls.
type PodSecrets struct {
	// Names are the secrets named, From where they were named ("the pod's
	// imagePullSecrets" or its service account's).
	Names []string
	From  string
	// ServiceAccount is the pod's service account; NoServiceAccount is
	// true when it was needed (no imagePullSecrets on the pod) and does
	// not exist.
	ServiceAccount   string
	NoServiceAccount bool
	// Secrets are those read; Missing those that do not exist (the kubelet
	// skips them).
	Secrets []corev1.Secret
	Missing []string
}

// ReadPodSecrets reads the secrets of pod's pulls: its imagePullSecrets,
// else its service account's (the admission plugin copies them at
// creation; a pod created before the account had them still finds them
// here, as the kubelet does not).
func ReadPodSecrets(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod) (PodSecrets, error) {
	ps := PodSecrets{ServiceAccount: workload.ServiceAccountName(&pod.Spec)}
	var sa *corev1.ServiceAccount
	if len(pod.Spec.ImagePullSecrets) == 0 {
		got, err := cs.CoreV1().ServiceAccounts(pod.Namespace).Get(ctx, ps.ServiceAccount, metav1.GetOptions{})
		switch {
		case err == nil:
			sa = got
		case apierrors.IsNotFound(err):
			ps.NoServiceAccount = true
		default:
			return ps, fmt.Errorf("reading service account %s/%s: %w", pod.Namespace, ps.ServiceAccount, err)
		}
	}
	ps.Names, ps.From = workload.PullSecrets(&pod.Spec, sa)
	var err error
	ps.Secrets, ps.Missing, err = ReadSecrets(ctx, cs, pod.Namespace, ps.Names)
	return ps, err
}

// ReadSecrets reads the named secrets of ns; those that do not exist are
// returned in missing, any other error ends the read.
func ReadSecrets(ctx context.Context, cs kubernetes.Interface, ns string, names []string) (secrets []corev1.Secret, missing []string, err error) {
	for _, n := range names {
		s, err := cs.CoreV1().Secrets(ns).Get(ctx, n, metav1.GetOptions{})
		switch {
		case err == nil:
			secrets = append(secrets, *s)
		case apierrors.IsNotFound(err):
			missing = append(missing, n)
		default:
			return nil, nil, fmt.Errorf("reading secret %s/%s: %w", ns, n, err)
		}
	}
	return secrets, missing, nil
}
