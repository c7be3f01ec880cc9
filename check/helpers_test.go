package check

import (
	"bytes"
	"os"
	"testing"

	"github.com/purebpf/bpf/internal/gplprobe"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestHelperTableMatchesKernel checks, for every helper Check models, that
// the running kernel lets exactly the program types of helpersByType call
// it (the table is probed on 6.18; the modelled helpers are callable by
// the same types since 6.1).
func TestHelperTableMatchesKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	for typ := range helpersByType {
		for fn := range helperProtos {
			got, err := gplprobe.Allowed(uint32(typ), int32(fn))
			if hooks := modelledHooks(typ); hooks != nil {
				// The helpers every modelled hook may call.
				got = true
				for _, at := range hooks {
					ok, e := gplprobe.AllowedAttach(uint32(typ), uint32(at), int32(fn))
					got, err = got && ok, e
					if err != nil {
						break
					}
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := helperAllowed(typ, fn); got != want {
				t.Errorf("%s may call %s: kernel %v, table %v", typ, fn, got, want)
			}
		}
	}
}

// TestHelperTableGenerated checks that helpers_gen.go is what go generate
// makes of the committed probe record (testdata/helpers.txt).
func TestHelperTableGenerated(t *testing.T) {
	record, err := os.ReadFile("testdata/helpers.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := gplprobe.Generate("helpers", record, "check", "testdata/helpers.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("helpers_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("helpers_gen.go differs from what testdata/helpers.txt generates: run go generate ./check")
	}
}
