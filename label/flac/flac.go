// Package flac reads and writes the AIGC label of FLAC files: an entry
// AIGC=<json> in the VORBIS_COMMENT metadata block
// (https://www.rfc-editor.org/rfc/rfc9639 section 8.6).
//
// A FLAC file is the marker "fLaC", a chain of metadata blocks (STREAMINFO
// first, each with a 4-byte header: last-block flag, 7-bit type, 24-bit
// length) and then the audio frames. Write rewrites the VORBIS_COMMENT block
// (or adds one after STREAMINFO) and, when a PADDING block can take up the
// difference, resizes it so that the audio frames keep their offset. Every
// other block and the audio frames are copied byte for byte; the audio is
// never read into memory.
package flac

import (
	"bytes"
	"fmt"

	"github.com/aigcmark/aigcmark/label"
)

// Format is the FLAC container. Its zero value is ready to use.
type Format struct{}

var _ label.Format = Format{}

const name = "flac"

// magic starts every native FLAC stream.
var magic = []byte("fLaC")

// Name returns "flac".
func (Format) Name() string { return name }

// Sniff reports whether head starts with "fLaC". FLAC files with an ID3v2
// tag in front are not recognised.
func (Format) Sniff(head []byte) bool { return bytes.HasPrefix(head, magic) }

// Metadata block types (RFC 9639 section 8.1).
const (
	typeStreamInfo    = 0
	typePadding       = 1
	typeApplication   = 2
	typeSeekTable     = 3
	typeVorbisComment = 4
	typeCueSheet      = 5
	typePicture       = 6
	typeInvalid       = 127
)

func typeName(t byte) string {
	switch t {
	case typeStreamInfo:
		return "STREAMINFO"
	case typePadding:
		return "PADDING"
	case typeApplication:
		return "APPLICATION"
	case typeSeekTable:
		return "SEEKTABLE"
	case typeVorbisComment:
		return "VORBIS_COMMENT"
	case typeCueSheet:
		return "CUESHEET"
	case typePicture:
		return "PICTURE"
	}
	return fmt.Sprintf("block type %d", t)
}

// maxBlockLen is the largest length a block header can give.
const maxBlockLen = 1<<24 - 1

// maxBlocks bounds the number of metadata blocks a file may have before it
// is refused; real files have a handful.
const maxBlocks = 1 << 16
