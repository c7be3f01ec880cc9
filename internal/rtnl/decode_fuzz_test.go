package rtnl

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// FuzzDecode feeds arbitrary bytes to the decoders of what the kernel
// sends back: parseLink (an RTM_NEWLINK body, as Links and LinkByIndex
// read it) and ackError (an NLMSG_ERROR message, as the fast path of Ack
// reads it once its length is checked). Nothing may panic; a link that
// fails to parse is an error, an acknowledgement is nil or an *Error whose
// errno is reachable with errors.Is.
func FuzzDecode(f *testing.F) {
	// A link as the kernel describes one: name, MTU, state, qdisc, address,
	// XDP and link kind.
	l := AppendIfinfomsg(nil, unix.AF_UNSPEC, 7, unix.IFF_UP, 0)
	l = AppendString(l, unix.IFLA_IFNAME, "veth0")
	l = AppendU32(l, unix.IFLA_MTU, 1500)
	l = append(AppendAttrHeader(l, 5, unix.IFLA_OPERSTATE), OperUp, 0, 0, 0)
	l = AppendString(l, unix.IFLA_QDISC, "noqueue")
	l = append(AppendAttrHeader(l, 10, unix.IFLA_ADDRESS), 2, 0, 0, 0, 0, 1, 0, 0)
	l, start := BeginNested(l, iflaXDP)
	l = append(AppendAttrHeader(l, 5, iflaXDPAttached), 1, 0, 0, 0)
	l = AppendU32(l, iflaXDPProgID, 42)
	l = AppendU32(l, iflaXDPDrvProgID, 42)
	l = EndNested(l, start)
	l, start = BeginNested(l, unix.IFLA_LINKINFO)
	l = AppendString(l, unix.IFLA_INFO_KIND, "veth")
	l = EndNested(l, start)
	f.Add(l)

	// NLMSG_ERROR: an acknowledgement, a plain errno, and an errno with
	// the extended-ack text after a capped and an uncapped echo.
	hdr := func(flags uint16, n int) []byte {
		b := binary.NativeEndian.AppendUint32(nil, uint32(unix.NLMSG_HDRLEN+n))
		b = binary.NativeEndian.AppendUint16(b, unix.NLMSG_ERROR)
		b = binary.NativeEndian.AppendUint16(b, flags)
		return binary.NativeEndian.AppendUint64(b, 1) // seq, pid
	}
	errno := func(e int32) []byte { return binary.NativeEndian.AppendUint32(nil, uint32(e)) }
	echo := hdr(uint16(netlink.Request), 0)
	ext := AppendString(nil, nlmsgerrAttrMsg, "Exclusivity flag on, cannot modify")
	for _, m := range [][]byte{
		append(hdr(0, 4), errno(0)...),
		append(hdr(0, 4), errno(-int32(unix.EBUSY))...),
		append(append(append(hdr(nlmAckTLVs|nlmCapped, 4+len(echo)+len(ext)), errno(-int32(unix.EEXIST))...), echo...), ext...),
		append(append(append(hdr(nlmAckTLVs, 4+len(echo)+len(ext)), errno(-int32(unix.EINVAL))...), echo...), ext...),
	} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseLink(b); err != nil && err.Error() == "" {
			t.Fatal("parseLink: empty error text")
		}
		err := ackError("fuzz", b)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("ackError gave %T, not *Error", err)
		}
		if !errors.Is(err, e.Errno) || err.Error() == "" {
			t.Fatalf("errno %v not reachable from %v", e.Errno, err)
		}
	})
}
