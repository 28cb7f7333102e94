//go:build !linux

package testregistry

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
