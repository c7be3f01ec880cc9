package check

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

func (c *checker) mayAccessSKB() bool {
	switch c.opts.ProgramType {
	case kernel.SocketFilter, kernel.SchedCLS, kernel.SchedACT:
		return true
	}
	return false
}

// access checks a load (write false) or store (write true, value v) of
// size bytes at regno+off and returns the loaded value.
func (c *checker) access(st *state, regno asm.Register, off int32, size int, write bool, v *reg) (reg, *verifier.Error) {
	p := st.cur().regs[regno]
	if write && v != nil && v.typ.isPointer() && p.typ != ptrStack {
		return reg{}, c.unsupported(st, "storing a pointer (%s) into %s memory is not modelled", v.typ, p.typ)
	}
	switch p.typ {
	case notInit:
		return reg{}, c.errf(st, regno, "R%d !read_ok", regno)
	case scalarValue, ptrMapValueOrNull, ptrMemOrNull, ptrSockCommonOrNull, ptrPacketEnd, constPtrMapOrNull:
		return reg{}, c.errf(st, regno, "R%d invalid mem access '%s'", regno, p.typ)
	case constPtrMap:
		if write {
			return reg{}, c.errf(st, regno, "only read from bpf_map is supported")
		}
		// Privileged programs may read struct bpf_map's fields (BTF).
		return reg{}, c.unsupported(st, "reads of struct bpf_map fields are not modelled")
	case ptrCtx:
		return c.ctxAccess(st, regno, &p, off, size, write)
	case ptrStack:
		if !p.v.isConst() {
			return c.stackVarAccess(st, regno, &p, off, size, write, v)
		}
		total := int64(p.off) + int64(off) + int64(p.v.t.value)
		if e := c.stackBounds(st, regno, total, size, write); e != nil {
			return reg{}, e
		}
		fr := st.frames[p.aux]
		if !write && !c.kv.has(featStackReadGrows) && total < -8*int64(len(fr.stack)) {
			// Before 6.8 reads stop at the deepest slot written so far.
			return reg{}, c.errf(st, regno, "invalid read from stack R%d off=%d size=%d", regno, total, size)
		}
		c.noteDepth(fr, total)
		if write {
			return reg{}, c.stackWrite(st, regno, fr, total, size, v)
		}
		return c.stackRead(st, regno, fr, total, size)
	case ptrMapValue:
		m := c.maps[p.aux]
		if e := c.mapValueAccess(st, regno, m, write); e != nil {
			return reg{}, e
		}
		if e := c.memBounds(st, regno, &p, off, size, int64(m.ValueSize), "map value"); e != nil {
			return reg{}, e
		}
		if e := c.lockBytes(st, regno, m, &p, off, size); e != nil {
			return reg{}, e
		}
		if e := c.timerBytes(st, regno, m, &p, off, size); e != nil {
			return reg{}, e
		}
		if b, ok := frozenContents(m); ok && !write && p.v.isConst() {
			// The kernel reads constants from frozen read-only maps.
			at := int64(p.off) + int64(off) + int64(p.v.t.value)
			var v uint64
			for k := size - 1; k >= 0; k-- {
				v = v<<8 | uint64(b[at+int64(k)])
			}
			if isBigEndian {
				v = 0
				for k := 0; k < size; k++ {
					v = v<<8 | uint64(b[at+int64(k)])
				}
			}
			return scalarReg(constScalar(v)), nil
		}
		if m.Flags&maps.FlagReadOnlyProg != 0 && !write && p.v.isConst() {
			st.markImprecise("a value is read from map " + m.Name + ", whose bytes the kernel reads as constants once it is frozen")
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	case ptrMapKey:
		// The key of a bpf_for_each_map_elem callback (callbacks.go).
		if write {
			return reg{}, c.errf(st, regno, "write to change key R%d not allowed", regno)
		}
		if e := c.memBounds(st, regno, &p, off, size, int64(c.maps[p.aux].KeySize), "map key"); e != nil {
			return reg{}, e
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	case ptrMem:
		if e := c.memBounds(st, regno, &p, off, size, int64(p.aux), "memory"); e != nil {
			return reg{}, e
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	case ptrPacket, ptrPacketMeta:
		if write && !c.writablePacket() {
			return reg{}, c.errf(st, regno, "cannot write into packet")
		}
		if e := c.packetBounds(st, regno, &p, off, size); e != nil {
			return reg{}, e
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	case ptrFlowKeys:
		return c.flowKeysAccess(st, regno, &p, off, size)
	}
	return reg{}, c.unsupported(st, "access through %s is not modelled", p.typ)
}

func (c *checker) stackBounds(st *state, regno asm.Register, total int64, size int, write bool) *verifier.Error {
	if total < -maxStack || total+int64(size) > 0 || total >= 0 {
		if write {
			return c.errf(st, regno, "invalid write to stack R%d off=%d size=%d", regno, total, size)
		}
		return c.errf(st, regno, "invalid read from stack R%d off=%d size=%d", regno, total, size)
	}
	if total%int64(size) != 0 {
		return c.errf(st, regno, "misaligned stack access off %d size %d", total, size)
	}
	return nil
}

func (c *checker) noteDepth(fr *frame, total int64) {
	if d := int(-total); d > c.depth[fr.subprog] {
		c.depth[fr.subprog] = d
	}
}

// stackByte locates byte fp+off (off < 0) of a frame: slot and index.
func stackByte(off int64) (int, int) {
	i := int((-off - 1) / 8)
	return i, int(off + 8*int64(i+1))
}

func (c *checker) stackWrite(st *state, regno asm.Register, fr *frame, total int64, size int, v *reg) *verifier.Error {
	if v.typ.isPointer() && size != 8 {
		return c.errf(st, regno, "invalid size of register spill")
	}
	if v.typ == ptrStack && fr != st.cur() {
		return c.errf(st, regno, "cannot spill pointers to stack into stack frame of the caller")
	}
	si, j0 := stackByte(total)
	s := fr.slot(si)
	if c.storeImm && !c.kv.has(featSTImmSpill) {
		// Before 6.3 (6.1.36) an immediate stored by BPF_ST is not
		// remembered: zero bytes or unknown bytes.
		j0 = -1
	}
	if j0 == 0 {
		// A register (or, for BPF_ST, the immediate) stored at the start
		// of a slot is a spill: the slot remembers the value.
		s.spill = *v
		s.spillSize = uint8(size)
		for j := 0; j < 8; j++ {
			switch {
			case j < size:
				s.types[j] = stackSpill
			case s.types[j] == stackSpill:
				s.types[j] = stackMisc
			}
		}
		return nil
	}
	if j0 < 0 {
		_, j0 = stackByte(total)
	}
	kind := stackMisc
	if v.typ == scalarValue && v.v.isConst() && v.v.t.value == 0 {
		kind = stackZero
	}
	if s.types[0] == stackSpill {
		scrub(s)
	}
	for b := 0; b < size; b++ {
		s.types[j0+b] = kind
	}
	return nil
}

// uninitRead reports the kernel's complaint about a read of size bytes
// from byte j0 of slot s at fp+total when the modelled kernel refuses
// uninitialised stack reads (before 6.3 and 6.1.100), or nil.
func (c *checker) uninitRead(st *state, s *slot, total int64, j0, size int) *verifier.Error {
	if c.kv.has(featUninitStackRead) {
		return nil
	}
	for b := 0; b < size; b++ {
		if s == nil || s.types[j0+b] == stackInvalid {
			return c.errf(st, noReg, "invalid read from stack off %d+%d size %d", total, b, size)
		}
	}
	return nil
}

// scrub turns a spilled register into misc bytes.
func scrub(s *slot) {
	for j := range s.types {
		if s.types[j] == stackSpill {
			s.types[j] = stackMisc
		}
	}
	s.spill, s.spillSize = reg{}, 0
}

func (c *checker) stackRead(st *state, regno asm.Register, fr *frame, total int64, size int) (reg, *verifier.Error) {
	si, j0 := stackByte(total)
	if si >= len(fr.stack) {
		if e := c.uninitRead(st, nil, total, j0, size); e != nil {
			return reg{}, e
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil // uninitialised: allowed for privileged loads
	}
	s := &fr.stack[si]
	if s.types[0] == stackSpill {
		if size == 8 && s.spillSize == 8 {
			return s.spill, nil
		}
		if s.spill.typ != scalarValue {
			return reg{}, c.errf(st, regno, "invalid size of register fill")
		}
		if e := c.uninitRead(st, s, total, j0, size); e != nil {
			return reg{}, e
		}
		return c.partialFill(st, s, j0, size)
	}
	if e := c.uninitRead(st, s, total, j0, size); e != nil {
		return reg{}, e
	}
	zero := true
	for b := 0; b < size; b++ {
		if s.types[j0+b] != stackZero {
			zero = false
		}
	}
	if zero {
		return scalarReg(constScalar(0)), nil
	}
	return scalarReg(unsignedScalar(sizeMax(size))), nil
}

// memBounds checks an access to a map value or a sized memory region.
func (c *checker) memBounds(st *state, regno asm.Register, p *reg, off int32, size int, limit int64, what string) *verifier.Error {
	fixed := int64(p.off) + int64(off)
	if p.v.smin < 0 {
		return c.errf(st, regno, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.", regno)
	}
	if p.v.umax >= maxVarOff {
		return c.errf(st, regno, "R%d unbounded memory access, make sure to bounds check any such access", regno)
	}
	lo := fixed + p.v.smin
	hi := fixed + int64(p.v.umax) + int64(size)
	if lo < 0 || hi > limit {
		return c.errf(st, regno, "invalid access to %s, value_size=%d off=%d size=%d", what, limit, fixed+int64(p.v.umax), size)
	}
	return nil
}

func (c *checker) packetBounds(st *state, regno asm.Register, p *reg, off int32, size int) *verifier.Error {
	if p.v.smin < 0 {
		return c.errf(st, regno, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.", regno)
	}
	total := int64(p.off) + int64(off)
	if total < 0 || total+int64(size) > int64(p.rng) || p.v.umax+uint64(total) > maxPacketOf {
		return c.errf(st, regno, "invalid access to packet, off=%d size=%d, R%d(id=%d,off=%d,r=%d)", total, size, regno, p.id, p.off, p.rng)
	}
	return nil
}

// ctxField is an allowed context access.
type ctxField struct {
	off, end int32 // field [off, end)
	typ      regType
	write    bool
	exact    bool // only full-width access
}

var xdpFields = []ctxField{
	{0, 4, ptrPacket, false, true},
	{4, 8, ptrPacketEnd, false, true},
	{8, 12, ptrPacketMeta, false, true},
	{12, 16, scalarValue, false, true},
	{16, 20, scalarValue, false, true},
}

// __sk_buff offsets.
const (
	skbMark        = 8
	skbQueueMap    = 12
	skbPriority    = 32
	skbTCIndex     = 44
	skbCB          = 48
	skbHash        = 68
	skbTCClassid   = 72
	skbData        = 76
	skbDataEnd     = 80
	skbFamily      = 88
	skbRemoteIP4   = 92
	skbLocalPort   = 136
	skbDataMeta    = 140
	skbFlowKeys    = 144
	skbTstamp      = 152
	skbWireLen     = 160
	skbSK          = 168
	skbGSOSize     = 176
	skbTstampType  = 180
	skbHwtstamp    = 184
	skbSize        = 192
	skbRemoteIP6   = 100
	skbLocalIP6End = 132
)

func (c *checker) ctxAccess(st *state, regno asm.Register, p *reg, off int32, size int, write bool) (reg, *verifier.Error) {
	if p.off != 0 {
		return reg{}, c.errf(st, regno, "dereference of modified ctx ptr R%d off=%d disallowed", regno, p.off)
	}
	if !p.v.isConst() || p.v.t.value != 0 {
		return reg{}, c.errf(st, regno, "variable ctx access var_off=(%#x; %#x) disallowed", p.v.t.value, p.v.t.mask)
	}
	if m, ok := c.ctxModelFor(); ok {
		return m.access(c, st, regno, off, size, write)
	}
	bad := func() (reg, *verifier.Error) {
		return reg{}, c.errf(st, regno, "invalid bpf_context access off=%d size=%d", off, size)
	}
	if off < 0 || off%int32(size) != 0 {
		return bad()
	}
	switch c.opts.ProgramType {
	case kernel.XDP:
		if write || size != 4 {
			return bad()
		}
		if off == 20 && c.opts.AttachType == kernel.AttachXDPDevMap {
			return scalarReg(unsignedScalar(0xffffffff)), nil
		}
		for _, f := range xdpFields {
			if f.off == off {
				if f.typ == scalarValue {
					return scalarReg(unsignedScalar(0xffffffff)), nil
				}
				return reg{typ: f.typ, v: constScalar(0)}, nil
			}
		}
		return bad()
	}
	// __sk_buff
	tc := c.opts.ProgramType != kernel.SocketFilter
	end := off + int32(size)
	if off >= skbSize {
		return bad()
	}
	in := func(a, b int32) bool { return off >= a && off < b }
	switch {
	case in(skbData, skbData+4), in(skbDataEnd, skbDataEnd+4), in(skbDataMeta, skbDataMeta+4):
		if !tc || size != 4 || write {
			return bad()
		}
		t := ptrPacket
		if off == skbDataEnd {
			t = ptrPacketEnd
		} else if off == skbDataMeta {
			t = ptrPacketMeta
		}
		return reg{typ: t, v: constScalar(0)}, nil
	case in(skbFamily, skbLocalPort+4):
		return bad()
	case in(skbTCClassid, skbTCClassid+4):
		if !tc {
			return bad()
		}
	case in(skbFlowKeys, skbFlowKeys+8):
		return bad()
	case in(skbSK, skbSK+8):
		// The socket of the packet, or NULL (since 5.1). Only the NULL
		// check and copies are modelled; reading the socket is not.
		if off != skbSK || size != 8 || write {
			return reg{}, c.unsupported(st, "access to part of __sk_buff.sk is not modelled")
		}
		return reg{typ: ptrSockCommonOrNull, v: constScalar(0), id: c.newID()}, nil
	case in(skbTstamp, skbTstamp+8):
		if !tc || size != 8 {
			return bad()
		}
		return scalarReg(unknownScalar()), nil
	case in(skbHwtstamp, skbSize):
		if !tc || size != 8 || write {
			return bad()
		}
		return scalarReg(unknownScalar()), nil
	case in(skbWireLen, skbWireLen+4):
		if !tc {
			return bad()
		}
	case in(skbTstampType, skbTstampType+1):
		// tc programs may read the timestamp type (one byte).
		if !tc || write || size != 1 {
			return bad()
		}
		return scalarReg(unsignedScalar(0xff)), nil
	case in(skbTstampType+1, skbHwtstamp):
		return bad()
	case in(skbCB, skbCB+20):
		// Any size, read or write, within cb[].
		if end > skbCB+20 {
			return bad()
		}
		if write {
			return reg{}, nil
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	}
	if write {
		ok := in(skbCB, skbCB+20)
		if tc {
			ok = ok || in(skbMark, skbMark+4) || in(skbTCIndex, skbTCIndex+4) || in(skbPriority, skbPriority+4) ||
				in(skbTCClassid, skbTCClassid+4) || in(skbQueueMap, skbQueueMap+4)
		}
		if !ok || size != 4 {
			return bad()
		}
		return reg{}, nil
	}
	if size > 4 {
		return bad()
	}
	if in(skbRemoteIP4, skbLocalIP6End) && size != 4 {
		return bad()
	}
	return scalarReg(unsignedScalar(sizeMax(size))), nil
}

// mapValueAccess checks what the kernel's check_map_access_type and the
// map's BTF allow before any access to a value of map m: programs may not
// write a map created with FlagReadOnlyProg nor read one with
// FlagWriteOnlyProg, and values holding special fields (bpf_spin_lock,
// bpf_timer, kptrs, ...) have rules the checker does not model.
func (c *checker) mapValueAccess(st *state, regno asm.Register, m *maps.Spec, write bool) *verifier.Error {
	if write && m.Flags&maps.FlagReadOnlyProg != 0 {
		return c.errf(st, regno, "write into map forbidden, value_size=%d", m.ValueSize)
	}
	if !write && m.Flags&maps.FlagWriteOnlyProg != 0 {
		return c.errf(st, regno, "read from map forbidden, value_size=%d", m.ValueSize)
	}
	_, lock := c.lockModelled(m)
	_, timer := c.timerModelled(m)
	if (c.opts.SpecialValues[m] || slices.Contains(c.specialInner, m)) && !lock && !timer {
		return c.unsupported(st, "map %s has special fields (spin lock, timer, kptr...) in its value: not modelled", m.Name)
	}
	return nil
}

// isBigEndian is the host's byte order (of the maps' contents).
var isBigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// frozenContents returns the value of a ".rodata*" map, which
// bpf.NewCollection freezes before loading programs when it is not
// pinned: the kernel then reads its bytes as constants (a frozen
// BPF_F_RDONLY_PROG array). Other maps: false.
func frozenContents(m *maps.Spec) ([]byte, bool) {
	if m.Type != kernel.MapArray || m.Flags&maps.FlagReadOnlyProg == 0 || !strings.HasPrefix(m.Name, ".rodata") ||
		m.Pinning != maps.PinNone || m.MaxEntries != 1 {
		return nil, false
	}
	switch len(m.Contents) {
	case 0:
		return make([]byte, m.ValueSize), true
	case 1:
		if b, ok := m.Contents[0].Value.([]byte); ok && len(b) == int(m.ValueSize) {
			return b, true
		}
	}
	return nil, false
}
