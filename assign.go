package bpf

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/purebpf/bpf/maps"
)

var (
	programPtr  = reflect.TypeFor[*Program]()
	mapPtr      = reflect.TypeFor[*maps.Map]()
	variablePtr = reflect.TypeFor[*Variable]()
)

// assignField is one tagged field of the struct LoadAndAssign fills.
type assignField struct {
	path  string // Go field name, "Outer.Inner" for embedded structs
	name  string // the tag: program, map or variable name
	value reflect.Value
}

// assignFields lists the fields of *to tagged `bpf:"name"`, walking
// embedded structs. A tagged field of another type, or one that cannot be
// set, is an error.
func assignFields(to any) ([]assignField, error) {
	rv := reflect.ValueOf(to)
	if to == nil || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("want a non-nil pointer to a struct, got %T", to)
	}
	var out []assignField
	var walk func(v reflect.Value, prefix string, depth int) error
	walk = func(v reflect.Value, prefix string, depth int) error {
		if depth > 8 {
			return fmt.Errorf("%s: embedded structs nested deeper than 8", prefix)
		}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			path := prefix + f.Name
			tag, tagged := f.Tag.Lookup("bpf")
			if !tagged || tag == "-" {
				if f.Anonymous && f.Type.Kind() == reflect.Struct && f.IsExported() {
					if err := walk(v.Field(i), path+".", depth+1); err != nil {
						return err
					}
				}
				continue
			}
			if tag == "" {
				return fmt.Errorf("field %s: empty bpf tag", path)
			}
			switch f.Type {
			case programPtr, mapPtr, variablePtr:
			default:
				return fmt.Errorf("field %s (tag %q): type %s, want *bpf.Program, *maps.Map or *bpf.Variable", path, tag, f.Type)
			}
			if !f.IsExported() {
				return fmt.Errorf("field %s (tag %q): unexported, cannot be assigned", path, tag)
			}
			out = append(out, assignField{path: path, name: tag, value: v.Field(i)})
		}
		return nil
	}
	if err := walk(rv.Elem(), "", 0); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadAndAssign loads the part of cs that the struct to names and assigns
// it: to is a pointer to a struct whose exported fields of type *Program,
// *maps.Map or *Variable carry a tag `bpf:"name"` naming a program, a map
// or a variable of cs (fields of embedded structs too; other fields are
// left alone, and `bpf:"-"` is ignored). Only the programs named are
// loaded, with the maps they refer to (also through map-in-map contents),
// the programs stored in the program arrays among those, transitively,
// and the maps holding the variables named; nothing else of cs is created,
// so programs of cs that would not load do not matter. opts are those of
// NewCollectionWithOptions (the zero value for the defaults).
//
// An unknown name or a tagged field of another type is an error naming
// the field, before anything is created. A program array a loaded
// program uses must be named in the struct too when it holds programs:
// the kernel empties a program array once no descriptor of it is open. On
// any failure nothing stays loaded and to is not modified.
//
// The caller owns what was assigned: close every field (Program.Close,
// maps.Map.Close, Variable.Close), for example with CloseAssigned(to).
// The maps the programs use that the struct does not name live as long as
// the programs.
func (cs *CollectionSpec) LoadAndAssign(to any, opts CollectionOptions) error {
	fields, err := assignFields(to)
	if err != nil {
		return fmt.Errorf("load and assign: %w", err)
	}
	sub, err := cs.subset(fields)
	if err != nil {
		return fmt.Errorf("load and assign: %w", err)
	}
	coll, err := newCollection(sub, opts)
	if err != nil {
		// %+v still prints the verifier log.
		return wrapLoad(fmt.Errorf("load and assign: %w", err))
	}
	for _, f := range fields {
		var v any
		switch f.value.Type() {
		case programPtr:
			v = coll.Programs[f.name]
		case mapPtr:
			v = coll.Maps[f.name]
		case variablePtr:
			v = coll.Variables[f.name]
		}
		if reflect.ValueOf(v).IsNil() {
			coll.Close()
			return fmt.Errorf("load and assign: field %s: %q was not loaded", f.path, f.name)
		}
	}
	for _, f := range fields {
		switch f.value.Type() {
		case programPtr:
			f.value.Set(reflect.ValueOf(coll.Programs[f.name]))
		case mapPtr:
			f.value.Set(reflect.ValueOf(coll.Maps[f.name]))
		case variablePtr:
			f.value.Set(reflect.ValueOf(coll.Variables[f.name]))
		}
	}
	// What was assigned now belongs to the caller; close the rest.
	for _, f := range fields {
		switch f.value.Type() {
		case programPtr:
			delete(coll.Programs, f.name)
		case mapPtr:
			delete(coll.Maps, f.name)
		case variablePtr:
			delete(coll.Variables, f.name)
		}
	}
	coll.Close()
	return nil
}

