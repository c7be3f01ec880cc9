package check

import "math/bits"

// tnum is a tristate number: the bits set in mask are unknown, the others
// have the value of the same bits in value (value&mask is always 0).
type tnum struct{ value, mask uint64 }

var tnumUnknown = tnum{0, ^uint64(0)}

func tnumConst(v uint64) tnum { return tnum{v, 0} }

func (t tnum) isConst() bool { return t.mask == 0 }

// tnumRange is the smallest tnum holding every value of [min, max].
func tnumRange(min, max uint64) tnum {
	chi := min ^ max
	b := bits.Len64(chi)
	if b > 63 {
		return tnumUnknown
	}
	delta := uint64(1)<<b - 1
	return tnum{min &^ delta, delta}
}

func (a tnum) add(b tnum) tnum {
	sm := a.mask + b.mask
	sv := a.value + b.value
	sigma := sm + sv
	chi := sigma ^ sv
	mu := chi | a.mask | b.mask
	return tnum{sv &^ mu, mu}
}

func (a tnum) sub(b tnum) tnum {
	dv := a.value - b.value
	alpha := dv + a.mask
	beta := dv - b.mask
	chi := alpha ^ beta
	mu := chi | a.mask | b.mask
	return tnum{dv &^ mu, mu}
}

func (a tnum) and(b tnum) tnum {
	alpha := a.value | a.mask
	beta := b.value | b.mask
	v := a.value & b.value
	return tnum{v, alpha & beta &^ v}
}

func (a tnum) or(b tnum) tnum {
	v := a.value | b.value
	mu := a.mask | b.mask
	return tnum{v, mu &^ v}
}

func (a tnum) xor(b tnum) tnum {
	v := a.value ^ b.value
	mu := a.mask | b.mask
	return tnum{v &^ mu, mu}
}

func (a tnum) lsh(s uint) tnum { return tnum{a.value << s, a.mask << s} }
func (a tnum) rsh(s uint) tnum { return tnum{a.value >> s, a.mask >> s} }

// intersect combines two facts about the same value.
func (a tnum) intersect(b tnum) tnum {
	v := a.value | b.value
	mu := a.mask & b.mask
	return tnum{v &^ mu, mu}
}

// subreg keeps the low 32 bits (zero-extended).
func (a tnum) subreg() tnum { return tnum{a.value & 0xffffffff, a.mask & 0xffffffff} }

// in reports whether every value of b is a value of a.
func (a tnum) in(b tnum) bool {
	if b.mask&^a.mask != 0 {
		return false
	}
	return a.value == b.value&^a.mask
}

// umin and umax are the bounds the tnum implies.
func (a tnum) umin() uint64 { return a.value }
func (a tnum) umax() uint64 { return a.value | a.mask }

// smin and smax are the signed bounds the tnum implies.
func (a tnum) smin() int64 {
	if a.mask&(1<<63) != 0 {
		return int64(a.value | 1<<63)
	}
	return int64(a.value)
}

func (a tnum) smax() int64 {
	if a.mask&(1<<63) != 0 {
		return int64((a.value | a.mask) &^ (1 << 63))
	}
	return int64(a.value | a.mask)
}
