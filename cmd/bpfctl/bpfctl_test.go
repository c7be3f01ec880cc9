package main

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"prog", "frob"}, 2, `prog: unknown command "frob"`},
		{[]string{"prog", "show", "abc"}, 2, `"abc" is not a program id`},
		{[]string{"prog", "list", "--bogus"}, 2, "unknown option --bogus"},
		{[]string{"prog", "list", "--section", "x"}, 2, "prog list: unknown option --section"},
		{[]string{"map", "dump"}, 2, "missing map"},
		{[]string{"map", "lookup", "1", "--json", "-n"}, 2, "option -n needs a value"},
		{[]string{"xdp", "detach"}, 2, "want one interface"},
		{[]string{"xdp", "detach", "eth9", "--mode", "turbo"}, 2, `--mode "turbo"`},
		{[]string{"tc", "list", "lo", "sideways"}, 2, `"sideways": want ingress or egress`},
		{[]string{"trace", "--count", "many"}, 2, "--count"},
		{[]string{"json", "--json=1"}, 2, "takes no value"},
		{[]string{}, 2, "usage: bpfctl"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			out, errOut, code := bpfctl(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not mention %q", errOut, tt.want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if len(tt.args) > 0 && strings.Count(errOut, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errOut)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"prog", "-h"}} {
		out, errOut, code := bpfctl(t, args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "bpfctl prog dump") && !strings.Contains(out, "prog dump") {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, errOut, out)
		}
	}
}

func TestParseBytes(t *testing.T) {
	le32 := binary.NativeEndian.AppendUint32(nil, 17)
	tests := []struct {
		words []string
		want  []byte
		rest  []string
		err   string
	}{
		{[]string{"0x01", "2", "010", "255"}, []byte{1, 2, 8, 255}, nil, ""},
		{[]string{"hex", "01", "ff", "10"}, []byte{1, 0xff, 0x10}, nil, ""},
		{[]string{"hex:0100ff"}, []byte{1, 0, 0xff}, nil, ""},
		{[]string{"u32:17"}, le32, nil, ""},
		{[]string{"u8:1", "u16:0x0203"}, append([]byte{1}, binary.NativeEndian.AppendUint16(nil, 0x0203)...), nil, ""},
		{[]string{"i32:-1"}, []byte{0xff, 0xff, 0xff, 0xff}, nil, ""},
		{[]string{"1", "0", "value", "3"}, []byte{1, 0}, []string{"value", "3"}, ""},
		{[]string{"256"}, nil, nil, `"256": not a byte`},
		{[]string{"hex:0g"}, nil, nil, "not hexadecimal"},
		{[]string{"u32:-1"}, nil, nil, "not a 32-bit unsigned"},
		{[]string{"f32:1"}, nil, nil, `unknown type "f32"`},
	}
	for _, tt := range tests {
		got, rest, err := parseBytes(tt.words, "value")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.words, err, tt.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tt.want) || len(rest) != len(tt.rest) {
			t.Errorf("%v: got %x rest %v err %v, want %x rest %v", tt.words, got, rest, err, tt.want, tt.rest)
		}
	}
}

func TestAppendHex(t *testing.T) {
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, ""},
		{[]byte{0xab}, "ab"},
		{seq(9), "00 01 02 03 04 05 06 07  08"},
		{seq(17), "00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n10"},
	}
	for _, tt := range tests {
		if got := string(appendHex(nil, tt.in, " ")); got != tt.want {
			t.Errorf("appendHex(%x) = %q, want %q", tt.in, got, tt.want)
		}
	}
	j, _ := hexJSON{0, 0xfe}.MarshalJSON()
	if string(j) != `["0x00","0xfe"]` {
		t.Errorf("hexJSON = %s", j)
	}
}

