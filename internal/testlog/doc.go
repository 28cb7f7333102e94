// Package testlog holds what tests use to read the logs of components
// running in goroutines: Buffer, a bytes.Buffer safe for concurrent
// writers and a reading test.
package testlog
