// Package ogg reads and writes the AIGC label of Ogg files (RFC 3533): an
// entry AIGC=<json> in the Vorbis comment header of a Vorbis
// (https://xiph.org/vorbis/doc/Vorbis_I_spec.html), Opus (RFC 7845
// "OpusTags"), Theora or FLAC-in-Ogg logical stream.
//
// Read parses and checks (capture pattern, version, CRC) only the pages
// that hold the header packets of the streams that begin the file, then
// stops: the audio and video pages are never read.
//
// Write rewrites the comment header of the first such stream (and drops the
// AIGC entries of the others), lays the header packets out over new pages
// and copies the rest. When the new headers fit in as many pages as the old
// ones the rest of the file is copied unchanged; otherwise the page sequence
// numbers of the following pages of the streams concerned are renumbered and
// their CRCs recomputed while streaming.
//
// Only the first link of a chained Ogg file (several streams one after the
// other) is looked at.
package ogg

import (
	"bytes"

	"github.com/aigcmark/aigcmark/label"
)

// Format is the Ogg container. Its zero value is ready to use.
type Format struct{}

var _ label.Format = Format{}

const name = "ogg"

var capture = []byte("OggS")

// Name returns "ogg".
func (Format) Name() string { return name }

// Sniff reports whether head starts with the capture pattern "OggS".
func (Format) Sniff(head []byte) bool { return bytes.HasPrefix(head, capture) }
