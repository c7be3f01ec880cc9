// Package sys wraps the bpf(2) system call.
package sys

import (
	_ "github.com/josharian/native"
	_ "github.com/mdlayher/netlink"
	_ "golang.org/x/sys/unix"
)
