package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/purebpf/bpf/maps"
)

// openMapRef opens the map named by "ID", "id ID", "pinned PATH" or
// "name NAME" and returns the words after the reference.
func openMapRef(args []string) (*maps.Map, []string, error) {
	if len(args) == 0 {
		return nil, nil, usagef("missing map (ID, id ID, pinned PATH or name NAME)")
	}
	switch args[0] {
	case "id":
		if len(args) < 2 {
			return nil, nil, usagef("id needs a map id")
		}
		args = args[1:]
	case "pinned":
		if len(args) < 2 {
			return nil, nil, usagef("pinned needs a path")
		}
		m, err := maps.LoadPinned(args[1])
		return m, args[2:], err
	case "name":
		if len(args) < 2 {
			return nil, nil, usagef("name needs a map name")
		}
		m, err := mapByName(args[1])
		return m, args[2:], err
	}
	id, err := strconv.ParseUint(args[0], 0, 32)
	if err != nil {
		return nil, nil, usagef("%q is not a map id", args[0])
	}
	m, err := maps.FromID(maps.ID(id))
	if err != nil {
		return nil, nil, fmt.Errorf("map %d: %w", id, err)
	}
	return m, args[1:], nil
}

// mapByName opens the only map called name.
func mapByName(name string) (*maps.Map, error) {
	ids, err := maps.IDs()
	if err != nil {
		return nil, fmt.Errorf("list maps: %w", err)
	}
	var found *maps.Map
	var foundIDs []maps.ID
	for _, id := range ids {
		m, err := maps.FromID(id)
		if err != nil {
			continue // gone meanwhile
		}
		if m.Name() != name {
			m.Close()
			continue
		}
		foundIDs = append(foundIDs, id)
		if found == nil {
			found = m
		} else {
			m.Close()
		}
	}
	switch {
	case found == nil:
		return nil, fmt.Errorf("no map named %q", name)
	case len(foundIDs) > 1:
		found.Close()
		return nil, fmt.Errorf("%d maps are named %q (ids %s): use an id", len(foundIDs), name, joinUint(foundIDs))
	}
	return found, nil
}

// mapJSON is a map as bpftool -j map show prints it.
type mapJSON struct {
	ID           maps.ID `json:"id"`
	Type         string  `json:"type"`
	Name         string  `json:"name,omitempty"`
	Flags        uint32  `json:"flags"`
	BytesKey     uint32  `json:"bytes_key"`
	BytesValue   uint32  `json:"bytes_value"`
	MaxEntries   uint32  `json:"max_entries"`
	BytesMemlock uint64  `json:"bytes_memlock"`
	Frozen       int     `json:"frozen"`
	BTFID        uint32  `json:"btf_id,omitempty"`
}

func describeMap(m *maps.Map) (*mapJSON, *maps.Info, error) {
	info, err := m.Info()
	if err != nil {
		return nil, nil, fmt.Errorf("map info: %w", err)
	}
	mj := &mapJSON{
		ID: info.ID, Type: info.Type.String(), Name: info.Name, Flags: uint32(info.Flags),
		BytesKey: info.KeySize, BytesValue: info.ValueSize, MaxEntries: info.MaxEntries,
		BTFID: uint32(info.BTF),
	}
	mj.BytesMemlock, _ = m.MemoryLocked()
	if frozen, _ := m.Frozen(); frozen {
		mj.Frozen = 1
	}
	return mj, info, nil
}

