// Package ocilayout is a store.Store kept in an OCI image layout directory
// that skopeo, crane and oras can read (oci:DIR:NAME).
//
// # Layout
//
//	DIR/oci-layout              {"imageLayoutVersion":"1.0.0"}
//	DIR/index.json              one manifests entry per image name
//	DIR/blobs/sha256/<hex>      committed, verified blobs
//	DIR/ingest/<hex>-<size>     a partial download of blob sha256:<hex>, also
//	                            its writer's lock (flock): one writer per blob
//	DIR/ingest/<hex>-<size>.hashstate  the sha256 state of it, saved on Close
//	DIR/locks/index.lock        flock: read-modify-write of index.json
//	DIR/locks/store.lock        flock: Lease (shared) against GC (exclusive)
//	DIR/leases/<id>             one file per live Lease, flock'ed shared
//
// Each image is an index.json entry whose descriptor is the image's target
// manifest, annotated with org.opencontainers.image.ref.name (the full
// normalised name, "docker.io/library/nginx:latest"),
// io.pullwarden.image.repo-digest (the digest the registry resolved the name
// to) and org.opencontainers.image.created (RFC 3339). Entries without a
// ref.name, written by other tools, are kept as they are and count as GC
// roots, but are not listed by Images.
//
// # Durability and concurrency
//
// Every file is replaced atomically: a temp file (".tmp-*") in the same
// directory is written, fsynced and renamed, and the directory is fsynced.
// Blobs are cheaper: an ingest's name carries the digest and size (no
// metadata file) and its data file is its lock (no lock file, no
// directory). Blob data is handed to the kernel's writeback every 1 MiB
// while it downloads and fsynced once before Commit renames it into
// blobs/ (after its size and digest were verified), so a name in blobs/
// never stands for unsynced content. The blobs/ directory itself is
// fsynced once per image, by PutImage before it writes index.json, not per
// blob: after a power loss a committed blob that no image names yet may be
// missing (it is fetched again), and every named image's blobs are there.
// Several processes may share one store: index.json is updated under an
// exclusive flock; each ingest is locked by its writer, and a second
// writer for the same blob polls (every WithPollInterval, default 20ms)
// until the first is done or its ctx ends. Readers need no lock. The
// kill -9 drill (TestProcessKillDrill) kills writers at random moments
// and checks that the store verifies clean after each.
//
// # Resume
//
// A Writer closed without Commit leaves its data in ingest/. The next Writer
// for the same digest, in this or another process, continues at Offset.
// Its data is re-hashed from the start when the writer opens it (as
// containerd does; one read of the partial data), so the running sha256
// always describes the bytes on disk. When Close saved the hash state
// (hashstate), the re-hashed state must equal it: if a byte of the data
// changed since, the ingest starts over from 0. Without a saved state (a
// crash) a changed byte is caught by Commit's digest check, which discards
// the data; an unverified byte never becomes a blob.
//
// # Read-only stores
//
// Open writes nothing when oci-layout and index.json exist. On a read-only
// file system (access(2) says EROFS, also for root), or WithReadOnly, the
// store reads as usual and every write fails with cause.StoreFailed naming
// the store directory.
//
// # Leases and GC
//
// GC deletes blobs that no index.json entry references, directly, through
// its manifest or index, or as an image's RepoDigest, and ingests whose data
// has not been written for longer than the ingest expiry (WithIngestExpiry,
// default 24h) and that no writer holds, and leftover temp files. A Lease
// protects every blob committed, or found present by Writer or Info, while
// it lives: GC keeps each blob whose modification time is not older than
// the start of the oldest live Lease of any process. A Lease of a process
// that died is noticed (its flock is gone) and removed by the next GC.
//
// # Damage
//
// An unreadable or corrupt index.json, a malformed oci-layout file, a file
// in blobs/sha256 whose name is not a digest, and a blob whose content does
// not match its name are reported as *cause.Error with cause.StoreFailed,
// naming the file. A corrupt index.json is never overwritten: the write
// fails instead. Verify re-hashes every blob and lists the problems found.
package ocilayout
