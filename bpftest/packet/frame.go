package packet

import "slices"

// Frame is a list of layers, outermost first, plus post-processing applied
// after all lengths and checksums were computed. A Frame can be built
// repeatedly: AppendTo into a reused buffer does not allocate.
type Frame struct {
	// Layers are serialized in order. Each layer announces the next
	// (EtherType, protocol number) and lengths and checksums cover the
	// layers after it, unless set explicitly.
	Layers []Layer
	// PadTo, if larger than the serialized length, appends zero bytes up
	// to this length (MinEthernetFrame for the Ethernet minimum). Padding
	// is not covered by any length or checksum.
	PadTo int
	// Truncate, if positive and smaller than the padded length, cuts the
	// frame to this many bytes after lengths and checksums were computed
	// for the whole frame: the headers claim more bytes than the frame
	// has, as in a frame truncated on the wire.
	Truncate int
}

// Build serializes layers, outermost first, into a new slice. It is
// shorthand for Frame{Layers: layers}.Bytes().
func Build(layers ...Layer) []byte {
	return Frame{Layers: layers}.Bytes()
}

// Bytes serializes f into a new slice of exactly f.Len() bytes.
func (f Frame) Bytes() []byte {
	return f.AppendTo(make([]byte, 0, f.Len()))
}

// dataLen returns the serialized length of the layers.
func (f Frame) dataLen() int {
	n := 0
	for _, l := range f.Layers {
		n += l.size()
	}
	return n
}

// Len returns the number of bytes AppendTo appends: the layers' length,
// raised to PadTo and cut to Truncate.
func (f Frame) Len() int {
	n := max(f.dataLen(), f.PadTo)
	if f.Truncate > 0 && f.Truncate < n {
		n = f.Truncate
	}
	return n
}

// AppendTo appends the serialized frame to buf and returns the extended
// slice. It does not allocate when buf has enough spare capacity.
func (f Frame) AppendTo(buf []byte) []byte {
	n := f.dataLen()
	total := max(n, f.PadTo)
	start := len(buf)
	buf = slices.Grow(buf, total)[:start+total]
	clear(buf[start:])
	b := buf[start : start+n]

	off := 0
	for i, l := range f.Layers {
		sz := l.size()
		var et EtherType
		var proto IPProtocol
		if i+1 < len(f.Layers) {
			et, proto = announce(f.Layers, i+1)
		}
		l.put(b[off:off+sz], et, proto, n-off-sz)
		off += sz
	}

	// Checksums innermost first: an outer checksum (ICMP around a quoted
	// datagram, tunnels) covers the inner ones.
	for i := len(f.Layers) - 1; i >= 0; i-- {
		l := f.Layers[i]
		off -= l.size()
		if c, ok := l.(checksummer); ok {
			c.fillChecksum(b[off:], ipBefore(f.Layers, b, i, off))
		}
	}

	if f.Truncate > 0 && f.Truncate < total {
		buf = buf[:start+f.Truncate]
	}
	return buf
}

// announce returns the EtherType and protocol number a header preceding
// layers[i] writes for it.
func announce(layers []Layer, i int) (EtherType, IPProtocol) {
	l := layers[i]
	et, proto := l.ids()
	if et == 0 && l.LayerType() == LayerVLAN {
		et = EtherTypeVLAN
		if i+1 < len(layers) && layers[i+1].LayerType() == LayerVLAN {
			et = EtherTypeQinQ
		}
	}
	return et, proto
}

// ipBefore returns the bytes of the IP header nearest before layers[i],
// which starts at off in b, or nil.
func ipBefore(layers []Layer, b []byte, i, off int) []byte {
	for j := i - 1; j >= 0; j-- {
		sz := layers[j].size()
		off -= sz
		switch layers[j].LayerType() {
		case LayerIPv4, LayerIPv6:
			return b[off : off+sz]
		}
	}
	return nil
}
