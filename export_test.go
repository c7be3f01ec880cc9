package bpf

// SetMmapRefused makes NewCollection create global data maps without
// maps.FlagMmapable, as on kernels before 5.5, until restore is called:
// tests use it to exercise the variables' syscall path.
func SetMmapRefused(refused bool) (restore func()) {
	old := mmapRefused.Swap(refused)
	return func() { mmapRefused.Store(old) }
}
