package sys

// The attribute structs mirror the members of union bpf_attr, field by
// field and offset by offset (layout_test.go checks them against the C
// headers). A tag c:"member" names the C member; ",since=X" marks members
// newer than the oldest header the tests compile against. Commands may pass
// a prefix of a struct: the kernel zero-fills what it does not receive and
// rejects non-zero bytes it does not know.

// MapCreateAttr is the BPF_MAP_CREATE attribute.
type MapCreateAttr struct {
	MapType               uint32   `c:"map_type"`
	KeySize               uint32   `c:"key_size"`
	ValueSize             uint32   `c:"value_size"`
	MaxEntries            uint32   `c:"max_entries"`
	MapFlags              uint32   `c:"map_flags"`
	InnerMapFD            uint32   `c:"inner_map_fd"`
	NumaNode              uint32   `c:"numa_node"`
	MapName               [16]byte `c:"map_name"`
	MapIfindex            uint32   `c:"map_ifindex"`
	BTFFD                 uint32   `c:"btf_fd"`
	BTFKeyTypeID          uint32   `c:"btf_key_type_id"`
	BTFValueTypeID        uint32   `c:"btf_value_type_id"`
	BTFVmlinuxValueTypeID uint32   `c:"btf_vmlinux_value_type_id"`
	MapExtra              uint64   `c:"map_extra"`
	ValueTypeBTFObjFD     int32    `c:"value_type_btf_obj_fd,since=6.9"`
	MapTokenFD            int32    `c:"map_token_fd,since=6.9"`
}

// MapElemAttr is the attribute of BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM,
// DELETE_ELEM, LOOKUP_AND_DELETE_ELEM, GET_NEXT_KEY and MAP_FREEZE.
// Value doubles as next_key for GET_NEXT_KEY.
type MapElemAttr struct {
	MapFD uint32  `c:"map_fd"`
	_     uint32  // alignment of key
	Key   Pointer `c:"key"`
	Value Pointer `c:"value"`
	Flags uint64  `c:"flags"`
}

// MapBatchAttr is the attribute of the BPF_MAP_*_BATCH commands (5.6+).
type MapBatchAttr struct {
	InBatch   Pointer `c:"batch.in_batch"`
	OutBatch  Pointer `c:"batch.out_batch"`
	Keys      Pointer `c:"batch.keys"`
	Values    Pointer `c:"batch.values"`
	Count     uint32  `c:"batch.count"`
	MapFD     uint32  `c:"batch.map_fd"`
	ElemFlags uint64  `c:"batch.elem_flags"`
	Flags     uint64  `c:"batch.flags"`
}

// ProgLoadAttr is the BPF_PROG_LOAD attribute.
type ProgLoadAttr struct {
	ProgType           uint32   `c:"prog_type"`
	InsnCnt            uint32   `c:"insn_cnt"`
	Insns              Pointer  `c:"insns"`
	License            Pointer  `c:"license"`
	LogLevel           uint32   `c:"log_level"`
	LogSize            uint32   `c:"log_size"`
	LogBuf             Pointer  `c:"log_buf"`
	KernVersion        uint32   `c:"kern_version"`
	ProgFlags          uint32   `c:"prog_flags"`
	ProgName           [16]byte `c:"prog_name"`
	ProgIfindex        uint32   `c:"prog_ifindex"`
	ExpectedAttachType uint32   `c:"expected_attach_type"`
	ProgBTFFD          uint32   `c:"prog_btf_fd"`
	FuncInfoRecSize    uint32   `c:"func_info_rec_size"`
	FuncInfo           Pointer  `c:"func_info"`
	FuncInfoCnt        uint32   `c:"func_info_cnt"`
	LineInfoRecSize    uint32   `c:"line_info_rec_size"`
	LineInfo           Pointer  `c:"line_info"`
	LineInfoCnt        uint32   `c:"line_info_cnt"`
	AttachBTFID        uint32   `c:"attach_btf_id"`
	AttachProgFD       uint32   `c:"attach_prog_fd"`
	CoreReloCnt        uint32   `c:"core_relo_cnt"`
	FDArray            Pointer  `c:"fd_array"`
	CoreRelos          Pointer  `c:"core_relos"`
	CoreReloRecSize    uint32   `c:"core_relo_rec_size"`
	LogTrueSize        uint32   `c:"log_true_size,since=6.4"`
	ProgTokenFD        int32    `c:"prog_token_fd,since=6.9"`
	FDArrayCnt         uint32   `c:"fd_array_cnt,since=6.14"`
}

// ObjPinAttr is the attribute of BPF_OBJ_PIN and BPF_OBJ_GET.
type ObjPinAttr struct {
	Pathname  Pointer `c:"pathname"`
	BPFFD     uint32  `c:"bpf_fd"`
	FileFlags uint32  `c:"file_flags"`
}

