package objects

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pullwarden/pullwarden/manifest"
)

// ConflictMessage is the API server's text for a stale resourceVersion.
const ConflictMessage = "the object has been modified; please apply your changes to the latest version and try again"

var namespacesResource = schema.GroupResource{Resource: "namespaces"}

// write runs fn in one bbolt transaction and, once it is committed, sends the
// events fn recorded to the watchers.
func (s *Store) write(ctx context.Context, fn func(tx *bolt.Tx, events *[]Event) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var events []Event
	err := s.db.Update(func(tx *bolt.Tx) error {
		events = events[:0]
		return fn(tx, &events)
	})
	if err != nil {
		return err
	}
	s.broadcast(events)
	return nil
}

func record(events *[]Event, t watch.EventType, obj manifest.Object) {
	*events = append(*events, Event{Type: t, Object: obj.DeepCopyObject().(manifest.Object)})
}

// Create stores a new object. obj is filled in place: defaults, uid,
// creationTimestamp, resourceVersion, and for pods the admitted fields.
func (s *Store) Create(ctx context.Context, obj manifest.Object) error {
	return s.write(ctx, func(tx *bolt.Tx, events *[]Event) error {
		return s.createTx(tx, obj, events)
	})
}

func (s *Store) createTx(tx *bolt.Tx, obj manifest.Object, events *[]Event) error {
	k, err := manifest.KindOf(obj)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	manifest.Default(obj)
	manifest.PrepareForCreate(obj)
	if obj.GetName() == "" && obj.GetGenerateName() != "" {
		obj.SetName(obj.GetGenerateName() + randomSuffix())
	}
	if k.Namespaced {
		ns, err := getTx(tx, manifest.Namespace, "", obj.GetNamespace())
		if err != nil {
			return err
		}
		if ns == nil {
			return apierrors.NewNotFound(namespacesResource, obj.GetNamespace())
		}
	}
	if pod, ok := obj.(*corev1.Pod); ok {
		if err := s.admitPodTx(tx, pod); err != nil {
			return err
		}
	}
	if err := manifest.Validate(obj); err != nil {
		return err
	}
	if old, err := getTx(tx, k, obj.GetNamespace(), obj.GetName()); err != nil {
		return err
	} else if old != nil {
		return apierrors.NewAlreadyExists(k.GroupResource(), obj.GetName())
	}
	obj.SetUID(newUID())
	obj.SetCreationTimestamp(metav1.NewTime(s.now().Truncate(time.Second)))
	rv, err := nextRV(tx)
	if err != nil {
		return err
	}
	obj.SetResourceVersion(rv)
	if err := putTx(tx, k, obj); err != nil {
		return err
	}
	record(events, watch.Added, obj)
	if k.Name == manifest.Namespace.Name {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: manifest.DefaultServiceAccountName, Namespace: obj.GetName()}}
		return s.createTx(tx, sa, events)
	}
	return nil
}

// admitPodTx is the ServiceAccount admission: the pod's ServiceAccount must
// exist, except "default", whose absence means nothing to copy.
func (s *Store) admitPodTx(tx *bolt.Tx, pod *corev1.Pod) error {
	manifest.AdmitPod(pod, nil)
	if pod.Spec.NodeName == "" && s.node != "" {
		// The binding, as the API server's pods/binding writes it for the
		// scheduler: nodeName and a PodScheduled condition. A pod whose
		// manifest names its node gets neither (nor a Scheduled event).
		pod.Spec.NodeName = s.node
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{
			Type: corev1.PodScheduled, Status: corev1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(s.now().Truncate(time.Second)),
		})
	}
	name := pod.Spec.ServiceAccountName
	obj, err := getTx(tx, manifest.ServiceAccount, pod.Namespace, name)
	if err != nil {
		return err
	}
	if obj == nil {
		if name == manifest.DefaultServiceAccountName {
			return nil
		}
		return apierrors.NewForbidden(manifest.Pod.GroupResource(), pod.Name,
			fmt.Errorf("error looking up service account %s/%s: serviceaccount %q not found", pod.Namespace, name, name))
	}
	manifest.AdmitPod(pod, obj.(*corev1.ServiceAccount))
	return nil
}

// Update replaces an object's spec and metadata, keeping its status. An
// empty resourceVersion updates unconditionally; a stale one is a Conflict.
// obj is filled in place with the stored result.
func (s *Store) Update(ctx context.Context, obj manifest.Object) error {
	return s.write(ctx, func(tx *bolt.Tx, events *[]Event) error {
		_, err := s.updateTx(tx, obj, false, events)
		return err
	})
}

// UpdateStatus replaces an object's status, keeping everything else.
func (s *Store) UpdateStatus(ctx context.Context, obj manifest.Object) error {
	return s.write(ctx, func(tx *bolt.Tx, events *[]Event) error {
		_, err := s.updateTx(tx, obj, true, events)
		return err
	})
}

