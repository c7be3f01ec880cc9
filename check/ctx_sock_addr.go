package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// struct bpf_sock_addr offsets.
const (
	sockAddrUserIP4   = 4
	sockAddrUserIP6   = 8
	sockAddrUserPort  = 24
	sockAddrMsgSrcIP4 = 40
	sockAddrMsgSrcIP6 = 44
	sockAddrSK        = 64
	sockAddrSize      = 72
)

// sockAddrFamily is the address family of each modelled cgroup_sock_addr
// attach type: 4 or 6, and whether it is a sendmsg hook (which sees
// msg_src_ip*).
var sockAddrFamily = map[kernel.AttachType]struct {
	family  int
	sendmsg bool
}{
	kernel.AttachCGroupInet4Bind:        {4, false},
	kernel.AttachCGroupInet4Connect:     {4, false},
	kernel.AttachCGroupInet4Getpeername: {4, false},
	kernel.AttachCGroupInet4Getsockname: {4, false},
	kernel.AttachCGroupUDP4Sendmsg:      {4, true},
	kernel.AttachCGroupUDP4Recvmsg:      {4, false},
	kernel.AttachCGroupInet6Bind:        {6, false},
	kernel.AttachCGroupInet6Connect:     {6, false},
	kernel.AttachCGroupInet6Getpeername: {6, false},
	kernel.AttachCGroupInet6Getsockname: {6, false},
	kernel.AttachCGroupUDP6Sendmsg:      {6, true},
	kernel.AttachCGroupUDP6Recvmsg:      {6, false},
}

func initSockAddrModel() { // run by ensureTables
	ctxModels[kernel.CGroupSockAddr] = ctxModel{
		unsupported: func(e *progEnv) string {
			if _, ok := sockAddrFamily[e.AttachType]; !ok {
				return "cgroup_sock_addr programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			if e.Flags != 0 {
				return "program flags " + e.Flags.String() + " are not modelled for this program type"
			}
			return ""
		},
		access: sockAddrAccess,
	}
	// recvmsg, getpeername and getsockname hooks must return 1, bind
	// hooks 0 to 3 (with the bind-without-CAP_NET_BIND_SERVICE bit),
	// the others 0 or 1.
	returnRanges[kernel.CGroupSockAddr] = func(e *progEnv) retRange {
		switch e.AttachType {
		case kernel.AttachCGroupUDP4Recvmsg, kernel.AttachCGroupUDP6Recvmsg,
			kernel.AttachCGroupInet4Getpeername, kernel.AttachCGroupInet6Getpeername,
			kernel.AttachCGroupInet4Getsockname, kernel.AttachCGroupInet6Getsockname:
			return retRange{1, 1, true}
		case kernel.AttachCGroupInet4Bind, kernel.AttachCGroupInet6Bind:
			return retRange{0, 3, true}
		}
		return retRange{0, 1, true}
	}
}

// sockAddrAccess is struct bpf_sock_addr (sock_addr_is_valid_access):
// the address fields of the hook's family, read narrowly or written as
// u32 (IPv6 addresses also as aligned u64), the other u32 fields read
// whole; the socket pointer is not modelled.
func sockAddrAccess(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
	bad := func() (reg, *verifier.Error) { return c.badCtx(st, regno, off, size) }
	if off < 0 || off >= sockAddrSize || off%int32(size) != 0 {
		return bad()
	}
	hook := sockAddrFamily[c.opts.AttachType]
	in := func(a, b int32) bool { return off >= a && off < b }
	wide := func(field, end int32) bool { return size == 8 && off >= field && off+8 <= end && off%8 == 0 }
	switch {
	case in(sockAddrUserIP4, sockAddrUserIP4+4):
		if hook.family != 4 {
			return bad()
		}
	case in(sockAddrUserIP6, sockAddrUserIP6+16):
		if hook.family != 6 {
			return bad()
		}
	case in(sockAddrMsgSrcIP4, sockAddrMsgSrcIP4+4):
		if hook.family != 4 || !hook.sendmsg {
			return bad()
		}
	case in(sockAddrMsgSrcIP6, sockAddrMsgSrcIP6+16):
		if hook.family != 6 || !hook.sendmsg {
			return bad()
		}
	}
	switch {
	case in(sockAddrUserIP4, sockAddrUserPort+4), in(sockAddrMsgSrcIP4, sockAddrMsgSrcIP6+16):
		if wide(sockAddrUserIP6, sockAddrUserIP6+16) || wide(sockAddrMsgSrcIP6, sockAddrMsgSrcIP6+16) {
			if write {
				return reg{}, nil
			}
			return scalarReg(unknownScalar()), nil
		}
		if write {
			if size != 4 {
				return bad()
			}
			return reg{}, nil
		}
		if size > 4 {
			return bad()
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	case in(sockAddrMsgSrcIP6+16, sockAddrSK), in(sockAddrSK+1, sockAddrSize):
		// The padding before the socket pointer and its upper half.
		return bad()
	case off == sockAddrSK:
		if write || size != 8 {
			return bad()
		}
		return reg{}, c.unsupported(st, "bpf_sock_addr.sk is not modelled")
	}
	if write || size != 4 {
		return bad()
	}
	return scalarReg(unsignedScalar(0xffffffff)), nil
}