// subset returns the part of cs that the fields need (see LoadAndAssign),
// sharing cs's specs.
func (cs *CollectionSpec) subset(fields []assignField) (*CollectionSpec, error) {
	sub := &CollectionSpec{
		Programs: map[string]*ProgramSpec{}, Maps: map[string]*maps.Spec{},
		ByteOrder: cs.ByteOrder, BTF: cs.BTF,
	}
	named := map[string]bool{} // maps named by the struct
	var progQueue []string
	var addMap func(name, by string) error
	addProgram := func(name string) {
		if _, ok := sub.Programs[name]; !ok {
			sub.Programs[name] = cs.Programs[name]
			progQueue = append(progQueue, name)
		}
	}
	addMap = func(name, by string) error {
		if _, ok := sub.Maps[name]; ok {
			return nil
		}
		ms := cs.Maps[name]
		if ms == nil {
			return fmt.Errorf("%s refers to map %q, which is not in the collection", by, name)
		}
		sub.Maps[name] = ms
		for _, kv := range ms.Contents {
			switch r := kv.Value.(type) {
			case MapRef:
				if err := addMap(string(r), "map "+name); err != nil {
					return err
				}
			case ProgramRef:
				if cs.Programs[string(r)] == nil {
					return fmt.Errorf("map %s: contents refer to program %q, which is not in the collection", name, string(r))
				}
				addProgram(string(r))
			}
		}
		return nil
	}
	for _, f := range fields {
		switch f.value.Type() {
		case programPtr:
			if cs.Programs[f.name] == nil {
				return nil, fmt.Errorf("field %s: no program %q in the collection (programs: %s)", f.path, f.name, strings.Join(sortedKeys(cs.Programs), ", "))
			}
			addProgram(f.name)
		case mapPtr:
			if cs.Maps[f.name] == nil {
				return nil, fmt.Errorf("field %s: no map %q in the collection (maps: %s)", f.path, f.name, strings.Join(sortedKeys(cs.Maps), ", "))
			}
			named[f.name] = true
			if err := addMap(f.name, "field "+f.path); err != nil {
				return nil, err
			}
		case variablePtr:
			vs := cs.Variables[f.name]
			if vs == nil {
				return nil, fmt.Errorf("field %s: no variable %q in the collection (variables: %s)", f.path, f.name, strings.Join(sortedKeys(cs.Variables), ", "))
			}
			if sub.Variables == nil {
				sub.Variables = map[string]*VariableSpec{}
			}
			sub.Variables[f.name] = vs
			if err := addMap(vs.MapName, "variable "+f.name); err != nil {
				return nil, err
			}
		}
	}
	for len(progQueue) > 0 {
		name := progQueue[0]
		progQueue = progQueue[1:]
		for _, ins := range cs.Programs[name].Instructions {
			if ref := ins.Reference(); ref != "" && ins.IsLoadFromMap() {
				if err := addMap(ref, "program "+name); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, name := range sortedKeys(sub.Maps) {
		ms := sub.Maps[name]
		if ms.Type == maps.ProgArray && !named[name] && ms.Pinning == maps.PinNone {
			for _, kv := range ms.Contents {
				if _, ok := kv.Value.(ProgramRef); ok {
					return nil, fmt.Errorf("program array %s holds programs and is used, but no field names it: the kernel empties a program array once no descriptor of it is open; add a *maps.Map field tagged `bpf:%q`", name, name)
				}
			}
		}
	}
	return sub, nil
}

// CloseAssigned closes every non-nil *Program, *maps.Map and *Variable
// field of the struct *from that is tagged `bpf:"name"` (what
// LoadAndAssign filled) and sets it to nil. A field assigned twice (two
// tags with one name) is closed once.
func CloseAssigned(from any) error {
	fields, err := assignFields(from)
	if err != nil {
		return fmt.Errorf("close assigned: %w", err)
	}
	var errs []error
	for _, f := range fields {
		if f.value.IsNil() {
			continue
		}
		switch c := f.value.Interface().(type) {
		case *Program:
			errs = append(errs, c.Close())
		case *maps.Map:
			errs = append(errs, c.Close())
		case *Variable:
			errs = append(errs, c.Close())
		}
		f.value.Set(reflect.Zero(f.value.Type()))
	}
	return errors.Join(errs...)
}