func TestParseTraceLine(t *testing.T) {
	tests := []struct {
		line string
		want traceJSON
	}{
		{
			"            ping-1234    [001] d.s31  4321.123456: bpf_trace_printk: hello world",
			traceJSON{Task: "ping", PID: 1234, CPU: 1, Flags: "d.s31", Timestamp: 4321.123456, Event: "bpf_trace_printk", Message: "hello world"},
		},
		{
			"  kworker/u4:2-57  [000] ..... 10.5: bpf_trace_printk: a: b",
			traceJSON{Task: "kworker/u4:2", PID: 57, CPU: 0, Flags: ".....", Timestamp: 10.5, Event: "bpf_trace_printk", Message: "a: b"},
		},
		{"garbage", traceJSON{CPU: -1, Message: "garbage"}},
	}
	for _, tt := range tests {
		got := parseTraceLine(tt.line)
		tt.want.Line = tt.line
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseTraceLine(%q)\n got %+v\nwant %+v", tt.line, got, tt.want)
		}
	}
}

// TestProgShowMatchesBpftool compares bpfctl's program view with bpftool's
// on the same program: the plain text is identical (bpfctl adds a
// verified_insns line), and every JSON field bpftool prints has the same
// value.
func TestProgShowMatchesBpftool(t *testing.T) {
	f := newFixture(t)
	id := itoa(f.progID)
	want := tool(t, "bpftool", "prog", "show", "id", id)
	got := mustBpfctl(t, "prog", "show", id)
	gotLines := strings.Split(got, "\n")
	if gotLines[len(gotLines)-2] != "\tverified_insns 13" {
		t.Errorf("no verified_insns line in %q", got)
	}
	got = strings.Join(append(gotLines[:len(gotLines)-2], ""), "\n")
	// Both tools derive loaded_at from boot time and the clock at the
	// moment they run: a second boundary between the two gives a
	// difference of one second, which is not a disagreement.
	got, want = sameLoadTime(t, got, want)
	if got != want {
		t.Errorf("prog show:\n got %q\nwant %q", got, want)
	}

	var bj, cj map[string]any
	unmarshal(t, tool(t, "bpftool", "-j", "prog", "show", "id", id), &bj)
	unmarshal(t, mustBpfctl(t, "prog", "show", id, "--json"), &cj)
	compareJSONFields(t, "prog show", bj, cj, "pids")

	// The list has the same entry.
	var list []map[string]any
	unmarshal(t, mustBpfctl(t, "prog", "list", "-j"), &list)
	found := false
	for _, p := range list {
		if p["id"] == float64(f.progID) {
			found = true
			compareJSONFields(t, "prog list", bj, p, "pids")
		}
	}
	if !found {
		t.Errorf("prog list lacks program %d", f.progID)
	}
	plain := mustBpfctl(t, "prog", "list")
	if !strings.Contains(plain, want[:strings.Index(want, "\n")]) {
		t.Errorf("plain prog list lacks %q", want[:strings.Index(want, "\n")])
	}
}

