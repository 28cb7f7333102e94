// Package cli holds pullwarden's cobra commands. Each command turns flags
// into options, calls the library and prints to the command's writers; no
// logic lives here that a library package could hold.
package cli
