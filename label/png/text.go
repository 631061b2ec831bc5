package png

import (
	"bytes"
	"compress/zlib"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/aigcmark/aigcmark/label"
)

// text is a parsed tEXt, zTXt or iTXt chunk.
type text struct {
	keyword    string
	compressed bool   // zTXt, or iTXt with the compression flag set
	lang       []byte // iTXt language tag
	translated []byte // iTXt translated keyword
	value      []byte // the text, decompressed, in UTF-8
}

// isText reports whether typ is one of the three textual chunk types.
func isText(typ string) bool { return typ == "tEXt" || typ == "zTXt" || typ == "iTXt" }

// isAIGC reports whether a text chunk keyword names the label. PNG keywords
// are case-sensitive, but a reader accepts any case.
func isAIGC(keyword string) bool { return strings.EqualFold(keyword, KeywordAIGC) }

// parseText parses the data of a textual chunk c.
func parseText(c chunk, data []byte) (text, error) {
	var t text
	nul := bytes.IndexByte(data, 0)
	if nul < 1 || nul > 79 {
		return t, label.Corrupt(name, c.off, "%s has no valid keyword", c)
	}
	t.keyword, data = string(data[:nul]), data[nul+1:]
	switch c.typ {
	case "tEXt":
		t.value = latin1(data)
	case "zTXt":
		if len(data) < 1 || data[0] != 0 {
			return t, label.Corrupt(name, c.off, "%s %q has an unknown compression method", c, t.keyword)
		}
		t.compressed = true
		v, err := inflate(c, data[1:])
		if err != nil {
			return t, err
		}
		t.value = latin1(v)
	case "iTXt":
		if len(data) < 2 {
			return t, label.Truncated(name, c.off, c.String())
		}
		flag, method := data[0], data[1]
		if flag > 1 || (flag == 1 && method != 0) {
			return t, label.Corrupt(name, c.off, "%s %q has compression flag %d, method %d", c, t.keyword, flag, method)
		}
		data = data[2:]
		i := bytes.IndexByte(data, 0)
		if i < 0 {
			return t, label.Corrupt(name, c.off, "%s %q has no end to its language tag", c, t.keyword)
		}
		t.lang, data = data[:i], data[i+1:]
		i = bytes.IndexByte(data, 0)
		if i < 0 {
			return t, label.Corrupt(name, c.off, "%s %q has no end to its translated keyword", c, t.keyword)
		}
		t.translated, data = data[:i], data[i+1:]
		t.value = data
		if flag == 1 {
			t.compressed = true
			v, err := inflate(c, data)
			if err != nil {
				return t, err
			}
			t.value = v
		}
	}
	return t, nil
}

// inflate decompresses zlib data, stopping at label.MaxMetadata bytes so
// that a small chunk cannot expand without bound.
func inflate(c chunk, data []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, label.Corrupt(name, c.off, "%s: bad compressed text: %v", c, err)
	}
	defer zr.Close()
	v, err := io.ReadAll(io.LimitReader(zr, label.MaxMetadata+1))
	if err != nil {
		return nil, label.Corrupt(name, c.off, "%s: bad compressed text: %v", c, err)
	}
	if len(v) > label.MaxMetadata {
		return nil, label.Corrupt(name, c.off, "%s decompresses to more than %d bytes", c, label.MaxMetadata)
	}
	return v, nil
}

// latin1 returns b in UTF-8. tEXt and zTXt hold ISO 8859-1, but some writers
// put UTF-8 there: text that is valid UTF-8 is kept as it is.
func latin1(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// itxt returns the data of an uncompressed iTXt chunk.
func itxt(keyword string, lang, translated, value []byte) []byte {
	b := make([]byte, 0, len(keyword)+len(lang)+len(translated)+len(value)+5)
	b = append(b, keyword...)
	b = append(b, 0, 0, 0) // keyword end, compression flag, method
	b = append(b, lang...)
	b = append(b, 0)
	b = append(b, translated...)
	b = append(b, 0)
	return append(b, value...)
}