// compareJSONFields checks that got has every field of want (except
// ignored ones) with the same value.
func compareJSONFields(t *testing.T, what string, want, got map[string]any, ignore ...string) {
	t.Helper()
	for k, v := range want {
		if slices.Contains(ignore, k) {
			continue
		}
		gv, ok := got[k]
		if k == "loaded_at" && ok {
			// bpftool derives wall time from boot time itself; allow
			// a second of rounding.
			d := gv.(float64) - v.(float64)
			if d < -1 || d > 1 {
				t.Errorf("%s: loaded_at %v, bpftool %v", what, gv, v)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(gv, v) {
			t.Errorf("%s: field %s = %v, bpftool says %v", what, k, gv, v)
		}
	}
}

func TestMapMatchesBpftool(t *testing.T) {
	f := newFixture(t)
	for i, id := range f.mapIDs {
		ids := itoa(id)
		t.Run(ids, func(t *testing.T) {
			for _, cmd := range [][]string{{"show"}, {"dump"}} {
				want := tool(t, "bpftool", "map", cmd[0], "id", ids)
				got := mustBpfctl(t, "map", cmd[0], ids)
				if got != want {
					t.Errorf("map %s %s:\n got %q\nwant %q", cmd[0], ids, got, want)
				}
				var bj, cj any
				unmarshal(t, tool(t, "bpftool", "-j", "map", cmd[0], "id", ids), &bj)
				unmarshal(t, mustBpfctl(t, "map", cmd[0], ids, "--json"), &cj)
				if !reflect.DeepEqual(bj, cj) {
					t.Errorf("map %s %s --json:\n got %v\nwant %v", cmd[0], ids, cj, bj)
				}
			}
			// By name, too.
			name := f.names[i]
			if got, want := mustBpfctl(t, "map", "dump", "name", name), mustBpfctl(t, "map", "dump", ids); got != want {
				t.Errorf("dump by name differs:\n%s\n%s", got, want)
			}
		})
	}
	var list []map[string]any
	unmarshal(t, mustBpfctl(t, "map", "list", "--json"), &list)
	seen := 0
	for _, m := range list {
		for _, id := range f.mapIDs {
			if m["id"] == float64(id) {
				seen++
			}
		}
	}
	if seen != len(f.mapIDs) {
		t.Errorf("map list has %d of the %d fixture maps", seen, len(f.mapIDs))
	}
}

func TestMapLookupUpdateDelete(t *testing.T) {
	f := newFixture(t)
	hash, percpu := itoa(f.mapIDs[0]), itoa(f.mapIDs[1])

	got := mustBpfctl(t, "map", "lookup", hash, "key", "7", "0", "0", "0")
	if want := tool(t, "bpftool", "map", "lookup", "id", hash, "key", "7", "0", "0", "0"); got != want {
		t.Errorf("lookup: got %q, want %q", got, want)
	}
	mustBpfctl(t, "map", "update", hash, "key", "hex", "0a", "00", "00", "00", "value", "u64:42", "noexist")
	var v uint64
	if err := f.hash.Lookup(uint32(10), &v); err != nil || v != 42 {
		t.Fatalf("after update: %d, %v", v, err)
	}
	_, errOut, code := bpfctl(t, "map", "update", hash, "u32:10", "value", "u64:43", "--noexist")
	if code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("update noexist of present key: exit %d, %q", code, errOut)
	}
	mustBpfctl(t, "map", "delete", hash, "hex:0a000000")
	if err := f.hash.Lookup(uint32(10), &v); err == nil {
		t.Error("key 10 still there after delete")
	}
	// A missing key prints what bpftool prints on stdout ("Not found", or
	// null with -j), and exits with status 3.
	for _, j := range []bool{false, true} {
		args, bargs := []string{"map", "lookup", hash, "u32:10"}, []string{"map", "lookup", "id", hash, "key", "10", "0", "0", "0"}
		if j {
			args, bargs = append(args, "-j"), append([]string{"-j"}, bargs...)
		}
		out, errOut, code := bpfctl(t, args...)
		testenv.RequireTool(t, "bpftool")
		cmd := exec.Command("bpftool", bargs...)
		want, _ := cmd.Output()
		if code != exitNotFound || errOut != "" || out != string(want) || cmd.ProcessState.ExitCode() == 0 {
			t.Errorf("lookup of missing key (json %v): exit %d, stdout %q, stderr %q; bpftool exit %d, %q", j, code, out, errOut, cmd.ProcessState.ExitCode(), want)
		}
	}
	_, errOut, code = bpfctl(t, "map", "lookup", hash, "u16:10")
	if code != 2 || !strings.Contains(errOut, "key has 2 bytes") {
		t.Errorf("short key: exit %d, %q", code, errOut)
	}

	// Per-CPU: one value is written to every CPU, as bpftool does.
	mustBpfctl(t, "map", "update", percpu, "u32:3", "value", "u64:9")
	cpus, err := maps.PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]uint64, cpus)
	if err := f.percpu.LookupPerCPU(uint32(3), vals); err != nil {
		t.Fatal(err)
	}
	for cpu, v := range vals {
		if v != 9 {
			t.Errorf("CPU %d: %d, want 9", cpu, v)
		}
	}
	var e elemJSON
	unmarshal(t, mustBpfctl(t, "map", "lookup", percpu, "u32:2", "-j"), &e)
	if len(e.Values) != cpus || e.Values[cpus-1].CPU != cpus-1 || e.Values[0].Value[0] != 5 {
		t.Errorf("per-CPU lookup JSON: %+v", e)
	}
}

