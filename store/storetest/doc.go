// Package storetest is the conformance suite every store.Store
// implementation runs from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Factory{
//			New:    func(t *testing.T) store.Store { ... a fresh, empty store ... },
//			Reopen: func(t *testing.T, s store.Store) store.Store { ... a second handle on s ... },
//		})
//	}
//
// Reopen stands for another process opening the same store; when it is nil
// the cases that need it are skipped. Each case runs in parallel on its own
// store from New. The cases cover the contract in package store: verified
// commits, resume after Close (also through a second handle), Truncate,
// digest and size mismatches, ErrAlreadyExists, two writers racing for one
// blob, the image table, GC reachability (index -> manifest -> config and
// layers, RepoDigest), leases against GC, and concurrent PutImage.
//
// The helpers WriteBlob, WriteImage and RandomBytes are exported for other
// packages' tests that need content in a store.
package storetest
