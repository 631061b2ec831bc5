// Package png reads and writes the AIGC label of GB 45438-2025 Annex E in
// PNG files (https://www.w3.org/TR/png-3/).
//
// The primary carrier is XMP in an iTXt chunk with keyword XML:com.adobe.xmp
// (the TC260:AIGC property, see package label/xmp). The TC260 image guide's
// alternative, a text chunk (tEXt, zTXt or iTXt) with keyword AIGC holding
// the JSON, is read too; Write moves such a label into the XMP chunk so the
// output carries exactly one label.
//
// Every chunk Write copies is checked against its CRC while it streams
// through; every other chunk, APNG chunks and unknown ones included, is
// copied byte for byte and in order.
//
// Beside a label "1" the writer also states the IPTC digital source type
// trainedAlgorithmicMedia in the packet, unless the packet states one
// already or Format.XMP turns it off (see xmp.Options).
package png

import (
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Signature is the eight bytes every PNG file starts with.
const Signature = "\x89PNG\r\n\x1a\n"

// Keywords of the carrier chunks.
const (
	KeywordXMP  = "XML:com.adobe.xmp"
	KeywordAIGC = "AIGC"
)

const name = "png"

// Format is the PNG container. The zero value is ready to use: it writes
// the IPTC digital source type beside a label "1" (see xmp.Options).
type Format struct {
	// XMP chooses what the writer puts into the XMP packet beside the label.
	XMP xmp.Options
}

var _ xmp.Configurable = Format{}

// WithXMP returns a copy of f that writes XMP packets with o.
func (f Format) WithXMP(o xmp.Options) label.Format { f.XMP = o; return f }

// Name returns "png".
func (Format) Name() string { return name }

// Sniff reports whether head starts with the PNG signature.
func (Format) Sniff(head []byte) bool { return bytes.HasPrefix(head, []byte(Signature)) }

// Read returns every AIGC label in the XMP iTXt chunk(s) and in text chunks
// with keyword AIGC, checking the CRC of each chunk it parses.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	s, err := scan(r)
	if err != nil {
		return nil, err
	}
	return s.found, nil
}

// Write copies src to dst with l in the XMP iTXt chunk, whose packet also
// gets the digital source type f.XMP asks for. See the package
// documentation.
func (f Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	return write(dst, src, l, f.XMP)
}