// TestProgDumpMatchesBpftool compares the xlated listing, helper calls
// resolved through kallsyms included.
func TestProgDumpMatchesBpftool(t *testing.T) {
	f := newFixture(t)
	id := itoa(f.progID)
	want := strings.Split(tool(t, "bpftool", "prog", "dump", "xlated", "id", id), "\n")
	got := strings.Split(mustBpfctl(t, "prog", "dump", id), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d lines, bpftool %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	calls := 0
	for i := range want {
		if got[i] == want[i] {
			if strings.Contains(got[i], "call ") && !strings.Contains(got[i], "unknown") {
				calls++
			}
			continue
		}
		// bpftool 7.1 predates the per-CPU address cast the kernel inlines
		// into per-CPU array lookups; it prints it as a plain move.
		if strings.HasSuffix(got[i], "= &(void __percpu *)(r0)") && strings.HasSuffix(want[i], "r0 = r0") {
			continue
		}
		t.Errorf("line %d: got %q, bpftool %q", i, got[i], want[i])
	}
	if calls == 0 {
		t.Errorf("no resolved helper call in\n%s", strings.Join(got, "\n"))
	}
	compareDump(t, id, []string{"opcodes"}, []string{"opcodes"})
	var j []xlatedJSON
	unmarshal(t, mustBpfctl(t, "prog", "dump", id, "--json", "--opcodes"), &j)
	if len(j) == 0 || !strings.HasPrefix(j[0].Disasm, "(62) ") || j[0].Opcodes == nil || j[0].Opcodes.Code != "0x62" {
		t.Errorf("JSON dump: %+v", j)
	}
}

// percpuCast is the per-CPU address cast newer kernels inline into per-CPU
// array lookups, which bpftool 7.1 prints as a plain move.
var percpuCast = regexp.MustCompile(`(r\d+) = &\(void __percpu \*\)\((r\d+)\)`)

// dumpOptions are bpftool's prog dump xlated options: none, opcodes, linum.
var dumpOptions = []string{"", "opcodes", "linum"}

// compareDump compares bpfctl prog dump of program id with bpftool's, in
// plain text (byte for byte) with each of plainOpts and as JSON (parsed)
// with each of jsonOpts, and returns bpfctl's plain listing. (Each bpftool
// run reads kallsyms: the tests choose a few options per program.)
func compareDump(t *testing.T, id string, plainOpts, jsonOpts []string) string {
	t.Helper()
	plain := mustBpfctl(t, "prog", "dump", "xlated", id)
	for _, opt := range plainOpts {
		args := []string{"prog", "dump", "xlated", "id", id}
		if opt != "" {
			args = append(args, opt)
		}
		want := tool(t, "bpftool", args...)
		ours := []string{"prog", "dump", "xlated", id}
		if opt != "" {
			ours = append(ours, "--"+opt)
		}
		got := mustBpfctl(t, ours...)
		if !strings.Contains(want, "__percpu") {
			got = percpuCast.ReplaceAllString(got, "$1 = $2")
		}
		if got != want {
			t.Errorf("prog dump %s %s:\n%s", id, opt, lineDiff(got, want))
		}
		// bpftool's spelling (keywords after the program) gives the same.
		if opt != "" {
			if again := mustBpfctl(t, "prog", "dump", "xlated", "id", id, opt); again != mustBpfctl(t, ours...) {
				t.Errorf("prog dump %s %s differs from --%s", id, opt, opt)
			}
		}
	}
	for _, opt := range jsonOpts {
		args := []string{"prog", "dump", "xlated", "id", id}
		ours := []string{"prog", "dump", "xlated", id}
		if opt != "" {
			args = append(args, opt)
			ours = append(ours, "--"+opt)
		}
		var bj, cj any
		wantJSON := tool(t, "bpftool", append([]string{"-j"}, args...)...)
		gotJSON := mustBpfctl(t, append(ours, "--json")...)
		// bpftool's JSON writer prints a backslash as \n (one
		// deliberate difference: bpfctl writes valid JSON, \\).
		gotJSON = strings.ReplaceAll(gotJSON, `\\`, `\n`)
		if !strings.Contains(wantJSON, "__percpu") {
			gotJSON = percpuCast.ReplaceAllString(gotJSON, "$1 = $2")
		}
		unmarshal(t, wantJSON, &bj)
		unmarshal(t, gotJSON, &cj)
		if !reflect.DeepEqual(bj, cj) {
			t.Errorf("prog dump %s %s --json:\n got %s\nwant %s", id, opt, gotJSON, wantJSON)
		}
	}
	return plain
}

// TestProgDumpSourceMatchesBpftool loads the examples' objects (which
// carry BTF with func and line info) and compares prog dump xlated with
// bpftool's: the function prototypes and "; source" lines included.
func TestProgDumpSourceMatchesBpftool(t *testing.T) {
	bpftest.RequirePrivileged(t)
	testenv.RequireTool(t, "bpftool")
	objs := []string{"xdp1/bpf/xdp1.o", "xdp2skb_meta/bpf/xdp2skb_meta.o", "layercoop/bpf/layercoop.o",
		"portfilter/bpf/portfilter.o", "tcpfilter/bpf/tcpfilter.o", "dropworld/bpf/dropworld.o",
		// Subprograms: a prototype per function, and bpf-to-bpf calls
		// named after the callee's kernel symbol.
		"../elf/testdata/static_linked.o", "../elf/testdata/callbacks.o"}
	for _, obj := range objs {
		t.Run(filepath.Base(obj), func(t *testing.T) {
			// The examples' loaders type the sections without a
			// conventional name: layercoop's rx is XDP, tx tc; the
			// others are XDP.
			spec, err := elf.OpenWithOptions(filepath.Join("..", "..", "examples", obj), elf.Options{
				Sections:    []elf.SectionOverride{{Pattern: "tx", Convention: elf.Convention{Type: bpf.SchedCLS}}},
				DefaultType: bpf.XDP, License: "GPL"})
			if err != nil {
				t.Fatal(err)
			}
			coll, err := bpf.NewCollectionWithOptions(spec, bpf.CollectionOptions{PinRoot: privateBPFFS(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer coll.Close()
			if len(coll.Programs) == 0 {
				t.Fatal("no programs")
			}
			for name, p := range coll.Programs {
				// Every option for xdp1; for the others the plain
				// listing and the JSON with linum (which has the
				// source lines and their positions). Each bpftool
				// run takes a second or two on a busy machine.
				plainOpts, jsonOpts := []string{""}, []string{"linum"}
				if name == "xdp_prog1" {
					plainOpts, jsonOpts = dumpOptions, dumpOptions
				}
				plain := compareDump(t, itoa(p.ID()), plainOpts, jsonOpts)
				// The comparison is not between two empty listings.
				if !strings.Contains(plain, "\n; ") || !strings.Contains(plain, "):\n") {
					t.Errorf("%s: no source line or prototype in\n%s", name, plain)
				}
				if strings.Contains(plain, "call pc") && !strings.Contains(plain, "#bpf_prog_") {
					t.Errorf("%s: a bpf-to-bpf call without its callee's symbol in\n%s", name, plain)
				}
			}
		})
	}
}

var loadedAt = regexp.MustCompile(`loaded_at (\S+)`)

// sameLoadTime replaces bpfctl's loaded_at with bpftool's when the two are
// at most a second apart.
func sameLoadTime(t *testing.T, got, want string) (string, string) {
	t.Helper()
	g, w := loadedAt.FindStringSubmatch(got), loadedAt.FindStringSubmatch(want)
	if g == nil || w == nil {
		return got, want
	}
	const layout = "2006-01-02T15:04:05-0700"
	gt, err1 := time.Parse(layout, g[1])
	wt, err2 := time.Parse(layout, w[1])
	if err1 != nil || err2 != nil {
		t.Fatalf("loaded_at %q / %q: %v %v", g[1], w[1], err1, err2)
	}
	if d := gt.Sub(wt); d >= -time.Second && d <= time.Second {
		got = strings.Replace(got, g[0], w[0], 1)
	}
	return got, want
}
