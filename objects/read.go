package objects

import (
	"context"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pullwarden/pullwarden/manifest"
)

// Get returns one object. Absent: a NotFound error ("pods \"x\" not found").
func (s *Store) Get(ctx context.Context, k manifest.Kind, namespace, name string) (manifest.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !k.Namespaced {
		namespace = ""
	}
	var obj manifest.Object
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		obj, err = getTx(tx, k, namespace, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, apierrors.NewNotFound(k.GroupResource(), name)
	}
	return obj, nil
}

// List returns the objects of kind k in namespace ("" for all namespaces,
// ignored for cluster-scoped kinds), ordered by namespace and name, with the
// store's resourceVersion at the time of the read.
func (s *Store) List(ctx context.Context, k manifest.Kind, namespace string) ([]manifest.Object, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	var (
		items []manifest.Object
		rv    uint64
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		rv = currentRV(tx)
		var err error
		items, err = listTx(tx, k, namespace)
		return err
	})
	return items, strconv.FormatUint(rv, 10), err
}

func listTx(tx *bolt.Tx, k manifest.Kind, namespace string) ([]manifest.Object, error) {
	var items []manifest.Object
	c := tx.Bucket([]byte(k.Resource)).Cursor()
	var prefix []byte
	if k.Namespaced && namespace != "" {
		prefix = key(namespace, "")
	}
	for kk, v := c.Seek(prefix); kk != nil && hasPrefix(kk, prefix); kk, v = c.Next() {
		obj, err := decode(k, v)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", k.Resource, kk, err)
		}
		items = append(items, obj)
	}
	return items, nil
}

// GetAs is Get for a known Go type: objects.GetAs[*corev1.Pod](ctx, s, ns, name).
func GetAs[T manifest.Object](ctx context.Context, s *Store, namespace, name string) (T, error) {
	var zero T
	k, err := manifest.KindOf(zero)
	if err != nil {
		return zero, err
	}
	obj, err := s.Get(ctx, k, namespace, name)
	if err != nil {
		return zero, err
	}
	return obj.(T), nil
}

// ListAs is List for a known Go type.
func ListAs[T manifest.Object](ctx context.Context, s *Store, namespace string) ([]T, error) {
	var zero T
	k, err := manifest.KindOf(zero)
	if err != nil {
		return nil, err
	}
	items, _, err := s.List(ctx, k, namespace)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(items))
	for i, o := range items {
		out[i] = o.(T)
	}
	return out, nil
}
