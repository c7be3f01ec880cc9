package check

import (
	"math"
	"math/bits"
)

// scalar is what the checker knows about a 64-bit value: known bits and
// signed and unsigned ranges. Every operation is at most as precise as the
// kernel's, so that the checker never proves more than the kernel does.
type scalar struct {
	t          tnum
	smin, smax int64
	umin, umax uint64
}

func unknownScalar() scalar {
	return scalar{t: tnumUnknown, smin: math.MinInt64, smax: math.MaxInt64, umin: 0, umax: math.MaxUint64}
}

func constScalar(v uint64) scalar {
	return scalar{t: tnumConst(v), smin: int64(v), smax: int64(v), umin: v, umax: v}
}

// unsignedScalar is any value of [0, max].
func unsignedScalar(max uint64) scalar {
	s := unknownScalar()
	s.umax = max
	s.sync()
	return s
}

func (s scalar) isConst() bool { return s.t.isConst() }

// sync derives each bound from the others. It returns false when the facts
// contradict each other (the value cannot exist: a dead branch).
func (s *scalar) sync() bool {
	// Bounds from known bits.
	s.umin = max(s.umin, s.t.umin())
	s.umax = min(s.umax, s.t.umax())
	s.smin = max(s.smin, s.t.smin())
	s.smax = min(s.smax, s.t.smax())
	// Signed and unsigned views agree when the range does not cross the
	// sign boundary.
	if s.smin >= 0 || s.smax < 0 {
		s.umin = max(s.umin, uint64(s.smin))
		s.umax = min(s.umax, uint64(s.smax))
	}
	if int64(s.umin) >= 0 && int64(s.umax) >= 0 || int64(s.umin) < 0 && int64(s.umax) < 0 {
		if s.umin <= s.umax {
			s.smin = max(s.smin, int64(s.umin))
			s.smax = min(s.smax, int64(s.umax))
		}
	}
	if s.umin > s.umax || s.smin > s.smax {
		return false
	}
	// Known bits from the unsigned range.
	r := tnumRange(s.umin, s.umax)
	nt := s.t.intersect(r)
	if nt.value&nt.mask != 0 || (s.t.value^r.value)&^(s.t.mask|r.mask) != 0 {
		return false
	}
	s.t = nt
	s.umin = max(s.umin, s.t.umin())
	s.umax = min(s.umax, s.t.umax())
	if s.umin > s.umax {
		return false
	}
	if s.t.isConst() {
		v := s.t.value
		if v < s.umin || v > s.umax || int64(v) < s.smin || int64(v) > s.smax {
			return false
		}
		*s = constScalar(v)
	}
	return true
}

// fromUnsigned rebuilds the signed range from the unsigned one and the
// known bits.
func (s *scalar) fromUnsigned() {
	s.smin, s.smax = math.MinInt64, math.MaxInt64
	if s.umax <= math.MaxInt64 {
		s.smin, s.smax = int64(s.umin), int64(s.umax)
	}
	if !s.sync() {
		*s = unknownScalar()
	}
}

// fromTnum rebuilds both ranges from the known bits alone.
func fromTnum(t tnum) scalar {
	s := scalar{t: t, smin: math.MinInt64, smax: math.MaxInt64, umin: 0, umax: math.MaxUint64}
	if !s.sync() {
		return unknownScalar()
	}
	return s
}

// byteSwap is what the kernel knows of a BPF_END result since it tracks
// byte swaps (scalar_byte_swap): the known bits swapped when the
// instruction swaps on this host (always for ALU64, for to_be on a
// little-endian host, for to_le on a big-endian one), then cut to the
// width; the ranges are only those of the known bits.
func byteSwap(s scalar, alu64, toBE bool, width int64) scalar {
	t := s.t
	if alu64 || toBE != isBigEndian {
		switch width {
		case 16:
			t = tnum{uint64(bits.ReverseBytes16(uint16(t.value))), uint64(bits.ReverseBytes16(uint16(t.mask)))}
		case 32:
			t = tnum{uint64(bits.ReverseBytes32(uint32(t.value))), uint64(bits.ReverseBytes32(uint32(t.mask)))}
		case 64:
			t = tnum{bits.ReverseBytes64(t.value), bits.ReverseBytes64(t.mask)}
		}
		s = fromTnum(t)
	}
	switch width {
	case 16:
		return fromTnum(tnum{s.t.value & 0xffff, s.t.mask & 0xffff})
	case 32:
		return fromTnum(tnum{s.t.value & 0xffffffff, s.t.mask & 0xffffffff})
	}
	return s
}

// zext32 is the value's low 32 bits, zero-extended (what a 32-bit operation
// sees and leaves).
func (s scalar) zext32() scalar {
	if s.umax <= math.MaxUint32 {
		return s
	}
	return fromTnum(s.t.subreg())
}

