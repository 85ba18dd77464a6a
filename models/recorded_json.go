package models

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The audit log keeps each recorded row as a JSON object of its columns, nearly always
// scalars: text, numbers, true, false and null. The log's page decodes two of them per entry
// (fifty entries a page), which through encoding/json was the largest part of the page's own
// work. decodeRecord reads that usual shape directly and leaves everything else to
// encoding/json, so that what it returns is always what json.Unmarshal would.

// decodeRecord decodes the JSON object s into a map, keeping only the keys keep accepts (every
// key when keep is nil). Its result is json.Unmarshal's, less the keys not kept: an object
// of scalars is read here, anything else (a nested object or array, a surrogate escape,
// malformed text, a number out of range) by encoding/json.
func decodeRecord(s string, keep func(string) bool) (map[string]any, error) {
	if m, ok := scanRecord(s, keep); ok {
		return m, nil
	}
	var m map[string]any
	err := json.Unmarshal([]byte(s), &m)
	if keep != nil {
		for k := range m {
			if !keep(k) {
				delete(m, k)
			}
		}
	}
	return m, err
}

// decodeNames decodes a JSON array of strings (a row's changed columns), as decodeRecord does
// an object.
func decodeNames(s string) ([]string, error) {
	if out, ok := scanNames(s); ok {
		return out, nil
	}
	var out []string
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// jsonScanner reads the scalar JSON that decodeRecord and decodeNames take; any method
// returning false means "not that shape", never an answer.
type jsonScanner struct {
	s string
	i int
}

func (p *jsonScanner) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether the next byte is c, consuming it if so.
func (p *jsonScanner) next(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *jsonScanner) end() bool {
	p.space()
	return p.i == len(p.s)
}

func scanRecord(s string, keep func(string) bool) (map[string]any, bool) {
	p := jsonScanner{s: s}
	if !p.next('{') {
		return nil, false
	}
	m := map[string]any{}
	if p.next('}') {
		return m, p.end()
	}
	for {
		p.space()
		key, ok := p.str()
		if !ok || !p.next(':') {
			return nil, false
		}
		want := keep == nil || keep(key)
		v, ok := p.scalar(want)
		if !ok {
			return nil, false
		}
		if want {
			m[key] = v
		}
		if p.next(',') {
			continue
		}
		if p.next('}') && p.end() {
			return m, true
		}
		return nil, false
	}
}

func scanNames(s string) ([]string, bool) {
	p := jsonScanner{s: s}
	if !p.next('[') {
		return nil, false
	}
	out := []string{}
	if p.next(']') {
		return out, p.end()
	}
	for {
		p.space()
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if p.next(',') {
			continue
		}
		if p.next(']') && p.end() {
			return out, true
		}
		return nil, false
	}
}

// scalar reads a string, a number, true, false or null after white space; the value itself
// only when want (a value not kept is checked, never made into an interface value).
func (p *jsonScanner) scalar(want bool) (any, bool) {
	p.space()
	if p.i == len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '"':
		v, ok := p.str()
		if !want {
			return nil, ok
		}
		return v, ok
	case c == '-' || ('0' <= c && c <= '9'):
		f, ok := p.number()
		if !want {
			return nil, ok
		}
		return f, ok
	default:
		for _, lit := range [...]struct {
			text  string
			value any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if len(p.s)-p.i >= len(lit.text) && p.s[p.i:p.i+len(lit.text)] == lit.text {
				p.i += len(lit.text)
				return lit.value, true
			}
		}
		return nil, false // an object, an array or not JSON
	}
}

// number reads a JSON number as encoding/json does into an interface: a float64. One that
// does not fit is not this shape (encoding/json's error says so).
func (p *jsonScanner) number() (float64, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return 0, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return 0, false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	return f, err == nil
}

func (p *jsonScanner) digits() int {
	n := 0
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// str reads a JSON string at p.i. Text without escapes is a slice of s; escapes are
// unescaped, but for \u escapes of surrogates, which encoding/json pairs or replaces.
// Invalid UTF-8, which encoding/json replaces, is not this shape either.
func (p *jsonScanner) str() (string, bool) {
	if p.i == len(p.s) || p.s[p.i] != '"' {
		return "", false
	}
	p.i++
	start, ascii := p.i, true
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			return v, ascii || utf8.ValidString(v)
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	return "", false
}

// escaped finishes a string from start, its first escape being at p.i.
func (p *jsonScanner) escaped(start int) (string, bool) {
	b := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), utf8.Valid(b)
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 == len(p.s) {
			return "", false
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if len(p.s)-p.i < 4 {
				return "", false
			}
			r, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
			if err != nil || utf16.IsSurrogate(rune(r)) {
				return "", false
			}
			b = utf8.AppendRune(b, rune(r))
			p.i += 4
		default:
			return "", false
		}
	}
	return "", false
}
