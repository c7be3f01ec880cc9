// Package apilist lists the exported API of the module's public packages,
// one declaration per line, sorted, so that a change to the public
// surface shows as a diff of the committed api/*.txt files (see
// apilist_test.go: go test ./internal/tools/apilist -update rewrites
// them).
//
// It reads the packages' types from the compiler's export data (go list
// -export), with the standard library only: no golang.org/x/tools.
//
// Line shapes (types are qualified by their package path relative to the
// module, "bpf" for the root package, or by their import path outside
// it):
//
//	const NAME TYPE = VALUE
//	var NAME TYPE
//	func NAME(PARAMS) RESULTS
//	type NAME UNDERLYING-KIND          (struct, interface, or the underlying type)
//	type NAME = TYPE                   (an alias)
//	type NAME struct, FIELD TYPE       (each exported field, embedded ones as "embedded TYPE")
//	type NAME interface, METHOD(...)   (each method, embedded interfaces' included)
//	method (RECV) NAME(PARAMS) RESULTS (the method set of *T, promoted methods included)
package apilist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
)

// Package is one public package's API.
type Package struct {
	Path  string   // import path
	Rel   string   // path relative to the module ("" for the root)
	Lines []string // sorted declarations
	// Internal lists the exported declarations whose signature names a
	// type of an internal package, as "KEY: TYPE", KEY being the
	// package-relative name of the declaration (Func, Type.Field,
	// Type.Method).
	Internal []Use
}

// Use is one exported declaration that names a type of an internal
// package.
type Use struct {
	Key  string // such as "maps.Map.SysFD"
	Type string // such as "internal/sys.FD"
}

// FileName is the name of the golden file of the package in api/:
// "bpf.txt" for the root, the relative path with "_" for "/" otherwise.
func (p *Package) FileName() string {
	if p.Rel == "" {
		return "bpf.txt"
	}
	return strings.ReplaceAll(p.Rel, "/", "_") + ".txt"
}

type listed struct {
	ImportPath string
	Name       string
	Export     string
	Standard   bool
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

// Load lists the API of every public package of the module in dir: not
// a main package, no "internal" element in its path. It runs go list
// -export, which compiles the packages. publicNames maps internal types
// that public packages re-export by alias ("internal/kernel.ProgramType")
// to the alias ("bpf.ProgramType"): lines name them by the alias.
func Load(dir string, publicNames map[string]string) ([]*Package, error) {
	cmd := exec.Command("go", "list", "-export", "-deps", "-json=ImportPath,Name,Export,Standard,Module,Error", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export: %w\n%s", err, stderr.Bytes())
	}
	exports := map[string]string{}
	var public []listed
	var module string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		// Only the main module's packages: go list -deps prints the
		// dependencies (golang.org/x/sys/unix, ...) first.
		if p.Standard || p.Module == nil || !p.Module.Main || p.Name == "main" || isInternal(p.ImportPath) {
			continue
		}
		if module != "" && p.Module.Path != module {
			return nil, fmt.Errorf("packages of two main modules (%s, %s)", module, p.Module.Path)
		}
		module = p.Module.Path
		public = append(public, p)
	}
	if module == "" {
		return nil, fmt.Errorf("no public package of the main module in %s", dir)
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	var pkgs []*Package
	for _, p := range public {
		tp, err := imp.Import(p.ImportPath)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p.ImportPath, err)
		}
		pkgs = append(pkgs, describe(tp, module, publicNames))
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return pkgs, nil
}

func isInternal(path string) bool {
	return slices.Contains(strings.Split(path, "/"), "internal")
}

// lister builds one package's lines.
type lister struct {
	pkg    *types.Package
	module string
	public map[string]string
	out    *Package
}

func describe(pkg *types.Package, module string, public map[string]string) *Package {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg.Path(), module), "/")
	l := &lister{pkg: pkg, module: module, public: public, out: &Package{Path: pkg.Path(), Rel: rel}}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch obj := obj.(type) {
		case *types.Const:
			l.add(fmt.Sprintf("const %s %s = %s", name, l.typ(obj.Type()), obj.Val().ExactString()), name, obj.Type())
		case *types.Var:
			l.add(fmt.Sprintf("var %s %s", name, l.typ(obj.Type())), name, obj.Type())
		case *types.Func:
			l.add("func "+name+l.sig(obj.Type().(*types.Signature)), name, obj.Type())
		case *types.TypeName:
			l.typeName(obj)
		}
	}
	sort.Strings(l.out.Lines)
	sort.Slice(l.out.Internal, func(i, j int) bool {
		a, b := l.out.Internal[i], l.out.Internal[j]
		return a.Key < b.Key || a.Key == b.Key && a.Type < b.Type
	})
	l.out.Internal = slices.Compact(l.out.Internal)
	return l.out
}