func addScalar(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.add(b.t)
	if smin, ok := addOK(a.smin, b.smin); ok {
		if smax, ok := addOK(a.smax, b.smax); ok {
			r.smin, r.smax = smin, smax
		}
	}
	if a.umax+b.umax >= a.umax && a.umin+b.umin >= a.umin && a.umax <= math.MaxUint64-b.umax {
		r.umin, r.umax = a.umin+b.umin, a.umax+b.umax
	}
	if !r.sync() {
		return unknownScalar()
	}
	return r
}

func subScalar(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.sub(b.t)
	if smin, ok := subOK(a.smin, b.smax); ok {
		if smax, ok := subOK(a.smax, b.smin); ok {
			r.smin, r.smax = smin, smax
		}
	}
	if a.umin >= b.umax {
		r.umin, r.umax = a.umin-b.umax, a.umax-b.umin
	}
	if !r.sync() {
		return unknownScalar()
	}
	return r
}

func addOK(a, b int64) (int64, bool) {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		return 0, false
	}
	return c, true
}

func subOK(a, b int64) (int64, bool) {
	c := a - b
	if (b < 0 && c < a) || (b > 0 && c > a) {
		return 0, false
	}
	return c, true
}

func mulScalar(a, b scalar) scalar {
	if a.isConst() && b.isConst() {
		return constScalar(a.t.value * b.t.value)
	}
	if a.isConst() && a.t.value == 0 || b.isConst() && b.t.value == 0 {
		return constScalar(0)
	}
	if a.umax > math.MaxUint32 || b.umax > math.MaxUint32 {
		return unknownScalar()
	}
	r := unknownScalar()
	r.umin, r.umax = a.umin*b.umin, a.umax*b.umax
	r.t = tnumRange(r.umin, r.umax)
	r.fromUnsigned()
	return r
}

// mulScalarChecked is a 64-bit product as kernels since 6.14 bound it
// (scalar_min_max_mul): the unsigned and the signed ranges each from the
// products of their ends, unbounded where a product may overflow; the
// known bits follow from the ranges (the checker has no tnum_mul).
func mulScalarChecked(a, b scalar) scalar {
	if a.isConst() && b.isConst() {
		return constScalar(a.t.value * b.t.value)
	}
	if a.isConst() && a.t.value == 0 || b.isConst() && b.t.value == 0 {
		return constScalar(0)
	}
	r := unknownScalar()
	hiMax, umax := bits.Mul64(a.umax, b.umax)
	hiMin, umin := bits.Mul64(a.umin, b.umin)
	if hiMax == 0 && hiMin == 0 {
		r.umin, r.umax = umin, umax
	}
	var prods [4]int64
	ok := true
	for i, p := range [4][2]int64{{a.smin, b.smin}, {a.smin, b.smax}, {a.smax, b.smin}, {a.smax, b.smax}} {
		var fine bool
		prods[i], fine = mulOK(p[0], p[1])
		ok = ok && fine
	}
	if ok {
		r.smin, r.smax = min(prods[0], prods[1], prods[2], prods[3]), max(prods[0], prods[1], prods[2], prods[3])
	}
	if !r.sync() {
		return unknownScalar()
	}
	return r
}

// mulOK is a*b and whether it did not overflow.
func mulOK(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if (c < 0) != ((a < 0) != (b < 0)) || c/b != a {
		return 0, false
	}
	return c, true
}

func andScalar(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.and(b.t)
	r.umin = r.t.value
	r.umax = min(a.umax, b.umax, r.t.umax())
	r.fromUnsigned()
	return r
}

func orScalar(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.or(b.t)
	r.umin = max(a.umin, b.umin, r.t.value)
	r.umax = r.t.umax()
	r.fromUnsigned()
	return r
}

func xorScalar(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.xor(b.t)
	r.umin, r.umax = r.t.value, r.t.umax()
	r.fromUnsigned()
	return r
}

// lshScalar shifts left by the constant n (< 64).
func lshScalar(a scalar, n uint) scalar {
	r := unknownScalar()
	r.t = a.t.lsh(n)
	if n == 0 || a.umax <= uint64(1)<<(63-n) {
		r.umin, r.umax = a.umin<<n, a.umax<<n
	}
	r.fromUnsigned()
	return r
}

// rshScalar shifts right (logically) by the constant n (< 64).
func rshScalar(a scalar, n uint) scalar {
	r := unknownScalar()
	r.t = a.t.rsh(n)
	r.umin, r.umax = a.umin>>n, a.umax>>n
	r.fromUnsigned()
	return r
}

// arshScalar shifts right arithmetically (64-bit) by the constant n.
func arshScalar(a scalar, n uint) scalar {
	r := unknownScalar()
	r.t = tnum{uint64(int64(a.t.value) >> n), uint64(int64(a.t.mask) >> n)}
	r.smin, r.smax = a.smin>>n, a.smax>>n
	if !r.sync() {
		return unknownScalar()
	}
	return r
}

// within reports whether every value b may hold is a value a may hold.
func (a scalar) within(b scalar) bool {
	return a.t.in(b.t) && a.smin <= b.smin && b.smax <= a.smax && a.umin <= b.umin && b.umax <= a.umax
}
