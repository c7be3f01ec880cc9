package sys

// XDPMD is struct xdp_md, the context of XDP programs, as test runs take
// and return it. Data, DataEnd and DataMeta are offsets in test runs.
type XDPMD struct {
	Data           uint32 `c:"data"`
	DataEnd        uint32 `c:"data_end"`
	DataMeta       uint32 `c:"data_meta"`
	IngressIfindex uint32 `c:"ingress_ifindex"`
	RxQueueIndex   uint32 `c:"rx_queue_index"`
	EgressIfindex  uint32 `c:"egress_ifindex"`
}

// SKBuff is struct __sk_buff, the context of tc and socket filter
// programs, as test runs take and return it. Pointer members are kept as
// raw 64-bit words.
type SKBuff struct {
	Len            uint32    `c:"len"`
	PktType        uint32    `c:"pkt_type"`
	Mark           uint32    `c:"mark"`
	QueueMapping   uint32    `c:"queue_mapping"`
	Protocol       uint32    `c:"protocol"`
	VlanPresent    uint32    `c:"vlan_present"`
	VlanTCI        uint32    `c:"vlan_tci"`
	VlanProto      uint32    `c:"vlan_proto"`
	Priority       uint32    `c:"priority"`
	IngressIfindex uint32    `c:"ingress_ifindex"`
	Ifindex        uint32    `c:"ifindex"`
	TCIndex        uint32    `c:"tc_index"`
	CB             [5]uint32 `c:"cb"`
	Hash           uint32    `c:"hash"`
	TCClassid      uint32    `c:"tc_classid"`
	Data           uint32    `c:"data"`
	DataEnd        uint32    `c:"data_end"`
	NapiID         uint32    `c:"napi_id"`
	Family         uint32    `c:"family"`
	RemoteIP4      uint32    `c:"remote_ip4"`
	LocalIP4       uint32    `c:"local_ip4"`
	RemoteIP6      [4]uint32 `c:"remote_ip6"`
	LocalIP6       [4]uint32 `c:"local_ip6"`
	RemotePort     uint32    `c:"remote_port"`
	LocalPort      uint32    `c:"local_port"`
	DataMeta       uint32    `c:"data_meta"`
	FlowKeys       uint64    `c:"flow_keys"`
	Tstamp         uint64    `c:"tstamp"`
	WireLen        uint32    `c:"wire_len"`
	GSOSegs        uint32    `c:"gso_segs"`
	Sk             uint64    `c:"sk"`
	GSOSize        uint32    `c:"gso_size"`
	TstampType     uint8     `c:"tstamp_type,since=5.18"`
	_              [3]byte
	HWTstamp       uint64 `c:"hwtstamp,since=5.16"`
}