func appendMapPlain(b []byte, m *mapJSON) []byte {
	b = fmt.Appendf(b, "%d: %s  ", m.ID, m.Type)
	if m.Name != "" {
		b = fmt.Appendf(b, "name %s  ", m.Name)
	}
	b = fmt.Appendf(b, "flags 0x%x\n\tkey %dB  value %dB  max_entries %d", m.Flags, m.BytesKey, m.BytesValue, m.MaxEntries)
	if m.BytesMemlock != 0 {
		b = fmt.Appendf(b, "  memlock %dB", m.BytesMemlock)
	}
	if m.BTFID != 0 || m.Frozen != 0 {
		b = append(b, "\n\t"...)
	}
	if m.BTFID != 0 {
		b = fmt.Appendf(b, "btf_id %d", m.BTFID)
	}
	if m.Frozen != 0 {
		if m.BTFID != 0 {
			b = append(b, "  "...)
		}
		b = append(b, "frozen"...)
	}
	return append(b, '\n')
}

func mapShow(c *ctx, args []string) error {
	if len(args) > 0 {
		m, rest, err := openMapRef(args)
		if err != nil {
			return err
		}
		defer m.Close()
		if len(rest) > 0 {
			return usagef("unexpected %q", rest[0])
		}
		mj, _, err := describeMap(m)
		if err != nil {
			return err
		}
		if c.json {
			return c.writeJSON(mj)
		}
		c.out.Write(appendMapPlain(nil, mj))
		return nil
	}
	ids, err := maps.IDs()
	if err != nil {
		return fmt.Errorf("list maps: %w", err)
	}
	l := c.newLister()
	var buf []byte
	for _, id := range ids {
		m, err := maps.FromID(id)
		if errors.Is(err, errNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("map %d: %w", id, err)
		}
		mj, _, err := describeMap(m)
		m.Close()
		if err != nil {
			return fmt.Errorf("map %d: %w", id, err)
		}
		if c.json {
			if err := l.add(mj); err != nil {
				return err
			}
			continue
		}
		buf = appendMapPlain(buf[:0], mj)
		l.addPlain(buf)
	}
	return l.finish()
}

// layout describes how one element of a map is laid out in user space.
type layout struct {
	keySize, valueSize int
	perCPU             bool
	cpus               int // possible CPUs, for per-CPU maps
	stride             int // per-CPU value size rounded up to 8
}

func mapLayout(m *maps.Map) (layout, error) {
	l := layout{keySize: int(m.KeySize()), valueSize: int(m.ValueSize()), perCPU: m.Type().PerCPU()}
	if l.perCPU {
		n, err := maps.PossibleCPUs()
		if err != nil {
			return l, err
		}
		l.cpus, l.stride = n, (l.valueSize+7)&^7
	}
	return l, nil
}

// bufSize is the size of a value buffer for Lookup.
func (l layout) bufSize() int {
	if l.perCPU {
		return l.cpus * l.stride
	}
	return l.valueSize
}

// cpuValueJSON is one CPU's value of a per-CPU element.
type cpuValueJSON struct {
	CPU   int     `json:"cpu"`
	Value hexJSON `json:"value"`
}

// elemJSON is a map element as bpftool -j map dump prints it.
type elemJSON struct {
	Key    hexJSON        `json:"key"`
	Value  hexJSON        `json:"value,omitempty"`
	Values []cpuValueJSON `json:"values,omitempty"`
	// Formatted is the element formatted with the map's BTF, for maps
	// that have it, as bpftool -j prints it.
	Formatted json.RawMessage `json:"formatted,omitempty"`
}

func (l layout) elemJSON(key, value []byte) elemJSON {
	e := elemJSON{Key: bytes.Clone(key)}
	if !l.perCPU {
		e.Value = bytes.Clone(value)
		return e
	}
	e.Values = make([]cpuValueJSON, l.cpus)
	for i := range e.Values {
		e.Values[i] = cpuValueJSON{CPU: i, Value: bytes.Clone(value[i*l.stride : i*l.stride+l.valueSize])}
	}
	return e
}

// elemJSONBTF is elemJSON with, when kb is not nil, the element formatted
// with BTF.
func (l layout) elemJSONBTF(kb *kvBTF, key, value []byte) (elemJSON, error) {
	e := l.elemJSON(key, value)
	if kb == nil {
		return e, nil
	}
	b, err := kb.appendElem(nil, l, key, value, 0, false)
	e.Formatted = b
	return e, err
}

