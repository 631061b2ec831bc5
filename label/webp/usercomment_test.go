package webp

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
)

// TestEXIFUserCommentLabel: exiftool puts a wrapped label in the EXIF
// chunk's UserComment; we read it, and relabeling moves it to XMP so the
// file carries exactly one label, with the comment blanked in place.
func TestEXIFUserCommentLabel(t *testing.T) {
	et := fixtures.NeedTool(t, "exiftool")
	src, err := os.ReadFile(fixtures.Path("webp/lossless.webp"))
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.webp")
	os.WriteFile(in, src, 0o644)
	old := `{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U10000","ProduceID":"exif-1","ReservedCode1":"","ContentPropagator":"001191110108MA01KP2T5U10000","PropagateID":"exif-1","ReservedCode2":""}}`
	if out, err := exec.Command(et, "-q", "-overwrite_original", "-EXIF:UserComment="+old, "-EXIF:Make=TestCam", in).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(in)
	found, err := Format{}.Read(bytes.NewReader(data))
	if err != nil || len(found) != 1 || found[0].Carrier != label.CarrierEXIF || found[0].Label.ProduceID != "exif-1" || !found[0].Wrapped {
		t.Fatalf("Read = %+v, %v", found, err)
	}
	l := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "new-1"}.WithPropagationDefaults()
	var out bytes.Buffer
	if err := (Format{}).Write(&out, bytes.NewReader(data), l); err != nil {
		t.Fatal(err)
	}
	found, err = Format{}.Read(bytes.NewReader(out.Bytes()))
	if err != nil || len(found) != 1 || found[0].Carrier != label.CarrierXMP || found[0].Label != l {
		t.Fatalf("after Write: %+v, %v", found, err)
	}
	if len(out.Bytes()) != len(data)+int(chunkLen(out.Bytes(), "XMP ")) {
		t.Errorf("output is %d bytes; input %d plus an XMP chunk of %d expected", out.Len(), len(data), chunkLen(out.Bytes(), "XMP "))
	}
	outPath := filepath.Join(dir, "out.webp")
	os.WriteFile(outPath, out.Bytes(), 0o644)
	b, err := exec.Command(et, "-s3", "-EXIF:Make", "-EXIF:UserComment", outPath).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(b), "TestCam\n") || strings.Contains(string(b), "AIGC") {
		t.Fatalf("exiftool after Write: %v\n%s", err, b)
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
