package kernel

import "testing"

func TestStrings(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{XDP.String(), "xdp"},
		{SchedCLS.String(), "sched_cls"},
		{SocketFilter.String(), "socket_filter"},
		{Netfilter.String(), "netfilter"},
		{ProgramType(999).String(), "ProgramType(999)"},
		{AttachXDP.String(), "xdp"},
		{AttachTCXIngress.String(), "tcx_ingress"},
		{AttachTraceUprobeSession.String(), "trace_uprobe_session"},
		{MapPerCPUArray.String(), "percpu_array"},
		{MapLRUPerCPUHash.String(), "lru_percpu_hash"},
		{MapCGroupStorage.String(), "cgroup_storage"},
		{MapArena.String(), "arena"},
		{MapType(77).String(), "MapType(77)"},
		{LinkTCX.String(), "tcx"},
		{LinkXDP.String(), "xdp"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%q, want %q", tt.got, tt.want)
		}
	}
}

// TestValuesMatchKernel spot-checks numbers against the UAPI.
func TestValuesMatchKernel(t *testing.T) {
	for _, tc := range []struct {
		got, want uint32
	}{
		{uint32(XDP), 6}, {uint32(SchedCLS), 3}, {uint32(Netfilter), 32},
		{uint32(AttachXDP), 37}, {uint32(AttachTCXEgress), 47},
		{uint32(MapPerCPUArray), 6}, {uint32(MapRingBuf), 27}, {uint32(MapBloomFilter), 30},
		{uint32(LinkTCX), 11},
	} {
		if tc.got != tc.want {
			t.Errorf("value %d, want %d", tc.got, tc.want)
		}
	}
}
