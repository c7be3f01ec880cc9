// Package bpfgencheck holds the slow check of cmd/bpfgen's output: it
// generates the bindings of every committed object into a scratch module
// and builds, vets and tests them there (nested go builds of the whole
// module: a host-only tool test, which the kernel matrix does not run in
// its guests; examples/embed loads generated bindings on every kernel).
package bpfgencheck
