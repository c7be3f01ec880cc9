package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// writeJSON prints v as one JSON document (indented with --pretty). As
// bpftool's JSON writer, it leaves <, > and & unescaped.
func (c *ctx) writeJSON(v any) error {
	b, err := marshalJSON(v, c.pretty)
	if err != nil {
		return err
	}
	c.out.Write(b)
	return c.out.WriteByte('\n')
}

// marshalJSON marshals v without HTML escaping, indented by four spaces
// (bpftool -p) when pretty; the result has no trailing newline.
func marshalJSON(v any, pretty bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if pretty {
		enc.SetIndent("", "    ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// lister writes a list of records as they are produced: plain text or a
// JSON array (indented JSON is collected and written at the end). The first
// record is flushed at once, so that output starts as soon as there is some.
type lister struct {
	c     *ctx
	n     int
	items []any // for --pretty
}

func (c *ctx) newLister() *lister { return &lister{c: c} }

func (l *lister) add(v any) error {
	if l.c.pretty {
		l.items = append(l.items, v)
		return nil
	}
	b, err := marshalJSON(v, false)
	if err != nil {
		return err
	}
	if l.n == 0 {
		l.c.out.WriteByte('[')
	} else {
		l.c.out.WriteByte(',')
	}
	l.c.out.Write(b)
	l.n++
	if l.n == 1 {
		return l.c.out.Flush()
	}
	return nil
}

func (l *lister) addPlain(b []byte) {
	l.c.out.Write(b)
	l.n++
	if l.n == 1 {
		l.c.out.Flush()
	}
}

// finish ends the list (an empty JSON list is "[]").
func (l *lister) finish() error {
	if !l.c.json {
		return nil
	}
	if l.c.pretty {
		if l.items == nil {
			l.items = []any{}
		}
		return l.c.writeJSON(l.items)
	}
	if l.n == 0 {
		l.c.out.WriteByte('[')
	}
	l.c.out.WriteString("]\n")
	return nil
}

const hexDigits = "0123456789abcdef"

// appendHex formats data like bpftool's plain dumps: two hex digits per
// byte separated by sep, two spaces between groups of 8 bytes and a newline
// every 16 bytes.
func appendHex(dst, data []byte, sep string) []byte {
	for i, v := range data {
		switch {
		case i == 0:
		case i%16 == 0:
			dst = append(dst, '\n')
		case i%8 == 0:
			dst = append(dst, ' ', ' ')
		default:
			dst = append(dst, sep...)
		}
		dst = append(dst, hexDigits[v>>4], hexDigits[v&15])
	}
	return dst
}

// hexJSON is a byte string that marshals like bpftool's JSON dumps: an array
// of "0x%02x" strings.
type hexJSON []byte

// MarshalJSON implements json.Marshaler.
func (h hexJSON) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(h)*7)
	b = append(b, '[')
	for i, v := range h {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"', '0', 'x', hexDigits[v>>4], hexDigits[v&15], '"')
	}
	return append(b, ']'), nil
}

// UnmarshalJSON implements json.Unmarshaler, for tests and scripts that
// read bpfctl's output back.
func (h *hexJSON) UnmarshalJSON(b []byte) error {
	var words []string
	if err := json.Unmarshal(b, &words); err != nil {
		return err
	}
	out := make([]byte, len(words))
	for i, w := range words {
		v, err := strconv.ParseUint(w, 0, 8)
		if err != nil {
			return fmt.Errorf("byte %q: %w", w, err)
		}
		out[i] = byte(v)
	}
	*h = out
	return nil
}

// joinUint formats ids as "1,2,3".
func joinUint[T ~uint32](ids []T) string {
	var b []byte
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(id), 10)
	}
	return string(b)
}

// errNotExist matches objects that went away between listing and opening.
var errNotExist = unix.ENOENT