// ProgAttachAttr is the attribute of BPF_PROG_ATTACH and BPF_PROG_DETACH.
// RelativeFDOrID and ExpectedRevision exist since 6.6 (tcx).
type ProgAttachAttr struct {
	TargetFDOrIfindex uint32 `c:"target_fd"`
	AttachBPFFD       uint32 `c:"attach_bpf_fd"`
	AttachType        uint32 `c:"attach_type"`
	AttachFlags       uint32 `c:"attach_flags"`
	ReplaceBPFFD      uint32 `c:"replace_bpf_fd"`
	RelativeFDOrID    uint32 `c:"relative_fd,since=6.6"`
	ExpectedRevision  uint64 `c:"expected_revision,since=6.6"`
}

// ProgTestRunAttr is the BPF_PROG_TEST_RUN attribute.
type ProgTestRunAttr struct {
	ProgFD      uint32  `c:"test.prog_fd"`
	Retval      uint32  `c:"test.retval"`
	DataSizeIn  uint32  `c:"test.data_size_in"`
	DataSizeOut uint32  `c:"test.data_size_out"`
	DataIn      Pointer `c:"test.data_in"`
	DataOut     Pointer `c:"test.data_out"`
	Repeat      uint32  `c:"test.repeat"`
	Duration    uint32  `c:"test.duration"`
	CtxSizeIn   uint32  `c:"test.ctx_size_in"`
	CtxSizeOut  uint32  `c:"test.ctx_size_out"`
	CtxIn       Pointer `c:"test.ctx_in"`
	CtxOut      Pointer `c:"test.ctx_out"`
	Flags       uint32  `c:"test.flags"`
	CPU         uint32  `c:"test.cpu"`
	BatchSize   uint32  `c:"test.batch_size"`
	_           uint32
}

// GetIDAttr is the attribute of BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID.
type GetIDAttr struct {
	ID        uint32 `c:"start_id"`
	NextID    uint32 `c:"next_id"`
	OpenFlags uint32 `c:"open_flags"`
}

// InfoAttr is the BPF_OBJ_GET_INFO_BY_FD attribute.
type InfoAttr struct {
	BPFFD   uint32  `c:"info.bpf_fd"`
	InfoLen uint32  `c:"info.info_len"`
	Info    Pointer `c:"info.info"`
}

// ProgQueryAttr is the BPF_PROG_QUERY attribute. LinkIDs, LinkAttachFlags
// and Revision exist since 6.6 (tcx).
type ProgQueryAttr struct {
	TargetFDOrIfindex uint32  `c:"query.target_fd"`
	AttachType        uint32  `c:"query.attach_type"`
	QueryFlags        uint32  `c:"query.query_flags"`
	AttachFlags       uint32  `c:"query.attach_flags"`
	ProgIDs           Pointer `c:"query.prog_ids"`
	Count             uint32  `c:"query.prog_cnt"`
	_                 uint32
	ProgAttachFlags   Pointer `c:"query.prog_attach_flags"`
	LinkIDs           Pointer `c:"query.link_ids,since=6.6"`
	LinkAttachFlags   Pointer `c:"query.link_attach_flags,since=6.6"`
	Revision          uint64  `c:"query.revision,since=6.6"`
}

// BTFLoadAttr is the BPF_BTF_LOAD attribute.
type BTFLoadAttr struct {
	BTF         Pointer `c:"btf"`
	BTFLogBuf   Pointer `c:"btf_log_buf"`
	BTFSize     uint32  `c:"btf_size"`
	BTFLogSize  uint32  `c:"btf_log_size"`
	BTFLogLevel uint32  `c:"btf_log_level"`
	LogTrueSize uint32  `c:"btf_log_true_size,since=6.4"`
}

// LinkCreateAttr is the BPF_LINK_CREATE attribute (5.7+), with the target
// union laid out for tcx and netkit (RelativeFDOrID, ExpectedRevision,
// 6.6+); for XDP only the first four fields matter.
type LinkCreateAttr struct {
	ProgFD            uint32 `c:"link_create.prog_fd"`
	TargetFDOrIfindex uint32 `c:"link_create.target_fd"`
	AttachType        uint32 `c:"link_create.attach_type"`
	Flags             uint32 `c:"link_create.flags"`
	RelativeFDOrID    uint32 `c:"link_create.tcx.relative_fd,since=6.6"`
	_                 uint32
	ExpectedRevision  uint64 `c:"link_create.tcx.expected_revision,since=6.6"`
}

// LinkUpdateAttr is the BPF_LINK_UPDATE attribute.
type LinkUpdateAttr struct {
	LinkFD    uint32 `c:"link_update.link_fd"`
	NewProgFD uint32 `c:"link_update.new_prog_fd"`
	Flags     uint32 `c:"link_update.flags"`
	OldProgFD uint32 `c:"link_update.old_prog_fd"`
}

// LinkDetachAttr is the BPF_LINK_DETACH attribute (5.9+).
type LinkDetachAttr struct {
	LinkFD uint32 `c:"link_detach.link_fd"`
}
