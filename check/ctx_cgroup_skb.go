package check

import (
	"fmt"
	"math"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// retRange is the range a program type's return value must lie in, as
// the kernel's check_return_code enforces it, or ok false when the
// program type does not check it.
type retRange struct {
	lo, hi uint64
	ok     bool
}

// returnRanges gives the return value range of program types modelled
// outside mem.go, by program and attach type.
var returnRanges = map[kernel.ProgramType]func(e *progEnv) retRange{}

// checkReturn checks R0 at the exit of the main function against the
// program type's return value range, as the modelled kernel does: since
// 6.8 its signed bounds must lie in the range (retval_range_within; the
// 32-bit variant is for LSM programs, not modelled), before its known bits
// (tnum_in with the range's tnum_range). The checker's bounds and known
// bits are at most as precise as the kernel's, so an R0 it finds in range
// is in range for the kernel too.
func (c *checker) checkReturn(st *state) *verifier.Error {
	rr, ok := returnRanges[c.opts.ProgramType]
	if !ok {
		return nil
	}
	r := rr(&c.opts)
	if !r.ok {
		return nil
	}
	r0 := st.cur().regs[asm.R0]
	if r0.typ != scalarValue {
		return c.errf(st, asm.R0, "At program exit the register R0 is not a known value (%s)", r0.typ)
	}
	v := r0.v
	if c.kv.has(featRetvalRange) {
		if v.smin >= int64(r.lo) && v.smax <= int64(r.hi) {
			return nil
		}
		has := ""
		if v.smin > math.MinInt64 {
			has += fmt.Sprintf(" smin=%d", v.smin)
		}
		if v.smax < math.MaxInt64 {
			has += fmt.Sprintf(" smax=%d", v.smax)
		}
		if has == "" {
			has = " unknown scalar value"
		}
		return c.errf(st, asm.R0, "At program exit the register R0 has%s should have been in [%d, %d]", has, r.lo, r.hi)
	}
	// The range as the kernel's tnum_range builds it.
	span := uint64(0)
	for x := r.lo ^ r.hi; x != 0; x >>= 1 {
		span = span<<1 | 1
	}
	rt := tnum{value: r.lo &^ span, mask: span}
	if v.t.mask&^rt.mask == 0 && v.t.value&^rt.mask == rt.value {
		return nil
	}
	has := "unknown scalar value"
	if v.t != tnumUnknown {
		has = fmt.Sprintf("value (%#x; %#x)", v.t.value, v.t.mask)
	}
	return c.errf(st, asm.R0, "At program exit the register R0 has %s should have been in (%#x; %#x)", has, rt.value, rt.mask)
}

// writablePacket reports whether the program may write packet data
// (cgroup_skb, sock_ops, lwt_in, lwt_out and flow_dissector programs may
// only read it); types of mem.go may.
func (c *checker) writablePacket() bool {
	switch c.opts.ProgramType {
	case kernel.CGroupSKB, kernel.SockOps, kernel.LWTIn, kernel.LWTOut, kernel.FlowDissector:
		return false
	}
	return true
}

func initCGroupSKBModel() { // run by ensureTables
	ctxModels[kernel.CGroupSKB] = ctxModel{
		unsupported: func(e *progEnv) string {
			switch e.AttachType {
			case 0, kernel.AttachCGroupInetEgress:
			default:
				return "cgroup_skb programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			if e.Flags != 0 {
				return "program flags " + e.Flags.String() + " are not modelled for this program type"
			}
			return ""
		},
		access: cgroupSKBAccess,
	}
	// Ingress programs return 0 (drop) or 1 (pass); egress programs may
	// add congestion notification (2, 3).
	returnRanges[kernel.CGroupSKB] = func(e *progEnv) retRange {
		if e.AttachType == kernel.AttachCGroupInetEgress {
			return retRange{0, 3, true}
		}
		return retRange{0, 1, true}
	}
}

// skbRules are the differences between the __sk_buff of a program type
// and the generic rules (bpf_skb_is_valid_access) for a privileged load.
type skbRules struct {
	// deny are the fields the type may not access at all, as [off, end).
	deny [][2]int32
	// write are the fields it may write.
	write [][2]int32
	// packet: data and data_end are packet pointers.
	packet bool
}

func (r *skbRules) in(list [][2]int32, off int32) bool {
	for _, f := range list {
		if off >= f[0] && off < f[1] {
			return true
		}
	}
	return false
}

var (
	skbFieldTCClassid = [2]int32{skbTCClassid, skbTCClassid + 4}
	skbFieldDataMeta  = [2]int32{skbDataMeta, skbDataMeta + 4}
	skbFieldWireLen   = [2]int32{skbWireLen, skbWireLen + 4}
	skbFieldTstamp    = [2]int32{skbTstamp, skbTstamp + 8}
	skbFieldHwtstamp  = [2]int32{skbHwtstamp, skbSize}
	skbFieldMark      = [2]int32{skbMark, skbMark + 4}
	skbFieldPriority  = [2]int32{skbPriority, skbPriority + 4}
	skbFieldTCIndex   = [2]int32{skbTCIndex, skbTCIndex + 4}
	skbFieldCB        = [2]int32{skbCB, skbCB + 20}
	skbFieldSocket    = [2]int32{skbFamily, skbLocalPort + 4}
)

// cgroupSKBRules: cg_skb_is_valid_access.
var cgroupSKBRules = skbRules{
	deny:   [][2]int32{skbFieldTCClassid, skbFieldDataMeta, skbFieldWireLen},
	write:  [][2]int32{skbFieldMark, skbFieldPriority, skbFieldCB, skbFieldTstamp},
	packet: true,
}

func cgroupSKBAccess(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
	return c.skbAccess(&cgroupSKBRules, st, regno, off, size, write)
}

// skbAccess is the __sk_buff of a program type whose differences from
// the generic rules are r.
func (c *checker) skbAccess(r *skbRules, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
	bad := func() (reg, *verifier.Error) { return c.badCtx(st, regno, off, size) }
	if off < 0 || off >= skbSize || off%int32(size) != 0 {
		return bad()
	}
	in := func(a, b int32) bool { return off >= a && off < b }
	if r.in(r.deny, off) {
		return bad()
	}
	if write && !r.in(r.write, off) {
		return bad()
	}
	switch {
	case in(skbCB, skbCB+20):
		if off+int32(size) > skbCB+20 {
			return bad()
		}
		if write {
			return reg{}, nil
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	case in(skbData, skbData+4), in(skbDataEnd, skbDataEnd+4):
		if size != 4 {
			return bad()
		}
		if !r.packet {
			return reg{}, c.unsupported(st, "__sk_buff.data of this program type is not modelled")
		}
		t := ptrPacket
		if off == skbDataEnd {
			t = ptrPacketEnd
		}
		return reg{typ: t, v: constScalar(0)}, nil
	case in(skbDataMeta, skbDataMeta+4):
		return reg{}, c.unsupported(st, "__sk_buff.data_meta of this program type is not modelled")
	case in(skbRemoteIP4, skbLocalIP6End):
		if size != 4 {
			return bad()
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	case in(skbFlowKeys, skbFlowKeys+8):
		return bad()
	case in(skbHwtstamp, skbSize):
		if write || size != 8 {
			return bad()
		}
		return scalarReg(unknownScalar()), nil
	case in(skbTstamp, skbTstamp+8):
		if size != 8 {
			return bad()
		}
		if write {
			return reg{}, nil
		}
		return scalarReg(unknownScalar()), nil
	case in(skbSK, skbSK+8):
		if off == skbSK && (size != 8 || write) {
			return bad()
		}
		if off != skbSK {
			return reg{}, c.unsupported(st, "access to part of __sk_buff.sk is not modelled")
		}
		return reg{typ: ptrSockCommonOrNull, v: constScalar(0), id: c.newID()}, nil
	case in(skbTstampType, skbHwtstamp):
		return bad()
	}
	// Any other u32 field: narrow reads, full-width writes.
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
}
