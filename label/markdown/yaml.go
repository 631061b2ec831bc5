package markdown

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads the value of the AIGC key: the small YAML subset the
// label needs. It never panics; what it cannot read becomes a message in
// problems.

// pair is one key and value of a mapping.
type pair struct {
	key, value string
	empty      bool // nothing followed "key:" on its line
}

// parseValue reads the value of an AIGC key: inline is the text after the
// key's ':' and block the lines under it. It returns the JSON text of the
// label (given as JSON, or rebuilt from a YAML mapping) and what it could
// not read.
func parseValue(inline []byte, block [][]byte) (raw []byte, problems []string) {
	in := bytes.TrimSpace(inline)
	switch {
	case len(in) == 0 || in[0] == '#':
		if nonBlank(block) == 0 {
			return nil, []string{"AIGC has no value"}
		}
		pairs, ps := blockMapping(block)
		return buildJSON(pairs), ps
	case in[0] == '|' || in[0] == '>':
		// A block scalar holding the JSON text.
		return []byte(strings.Join(dedent(block), "\n")), nil
	case in[0] == '{':
		text := joinFlow(in, block)
		if json.Valid(text) {
			return text, nil
		}
		pairs, ps := flowMapping(text)
		return buildJSON(pairs), ps
	case in[0] == '"' || in[0] == '\'':
		text := joinFlow(in, block)
		s, rest, err := quoted(text)
		if err != nil {
			return text, []string{err.Error()}
		}
		if r := bytes.TrimSpace(rest); len(r) > 0 && r[0] != '#' {
			return []byte(s), []string{fmt.Sprintf("text after the quoted value: %q", r)}
		}
		return []byte(s), nil
	default:
		// A plain scalar: taken as the JSON text itself.
		return joinFlow(stripComment(in), block), nil
	}
}

func nonBlank(lines [][]byte) int {
	n := 0
	for _, l := range lines {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			n++
		}
	}
	return n
}

// joinFlow joins a value that goes on over indented lines, folding the
// line breaks into spaces as YAML does for flow and quoted scalars.
func joinFlow(first []byte, block [][]byte) []byte {
	out := append([]byte{}, first...)
	for _, l := range block {
		if t := bytes.TrimSpace(l); len(t) > 0 {
			out = append(append(out, ' '), t...)
		}
	}
	return out
}

