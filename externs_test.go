package bpf_test

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf"
	ibtf "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// kernelConfig reads the running kernel's configuration the way the
// test expects the loader to (independently of its code): from
// /proc/config.gz, else /boot/config-$(uname -r).
func kernelConfig(t *testing.T) map[string]string {
	t.Helper()
	var r io.Reader
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	} else {
		var uts unix.Utsname
		if err := unix.Uname(&uts); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open("/boot/config-" + unix.ByteSliceToString(uts.Release[:]))
		if err != nil {
			t.Skipf("kernel lacks a feature: its configuration (/proc/config.gz, CONFIG_IKCONFIG_PROC, or a /boot/config file): %v", err)
		}
		defer f.Close()
		r = f
	}
	vals := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(k, "CONFIG_") {
			vals[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vals
}

// kallsym returns the address /proc/kallsyms lists for name.
func kallsym(t *testing.T, name string) uint64 {
	t.Helper()
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 3 && fs[2] == name {
			a, err := strconv.ParseUint(fs[0], 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
	}
	t.Fatalf("%s not in /proc/kallsyms", name)
	return 0
}

// externResults runs the named program of c once and returns the
// "results" array.
func externResults(t *testing.T, c *bpf.Collection, prog string) [16]uint64 {
	t.Helper()
	p := c.Programs[prog]
	if p == nil {
		t.Fatalf("no program %s", prog)
	}
	if got := collRun(t, p, make([]byte, 64)); got != uint32(bpf.XDPPass) {
		t.Fatalf("%s returned %d, want XDP_PASS", prog, got)
	}
	var out [16]uint64
	for i := range out {
		if err := c.Maps["results"].Lookup(uint32(i), &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// loadExterns loads the named programs of externs.o.
func loadExterns(t *testing.T, opts bpf.CollectionOptions, keep ...string) *bpf.Collection {
	t.Helper()
	spec, err := elf.Open("elf/testdata/externs.o")
	if err != nil {
		t.Fatal(err)
	}
	for n := range spec.Programs {
		if !slices.Contains(keep, n) {
			delete(spec.Programs, n)
		}
	}
	c, err := bpf.NewCollectionWithOptions(spec, opts)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// kallsymExists reports whether /proc/kallsyms lists name.
func kallsymExists(t *testing.T, name string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), " "+name+"\n")
}

// TestKconfigExterns checks the values of kconfig externs against the
// kernel's configuration and uname, and that overrides win.
func TestKconfigExterns(t *testing.T) {
	testenv.RequirePrivileged(t)
	cfg := kernelConfig(t)
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	var a, b, c uint64
	rel := unix.ByteSliceToString(uts.Release[:])
	parts := strings.FieldsFunc(rel, func(r rune) bool { return r < '0' || r > '9' })
	a, _ = strconv.ParseUint(parts[0], 10, 32)
	b, _ = strconv.ParseUint(parts[1], 10, 32)
	if len(parts) > 2 {
		c, _ = strconv.ParseUint(parts[2], 10, 32)
	}
	version := a<<16 | b<<8 | min(c, 255)
	tri := map[string]uint64{"y": 1, "m": 2}
	hz, _ := strconv.ParseUint(cfg["CONFIG_HZ"], 10, 64)
	hostname := strings.Trim(cfg["CONFIG_DEFAULT_HOSTNAME"], `"`)
	var host [8]byte
	copy(host[:], hostname)
	hostWord := uint64(0)
	for i := 7; i >= 0; i-- { // little-endian machines load the first byte lowest
		hostWord = hostWord<<8 | uint64(host[i])
	}
	netChar := uint64(0)
	if v := cfg["CONFIG_NET"]; v != "" {
		netChar = uint64(v[0])
	}
	jit := uint64(0)
	if cfg["CONFIG_BPF_JIT"] == "y" {
		jit = 1
	}
	cookie := uint64(0) // bpf_get_attach_cookie, 5.15
	if version >= 5<<16|15<<8 {
		cookie = 1
	}
	wrapper := uint64(0)
	if kallsymExists(t, "__x64_sys_bpf") {
		wrapper = 1
	}
	tests := []struct {
		name      string
		overrides map[string]string
		want      map[int]uint64
	}{
		{"kernel", nil, map[int]uint64{
			0: version, 1: cookie, 2: wrapper, 3: tri[cfg["CONFIG_BPF_SYSCALL"]], 4: jit, 5: hz, 6: hostWord,
			7: 1, // the absent weak CONFIG_PUREBPF_ABSENT is 0, plus 1
			8: netChar,
		}},
		{"overrides", map[string]string{
			"LINUX_KERNEL_VERSION": "0x050a00", "CONFIG_HZ": "-7", "CONFIG_BPF_SYSCALL": "m",
			"CONFIG_PUREBPF_ABSENT": "41", "CONFIG_DEFAULT_HOSTNAME": `"abcdefghijklmnopqrstuvwxyz"`,
			"CONFIG_NET": "m", "LINUX_HAS_BPF_COOKIE": "n",
		}, map[int]uint64{
			0: 0x050a00, 1: 0, 3: 2, 5: uint64(uint32(0xfffffff9)), 6: 0x6867666564636261, 7: 42, 8: 'm',
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadExterns(t, bpf.CollectionOptions{Kconfig: tt.overrides}, "kconfig")
			got := externResults(t, c, "kconfig")
			for slot, want := range tt.want {
				if slot == 5 {
					got[slot] = uint64(uint32(got[slot])) // an int, sign-extended by the program
				}
				if got[slot] != want {
					t.Errorf("slot %d = %#x, want %#x", slot, got[slot], want)
				}
			}
			if err := c.Maps[bpf.KconfigMap].Update(uint32(0), make([]byte, c.Maps[bpf.KconfigMap].ValueSize()), maps.UpdateAny); err == nil {
				t.Errorf("%s is writable, want frozen", bpf.KconfigMap)
			}
		})
	}
}

// TestKsymExterns checks typeless ksyms: kallsyms addresses, and 0 for
// a weak one no kernel has.
func TestKsymExterns(t *testing.T) {
	testenv.RequirePrivileged(t)
	c := loadExterns(t, bpf.CollectionOptions{}, "ksyms")
	got := externResults(t, c, "ksyms")
	if want := kallsym(t, "_stext"); got[9] != want {
		t.Errorf("&_stext = %#x, want %#x from /proc/kallsyms", got[9], want)
	}
	if got[10] != 0 {
		t.Errorf("&purebpf_absent_symbol (weak) = %#x, want 0", got[10])
	}
	// The object's BTF, its externs made acceptable, reaches the kernel.
	if info, err := c.Programs["ksyms"].Info(); err != nil || info.BTF == 0 {
		t.Errorf("ksyms loaded without BTF (info %+v, %v)", info, err)
	}
}

// TestKfuncExterns checks kfunc calls, and bpf_ksym_exists on a weak
// kfunc that exists and one that does not (whose call is poisoned).
func TestKfuncExterns(t *testing.T) {
	testenv.RequirePrivileged(t)
	kernel, err := ibtf.Kernel()
	if err != nil {
		t.Skipf("kernel lacks a feature: BTF (CONFIG_DEBUG_INFO_BTF, 5.4): %v", err)
	}
	if len(kernel.ByName("bpf_rcu_read_lock")) == 0 {
		t.Skip("kernel lacks a feature: kfuncs bpf_rcu_read_lock/unlock (6.2)")
	}
	c := loadExterns(t, bpf.CollectionOptions{}, "kfuncs")
	got := externResults(t, c, "kfuncs")
	if got[12] != 1 {
		t.Errorf("bpf_ksym_exists(bpf_rcu_read_unlock) = %d, want 1", got[12])
	}
	if got[13] != 2 {
		t.Errorf("absent weak kfunc branch = %d, want 2 (not taken)", got[13])
	}
	if info, err := c.Programs["kfuncs"].Info(); err != nil || info.BTF == 0 {
		t.Errorf("kfuncs loaded without BTF (info %+v, %v)", info, err)
	}
}

// TestTypedKsym loads a program using a typed ksym (a per-CPU variable of
// vmlinux through bpf_this_cpu_ptr).
func TestTypedKsym(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.Open("elf/testdata/externs.o")
	if err != nil {
		t.Fatal(err)
	}
	ps := spec.Programs["typed_ksym"]
	var ins asm.Instruction
	for _, i := range ps.Instructions {
		if i.Reference() == "bpf_prog_active" {
			ins = i
		}
	}
	if ins.Src != asm.PseudoBTFID {
		t.Fatalf("reference to bpf_prog_active is %v, want an LD_IMM64 of src PseudoBTFID", ins)
	}
	for n := range spec.Programs {
		if n != "typed_ksym" {
			delete(spec.Programs, n)
		}
	}
	c, err := bpf.NewCollection(spec)
	if err != nil {
		if errors.Is(err, unix.ENOENT) && !strings.Contains(err.Error(), "typed ksym bpf_prog_active") {
			t.Errorf("ENOENT not explained by the typed ksym: %v", err)
		}
		if errors.Is(err, unix.ENOENT) && kernelConfig(t)["CONFIG_KALLSYMS_ALL"] != "y" {
			// The kernel finds a typed ksym's address with
			// kallsyms_lookup_name, which lists variables only with
			// CONFIG_KALLSYMS_ALL.
			t.Skipf("kernel lacks a feature: kallsyms of per-CPU variables (CONFIG_KALLSYMS_ALL): %v", err)
		}
		t.Fatalf("%+v", err)
	}
	defer c.Close()
	got := externResults(t, c, "typed_ksym")
	if got[11] < 100 {
		t.Errorf("bpf_prog_active + 100 = %d", got[11])
	}
}

// TestUnresolvedExterns checks that programs using externs no kernel has
// fail at load naming the extern, and that the others load.
func TestUnresolvedExterns(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.Open("elf/testdata/externs_unresolved.o")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prog string
		want string // "" loads
	}{
		{"missing_kfunc", "purebpf_no_such_kfunc"},
		{"missing_ksym", "purebpf_no_such_symbol"},
		{"missing_kconfig", "CONFIG_PUREBPF_NO_SUCH_OPTION"},
		{"link_time", "purebpf_other_object"},
		{"unguarded_weak", "bpf_ksym_exists(purebpf_weak_absent_kfunc)"},
		{"plain", ""},
	}
	before := collFDs(t)
	for _, tt := range tests {
		t.Run(tt.prog, func(t *testing.T) {
			one := spec.Copy()
			for n := range one.Programs {
				if n != tt.prog {
					delete(one.Programs, n)
				}
			}
			if tt.prog != "missing_kconfig" {
				// NewProgram alone, without the collection's maps.
				p, err := bpf.NewProgram(one.Programs[tt.prog])
				checkExternErr(t, err, tt.want)
				if err == nil {
					p.Close()
				}
			}
			c, err := bpf.NewCollection(one)
			checkExternErr(t, err, tt.want)
			if err == nil {
				c.Close()
			}
		})
	}
	// The whole object fails naming a missing extern.
	_, err = bpf.NewCollection(spec)
	if !errors.Is(err, bpf.ErrExternNotFound) {
		t.Errorf("whole object: %v, want ErrExternNotFound", err)
	}
	if after := collFDs(t); after != before {
		t.Errorf("%d descriptors open after the loads, %d before", after, before)
	}
}

func checkExternErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("%+v", err)
		}
		return
	}
	if strings.HasPrefix(want, "bpf_ksym_exists") {
		// A poisoned call of an absent weak kfunc: the verifier's
		// rejection, explained.
		var verr *verifier.Error
		if !errors.As(err, &verr) || !strings.Contains(verr.Hint, want) {
			t.Fatalf("error %v, want a verifier error whose hint says %s", err, want)
		}
		return
	}
	if !errors.Is(err, bpf.ErrExternNotFound) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want ErrExternNotFound naming %s", err, want)
	}
}
