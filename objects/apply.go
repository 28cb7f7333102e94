package objects

import (
	"context"
	"errors"

	bolt "go.etcd.io/bbolt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pullwarden/pullwarden/manifest"
)

// Action is what Apply did to one object, in kubectl's words.
type Action string

// The actions.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
)

// ApplyResult is the outcome for one applied object.
type ApplyResult struct {
	Action Action
	Object manifest.Object // as stored
}

// ObjectError is a failure of the Index-th object of an Apply. Its message
// is the underlying error's; the API status is reachable with errors.As.
type ObjectError struct {
	Index int
	Err   error
}

func (e *ObjectError) Error() string { return e.Err.Error() }
func (e *ObjectError) Unwrap() error { return e.Err }

// Apply creates or updates every object, all or nothing: each object is
// validated first, then all are written in one transaction, and any failure
// rolls every write back. The objects are not modified.
func (s *Store) Apply(ctx context.Context, objs ...manifest.Object) ([]ApplyResult, error) {
	work := make([]manifest.Object, len(objs))
	for i, o := range objs {
		c := o.DeepCopyObject().(manifest.Object)
		probe := c.DeepCopyObject().(manifest.Object)
		if _, err := manifest.KindOf(probe); err != nil {
			return nil, &ObjectError{Index: i, Err: apierrors.NewBadRequest(err.Error())}
		}
		manifest.Default(probe)
		manifest.PrepareForCreate(probe)
		if p, ok := probe.(*corev1.Pod); ok {
			manifest.AdmitPod(p, nil)
		}
		if err := manifest.Validate(probe); err != nil {
			return nil, &ObjectError{Index: i, Err: err}
		}
		work[i] = c
	}
	var results []ApplyResult
	err := s.write(ctx, func(tx *bolt.Tx, events *[]Event) error {
		results = results[:0]
		for i, obj := range work {
			obj = obj.DeepCopyObject().(manifest.Object) // a retried closure starts afresh
			action, err := s.applyTx(tx, obj, events)
			if err != nil {
				return &ObjectError{Index: i, Err: err}
			}
			results = append(results, ApplyResult{Action: action, Object: obj})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (s *Store) applyTx(tx *bolt.Tx, obj manifest.Object, events *[]Event) (Action, error) {
	k, err := manifest.KindOf(obj)
	if err != nil {
		return "", err
	}
	manifest.Default(obj)
	old, err := getTx(tx, k, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return "", err
	}
	if old == nil || obj.GetName() == "" {
		return Created, s.createTx(tx, obj, events)
	}
	obj.SetUID(old.GetUID())
	obj.SetResourceVersion(old.GetResourceVersion())
	if p, ok := obj.(*corev1.Pod); ok {
		keepAdmitted(p, old.(*corev1.Pod))
	}
	changed, err := s.updateTx(tx, obj, false, events)
	if err != nil {
		return "", err
	}
	if !changed {
		return Unchanged, nil
	}
	return Configured, nil
}

// keepAdmitted keeps what admission or the agent set on the stored pod when
// the manifest leaves it empty, as kubectl apply's merge would.
func keepAdmitted(p, old *corev1.Pod) {
	if len(p.Spec.ImagePullSecrets) == 0 {
		p.Spec.ImagePullSecrets = old.Spec.ImagePullSecrets
	}
	if p.Spec.ServiceAccountName == "" && p.Spec.DeprecatedServiceAccount == "" {
		p.Spec.ServiceAccountName = old.Spec.ServiceAccountName
		p.Spec.DeprecatedServiceAccount = old.Spec.DeprecatedServiceAccount
	}
	if p.Spec.NodeName == "" {
		p.Spec.NodeName = old.Spec.NodeName
	}
	if p.Spec.Priority == nil && p.Spec.PriorityClassName == "" {
		p.Spec.Priority, p.Spec.PreemptionPolicy = old.Spec.Priority, old.Spec.PreemptionPolicy
	}
}

// IsObjectError reports the index of the failing object of an Apply.
func IsObjectError(err error) (int, bool) {
	var oe *ObjectError
	if errors.As(err, &oe) {
		return oe.Index, true
	}
	return 0, false
}
