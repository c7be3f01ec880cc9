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
	TCActReclassify TCAction = 1  // restart classification from the first filter
	TCActShot       TCAction = 2  // drop the packet
	TCActPipe       TCAction = 3  // go on with the next action
	TCActStolen     TCAction = 4  // consumed by the action: stop, without counting a drop
	TCActQueued     TCAction = 5  // queued by the action (as TCActStolen for callers)
	TCActRepeat     TCAction = 6  // run the same action again
	TCActRedirect   TCAction = 7  // redirect (bpf_redirect)
	TCActTrap       TCAction = 8  // hand the packet to the CPU (offloading drivers); drop otherwise
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
