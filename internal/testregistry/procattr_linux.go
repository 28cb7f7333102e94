package testregistry

import "syscall"

// procAttr kills the registry if the test binary dies without cleanup.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
