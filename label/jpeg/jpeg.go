// Package jpeg reads and writes the AIGC label of JPEG files (GB 45438-2025
// Annex E, TC260-PG-20259A): the TC260:AIGC property of the XMP packet in
// an APP1 segment headed "http://ns.adobe.com/xap/1.0/\x00" (the primary
// carrier), and the EXIF UserComment in the APP1 "Exif\x00\x00" segment
// (read, and blanked when the label moves to XMP).
//
// The reader walks the marker segments from SOI to SOS (ITU-T T.81 annex
// B; the JPEG section of XMP Specification Part 3 for the APP1 layout) and
// never decodes the entropy-coded data: it only checks that an EOI marker
// follows, looking in the file's last 64 KiB first. The writer copies every
// segment it does not change, and all the data from SOS on, byte for byte.
// It does not write Extended XMP: a packet that does not fit one segment is
// an error. Extended XMP segments are copied as they are and not searched
// for labels.
//
// Beside a label "1" the writer also states the IPTC digital source type
// trainedAlgorithmicMedia in the packet, unless the packet states one
// already or Format.XMP turns it off (see xmp.Options).
package jpeg

import (
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Format is the JPEG container. The zero value is ready to use: it writes
// the IPTC digital source type beside a label "1" (see xmp.Options).
type Format struct {
	// XMP chooses what the writer puts into the XMP packet beside the label.
	XMP xmp.Options
}

var _ xmp.Configurable = Format{}

// WithXMP returns a copy of f that writes XMP packets with o.
func (f Format) WithXMP(o xmp.Options) label.Format { f.XMP = o; return f }

// Name returns "jpeg".
func (Format) Name() string { return "jpeg" }

// Sniff reports whether head starts with SOI followed by a marker.
func (Format) Sniff(head []byte) bool {
	return len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF
}

// Read returns the labels in the file's XMP packets and EXIF UserComments.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	lay, err := parse(r)
	if err != nil {
		return nil, err
	}
	return lay.found, nil
}

// Write copies src to dst with l in the XMP packet: an existing standard
// XMP segment has its TC260:AIGC property set (every other property kept),
// otherwise a new APP1 XMP segment is inserted after the leading APP0
// (JFIF) and APP1 (Exif) segments. The packet also gets the digital source
// type f.XMP asks for. A label in an EXIF UserComment is overwritten with
// spaces, so the output carries exactly one label.
func (f Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	lay, err := parse(src)
	if err != nil {
		return err
	}
	return lay.write(dst, src, l, f.XMP)
}
