package sys

// ProgInfo is struct bpf_prog_info.
type ProgInfo struct {
	Type                 uint32   `c:"type"`
	ID                   uint32   `c:"id"`
	Tag                  [8]byte  `c:"tag"`
	JitedProgLen         uint32   `c:"jited_prog_len"`
	XlatedProgLen        uint32   `c:"xlated_prog_len"`
	JitedProgInsns       Pointer  `c:"jited_prog_insns"`
	XlatedProgInsns      Pointer  `c:"xlated_prog_insns"`
	LoadTime             uint64   `c:"load_time"`
	CreatedByUID         uint32   `c:"created_by_uid"`
	NrMapIDs             uint32   `c:"nr_map_ids"`
	MapIDs               Pointer  `c:"map_ids"`
	Name                 [16]byte `c:"name"`
	Ifindex              uint32   `c:"ifindex"`
	GPLCompatible        uint32   // bit 0: gpl_compatible (a C bitfield)
	NetnsDev             uint64   `c:"netns_dev"`
	NetnsIno             uint64   `c:"netns_ino"`
	NrJitedKsyms         uint32   `c:"nr_jited_ksyms"`
	NrJitedFuncLens      uint32   `c:"nr_jited_func_lens"`
	JitedKsyms           Pointer  `c:"jited_ksyms"`
	JitedFuncLens        Pointer  `c:"jited_func_lens"`
	BTFID                uint32   `c:"btf_id"`
	FuncInfoRecSize      uint32   `c:"func_info_rec_size"`
	FuncInfo             Pointer  `c:"func_info"`
	NrFuncInfo           uint32   `c:"nr_func_info"`
	NrLineInfo           uint32   `c:"nr_line_info"`
	LineInfo             Pointer  `c:"line_info"`
	JitedLineInfo        Pointer  `c:"jited_line_info"`
	NrJitedLineInfo      uint32   `c:"nr_jited_line_info"`
	LineInfoRecSize      uint32   `c:"line_info_rec_size"`
	JitedLineInfoRecSize uint32   `c:"jited_line_info_rec_size"`
	NrProgTags           uint32   `c:"nr_prog_tags"`
	ProgTags             Pointer  `c:"prog_tags"`
	RunTimeNs            uint64   `c:"run_time_ns"`
	RunCnt               uint64   `c:"run_cnt"`
	RecursionMisses      uint64   `c:"recursion_misses"`
	VerifiedInsns        uint32   `c:"verified_insns"`
	AttachBTFObjID       uint32   `c:"attach_btf_obj_id"`
	AttachBTFID          uint32   `c:"attach_btf_id"`
	_                    uint32
}

// MapInfo is struct bpf_map_info.
type MapInfo struct {
	Type                  uint32   `c:"type"`
	ID                    uint32   `c:"id"`
	KeySize               uint32   `c:"key_size"`
	ValueSize             uint32   `c:"value_size"`
	MaxEntries            uint32   `c:"max_entries"`
	MapFlags              uint32   `c:"map_flags"`
	Name                  [16]byte `c:"name"`
	Ifindex               uint32   `c:"ifindex"`
	BTFVmlinuxValueTypeID uint32   `c:"btf_vmlinux_value_type_id"`
	NetnsDev              uint64   `c:"netns_dev"`
	NetnsIno              uint64   `c:"netns_ino"`
	BTFID                 uint32   `c:"btf_id"`
	BTFKeyTypeID          uint32   `c:"btf_key_type_id"`
	BTFValueTypeID        uint32   `c:"btf_value_type_id"`
	BTFVmlinuxID          uint32   `c:"btf_vmlinux_id,since=6.7"`
	MapExtra              uint64   `c:"map_extra"`
}

// LinkInfo is struct bpf_link_info with its per-type union kept as raw
// words; accessors read the members purebpf uses.
type LinkInfo struct {
	Type   uint32 `c:"type"`
	ID     uint32 `c:"id"`
	ProgID uint32 `c:"prog_id"`
	_      uint32
	Union  [6]uint64 // the per-type union
}

// XDPIfindex is xdp.ifindex of an XDP link.
func (li *LinkInfo) XDPIfindex() uint32 { return uint32(li.Union[0]) }

// TCXIfindex is tcx.ifindex of a tcx link; TCXAttachType its attach type.
func (li *LinkInfo) TCXIfindex() uint32 { return uint32(li.Union[0]) }

// TCXAttachType is tcx.attach_type of a tcx link.
func (li *LinkInfo) TCXAttachType() uint32 { return uint32(li.Union[0] >> 32) }
