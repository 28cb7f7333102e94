// Package store defines the local image store: content-addressed blobs,
// resumable writes of blobs being downloaded, and a table of image names.
//
// Two implementations follow the same contract, checked by the conformance
// suite in store/storetest: store/ocilayout, an OCI image layout directory
// that skopeo, crane and oras can read, and store/containerd, containerd's
// content store, where the CRI sees the images.
//
// The contract:
//   - A blob becomes visible only by Writer.Commit, which verifies its size
//     and digest. An unverified byte is never readable through Open.
//   - A Writer that is closed without Commit keeps its data; the next Writer
//     for the same digest resumes at Offset (also in another process).
//   - Images name a target manifest; PutImage replaces the record atomically.
//   - GC deletes blobs no image references. A pull holds a Lease so that GC
//     never deletes what it has written but not yet named.
//   - Errors: ErrNotFound and ErrAlreadyExists are matched with errors.Is;
//     damaged store files are *cause.Error with cause.StoreFailed naming the
//     file.
package store
