// Package mp4 reads and writes the AIGC label of GB 45438-2025 Annex E in
// ISO base media files (ISO/IEC 14496-12: MP4, M4A, M4V, 3GP) and QuickTime
// movies (MOV).
//
// The primary carrier is the one ffmpeg writes with
// `-metadata AIGC=… -movflags use_metadata_tags`: a meta box in moov/udta
// whose handler is mdta, a keys box naming the key "AIGC" (namespace mdta),
// and an ilst item, typed by the key's 1-based index, holding a UTF-8 data
// box with the label's bare JSON. Readers also find the label in moov/meta
// (the QuickTime placement), in keyless ilst items ("----" with name AIGC, or
// an item typed AIGC), and as TC260:AIGC in XMP: a uuid box
// BE7ACFCB-97A9-42E8-9C71-999491E3AFAC (top level or in moov/udta) or a
// QuickTime XMP_ box in moov/udta.
//
// Write puts the label in moov/udta/meta; when moov/udta already holds an
// iTunes-style (mdir) meta, it uses a QuickTime-style moov/meta instead, so
// that the iTunes tags stay as they are (see file.target). Write rebuilds
// only the boxes on the path to the change (moov, udta, meta,
// keys, ilst) and copies every other byte. When moov precedes the media data
// and changes size, the absolute offsets that point past it are patched:
// chunk offsets (stco, co64, saio in stbl), tfhd base data offsets in movie
// fragments and tfra entries in mfra. The media data is copied with
// io.CopyN straight from the source and never loaded.
//
// Specifications: ISO/IEC 14496-12 (ISO base media file format), Apple's
// QuickTime File Format (metadata: keys and ilst), GB 45438-2025 Annex E.
package mp4

import (
	"encoding/binary"

	"github.com/aigcmark/aigcmark/label"
)

// Format is the MP4/MOV/M4A container. The zero value is ready to use.
type Format struct{}

var _ label.Format = Format{}

// Name returns "mp4".
func (Format) Name() string { return "mp4" }

// name is the prefix of this package's errors.
const name = "mp4"

// XMPUUID is the extended type of the uuid box that carries XMP
// (BE7ACFCB-97A9-42E8-9C71-999491E3AFAC).
var XMPUUID = [16]byte{0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8,
	0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC}

// Key is the name of the label in keys and in keyless ilst items.
const Key = "AIGC"

// heifBrands are major brands of HEIF and AVIF images and of Canon CR3 raw
// files: ISO base media files too, but without a movie to label here.
var heifBrands = map[string]bool{
	"mif1": true, "mif2": true, "msf1": true, "heic": true, "heix": true,
	"heim": true, "heis": true, "hevc": true, "hevx": true, "avif": true,
	"avis": true, "crx ": true,
}

// oldQuickTime are the box types a QuickTime movie without ftyp starts with.
var oldQuickTime = map[string]bool{
	"moov": true, "mdat": true, "free": true, "skip": true, "wide": true, "pnot": true,
}

// Sniff reports whether head starts like an ISO base media file or a
// QuickTime movie: an ftyp box first (not a HEIF or AVIF image), or, for old
// QuickTime files, a first box of type moov, mdat, free, skip, wide or pnot
// with a plausible size.
func (Format) Sniff(head []byte) bool {
	if len(head) < 8 {
		return false
	}
	size := uint64(binary.BigEndian.Uint32(head))
	typ := string(head[4:8])
	if size == 1 {
		if len(head) < 16 {
			return false
		}
		size = binary.BigEndian.Uint64(head[8:])
		if size < 16 {
			return false
		}
	}
	if typ == "ftyp" {
		if size < 16 || size > 4096 || len(head) < 12 {
			return false
		}
		return !heifBrands[string(head[8:12])]
	}
	if !oldQuickTime[typ] {
		return false
	}
	return (size == 0 && typ == "mdat") || size >= 8
}