// appendElemPlain formats an element like bpftool map dump.
func (l layout) appendElemPlain(b, key, value []byte) []byte {
	if !l.perCPU {
		breakNames := l.keySize > 16 || l.valueSize > 16
		singleLine := l.keySize+l.valueSize <= 24 && !breakNames
		sep := byte(' ')
		if breakNames {
			sep = '\n'
		}
		b = append(b, "key:"...)
		b = append(b, sep)
		b = appendHex(b, key, " ")
		if singleLine {
			b = append(b, "  "...)
		} else {
			b = append(b, '\n')
		}
		b = append(b, "value:"...)
		b = append(b, sep)
		b = appendHex(b, value, " ")
		return append(b, '\n')
	}
	b = append(b, "key:\n"...)
	b = appendHex(b, key, " ")
	b = append(b, '\n')
	for i := 0; i < l.cpus; i++ {
		b = fmt.Appendf(b, "value (CPU %02d):", i)
		if l.valueSize > 16 {
			b = append(b, '\n')
		} else {
			b = append(b, ' ')
		}
		b = appendHex(b, value[i*l.stride:i*l.stride+l.valueSize], " ")
		b = append(b, '\n')
	}
	return b
}

func mapDump(c *ctx, args []string) error {
	m, rest, err := openMapRef(args)
	if err != nil {
		return err
	}
	defer m.Close()
	if len(rest) > 0 {
		return usagef("unexpected %q", rest[0])
	}
	l, err := mapLayout(m)
	if err != nil {
		return err
	}
	kb := mapBTF(m, l)
	key, value := make([]byte, l.keySize), make([]byte, l.bufSize())
	it := m.Iterate()
	n := 0
	list := []elemJSON{}
	var buf []byte
	for it.Next(key, value) {
		n++
		if c.json {
			e, err := l.elemJSONBTF(kb, key, value)
			if err != nil {
				return fmt.Errorf("dump %s: %w", mapLabel(m), err)
			}
			list = append(list, e)
			continue
		}
		if kb != nil {
			// bpftool's BTF dump: a JSON-like list of {"key": ..., "value": ...}.
			buf = buf[:0]
			if n == 1 {
				buf = append(buf, '[')
			} else {
				buf = append(buf, ',')
			}
			if buf, err = kb.appendElem(buf, l, key, value, 1, true); err != nil {
				return fmt.Errorf("dump %s: %w", mapLabel(m), err)
			}
			c.out.Write(buf)
			continue
		}
		buf = l.appendElemPlain(buf[:0], key, value)
		c.out.Write(buf)
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("dump %s: %w", mapLabel(m), err)
	}
	if c.json {
		return c.writeJSON(list)
	}
	if kb != nil {
		if n == 0 {
			c.out.WriteString("[]\n")
		} else {
			c.out.WriteString("\n]\n")
		}
		return nil
	}
	s := "s"
	if n == 1 {
		s = ""
	}
	fmt.Fprintf(c.out, "Found %d element%s\n", n, s)
	return nil
}

// parseKey reads "[key] BYTES" and checks the key size.
func parseKey(m *maps.Map, l layout, args []string, stop ...string) ([]byte, []string, error) {
	if len(args) > 0 && args[0] == "key" {
		args = args[1:]
	}
	key, rest, err := parseBytes(args, stop...)
	if err != nil {
		return nil, nil, err
	}
	if len(key) != l.keySize {
		return nil, nil, usagef("key has %d bytes, %s needs %d", len(key), mapLabel(m), l.keySize)
	}
	return key, rest, nil
}

