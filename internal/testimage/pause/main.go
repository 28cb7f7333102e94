// Command pause is the test pause image's only program: it sleeps until it
// receives SIGTERM or SIGINT and then exits 0. As PID 1 of a container it
// must handle those signals itself, since the kernel drops signals without a
// handler for PID 1.
//
// With the single argument --print-ready it writes "ready" to stdout once
// its handler is in place, so a test can signal it without a race.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	if len(os.Args) == 2 && os.Args[1] == "--print-ready" {
		fmt.Println("ready")
	}
	<-sig
}
