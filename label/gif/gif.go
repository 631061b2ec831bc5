// Package gif reads and writes the AIGC label of GIF files (GB 45438-2025
// Annex E): the TC260:AIGC property of the XMP packet that GIF carries in
// an application extension with identifier "XMP Data" and authentication
// code "XMP" (the GIF section of XMP Specification Part 3).
//
// That extension breaks the GIF sub-block rule on purpose: the packet is
// stored raw after the 11-byte identifier and followed by a 258-byte "magic
// trailer" (0x01, 0xFF, 0xFE, …, 0x01, 0x00, 0x00) on which a decoder that
// walks sub-blocks lands whatever the packet holds, so that it skips the
// packet as data. The reader walks every block of the file (GIF89a
// specification, https://www.w3.org/Graphics/GIF/spec-gif89a.txt) by its
// sub-block lengths without decoding the images; the writer copies every
// block it does not change byte for byte.
//
// Beside a label "1" the writer also states the IPTC digital source type
// trainedAlgorithmicMedia in the packet, unless the packet states one
// already or Format.XMP turns it off (see xmp.Options).
package gif

import (
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Format is the GIF container. The zero value is ready to use: it writes
// the IPTC digital source type beside a label "1" (see xmp.Options).
type Format struct {
	// XMP chooses what the writer puts into the XMP packet beside the label.
	XMP xmp.Options
}

var _ xmp.Configurable = Format{}

// WithXMP returns a copy of f that writes XMP packets with o.
func (f Format) WithXMP(o xmp.Options) label.Format { f.XMP = o; return f }

// Name returns "gif".
func (Format) Name() string { return "gif" }

// Sniff reports whether head starts with "GIF87a" or "GIF89a".
func (Format) Sniff(head []byte) bool {
	if len(head) < 6 {
		return false
	}
	s := string(head[:6])
	return s == "GIF87a" || s == "GIF89a"
}

// Read returns the labels in the file's XMP application extensions.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	lay, err := parse(r)
	if err != nil {
		return nil, err
	}
	return lay.found, nil
}

// Write copies src to dst with l in the XMP packet: an existing XMP
// extension has its TC260:AIGC property set (every other property kept,
// the extension kept in its place), otherwise a new XMP extension is
// inserted after the global colour table and the application and comment
// extensions that lead the file (so that a NETSCAPE2.0 loop extension stays
// first), before the first frame. A GIF87a file becomes GIF89a, the version
// that has extensions. The packet also gets the digital source type f.XMP
// asks for.
func (f Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	lay, err := parse(src)
	if err != nil {
		return err
	}
	return lay.write(dst, src, l, f.XMP)
}
