// Package wav reads and writes the AIGC label of WAV files (RIFF form type
// WAVE, and its 64-bit variants RF64 and BW64).
//
// The primary carrier is a top-level RIFF chunk with id "AIGC" holding the
// bare JSON label (TC260 audio practice guide TC260-PG-202510A). Readers also
// find labels in a "LIST" chunk of type "INFO" holding an "AIGC" item, and in
// the XMP packet of a "_PMX" chunk (property TC260:AIGC). Labels in an
// "id3 " chunk are not read.
//
// Specifications: Microsoft/IBM "Multimedia Programming Interface and Data
// Specifications 1.0" (1991), chapter 3 (WAVE); EBU Tech 3306 (RF64);
// GB 45438-2025 Annex E.
package wav

import (
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Format is the WAV container. Its zero value is ready to use.
type Format struct{}

var _ label.Format = Format{}

// Name returns "wav".
func (Format) Name() string { return "wav" }

// Sniff reports whether head starts a WAV file: "RIFF", "RF64" or "BW64",
// a size, then "WAVE".
func (Format) Sniff(head []byte) bool {
	if len(head) < 12 || !bytes.Equal(head[8:12], []byte("WAVE")) {
		return false
	}
	switch string(head[0:4]) {
	case "RIFF", "RF64", "BW64":
		return true
	}
	return false
}

// Read returns the labels of the WAV file r: AIGC chunks, LIST/INFO/AIGC
// items and TC260:AIGC properties in _PMX XMP packets, in file order. It
// walks the chunk headers and reads only metadata chunks, and fails with a
// *label.FormatError when the structure is corrupt or the fmt or data chunk
// is missing.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	f, err := scan(r)
	if err != nil {
		return nil, err
	}
	return f.found, nil
}