// add records a line and the internal types t names.
func (l *lister) add(line, key string, t types.Type) {
	l.out.Lines = append(l.out.Lines, line)
	if t == nil {
		return
	}
	prefix := l.self()
	for _, it := range l.internalTypes(t, map[types.Type]bool{}) {
		l.out.Internal = append(l.out.Internal, Use{Key: prefix + "." + key, Type: it})
	}
}

func (l *lister) typeName(obj *types.TypeName) {
	name := obj.Name()
	if obj.IsAlias() {
		l.add(fmt.Sprintf("type %s = %s", name, types.TypeString(types.Unalias(obj.Type()), l.qualifier)), name, obj.Type())
		return
	}
	named, ok := obj.Type().(*types.Named)
	if !ok {
		l.add(fmt.Sprintf("type %s %s", name, l.typ(obj.Type().Underlying())), name, nil)
		return
	}
	decl := name + l.typeParams(named.TypeParams())
	switch u := named.Underlying().(type) {
	case *types.Struct:
		l.add("type "+decl+" struct", name, nil)
		for i := range u.NumFields() {
			f := u.Field(i)
			if !f.Exported() {
				continue
			}
			if f.Embedded() {
				l.add(fmt.Sprintf("type %s struct, embedded %s", decl, l.typ(f.Type())), name+"."+f.Name(), f.Type())
			} else {
				l.add(fmt.Sprintf("type %s struct, %s %s", decl, f.Name(), l.typ(f.Type())), name+"."+f.Name(), f.Type())
			}
		}
	case *types.Interface:
		l.add("type "+decl+" interface", name, nil)
		for i := range u.NumMethods() {
			m := u.Method(i)
			if m.Exported() {
				l.add(fmt.Sprintf("type %s interface, %s%s", decl, m.Name(), l.sig(m.Type().(*types.Signature))), name+"."+m.Name(), m.Type())
			}
		}
		if !u.IsMethodSet() {
			// A constraint interface (type sets): show its whole underlying type.
			l.add(fmt.Sprintf("type %s interface, constraint %s", decl, l.typ(u)), name, u)
		}
	default:
		l.add(fmt.Sprintf("type %s %s", decl, l.typ(u)), name, u)
	}
	// Methods: the method set of *T (or T, for an interface: listed above).
	if types.IsInterface(named) {
		return
	}
	valueSet := types.NewMethodSet(named)
	ptrSet := types.NewMethodSet(types.NewPointer(named))
	for i := range ptrSet.Len() {
		sel := ptrSet.At(i)
		m := sel.Obj().(*types.Func)
		if !m.Exported() {
			continue
		}
		recv := "*" + name
		if valueSet.Lookup(m.Pkg(), m.Name()) != nil {
			recv = name
		}
		l.add(fmt.Sprintf("method (%s) %s%s", recv, m.Name(), l.sig(m.Type().(*types.Signature))), name+"."+m.Name(), m.Type())
	}
}

// qualifier names other packages by their path relative to the module
// ("bpf" for the root), or by their import path.
func (l *lister) qualifier(p *types.Package) string {
	if p == l.pkg {
		return ""
	}
	if p.Path() == l.module {
		return "bpf"
	}
	if rel, ok := strings.CutPrefix(p.Path(), l.module+"/"); ok {
		return rel
	}
	return p.Path()
}

// typ prints t, naming the internal types of PublicNames by their public
// alias.
func (l *lister) typ(t types.Type) string {
	s := types.TypeString(stripNames(t), l.qualifier)
	for _, internal := range slices.Sorted(maps.Keys(l.public)) {
		public := l.public[internal]
		if !strings.Contains(s, internal) {
			continue
		}
		if q, name, ok := strings.Cut(public, "."); ok && q == l.self() {
			public = name
		}
		var b strings.Builder
		for {
			i := strings.Index(s, internal)
			if i < 0 {
				b.WriteString(s)
				break
			}
			end := i + len(internal)
			b.WriteString(s[:i])
			if end < len(s) && isIdent(s[end]) {
				b.WriteString(internal)
			} else {
				b.WriteString(public)
			}
			s = s[end:]
		}
		s = b.String()
	}
	return s
}

