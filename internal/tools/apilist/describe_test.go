package apilist

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"testing"
)

// checkSource type-checks src as package path, with the given packages
// importable.
func checkSource(t *testing.T, path, src string, deps map[string]*types.Package) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path+".go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	std := importer.Default()
	conf := types.Config{Importer: importerFunc(func(p string) (*types.Package, error) {
		if dep, ok := deps[p]; ok {
			return dep, nil
		}
		return std.Import(p)
	})}
	pkg, err := conf.Check(path, fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

const internalSrc = `package x
type Enum uint32
const One Enum = 1
type FD struct{ n int }
`

const publicSrc = `package p

import (
	"io"

	"example.com/m/internal/x"
)

type Enum = x.Enum

const (
	One = x.One
	Two Enum = 2
	untypedBig = 1 << 40
	Big = untypedBig
	unexported = 3
)

var ErrX error

func F(name string, n ...int) (int, error) { return 0, nil }
func G[T any, P interface{ ~int | string }](T, P) {}
func Raw() *x.FD { return nil }

type S struct {
	A      int
	b      int
	Stream io.Reader
	*Inner
	Handle x.FD
}

type Inner struct{ C []map[string]*S }

func (Inner) Promoted() {}
func (*S) Close() error  { return nil }
func (S) Name() string   { return "" }
func (S) hidden()        {}

type I interface {
	io.Closer
	Do(x.Enum) Enum
}

type Set[K comparable] map[K]struct{}
type Func func(context []byte) bool
`

func TestDescribe(t *testing.T) {
	xp := checkSource(t, "example.com/m/internal/x", internalSrc, nil)
	pp := checkSource(t, "example.com/m/p", publicSrc, map[string]*types.Package{"example.com/m/internal/x": xp})
	got := describe(pp, "example.com/m", map[string]string{"internal/x.Enum": "p.Enum"})

	want := []string{
		"const Big untyped int = 1099511627776",
		"const One Enum = 1",
		"const Two Enum = 2",
		"func F(string, ...int) (int, error)",
		"func G[T any, P interface{~int | string}](T, P)",
		"func Raw() *internal/x.FD",
		"method (*S) Close() error",
		"method (Inner) Promoted()",
		"method (S) Name() string",
		"method (S) Promoted()",
		"type Enum = internal/x.Enum",
		"type Func func([]byte) bool",
		"type I interface",
		"type I interface, Close() error",
		"type I interface, Do(Enum) Enum",
		"type Inner struct",
		"type Inner struct, C []map[string]*S",
		"type S struct",
		"type S struct, A int",
		"type S struct, Handle internal/x.FD",
		"type S struct, Stream io.Reader",
		"type S struct, embedded *Inner",
		"type Set[K comparable] map[K]struct{}",
		"var ErrX error",
	}
	if !slices.Equal(got.Lines, want) {
		t.Errorf("lines differ (- want, + got):\n%s", fmt.Sprint(diffLines(want, got.Lines)))
	}
	wantInternal := []Use{
		{"p.Enum", "internal/x.Enum"},
		{"p.I.Do", "internal/x.Enum"},
		{"p.One", "internal/x.Enum"},
		{"p.Raw", "internal/x.FD"},
		{"p.S.Handle", "internal/x.FD"},
		{"p.Two", "internal/x.Enum"},
	}
	if !slices.Equal(got.Internal, wantInternal) {
		t.Errorf("internal uses %v, want %v", got.Internal, wantInternal)
	}
	if got.FileName() != "p.txt" {
		t.Errorf("FileName %q", got.FileName())
	}
}
