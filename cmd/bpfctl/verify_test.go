package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestVerify runs bpfctl verify (no privileges needed) on committed
// objects: accepted, rejected with an explanation, and as JSON.
func TestVerify(t *testing.T) {
	out, errOut, code := bpfctl(t, "verify", "../../examples/xdp1/bpf/xdp1.o")
	if code != 0 || out != "xdp_prog1 (section xdp, xdp): accepted\n" {
		t.Fatalf("xdp1: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = bpfctl(t, "verify", "../../examples/xdp2skb_meta/bpf/xdp2skb_meta_nongpl.o")
	if code != 1 || !strings.Contains(out, "_tc_mark (section tc_mark, sched_cls): rejected") ||
		!strings.Contains(out, "at instruction 22: call bpf_trace_printk#6") ||
		!strings.Contains(out, "source: bpf_custom_printk(") || !strings.Contains(out, "hint: helper bpf_trace_printk") ||
		!strings.Contains(errOut, "1 of 2 programs rejected") {
		t.Fatalf("non-GPL: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = bpfctl(t, "verify", "--json", "--section", "rx", "--type", "xdp", "../../examples/layercoop/bpf/layercoop.o")
	var res []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res) != 1 || res[0]["verdict"] != "accepted" {
		t.Fatalf("layercoop rx: exit %d, %s", code, out)
	}
	if _, errOut, code = bpfctl(t, "verify", "../../examples/layercoop/bpf/layercoop.o"); code != 2 || !strings.Contains(errOut, "--type") {
		t.Fatalf("untyped sections: exit %d, %s", code, errOut)
	}
}
