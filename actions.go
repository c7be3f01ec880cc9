package bpf

import "strconv"

// XDPAction is the return value of an XDP program (enum xdp_action).
type XDPAction uint32

// XDP verdicts.
const (
	XDPAborted  XDPAction = 0 // error: drop and trace xdp:xdp_exception
	XDPDrop     XDPAction = 1 // drop the packet
	XDPPass     XDPAction = 2 // pass it to the network stack
	XDPTx       XDPAction = 3 // send it back out of the interface it came in on
	XDPRedirect XDPAction = 4 // redirect it (bpf_redirect, bpf_redirect_map)
)

var xdpActionNames = [...]string{"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"}

// String returns the UAPI name, such as "XDP_DROP".
func (a XDPAction) String() string {
	if int(a) < len(xdpActionNames) {
		return xdpActionNames[a]
	}
	return "XDPAction(" + strconv.FormatUint(uint64(a), 10) + ")"
}

// TCAction is the return value of a direct-action tc program (TC_ACT_*).
type TCAction int32

// tc verdicts.
const (
	TCActUnspec     TCAction = -1 // use the default action of the qdisc
	TCActOK         TCAction = 0  // pass the packet on
	TCActReclassify TCAction = 1
	TCActShot       TCAction = 2 // drop the packet
	TCActPipe       TCAction = 3
	TCActStolen     TCAction = 4
	TCActQueued     TCAction = 5
	TCActRepeat     TCAction = 6
	TCActRedirect   TCAction = 7 // redirect (bpf_redirect)
	TCActTrap       TCAction = 8
)

var tcActionNames = [...]string{"TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT", "TC_ACT_PIPE",
	"TC_ACT_STOLEN", "TC_ACT_QUEUED", "TC_ACT_REPEAT", "TC_ACT_REDIRECT", "TC_ACT_TRAP"}

// String returns the UAPI name, such as "TC_ACT_SHOT".
func (a TCAction) String() string {
	if a == TCActUnspec {
		return "TC_ACT_UNSPEC"
	}
	if a >= 0 && int(a) < len(tcActionNames) {
		return tcActionNames[a]
	}
	return "TCAction(" + strconv.FormatInt(int64(a), 10) + ")"
}
