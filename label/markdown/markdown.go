// Package markdown reads and writes the AIGC label of Markdown (and other
// UTF-8 text) files: a key AIGC in the YAML front matter at the start of the
// file, whose value is the seven-key mapping of GB 45438-2025 Annex E.
//
// Front matter is the block Jekyll, Hugo and Pandoc read
// (https://jekyllrb.com/docs/front-matter/): a "---" line at the very start
// of the file (after an optional UTF-8 byte order mark), YAML lines, and a
// closing "---" or "..." line. Writers put the label in block form, one
// double-quoted value per key:
//
//	---
//	title: Existing things stay
//	AIGC:
//	  Label: "1"
//	  ContentProducer: "001191110108MA01KP2T5U10000"
//	  ProduceID: "…"
//	  ReservedCode1: ""
//	  ContentPropagator: "…"
//	  PropagateID: "…"
//	  ReservedCode2: ""
//	---
//
// The double-quoted values are written so that they are both YAML and JSON
// strings. Readers also accept the flow form AIGC: {"Label":"1",…}, the
// JSON text as a quoted or block scalar, and single-quoted or plain values
// in the block form. There is no YAML library here: the package reads the
// small YAML subset above and reports whatever else it finds under AIGC as
// a problem of the label (see Format.Read).
package markdown

import (
	"bytes"
	"unicode/utf8"

	"github.com/aigcmark/aigcmark/label"
)

// Format is Markdown with YAML front matter. It has no magic bytes: its
// Sniff accepts any UTF-8 text, so it must be the last format tried.
type Format struct{}

var _ label.Format = Format{}

const name = "markdown"

// MaxFrontMatter bounds the front matter, from the first byte of the file
// to the end of the closing line.
const MaxFrontMatter = 1 << 20

var bom = []byte("\xef\xbb\xbf")

// Name returns "markdown".
func (Format) Name() string { return name }

// Sniff reports whether head looks like text: not empty, no NUL byte, valid
// UTF-8 (a rune cut off at the end of head is allowed).
func (Format) Sniff(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	if utf8.Valid(head) {
		return true
	}
	// Allow an incomplete rune at the very end.
	for i := len(head) - 1; i >= 0 && i >= len(head)-utf8.UTFMax; i-- {
		if utf8.RuneStart(head[i]) {
			return !utf8.FullRune(head[i:]) && utf8.Valid(head[:i])
		}
	}
	return false
}
