// Package testagentapi serves a real object store over the node agent's
// API on a unix socket, without containerd: the commands' and client-go's
// side of the agent, for tests.
package testagentapi