func mapLookup(c *ctx, args []string) error {
	m, rest, err := openMapRef(args)
	if err != nil {
		return err
	}
	defer m.Close()
	l, err := mapLayout(m)
	if err != nil {
		return err
	}
	key, rest, err := parseKey(m, l, rest)
	if err != nil {
		return err
	}
	value := make([]byte, l.bufSize())
	if err := m.Lookup(key, value); err != nil {
		if errors.Is(err, maps.ErrKeyNotExist) {
			// What bpftool prints (on stdout), and exit status 3.
			if c.json {
				c.out.WriteString("null\n")
			} else {
				b := appendHex([]byte("key:\n"), key, " ")
				c.out.Write(append(b, "\n\nNot found\n"...))
			}
			return &exitError{code: exitNotFound, err: keyError("lookup", m, key, err)}
		}
		return keyError("lookup", m, key, err)
	}
	kb := mapBTF(m, l)
	if c.json {
		e, err := l.elemJSONBTF(kb, key, value)
		if err != nil {
			return fmt.Errorf("%s: %w", mapLabel(m), err)
		}
		return c.writeJSON(e)
	}
	if kb != nil {
		b, err := kb.appendElem(nil, l, key, value, 0, true)
		if err != nil {
			return fmt.Errorf("%s: %w", mapLabel(m), err)
		}
		c.out.Write(append(b, '\n'))
		return nil
	}
	c.out.Write(l.appendElemPlain(nil, key, value))
	return nil
}

func mapUpdate(c *ctx, args []string) error {
	m, rest, err := openMapRef(args)
	if err != nil {
		return err
	}
	defer m.Close()
	l, err := mapLayout(m)
	if err != nil {
		return err
	}
	key, rest, err := parseKey(m, l, rest, "value")
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("missing value")
	}
	value, rest, err := parseBytes(rest[1:], "any", "exist", "noexist")
	if err != nil {
		return err
	}
	flags := maps.UpdateAny
	switch {
	case c.cl.has("noexist"):
		flags = maps.UpdateNoExist
	case c.cl.has("exist"):
		flags = maps.UpdateExist
	}
	if len(rest) > 0 {
		switch rest[0] {
		case "exist":
			flags = maps.UpdateExist
		case "noexist":
			flags = maps.UpdateNoExist
		}
		if len(rest) > 1 {
			return usagef("unexpected %q", rest[1])
		}
	}
	switch {
	case l.perCPU && len(value) == l.valueSize:
		// The same value on every CPU, as bpftool does.
		full := make([]byte, l.bufSize())
		for i := 0; i < l.cpus; i++ {
			copy(full[i*l.stride:], value)
		}
		value = full
	case l.perCPU && len(value) == l.bufSize():
	case len(value) != l.valueSize:
		return usagef("value has %d bytes, %s needs %d", len(value), mapLabel(m), l.valueSize)
	}
	if err := updateValue(m, l, key, value, flags); err != nil {
		return keyError("update", m, key, err)
	}
	return nil
}

func mapDelete(c *ctx, args []string) error {
	m, rest, err := openMapRef(args)
	if err != nil {
		return err
	}
	defer m.Close()
	l, err := mapLayout(m)
	if err != nil {
		return err
	}
	key, rest, err := parseKey(m, l, rest)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected %q", rest[0])
	}
	if err := m.Delete(key); err != nil {
		return keyError("delete", m, key, err)
	}
	return nil
}

func updateValue(m *maps.Map, l layout, key, value []byte, flags maps.UpdateFlags) error {
	if l.perCPU {
		return m.UpdatePerCPU(key, value, flags)
	}
	return m.Update(key, value, flags)
}

// mapLabel names a map in messages: "map 14 (rxcnt)".
func mapLabel(m *maps.Map) string {
	return fmt.Sprintf("map %d (%s)", m.ID(), m.Name())
}

func keyError(op string, m *maps.Map, key []byte, err error) error {
	if errors.Is(err, maps.ErrKeyNotExist) {
		return fmt.Errorf("%s: %s: key %s not found", mapLabel(m), op, appendHex(nil, key, " "))
	}
	return fmt.Errorf("%s: %s key %s: %w", mapLabel(m), op, appendHex(nil, key, " "), err)
}
