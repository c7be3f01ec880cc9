package sys

import (
	"bytes"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// FDInfo reads the numeric fields names (such as "memlock" or "frozen") of
// /proc/self/fdinfo/FD into values, in order; a missing field reads as 0.
// It uses three raw system calls (open, read, close): os.Open would also
// register the file with the runtime's poller.
func FDInfo(fd *FD, names []string, values []uint64) error {
	clear(values)
	var path [48]byte
	p := append(append(path[:0], "/proc/self/fdinfo/"...), strconv.Itoa(fd.Int())...)
	f, err := unix.Open(string(p), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	var buf [1024]byte
	n, err := unix.Read(f, buf[:])
	unix.Close(f)
	runtime.KeepAlive(fd)
	if err != nil {
		return err
	}
	for _, line := range bytes.Split(buf[:max(n, 0)], []byte{'\n'}) {
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		for i, name := range names {
			if string(k) == name {
				values[i], _ = strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			}
		}
	}
	return nil
}
