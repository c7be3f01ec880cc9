package asm

import "strconv"

//go:generate go run ./internal/genhelpers -header internal/genhelpers/testdata/bpf_func_id.h -out func_gen.go

// BuiltinFunc is the id of a kernel helper function (enum bpf_func_id),
// called with Call. The Fn constants cover every helper of the kernel UAPI
// the package was generated from.
type BuiltinFunc int32

// String returns the kernel name of the helper ("bpf_map_lookup_elem"), or
// "helper#N" for an id the package does not know.
func (fn BuiltinFunc) String() string {
	if name, ok := fn.name(); ok {
		return name
	}
	return "helper#" + strconv.Itoa(int(fn))
}

func (fn BuiltinFunc) name() (string, bool) {
	if fn >= 0 && fn < maxBuiltinFunc {
		return builtinFuncNames[fn], true
	}
	return "", false
}

// Known reports whether fn is a helper id of the UAPI the package knows.
func (fn BuiltinFunc) Known() bool {
	_, ok := fn.name()
	return ok
}
