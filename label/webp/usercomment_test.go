package webp

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// TestEXIFUserCommentLabel: exiftool puts a wrapped label in the EXIF
// chunk's UserComment; we read it, and relabeling moves it to XMP so the
// file carries exactly one label, with the comment blanked in place.
func TestEXIFUserCommentLabel(t *testing.T) {
	in, out := labeltest.EXIFUserComment(t, Format{}, "webp/lossless.webp", label.CarrierXMP)
	if len(out) != len(in)+int(chunkLen(out, "XMP ")) {
		t.Errorf("output is %d bytes; input %d plus an XMP chunk of %d expected", len(out), len(in), chunkLen(out, "XMP "))
	}
}

// chunkLen returns the size of the first chunk id, header and padding
// included, or 0.
func chunkLen(file []byte, id string) int64 {
	for off := 12; off+8 <= len(file); {
		n := int64(file[off+4]) | int64(file[off+5])<<8 | int64(file[off+6])<<16 | int64(file[off+7])<<24
		if string(file[off:off+4]) == id {
			return 8 + n + n&1
		}
		off += int(8 + n + n&1)
	}
	return 0
}
