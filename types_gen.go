// Code generated from internal/kernel/types_gen.go; DO NOT EDIT.

package bpf

import "github.com/purebpf/bpf/internal/kernel"

// ProgramType is a BPF program type (enum bpf_prog_type), such as XDP or
// SchedCLS. String returns the kernel name, such as "xdp".
type ProgramType = kernel.ProgramType

// AttachType is a BPF attach type (enum bpf_attach_type). String returns
// the kernel name, such as "tcx_ingress".
type AttachType = kernel.AttachType

// Program types, in kernel order.
const (
	UnspecifiedProgram    = kernel.UnspecifiedProgram
	SocketFilter          = kernel.SocketFilter
	Kprobe                = kernel.Kprobe
	SchedCLS              = kernel.SchedCLS
	SchedACT              = kernel.SchedACT
	TracePoint            = kernel.TracePoint
	XDP                   = kernel.XDP
	PerfEvent             = kernel.PerfEvent
	CGroupSKB             = kernel.CGroupSKB
	CGroupSock            = kernel.CGroupSock
	LWTIn                 = kernel.LWTIn
	LWTOut                = kernel.LWTOut
	LWTXmit               = kernel.LWTXmit
	SockOps               = kernel.SockOps
	SkSKB                 = kernel.SkSKB
	CGroupDevice          = kernel.CGroupDevice
	SkMsg                 = kernel.SkMsg
	RawTracepoint         = kernel.RawTracepoint
	CGroupSockAddr        = kernel.CGroupSockAddr
	LWTSeg6Local          = kernel.LWTSeg6Local
	LircMode2             = kernel.LircMode2
	SkReuseport           = kernel.SkReuseport
	FlowDissector         = kernel.FlowDissector
	CGroupSysctl          = kernel.CGroupSysctl
	RawTracepointWritable = kernel.RawTracepointWritable
	CGroupSockopt         = kernel.CGroupSockopt
	Tracing               = kernel.Tracing
	StructOps             = kernel.StructOps
	Extension             = kernel.Extension
	LSM                   = kernel.LSM
	SkLookup              = kernel.SkLookup
	Syscall               = kernel.Syscall
	Netfilter             = kernel.Netfilter
)

// Attach types, in kernel order.
const (
	AttachCGroupInetIngress          = kernel.AttachCGroupInetIngress
	AttachCGroupInetEgress           = kernel.AttachCGroupInetEgress
	AttachCGroupInetSockCreate       = kernel.AttachCGroupInetSockCreate
	AttachCGroupSockOps              = kernel.AttachCGroupSockOps
	AttachSkSKBStreamParser          = kernel.AttachSkSKBStreamParser
	AttachSkSKBStreamVerdict         = kernel.AttachSkSKBStreamVerdict
	AttachCGroupDevice               = kernel.AttachCGroupDevice
	AttachSkMsgVerdict               = kernel.AttachSkMsgVerdict
	AttachCGroupInet4Bind            = kernel.AttachCGroupInet4Bind
	AttachCGroupInet6Bind            = kernel.AttachCGroupInet6Bind
	AttachCGroupInet4Connect         = kernel.AttachCGroupInet4Connect
	AttachCGroupInet6Connect         = kernel.AttachCGroupInet6Connect
	AttachCGroupInet4PostBind        = kernel.AttachCGroupInet4PostBind
	AttachCGroupInet6PostBind        = kernel.AttachCGroupInet6PostBind
	AttachCGroupUDP4Sendmsg          = kernel.AttachCGroupUDP4Sendmsg
	AttachCGroupUDP6Sendmsg          = kernel.AttachCGroupUDP6Sendmsg
	AttachLIRCMode2                  = kernel.AttachLIRCMode2
	AttachFlowDissector              = kernel.AttachFlowDissector
	AttachCGroupSysctl               = kernel.AttachCGroupSysctl
	AttachCGroupUDP4Recvmsg          = kernel.AttachCGroupUDP4Recvmsg
	AttachCGroupUDP6Recvmsg          = kernel.AttachCGroupUDP6Recvmsg
	AttachCGroupGetsockopt           = kernel.AttachCGroupGetsockopt
	AttachCGroupSetsockopt           = kernel.AttachCGroupSetsockopt
	AttachTraceRawTP                 = kernel.AttachTraceRawTP
	AttachTraceFentry                = kernel.AttachTraceFentry
	AttachTraceFexit                 = kernel.AttachTraceFexit
	AttachModifyReturn               = kernel.AttachModifyReturn
	AttachLSMMac                     = kernel.AttachLSMMac
	AttachTraceIter                  = kernel.AttachTraceIter
	AttachCGroupInet4Getpeername     = kernel.AttachCGroupInet4Getpeername
	AttachCGroupInet6Getpeername     = kernel.AttachCGroupInet6Getpeername
	AttachCGroupInet4Getsockname     = kernel.AttachCGroupInet4Getsockname
	AttachCGroupInet6Getsockname     = kernel.AttachCGroupInet6Getsockname
	AttachXDPDevMap                  = kernel.AttachXDPDevMap
	AttachCGroupInetSockRelease      = kernel.AttachCGroupInetSockRelease
	AttachXDPCPUMap                  = kernel.AttachXDPCPUMap
	AttachSkLookup                   = kernel.AttachSkLookup
	AttachXDP                        = kernel.AttachXDP
	AttachSkSKBVerdict               = kernel.AttachSkSKBVerdict
	AttachSkReuseportSelect          = kernel.AttachSkReuseportSelect
	AttachSkReuseportSelectOrMigrate = kernel.AttachSkReuseportSelectOrMigrate
	AttachPerfEvent                  = kernel.AttachPerfEvent
	AttachTraceKprobeMulti           = kernel.AttachTraceKprobeMulti
	AttachLSMCgroup                  = kernel.AttachLSMCgroup
	AttachStructOps                  = kernel.AttachStructOps
	AttachNetfilter                  = kernel.AttachNetfilter
	AttachTCXIngress                 = kernel.AttachTCXIngress
	AttachTCXEgress                  = kernel.AttachTCXEgress
	AttachTraceUprobeMulti           = kernel.AttachTraceUprobeMulti
	AttachCGroupUnixConnect          = kernel.AttachCGroupUnixConnect
	AttachCGroupUnixSendmsg          = kernel.AttachCGroupUnixSendmsg
	AttachCGroupUnixRecvmsg          = kernel.AttachCGroupUnixRecvmsg
	AttachCGroupUnixGetpeername      = kernel.AttachCGroupUnixGetpeername
	AttachCGroupUnixGetsockname      = kernel.AttachCGroupUnixGetsockname
	AttachNetkitPrimary              = kernel.AttachNetkitPrimary
	AttachNetkitPeer                 = kernel.AttachNetkitPeer
	AttachTraceKprobeSession         = kernel.AttachTraceKprobeSession
	AttachTraceUprobeSession         = kernel.AttachTraceUprobeSession
)
