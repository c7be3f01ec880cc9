package attach

import (
	"testing"

	"github.com/purebpf/bpf/internal/rtnl"
)

// FuzzParseFilter feeds arbitrary bytes, as long as a tcmsg (what
// TCFilters checks before decoding), to the decoder of the RTM_NEWTFILTER
// messages of a filter dump. Nothing may panic; a filter without a handle
// is never reported; an error is never reported alongside a filter.
func FuzzParseFilter(f *testing.F) {
	// What the kernel sends for "tc filter add ... bpf da obj ...": the
	// handle-less entry of the priority's classifier, then the filter.
	head := rtnl.AppendTcmsg(nil, 3, 0, 0xfffffff2, 1<<16|0x0300)
	head = rtnl.AppendString(head, tcaKind, "bpf")
	head = rtnl.AppendU32(head, tcaChain, 0)
	f.Add(head)
	b := rtnl.AppendTcmsg(nil, 3, 1, 0xfffffff2, 1<<16|0x0300)
	b = rtnl.AppendString(b, tcaKind, "bpf")
	b = rtnl.AppendU32(b, tcaChain, 0)
	b, start := rtnl.BeginNested(b, tcaOptions)
	b = rtnl.AppendU32(b, tcaBPFID, 42)
	b = rtnl.AppendString(b, tcaBPFName, "tc_prog")
	b = append(rtnl.AppendAttrHeader(b, 12, tcaBPFTag), 1, 2, 3, 4, 5, 6, 7, 8)
	b = rtnl.AppendU32(b, tcaBPFFlags, tcaBPFFlagActDirect)
	b = rtnl.EndNested(b, start)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < sizeofTcmsg {
			return
		}
		flt, ok, err := parseFilter(b)
		if err != nil && ok {
			t.Fatalf("filter %v reported with error %v", flt, err)
		}
		if ok {
			if flt.Handle == 0 {
				t.Fatalf("filter %v without a handle reported", flt)
			}
			_ = flt.String()
		}
	})
}
