package png

import (
	"testing"

	"github.com/aigcmark/aigcmark/label/labeltest"
)

// TestSourceType checks the IPTC digital source type written beside the
// label, with exiftool (see labeltest.SourceType).
func TestSourceType(t *testing.T) {
	labeltest.SourceType(t, Format{}, encode(t, rgba(16, 8)), "x.png")
}
