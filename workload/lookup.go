package workload

import (
	"context"

	corev1 "k8s.io/api/core/v1"
)

// SetLookup finds secrets and service accounts in set (namespace "" in
// the files matches any namespace).
func SetLookup(set *Set) Lookup { return setLookup{set} }

type setLookup struct{ set *Set }

func (l setLookup) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	for i := range l.set.Secrets {
		s := &l.set.Secrets[i]
		if s.Name == name && (s.Namespace == "" || s.Namespace == ns) {
			return s, nil
		}
	}
	return nil, nil
}

func (l setLookup) ServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	for i := range l.set.ServiceAccounts {
		sa := &l.set.ServiceAccounts[i]
		if sa.Name == name && (sa.Namespace == "" || sa.Namespace == ns) {
			return sa, nil
		}
	}
	return nil, nil
}

// Chain looks in each Lookup in turn; the first that has the object wins.
func Chain(ls ...Lookup) Lookup { return chain(ls) }

type chain []Lookup

func (c chain) Secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	for _, l := range c {
		if s, err := l.Secret(ctx, ns, name); s != nil || err != nil {
			return s, err
		}
	}
	return nil, nil
}

func (c chain) ServiceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	for _, l := range c {
		if s, err := l.ServiceAccount(ctx, ns, name); s != nil || err != nil {
			return s, err
		}
	}
	return nil, nil
}
