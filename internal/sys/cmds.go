package sys

import (
	"errors"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// MapCreate creates a map and returns its descriptor.
func MapCreate(attr *MapCreateAttr) (*FD, error) {
	return bpfFD(MapCreateCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
}

// MapElem runs one of the element commands (lookup, update, delete,
// lookup-and-delete, get-next-key) on attr. It allocates only on errors
// other than ENOENT.
func MapElem(cmd Cmd, attr *MapElemAttr) error {
	_, err := BPF(cmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// MapLookupElem is BPF_MAP_LOOKUP_ELEM.
func MapLookupElem(attr *MapElemAttr) error { return MapElem(MapLookupElemCmd, attr) }

// MapUpdateElem is BPF_MAP_UPDATE_ELEM.
func MapUpdateElem(attr *MapElemAttr) error { return MapElem(MapUpdateElemCmd, attr) }

// MapDeleteElem is BPF_MAP_DELETE_ELEM.
func MapDeleteElem(attr *MapElemAttr) error { return MapElem(MapDeleteElemCmd, attr) }

// MapLookupAndDeleteElem is BPF_MAP_LOOKUP_AND_DELETE_ELEM (queue/stack
// pop since 4.20, hash maps since 5.14).
func MapLookupAndDeleteElem(attr *MapElemAttr) error {
	return MapElem(MapLookupAndDeleteElemCmd, attr)
}

// MapGetNextKey is BPF_MAP_GET_NEXT_KEY; attr.Value holds the next-key
// buffer. ENOENT means the last key was reached.
func MapGetNextKey(attr *MapElemAttr) error { return MapElem(MapGetNextKeyCmd, attr) }

// MapFreeze is BPF_MAP_FREEZE (5.2+): user space can no longer write the map.
func MapFreeze(mapFD *FD) error {
	attr := MapElemAttr{MapFD: mapFD.Uint()}
	_, err := BPF(MapFreezeCmd, unsafe.Pointer(&attr), 4)
	runtime.KeepAlive(mapFD)
	return err
}

// MapBatch runs one of the batch commands (5.6+). attr.Count is updated to
// the number of elements processed, also when the command fails part way
// (ENOENT from a lookup batch means the end of the map was reached).
func MapBatch(cmd Cmd, attr *MapBatchAttr) error {
	_, err := BPF(cmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// maxLoadRetries bounds the retries of BPF_PROG_LOAD on EAGAIN, which the
// verifier returns when a signal arrives while it works.
const maxLoadRetries = 64

// ProgLoad loads a program, retrying on EAGAIN.
func ProgLoad(attr *ProgLoadAttr) (*FD, error) {
	for i := 0; ; i++ {
		fd, err := bpfFD(ProgLoadCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
		if i < maxLoadRetries && errors.Is(err, unix.EAGAIN) {
			continue
		}
		return fd, err
	}
}

// ProgTestRun is BPF_PROG_TEST_RUN. It is a single system call: no signal
// masking, no allocation. EINTR is returned to the caller, which decides
// whether to retry (the kernel restarts long runs itself when interrupted
// between repetitions, so EINTR is rare).
func ProgTestRun(attr *ProgTestRunAttr) error {
	_, err := BPF(ProgTestRunCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// ObjPin pins fd at path on a bpffs mount.
func ObjPin(fd *FD, path string) error {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return err
	}
	attr := ObjPinAttr{Pathname: NewPointer(unsafe.Pointer(p)), BPFFD: fd.Uint()}
	_, err = BPF(ObjPinCmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(fd)
	return err
}

// ObjGet opens the object pinned at path. flags are BPF_F_RDONLY or
// BPF_F_WRONLY, or 0.
func ObjGet(path string, flags uint32) (*FD, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return nil, err
	}
	attr := ObjPinAttr{Pathname: NewPointer(unsafe.Pointer(p)), FileFlags: flags}
	return bpfFD(ObjGetCmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
}

// GetNextID returns the next id after start for cmd (ProgGetNextIDCmd,
// MapGetNextIDCmd, LinkGetNextIDCmd, BTFGetNextIDCmd); ENOENT at the end.
func GetNextID(cmd Cmd, start uint32) (uint32, error) {
	attr := GetIDAttr{ID: start}
	_, err := BPF(cmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return attr.NextID, err
}

// GetFDByID opens the object with the given id for cmd (ProgGetFDByIDCmd,
// MapGetFDByIDCmd, LinkGetFDByIDCmd, BTFGetFDByIDCmd).
func GetFDByID(cmd Cmd, id uint32) (*FD, error) {
	attr := GetIDAttr{ID: id}
	return bpfFD(cmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
}

// ObjGetInfoByFD fills info (size bytes) for the object behind fd and
// returns the size the kernel wrote.
func ObjGetInfoByFD(fd *FD, info unsafe.Pointer, size uint32) (uint32, error) {
	attr := InfoAttr{BPFFD: fd.Uint(), InfoLen: size, Info: NewPointer(info)}
	_, err := BPF(ObjGetInfoByFDCmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(fd)
	return attr.InfoLen, err
}

// ProgInfoByFD fills info for a program.
func ProgInfoByFD(fd *FD, info *ProgInfo) error {
	_, err := ObjGetInfoByFD(fd, unsafe.Pointer(info), uint32(unsafe.Sizeof(*info)))
	return err
}

// MapInfoByFD fills info for a map.
func MapInfoByFD(fd *FD, info *MapInfo) error {
	_, err := ObjGetInfoByFD(fd, unsafe.Pointer(info), uint32(unsafe.Sizeof(*info)))
	return err
}

// LinkInfoByFD fills info for a link.
func LinkInfoByFD(fd *FD, info *LinkInfo) error {
	_, err := ObjGetInfoByFD(fd, unsafe.Pointer(info), uint32(unsafe.Sizeof(*info)))
	return err
}

// ProgQuery is BPF_PROG_QUERY.
func ProgQuery(attr *ProgQueryAttr) error {
	_, err := BPF(ProgQueryCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// ProgAttach is BPF_PROG_ATTACH.
func ProgAttach(attr *ProgAttachAttr) error {
	_, err := BPF(ProgAttachCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// ProgDetach is BPF_PROG_DETACH.
func ProgDetach(attr *ProgAttachAttr) error {
	_, err := BPF(ProgDetachCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// BTFLoad loads BTF and returns its descriptor.
func BTFLoad(attr *BTFLoadAttr) (*FD, error) {
	return bpfFD(BTFLoadCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
}

// LinkCreate is BPF_LINK_CREATE (5.7+).
func LinkCreate(attr *LinkCreateAttr) (*FD, error) {
	return bpfFD(LinkCreateCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
}

// LinkUpdate is BPF_LINK_UPDATE (5.7+).
func LinkUpdate(attr *LinkUpdateAttr) error {
	_, err := BPF(LinkUpdateCmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// LinkDetach is BPF_LINK_DETACH (5.9+).
func LinkDetach(link *FD) error {
	attr := LinkDetachAttr{LinkFD: link.Uint()}
	_, err := BPF(LinkDetachCmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(link)
	return err
}

// ObjName converts an object name to the kernel's 16-byte name field:
// the first 15 bytes, with every character the kernel refuses (anything
// but letters, digits, '_' and '.') replaced by '_'.
func ObjName(name string) (out [16]byte) {
	n := copy(out[:15], name)
	for i, c := range out[:n] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			out[i] = '_'
		}
	}
	return out
}

// IDs lists the ids the given command walks (ProgGetNextIDCmd,
// MapGetNextIDCmd, LinkGetNextIDCmd, BTFGetNextIDCmd), in increasing
// order, with one system call per object.
func IDs(cmd Cmd) ([]uint32, error) {
	var ids []uint32
	for id := uint32(0); ; {
		next, err := GetNextID(cmd, id)
		if errors.Is(err, unix.ENOENT) {
			return ids, nil
		}
		if err != nil {
			return ids, err
		}
		ids = append(ids, next)
		id = next
	}
}

// NameBytes converts an object name to the kernel's 16-byte field,
// truncating to 15 bytes plus NUL.
func NameBytes(name string) (out [16]byte) {
	copy(out[:15], name)
	return
}

// CString returns the NUL-terminated prefix of b as a string.
func CString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