// dedent returns the lines of a block scalar without their common indent.
func dedent(block [][]byte) []string {
	indent := -1
	for _, l := range block {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		n := len(l) - len(bytes.TrimLeft(l, " \t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	var out []string
	for _, l := range block {
		if len(l) >= indent && indent >= 0 {
			out = append(out, string(l[indent:]))
		} else {
			out = append(out, "")
		}
	}
	return out
}

// blockMapping reads "key: value" lines that share one indentation.
func blockMapping(block [][]byte) ([]pair, []string) {
	var pairs []pair
	var problems []string
	indent, nested := -1, -1
	for _, l := range block {
		t := bytes.TrimSpace(l)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		n := len(l) - len(bytes.TrimLeft(l, " \t"))
		if bytes.IndexByte(l[:n], '\t') >= 0 {
			problems = append(problems, fmt.Sprintf("tab in the indentation of %q", t))
			continue
		}
		if indent < 0 {
			indent = n
		}
		if n != indent {
			if n > indent && nested < 0 && len(pairs) > 0 && pairs[len(pairs)-1].value == "" && pairs[len(pairs)-1].empty {
				// "key:" followed by a deeper block: a nested value.
				k := pairs[len(pairs)-1].key
				pairs = pairs[:len(pairs)-1]
				problems = append(problems, fmt.Sprintf("value of %q is a nested block, not a string", k))
				nested = n
				continue
			}
			if n >= nested && nested >= 0 {
				continue
			}
			problems = append(problems, fmt.Sprintf("line %q is not at the mapping's indentation (multi-line scalars are not read)", t))
			continue
		}
		nested = -1
		k, rest, err := mapKey(t)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		v, err := scalar(rest, false)
		if err != nil {
			problems = append(problems, fmt.Sprintf("value of %q: %v", k, err))
			continue
		}
		pairs = append(pairs, pair{key: k, value: v, empty: len(bytes.TrimSpace(stripComment(bytes.TrimSpace(rest)))) == 0})
	}
	return pairs, problems
}

// mapKey splits "key: rest" (the key plain or quoted).
func mapKey(t []byte) (string, []byte, error) {
	var key string
	if t[0] == '"' || t[0] == '\'' {
		s, rest, err := quoted(t)
		if err != nil {
			return "", nil, err
		}
		key, t = s, bytes.TrimLeft(rest, " \t")
		if len(t) == 0 || t[0] != ':' {
			return "", nil, fmt.Errorf("no ':' after the key %q", key)
		}
		return key, t[1:], nil
	}
	i := bytes.Index(t, []byte(": "))
	if i < 0 {
		if bytes.HasSuffix(t, []byte(":")) {
			i = len(t) - 1
		} else {
			return "", nil, fmt.Errorf("%q is not a \"key: value\" line", t)
		}
	}
	key = string(bytes.TrimRight(t[:i], " \t"))
	if key == "" || key[0] == '-' || key[0] == '[' || key[0] == '{' {
		return "", nil, fmt.Errorf("%q is not a \"key: value\" line", t)
	}
	return key, t[i+1:], nil
}

// scalar reads one scalar value: double-quoted, single-quoted or plain.
// In flow context a plain scalar may not hold ',', '{', '}', '[' or ']'.
func scalar(t []byte, flow bool) (string, error) {
	t = bytes.TrimSpace(t)
	if len(t) == 0 {
		return "", nil
	}
	if t[0] == '"' || t[0] == '\'' {
		s, rest, err := quoted(t)
		if err != nil {
			return "", err
		}
		if r := bytes.TrimSpace(rest); len(r) > 0 && r[0] != '#' {
			return "", fmt.Errorf("text after the quoted value: %q", r)
		}
		return s, nil
	}
	switch t[0] {
	case '{', '[', '|', '>', '&', '*', '!', '@', '`':
		return "", fmt.Errorf("%q is not a plain string (nested values, block scalars, anchors and tags are not read)", t)
	}
	t = stripComment(t)
	if flow && bytes.ContainsAny(t, ",{}[]") {
		return "", fmt.Errorf("%q is not a plain string", t)
	}
	if s := string(t); s == "~" || s == "null" {
		return "", nil
	}
	return string(t), nil
}

// stripComment removes a " #" comment from a plain scalar.
func stripComment(t []byte) []byte {
	for i := 1; i < len(t); i++ {
		if t[i] == '#' && (t[i-1] == ' ' || t[i-1] == '\t') {
			return bytes.TrimRight(t[:i], " \t")
		}
	}
	return t
}

// quoted reads a YAML quoted scalar at the start of t and returns its
// value and the text after the closing quote.
func quoted(t []byte) (string, []byte, error) {
	q := t[0]
	var b strings.Builder
	for i := 1; i < len(t); {
		c := t[i]
		switch {
		case q == '\'' && c == '\'':
			if i+1 < len(t) && t[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			return b.String(), t[i+1:], nil
		case q == '"' && c == '"':
			return b.String(), t[i+1:], nil
		case q == '"' && c == '\\':
			n, err := unescape(&b, t[i:])
			if err != nil {
				return "", nil, err
			}
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", nil, fmt.Errorf("quoted value %q is not closed", t)
}

// unescape decodes the YAML escape sequence at the start of t into b and
// returns its length.
func unescape(b *strings.Builder, t []byte) (int, error) {
	if len(t) < 2 {
		return 0, fmt.Errorf("lone backslash at the end of a quoted value")
	}
	simple := map[byte]string{'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n",
		'v': "\v", 'f': "\f", 'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"", '/': "/", '\\': "\\",
		'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029"}
	if s, ok := simple[t[1]]; ok {
		b.WriteString(s)
		return 2, nil
	}
	digits := map[byte]int{'x': 2, 'u': 4, 'U': 8}[t[1]]
	if digits == 0 {
		return 0, fmt.Errorf("unknown escape \\%c", t[1])
	}
	if len(t) < 2+digits {
		return 0, fmt.Errorf("escape %q is cut short", t)
	}
	v, err := strconv.ParseUint(string(t[2:2+digits]), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("bad escape %q", t[:2+digits])
	}
	// A JSON-style surrogate pair \uD83D\uDE00.
	if v >= 0xd800 && v < 0xdc00 && len(t) >= 12 && t[6] == '\\' && t[7] == 'u' {
		if lo, err := strconv.ParseUint(string(t[8:12]), 16, 32); err == nil && lo >= 0xdc00 && lo < 0xe000 {
			b.WriteRune(rune((v-0xd800)<<10 + (lo - 0xdc00) + 0x10000))
			return 12, nil
		}
	}
	if v > utf8.MaxRune || (v >= 0xd800 && v < 0xe000) {
		b.WriteRune(utf8.RuneError)
	} else {
		b.WriteRune(rune(v))
	}
	return 2 + digits, nil
}

// flowMapping reads a YAML flow mapping {key: value, …} of scalars.
func flowMapping(text []byte) ([]pair, []string) {
	t := bytes.TrimSpace(text)
	if len(t) < 2 || t[0] != '{' {
		return nil, []string{fmt.Sprintf("%q is not a flow mapping", t)}
	}
	t = t[1:]
	var pairs []pair
	for {
		t = bytes.TrimSpace(t)
		if len(t) == 0 {
			return pairs, []string{"flow mapping is not closed with '}'"}
		}
		if t[0] == '}' {
			if r := bytes.TrimSpace(t[1:]); len(r) > 0 && r[0] != '#' {
				return pairs, []string{fmt.Sprintf("text after the flow mapping: %q", r)}
			}
			return pairs, nil
		}
		// The key.
		var key string
		if t[0] == '"' || t[0] == '\'' {
			s, rest, err := quoted(t)
			if err != nil {
				return pairs, []string{err.Error()}
			}
			key, t = s, bytes.TrimLeft(rest, " \t")
		} else {
			i := bytes.IndexAny(t, ":,}")
			if i < 0 {
				return pairs, []string{"flow mapping is not closed with '}'"}
			}
			key, t = string(bytes.TrimSpace(t[:i])), t[i:]
		}
		if len(t) == 0 || t[0] != ':' {
			return pairs, []string{fmt.Sprintf("no ':' after the key %q in the flow mapping", key)}
		}
		t = bytes.TrimLeft(t[1:], " \t")
		// The value runs to the next ',' or '}' outside quotes.
		end := 0
		if len(t) > 0 && (t[0] == '"' || t[0] == '\'') {
			_, rest, err := quoted(t)
			if err != nil {
				return pairs, []string{err.Error()}
			}
			end = len(t) - len(rest)
		}
		i := bytes.IndexAny(t[end:], ",}")
		if i < 0 {
			return pairs, []string{"flow mapping is not closed with '}'"}
		}
		v, err := scalar(t[:end+i], true)
		if err != nil {
			return pairs, []string{fmt.Sprintf("value of %q: %v", key, err)}
		}
		pairs = append(pairs, pair{key: key, value: v})
		t = t[end+i:]
		if t[0] == ',' {
			t = t[1:]
		}
	}
}

// buildJSON returns the JSON object of pairs, in their order.
func buildJSON(pairs []pair) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(p.key))
		b.WriteByte(':')
		b.WriteString(quote(p.value))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// quote returns s as a double-quoted string that is both a JSON string and
// a YAML double-quoted scalar: '"' and '\' escaped, control characters,
// DEL, C1 controls, U+2028, U+2029 and U+FEFF as \u escapes, invalid UTF-8
// as U+FFFD, everything else as it is.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20, r >= 0x7f && r < 0xa0, r == 0x2028, r == 0x2029, r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r) // utf8.RuneError for invalid bytes
		}
	}
	b.WriteByte('"')
	return b.String()
}
