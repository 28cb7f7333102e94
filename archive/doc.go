// Package archive loads images from files into an image store: an OCI
// image layout directory (as skopeo, crane or pullwarden's own store write
// it), an OCI layout packed in a tar (an "oci-archive"), or a `docker save`
// tar. It is how an image gets onto a node without a registry, for pods
// with imagePullPolicy Never (pullwarden load).
//
// Read lists the images a file holds with their names (the
// org.opencontainers.image.ref.name annotation of an OCI layout, the
// RepoTags of a docker tar; a layout that records only a tag needs a name
// from the caller); an image index is resolved to the host's platform. Load writes an
// image's blobs (config, layers, manifest) under a store lease and records
// its name, so a containerd store labels and unpacks it as after a pull.
package archive
