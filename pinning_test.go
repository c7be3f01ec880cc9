package bpf_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// TestUnknownPinning loads elf/testdata/pinning.o, whose map "replaced"
// asks for cilium's pinning value 16: the object parses, the collection
// is refused naming the map and the value unless
// CollectionOptions.UnknownPinning decides, and then loads, maglev-shaped
// hash of maps with key/value BTF included.
func TestUnknownPinning(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.Open("elf/testdata/pinning.o")
	if err != nil {
		t.Fatal(err)
	}
	if m := spec.Maps["replaced"]; m.Pinning != maps.PinUnknown || m.PinValue != 16 || m.Pinning.String() != "unknown" {
		t.Fatalf("replaced: pinning %v value %d, want unknown 16", m.Pinning, m.PinValue)
	}
	errCallback := errors.New("no policy for this value")
	before := collFDs(t)
	tests := []struct {
		name     string
		policy   bpf.UnknownPinningFunc
		want     string // error text; "" loads
		is       error
		pinned   string // relative to the pin root; "" none
		unpinned string // must not exist
	}{
		{name: "no policy", want: "map replaced: pinning value 16 is not one this loader knows"},
		{name: "ignore", policy: bpf.IgnoreUnknownPinning, unpinned: "replaced"},
		{name: "by name", policy: func(name string, v uint32) (maps.PinType, string, error) {
			if name != "replaced" || v != 16 {
				t.Errorf("callback(%q, %d)", name, v)
			}
			return maps.PinByName, "cilium", nil
		}, pinned: "cilium/replaced"},
		{name: "refused", policy: func(string, uint32) (maps.PinType, string, error) {
			return 0, "", errCallback
		}, want: "map replaced: pinning value 16: no policy", is: errCallback},
		{name: "bad answer", policy: func(string, uint32) (maps.PinType, string, error) {
			return maps.PinUnknown, "", nil
		}, want: "map replaced: pinning value 16: UnknownPinning returned pin type unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := collBPFFS(t)
			c, err := bpf.NewCollectionWithOptions(spec, bpf.CollectionOptions{PinRoot: root, UnknownPinning: tt.policy})
			if tt.want != "" {
				if err == nil {
					c.Close()
					t.Fatal("loaded")
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q, want %q", err, tt.want)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Errorf("error %q does not wrap %v", err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatalf("%+v", err)
			}
			defer c.Close()
			if _, err := os.Stat(filepath.Join(root, "by_name")); err != nil {
				t.Errorf("LIBBPF_PIN_BY_NAME map: %v", err)
			}
			if tt.pinned != "" {
				if _, err := os.Stat(filepath.Join(root, tt.pinned)); err != nil {
					t.Errorf("pinned by the policy: %v", err)
				}
			}
			if tt.unpinned != "" {
				if _, err := os.Stat(filepath.Join(root, tt.unpinned)); !os.IsNotExist(err) {
					t.Errorf("%s: %v, want not pinned", tt.unpinned, err)
				}
			}
			outer := c.Maps["maglev_outer"]
			if outer == nil || outer.Type() != maps.HashOfMaps {
				t.Fatalf("maglev_outer: %v", outer)
			}
			if spec.Maps["replaced"].Pinning != maps.PinUnknown {
				t.Error("the collection changed the spec's pinning")
			}
		})
	}
	if after := collFDs(t); after != before {
		t.Errorf("%d descriptors open after the loads, %d before", after, before)
	}
}

// TestUndefinedFunction loads elf/testdata/undefined_fn.o and its
// build without BTF, whose program calls_missing calls memset_like,
// defined nowhere: the object parses, self_contained loads alone
// (NewProgram and a one-program collection), and calls_missing fails
// naming the symbol, as does the whole object.
func TestUndefinedFunction(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, obj := range []string{"undefined_fn.o", "undefined_fn_nobtf.o"} {
		t.Run(obj, func(t *testing.T) { testUndefinedFunction(t, "elf/testdata/"+obj) })
	}
}

func testUndefinedFunction(t *testing.T, obj string) {
	spec, err := elf.Open(obj)
	if err != nil {
		t.Fatal(err)
	}
	before := collFDs(t)
	for _, tt := range []struct{ prog, want string }{
		{"calls_missing", "memset_like"},
		{"self_contained", ""},
	} {
		t.Run(tt.prog, func(t *testing.T) {
			one := spec.Copy()
			for n := range one.Programs {
				if n != tt.prog {
					delete(one.Programs, n)
				}
			}
			p, err := bpf.NewProgram(one.Programs[tt.prog])
			checkExternErr(t, err, tt.want)
			if err == nil {
				p.Close()
			}
			c, err := bpf.NewCollection(one)
			checkExternErr(t, err, tt.want)
			if err == nil {
				c.Close()
			}
		})
	}
	_, err = bpf.NewCollection(spec)
	if !errors.Is(err, bpf.ErrExternNotFound) || !strings.Contains(err.Error(), "memset_like") || !strings.Contains(err.Error(), "calls_missing") {
		t.Errorf("whole object: %v, want ErrExternNotFound naming calls_missing and memset_like", err)
	}
	if after := collFDs(t); after != before {
		t.Errorf("%d descriptors open after the loads, %d before", after, before)
	}
}
