// Package webp reads and writes the AIGC label of WebP images: the
// TC260:AIGC property of the XMP packet in the "XMP " chunk of an extended
// (VP8X) file, as the TC260 image practice guide (TC260-PG-20259A) gives.
//
// Writing makes a simple lossy ("VP8 ") or lossless ("VP8L") file extended:
// a VP8X chunk with the XMP flag and the canvas size read from the image
// header goes first, and the image chunk follows byte for byte.
//
// Specification: "WebP Container Specification",
// https://developers.google.com/speed/webp/docs/riff_container;
// GB 45438-2025 Annex E.
//
// Beside a label "1" the writer also states the IPTC digital source type
// trainedAlgorithmicMedia in the packet, unless the packet states one
// already or Format.XMP turns it off (see xmp.Options).
package webp

import (
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Format is the WebP container. The zero value is ready to use: it writes
// the IPTC digital source type beside a label "1" (see xmp.Options).
type Format struct {
	// XMP chooses what the writer puts into the XMP packet beside the label.
	XMP xmp.Options
}

var _ xmp.Configurable = Format{}

// WithXMP returns a copy of f that writes XMP packets with o.
func (f Format) WithXMP(o xmp.Options) label.Format { f.XMP = o; return f }

// Name returns "webp".
func (Format) Name() string { return "webp" }

// Sniff reports whether head starts a WebP file: "RIFF", a size, "WEBP".
func (Format) Sniff(head []byte) bool {
	return len(head) >= 12 && bytes.Equal(head[0:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP"))
}

// Read returns the labels in the XMP chunks of the WebP file r. It checks
// the structure it walks (the first chunk, chunk sizes, the VP8X chunk and
// the image size against the canvas) and reads only the VP8X and XMP chunks
// and the first bytes of the image chunk.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	f, err := scan(r)
	if err != nil {
		return nil, err
	}
	return f.found, nil
}
