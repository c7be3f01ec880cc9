// Package bench measures purebpf side by side with the raw bpf(2) floor and
// with github.com/cilium/ebpf on the same work, in one run. It is a separate
// module so that the library itself never depends on cilium/ebpf.
//
// Run: cd bench && go test -run '^$' -bench . -benchmem -count 10 | tee new.txt; benchstat new.txt
package bench
