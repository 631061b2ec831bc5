// Package exif reads the AIGC label from the UserComment tag of an EXIF
// block: the TIFF-structured data that JPEG carries in APP1 after
// "Exif\x00\x00", WebP in its "EXIF" chunk and PNG in "eXIf".
//
// It understands just enough TIFF (both byte orders) to follow IFD0 and its
// chain to the Exif sub-IFD (tag 0x8769) and find UserComment (tag 0x9286),
// whose value starts with an 8-byte character code: "ASCII\x00\x00\x00",
// "UNICODE\x00" (UTF-16 in the block's byte order), "JIS\x00\x00\x00\x00\x00",
// or eight NULs for undefined. Every count and offset read from the block
// is checked against its size.
//
// Specification: CIPA DC-008 (Exif 2.32), sections 4.5 (TIFF structure)
// and 4.6.5 (UserComment); GB 45438-2025 Annex E for the label.
package exif

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"unicode/utf16"

	"github.com/aigcmark/aigcmark/label"
)

// Tags this package follows.
const (
	TagOrientation = 0x0112 // Orientation of IFD0, type SHORT, 1..8 (CIPA DC-008 4.6.4 A)
	TagExifIFD     = 0x8769 // pointer to the Exif sub-IFD
	TagUserComment = 0x9286 // UserComment, type UNDEFINED, 8-byte code prefix
)

// maxIFDs bounds how many IFDs one block may make us visit.
const maxIFDs = 32

// Character codes of UserComment.
var (
	codeASCII     = []byte("ASCII\x00\x00\x00")
	codeUnicode   = []byte("UNICODE\x00")
	codeJIS       = []byte("JIS\x00\x00\x00\x00\x00")
	codeUndefined = []byte("\x00\x00\x00\x00\x00\x00\x00\x00")
)

// comment is one UserComment value found in a block.
type comment struct {
	off, n  int // the value's bytes in the block, code prefix included
	textOff int // where the text starts (after the code, if any)
	unicode bool
	order   binary.ByteOrder // for unicode text
}

// Labels returns the AIGC labels in the block's UserComment: a UserComment
// whose text (trimmed of NULs and spaces) is a JSON object holding an AIGC
// label — the wrapped form {"AIGC":{…}}, or a bare object with a "Label"
// key and at least one other Annex E key — becomes a label.Found with
// carrier label.CarrierEXIF. base is the block's offset in the file: each
// Found.Offset is base plus the UserComment value's offset in the block.
// where describes the location for people ("EXIF UserComment in APP1").
//
// A UserComment that holds anything else (a camera's note, blank padding)
// is no label and is ignored. Errors are *label.FormatError with Format
// "exif".
func Labels(block []byte, base int64, where string) ([]label.Found, error) {
	cs, err := comments(block, base)
	if err != nil {
		return nil, err
	}
	var out []label.Found
	for _, c := range cs {
		text := c.text(block)
		if holdsLabel(text) {
			out = append(out, label.NewFound(label.CarrierEXIF, where, base+int64(c.off), text))
		}
	}
	return out, nil
}

// BlankLabels overwrites, in place, the text of every UserComment that holds
// an AIGC label with spaces, keeping its character code and length so that
// no offset moves, and reports whether it changed anything. Container
// writers call it when they move the label into their primary carrier, so
// that the file keeps exactly one label.
func BlankLabels(block []byte) (bool, error) {
	cs, err := comments(block, 0)
	if err != nil {
		return false, err
	}
	changed := false
	for _, c := range cs {
		if !holdsLabel(c.text(block)) {
			continue
		}
		v := block[c.textOff : c.off+c.n]
		if c.unicode {
			for i := 0; i+1 < len(v); i += 2 {
				c.order.PutUint16(v[i:], ' ')
			}
		} else {
			for i := range v {
				v[i] = ' '
			}
		}
		changed = true
	}
	return changed, nil
}

// text returns the comment's text as UTF-8, trimmed of NULs and spaces.
func (c comment) text(block []byte) []byte {
	v := block[c.textOff : c.off+c.n]
	if c.unicode {
		u := make([]uint16, len(v)/2)
		for i := range u {
			u[i] = c.order.Uint16(v[2*i:])
		}
		if len(u) > 0 && u[0] == 0xFEFF {
			u = u[1:]
		}
		v = []byte(string(utf16.Decode(u)))
	}
	return bytes.Trim(v, "\x00 \t\r\n")
}

// holdsLabel reports whether text is a JSON object holding an AIGC label:
// one with the key AIGC, or one with the key Label and at least one other
// Annex E key (keys compared without regard to case, as label.Parse does).
func holdsLabel(text []byte) bool {
	text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
	if len(text) == 0 || text[0] != '{' {
		return false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(text, &obj) != nil {
		return false
	}
	hasLabel, others := false, 0
	for k := range obj {
		switch {
		case strings.EqualFold(k, label.WrapKey):
			return true
		case strings.EqualFold(k, "Label"):
			hasLabel = true
		default:
			for _, ak := range label.Keys[1:] {
				if strings.EqualFold(k, ak) {
					others++
				}
			}
		}
	}
	return hasLabel && others > 0
}
