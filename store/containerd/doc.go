// Package containerd is a store.Store on containerd's content store and
// image service, where the CRI plugin (and so the kubelet or pullwarden's
// node agent) finds the images.
//
// Open(ctx, address) connects to a containerd socket; everything happens in
// the namespace "k8s.io" (WithNamespace), the CRI's.
//
// Blobs. Writer opens containerd's content writer with a stable ingest
// reference per digest ("pullwarden-sha256:..."), so an interrupted write,
// also by another process, resumes at Status().Offset. Data is gathered and
// sent in 1 MiB messages (WithWriteChunk; one gRPC round trip each, well
// under the daemon's 16 MiB limit): the registry client's 1 MiB pieces reach
// the daemon before Write returns, so a process killed mid-blob loses at
// most the piece in flight, not 4 MiB as before. Commit lets containerd verify size and digest: a mismatch
// (FailedPrecondition) aborts the ingest and is a *cause.Error with
// cause.DigestMismatch; AlreadyExists is success. A second Writer for a
// digest being written waits, as long as its ctx allows, for the first.
//
// Repair. RemoveDamagedBlob (store.BlobRemover, used by store.RepairImage)
// re-reads a blob and deletes it from the content store when its content
// does not match its digest, so that the next pull fetches it again.
//
// Images. PutImage labels the target manifest (or index) with
// containerd.io/gc.ref.content.config / .l.<i> / .m.<i> labels naming its
// children, so containerd's GC keeps all content an image record reaches
// once the import's lease ends; a RepoDigest that differs from the target
// (the index a tag resolved to) is kept through the record's label
// containerd.io/gc.ref.content.repo-digest. The record's name is the full
// normalised reference, its target the manifest, and RepoDigest is stored
// in the label io.pullwarden.repo-digest. The record is created, or updated
// in its target and pullwarden labels only (the CRI's own labels stay).
// Then a runnable image (complete, host platform, one diff ID per layer) is
// unpacked into the snapshotter (default overlayfs) so that the CRI does
// not unpack inside CreateContainer, against its request timeout;
// WithUnpack(false) turns that off and Unpack does it on demand. The CRI
// plugin notices new records by itself and adds its own "sha256:<config>"
// image-ID record: Images hides such records and DeleteImage removes them
// with the last name of their target.
//
// Leases and GC. containerd collects committed content that nothing
// references at any time (after deletions, after many mutations, shortly
// after start). So that blobs stay until GC as the store contract says,
// every write belongs to a lease: while Lease is held, to one shared lease
// (created by the first Lease, deleted by the last release, so its content
// goes at the next collection unless named); otherwise to the handle's
// default lease. GC replaces the default lease, deletes the old one with
// leases.SynchronousDelete, which runs containerd's collector before it
// answers, and reports what vanished from the namespace. Leases carry a
// 24-hour expiry, so a crashed process's leases do not hold content for
// ever; Close leaves the default lease to that expiry so another process
// can still resume the ingests written through the handle.
package containerd