// updateTx reports whether anything changed.
func (s *Store) updateTx(tx *bolt.Tx, obj manifest.Object, status bool, events *[]Event) (bool, error) {
	k, err := manifest.KindOf(obj)
	if err != nil {
		return false, apierrors.NewBadRequest(err.Error())
	}
	manifest.Default(obj)
	old, err := getTx(tx, k, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return false, err
	}
	if old == nil {
		return false, apierrors.NewNotFound(k.GroupResource(), obj.GetName())
	}
	switch rv := obj.GetResourceVersion(); {
	case rv == "":
		obj.SetResourceVersion(old.GetResourceVersion())
	case rv != old.GetResourceVersion():
		return false, apierrors.NewConflict(k.GroupResource(), obj.GetName(), errors.New(ConflictMessage))
	}
	if obj.GetUID() == "" {
		obj.SetUID(old.GetUID())
	}
	obj.SetCreationTimestamp(old.GetCreationTimestamp())
	if status {
		manifest.PrepareForUpdateStatus(obj, old)
	} else {
		manifest.PrepareForUpdate(obj, old)
	}
	if err := manifest.ValidateUpdate(obj, old); err != nil {
		return false, err
	}
	if same(obj, old) {
		return false, nil
	}
	rv, err := nextRV(tx)
	if err != nil {
		return false, err
	}
	obj.SetResourceVersion(rv)
	if err := putTx(tx, k, obj); err != nil {
		return false, err
	}
	record(events, watch.Modified, obj)
	return true, nil
}

func same(a, b manifest.Object) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// Delete removes an object at once and returns it, with the resourceVersion
// of the deletion. Deleting a namespace deletes everything in it; the
// "default" namespace may not be deleted.
// DeleteOption changes the object a Delete removes, as the watchers see it
// in the DELETED event and the caller gets it back.
type DeleteOption func(obj manifest.Object, now time.Time)

// WithGracePeriod records a grace period the deleting client asked for
// (kubectl delete --grace-period), as the API server does: the object's
// deletionGracePeriodSeconds and deletionTimestamp. The node then stops its
// containers within that period instead of the pod's own.
func WithGracePeriod(seconds int64) DeleteOption {
	return func(obj manifest.Object, now time.Time) {
		obj.SetDeletionGracePeriodSeconds(&seconds)
		ts := metav1.NewTime(now.Add(time.Duration(seconds) * time.Second))
		obj.SetDeletionTimestamp(&ts)
	}
}

func (s *Store) Delete(ctx context.Context, k manifest.Kind, namespace, name string, opts ...DeleteOption) (manifest.Object, error) {
	if !k.Namespaced {
		namespace = ""
	}
	var deleted manifest.Object
	err := s.write(ctx, func(tx *bolt.Tx, events *[]Event) error {
		if k.Name == manifest.Namespace.Name && name == manifest.DefaultNamespace {
			return apierrors.NewForbidden(k.GroupResource(), name, errors.New("this namespace may not be deleted"))
		}
		obj, err := deleteTx(tx, k, namespace, name, events, func(obj manifest.Object) {
			for _, o := range opts {
				o(obj, s.now())
			}
		})
		if err != nil {
			return err
		}
		if obj == nil {
			return apierrors.NewNotFound(k.GroupResource(), name)
		}
		deleted = obj
		if k.Name != manifest.Namespace.Name {
			return nil
		}
		for _, nk := range manifest.Kinds {
			if !nk.Namespaced {
				continue
			}
			var names []string
			c := tx.Bucket([]byte(nk.Resource)).Cursor()
			prefix := key(name, "")
			for kk, _ := c.Seek(prefix); kk != nil && hasPrefix(kk, prefix); kk, _ = c.Next() {
				names = append(names, string(kk[len(prefix):]))
			}
			for _, n := range names {
				if _, err := deleteTx(tx, nk, name, n, events, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return deleted, err
}

func deleteTx(tx *bolt.Tx, k manifest.Kind, namespace, name string, events *[]Event, mutate func(manifest.Object)) (manifest.Object, error) {
	obj, err := getTx(tx, k, namespace, name)
	if err != nil || obj == nil {
		return nil, err
	}
	if err := tx.Bucket([]byte(k.Resource)).Delete(key(namespace, name)); err != nil {
		return nil, err
	}
	rv, err := nextRV(tx)
	if err != nil {
		return nil, err
	}
	obj.SetResourceVersion(rv)
	if mutate != nil {
		mutate(obj)
	}
	record(events, watch.Deleted, obj)
	return obj, nil
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

func newUID() types.UID {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	var b [5]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
