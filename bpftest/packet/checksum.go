package packet

import "encoding/binary"

// InternetChecksum returns the RFC 1071 Internet checksum of b: the one's
// complement of the one's complement sum of b read as big-endian 16-bit
// words, an odd trailing byte padded with a zero byte. Verifying data that
// contains its own correct checksum yields 0.
func InternetChecksum(b []byte) uint16 {
	return ^fold(sum(b, 0))
}

// sum adds b, read as big-endian 16-bit words, to the partial one's
// complement sum acc. It reads 32-bit words at a time: a 32-bit word hi:lo is
// congruent to hi+lo modulo 0xffff, so folding the result later gives the same
// 16-bit sum.
func sum(b []byte, acc uint64) uint64 {
	for len(b) >= 16 {
		acc += uint64(binary.BigEndian.Uint32(b)) +
			uint64(binary.BigEndian.Uint32(b[4:])) +
			uint64(binary.BigEndian.Uint32(b[8:])) +
			uint64(binary.BigEndian.Uint32(b[12:]))
		b = b[16:]
	}
	for len(b) >= 4 {
		acc += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// fold reduces a partial sum to 16 bits with end-around carry.
func fold(acc uint64) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}

// pseudoSum returns the partial sum of the TCP/UDP/ICMPv6 pseudo-header for
// the IP header at ip (IPv4 or IPv6, chosen by its version nibble): source
// and destination address, upper-layer length and protocol. ok is false when
// ip is too short or not an IP header.
func pseudoSum(ip []byte, proto IPProtocol, length int) (acc uint64, ok bool) {
	if len(ip) < 1 {
		return 0, false
	}
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < IPv4HeaderLen {
			return 0, false
		}
		acc = sum(ip[12:20], 0)
	case 6:
		if len(ip) < IPv6HeaderLen {
			return 0, false
		}
		acc = sum(ip[8:40], 0)
	default:
		return 0, false
	}
	// The IPv6 pseudo-header has a 32-bit length; IPv4's is 16 bits, but both
	// contribute the same value to the sum for lengths that fit the header.
	acc += uint64(proto) + uint64(length>>16) + uint64(length&0xffff)
	return acc, true
}
