package png

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// TestEXIFUserCommentLabel: exiftool puts a wrapped label in the eXIf
// chunk's UserComment; we read it, and relabeling moves it to XMP so the
// file carries exactly one label, the comment blanked and the other EXIF
// tags kept.
func TestEXIFUserCommentLabel(t *testing.T) {
	labeltest.EXIFUserComment(t, Format{}, "png/palette.png", label.CarrierXMP)
}
