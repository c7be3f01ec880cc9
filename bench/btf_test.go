package bench

import (
	"os"
	"testing"

	ciliumbtf "github.com/cilium/ebpf/btf"

	"github.com/purebpf/bpf/btf"
)

func requireKernelBTF(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		tb.Skipf("kernel BTF (CONFIG_DEBUG_INFO_BTF, 5.4+): %v", err)
	}
}

// BenchmarkKernelBTF opens the running kernel's BTF without any cache and
// finds struct sk_buff: purebpf's btf.Load of /sys/kernel/btf/vmlinux
// (maps it, indexes the records) + NamedType[*btf.Struct] (builds the
// name index, decodes the one struct), cilium/ebpf's btf.LoadKernelSpec (uncached in v0.22.0;
// also maps vmlinux) + AnyTypeByName.
func BenchmarkKernelBTF(b *testing.B) {
	requireKernelBTF(b)
	runVariants(b, []variant{
		{"purebpf", func() error {
			spec, err := btf.Load("/sys/kernel/btf/vmlinux")
			if err != nil {
				return err
			}
			_, _, err = btf.NamedType[*btf.Struct](spec, "sk_buff")
			return err
		}},
		{"cilium", func() error {
			spec, err := ciliumbtf.LoadKernelSpec()
			if err != nil {
				return err
			}
			_, err = spec.AnyTypeByName("sk_buff")
			return err
		}},
	})
}

// BenchmarkBTFMissingName looks up a name no type of the kernel's BTF has,
// once the name index is built (purebpf) or the spec decoded (cilium).
func BenchmarkBTFMissingName(b *testing.B) {
	requireKernelBTF(b)
	spec, err := btf.Load("/sys/kernel/btf/vmlinux")
	if err != nil {
		b.Fatal(err)
	}
	cspec, err := ciliumbtf.LoadKernelSpec()
	if err != nil {
		b.Fatal(err)
	}
	const missing = "no_such_type_in_vmlinux"
	spec.TypesByName(missing)
	cspec.AnyTypeByName(missing)
	runVariants(b, []variant{
		{"purebpf", func() error {
			if ids, _, err := spec.TypesByName(missing); err != nil || len(ids) != 0 {
				b.Fatalf("found %v, %v", ids, err)
			}
			return nil
		}},
		{"cilium", func() error {
			if _, err := cspec.AnyTypeByName(missing); err == nil {
				b.Fatal("found")
			}
			return nil
		}},
	})
}