func isIdent(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// self is how other packages' lines qualify this package.
func (l *lister) self() string {
	if l.out.Rel == "" {
		return "bpf"
	}
	return l.out.Rel
}

// sig prints a signature without its "func" keyword, receiver and
// parameter names.
func (l *lister) sig(s *types.Signature) string {
	var b bytes.Buffer
	b.WriteString(l.typeParams(s.TypeParams()))
	sig := types.NewSignatureType(nil, nil, nil, s.Params(), s.Results(), s.Variadic())
	b.WriteString(strings.TrimPrefix(l.typ(sig), "func"))
	return b.String()
}

// stripNames drops the names of parameters and results in the function
// types t is built of: they document, but are not part of the API.
// Named types are kept as they are (they print by name).
func stripNames(t types.Type) types.Type {
	switch t := t.(type) {
	case *types.Signature:
		if t.TypeParams().Len() > 0 {
			return t // only package-level functions, printed by sig
		}
		return types.NewSignatureType(nil, nil, nil, unnamed(t.Params()), unnamed(t.Results()), t.Variadic())
	case *types.Pointer:
		return types.NewPointer(stripNames(t.Elem()))
	case *types.Slice:
		return types.NewSlice(stripNames(t.Elem()))
	case *types.Array:
		return types.NewArray(stripNames(t.Elem()), t.Len())
	case *types.Map:
		return types.NewMap(stripNames(t.Key()), stripNames(t.Elem()))
	case *types.Chan:
		return types.NewChan(t.Dir(), stripNames(t.Elem()))
	}
	return t
}

func unnamed(t *types.Tuple) *types.Tuple {
	vars := make([]*types.Var, t.Len())
	for i := range t.Len() {
		vars[i] = types.NewParam(token.NoPos, nil, "", stripNames(t.At(i).Type()))
	}
	return types.NewTuple(vars...)
}

func (l *lister) typeParams(tps *types.TypeParamList) string {
	if tps.Len() == 0 {
		return ""
	}
	var parts []string
	for i := range tps.Len() {
		tp := tps.At(i)
		parts = append(parts, tp.Obj().Name()+" "+l.typ(tp.Constraint()))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// internalTypes returns the types of internal packages that t names,
// looking through aliases, composite types and signatures, but not into
// the definitions of named types of public packages (those are listed on
// their own lines).
func (l *lister) internalTypes(t types.Type, seen map[types.Type]bool) []string {
	if seen[t] {
		return nil
	}
	seen[t] = true
	var out []string
	walk := func(t types.Type) { out = append(out, l.internalTypes(t, seen)...) }
	switch t := t.(type) {
	case *types.Alias:
		walk(types.Unalias(t))
		if args := t.TypeArgs(); args != nil {
			for i := range args.Len() {
				walk(args.At(i))
			}
		}
	case *types.Named:
		if p := t.Obj().Pkg(); p != nil && isInternal(p.Path()) {
			out = append(out, strings.TrimPrefix(p.Path(), l.module+"/")+"."+t.Obj().Name())
		}
		if args := t.TypeArgs(); args != nil {
			for i := range args.Len() {
				walk(args.At(i))
			}
		}
	case *types.Pointer:
		walk(t.Elem())
	case *types.Slice:
		walk(t.Elem())
	case *types.Array:
		walk(t.Elem())
	case *types.Map:
		walk(t.Key())
		walk(t.Elem())
	case *types.Chan:
		walk(t.Elem())
	case *types.Signature:
		for _, tuple := range []*types.Tuple{t.Params(), t.Results()} {
			for i := range tuple.Len() {
				walk(tuple.At(i).Type())
			}
		}
	case *types.Struct:
		for i := range t.NumFields() {
			if f := t.Field(i); f.Exported() {
				walk(f.Type())
			}
		}
	case *types.Interface:
		for i := range t.NumMethods() {
			if m := t.Method(i); m.Exported() {
				walk(m.Type())
			}
		}
		for i := range t.NumEmbeddeds() {
			walk(t.EmbeddedType(i))
		}
	case *types.Union:
		for i := range t.Len() {
			walk(t.Term(i).Type())
		}
	case *types.TypeParam:
		walk(t.Constraint())
	}
	return out
}
