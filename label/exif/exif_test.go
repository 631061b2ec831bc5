package exif

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

var testLabel = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "abc-123",
	ContentPropagator: "001191110108MA01KP2T5U10000", PropagateID: "abc-123"}

// tiffHeader returns a buffer holding the first four bytes of a TIFF
// header in order.
func tiffHeader(order binary.ByteOrder) *bytes.Buffer {
	if order == binary.LittleEndian {
		return bytes.NewBufferString("II*\x00")
	}
	return bytes.NewBufferString("MM\x00*")
}

// buildTIFF returns an EXIF block: IFD0 (with an ImageDescription and the
// Exif pointer) and an Exif sub-IFD holding UserComment = value.
func buildTIFF(order binary.ByteOrder, value []byte) []byte {
	b := tiffHeader(order)
	u16 := func(v uint16) { _ = binary.Write(b, order, v) }
	u32 := func(v uint32) { _ = binary.Write(b, order, v) }
	u32(8)
	// IFD0 at 8: two entries, next 0. 2+24+4 = 30 bytes → Exif IFD at 38.
	u16(2)
	u16(0x010E) // ImageDescription, ASCII, 4 bytes inline
	u16(typeASCII)
	u32(4)
	b.WriteString("abc\x00")
	u16(TagExifIFD)
	u16(typeLong)
	u32(1)
	u32(38)
	u32(0)
	// Exif IFD at 38: one entry, next 0 → value at 38+2+12+4 = 56.
	u16(1)
	u16(TagUserComment)
	u16(typeUndefined)
	u32(uint32(len(value)))
	if len(value) <= 4 {
		v := make([]byte, 4)
		copy(v, value)
		b.Write(v)
	} else {
		u32(56)
	}
	u32(0)
	if len(value) > 4 {
		b.Write(value)
	}
	return b.Bytes()
}

func unicodeValue(order binary.ByteOrder, s string, bom bool) []byte {
	v := []byte("UNICODE\x00")
	u := utf16.Encode([]rune(s))
	if bom {
		u = append([]uint16{0xFEFF}, u...)
	}
	for _, c := range u {
		var two [2]byte
		order.PutUint16(two[:], c)
		v = append(v, two[:]...)
	}
	return v
}

func TestLabels(t *testing.T) {
	wrapped := string(testLabel.WrappedJSON())
	bare := string(testLabel.JSON())
	chinese := strings.Replace(wrapped, "abc-123", "编号-1", 1)
	tests := []struct {
		name  string
		order binary.ByteOrder
		value []byte
		want  string // Raw of the one label, "" for none
	}{
		{"ascii wrapped II", binary.LittleEndian, []byte("ASCII\x00\x00\x00" + wrapped + "\x00"), wrapped},
		{"ascii wrapped MM", binary.BigEndian, []byte("ASCII\x00\x00\x00" + wrapped), wrapped},
		{"ascii bare padded", binary.BigEndian, []byte("ASCII\x00\x00\x00  " + bare + "   \x00\x00"), bare},
		{"undefined code", binary.LittleEndian, []byte("\x00\x00\x00\x00\x00\x00\x00\x00" + wrapped), wrapped},
		{"jis code", binary.LittleEndian, []byte("JIS\x00\x00\x00\x00\x00" + wrapped), wrapped},
		{"unicode II", binary.LittleEndian, unicodeValue(binary.LittleEndian, chinese, false), chinese},
		{"unicode MM", binary.BigEndian, unicodeValue(binary.BigEndian, chinese, false), chinese},
		{"unicode BOM other order", binary.LittleEndian, unicodeValue(binary.BigEndian, wrapped, true), wrapped},
		{"unicode no BOM other order", binary.LittleEndian, unicodeValue(binary.BigEndian, wrapped, false), wrapped},
		{"no code prefix", binary.LittleEndian, []byte(wrapped), wrapped},
		{"label plus one key", binary.LittleEndian, []byte(`ASCII` + "\x00\x00\x00" + `{"Label":"2","ContentProducer":"x"}`), `{"Label":"2","ContentProducer":"x"}`},
		{"camera note", binary.LittleEndian, []byte("ASCII\x00\x00\x00Shot on a phone"), ""},
		{"other JSON", binary.LittleEndian, []byte(`ASCII` + "\x00\x00\x00" + `{"Label":"holiday","Rating":5}`), ""},
		{"blank", binary.LittleEndian, []byte("ASCII\x00\x00\x00        "), ""},
		{"short inline", binary.LittleEndian, []byte("ab"), ""},
		{"broken JSON", binary.LittleEndian, []byte(`ASCII` + "\x00\x00\x00" + `{"AIGC":{"Label":"1"`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := buildTIFF(tt.order, tt.value)
			got, err := Labels(block, 100, "EXIF UserComment")
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("got %d labels, want none: %+v", len(got), got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d labels, want 1", len(got))
			}
			f := got[0]
			if f.Raw != tt.want || f.Carrier != label.CarrierEXIF || f.Where != "EXIF UserComment" {
				t.Errorf("Found = %+v", f)
			}
			if len(tt.value) > 4 && f.Offset != 100+56 {
				t.Errorf("Offset = %d, want %d", f.Offset, 100+56)
			}
			if len(tt.value) > 100 && f.Label.ContentProducer != testLabel.ContentProducer {
				t.Errorf("Label = %+v", f.Label)
			}

			// Blanking keeps the length and the code, and leaves no label.
			orig := append([]byte(nil), block...)
			changed, err := BlankLabels(block)
			if err != nil || !changed {
				t.Fatalf("BlankLabels = %v, %v", changed, err)
			}
			keep := 56 // the structure, and the character code when there is one
			if len(tt.value) >= 8 && tt.value[0] != '{' {
				keep += 8
			}
			if len(block) != len(orig) || !bytes.Equal(block[:keep], orig[:keep]) {
				t.Fatalf("BlankLabels changed the structure")
			}
			if got, err := Labels(block, 0, ""); err != nil || len(got) != 0 {
				t.Fatalf("after BlankLabels: %v, %v", got, err)
			}
			if changed, err := BlankLabels(block); err != nil || changed {
				t.Fatalf("second BlankLabels = %v, %v", changed, err)
			}
		})
	}
}

func TestBlankLabelsKeepsOtherComments(t *testing.T) {
	block := buildTIFF(binary.BigEndian, []byte("ASCII\x00\x00\x00Shot on a phone"))
	orig := append([]byte(nil), block...)
	changed, err := BlankLabels(block)
	if err != nil || changed || !bytes.Equal(block, orig) {
		t.Fatalf("BlankLabels = %v, %v; block changed: %v", changed, err, !bytes.Equal(block, orig))
	}
}

func TestBadBlocks(t *testing.T) {
	good := buildTIFF(binary.LittleEndian, []byte("ASCII\x00\x00\x00"+string(testLabel.WrappedJSON())))
	patch := func(off int, v ...byte) []byte {
		b := append([]byte(nil), good...)
		copy(b[off:], v)
		return b
	}
	tests := []struct {
		name  string
		block []byte
	}{
		{"empty", nil},
		{"short header", []byte("II*\x00\x08")},
		{"not TIFF", []byte("JFIF\x00\x00\x00\x08")},
		{"IFD0 past end", patch(4, 0xFF, 0xFF, 0xFF, 0x7F)},
		{"IFD0 inside header", patch(4, 4, 0, 0, 0)},
		{"entry count 65535", patch(8, 0xFF, 0xFF)},
		{"exif pointer past end", patch(8+2+12+8, 0xFF, 0xFF, 0xFF, 0xFF)},
		{"user comment 4 GiB", patch(38+2+4, 0xFF, 0xFF, 0xFF, 0xFF)},
		{"user comment offset past end", patch(38+2+8, 0xF0, 0xFF, 0xFF, 0xFF)},
		{"truncated", good[:50]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Labels(tt.block, 0, "")
			var fe *label.FormatError
			if !errors.As(err, &fe) || fe.Format != "exif" || !errors.Is(err, label.ErrCorrupt) {
				t.Fatalf("Labels error = %v, want an exif FormatError", err)
			}
			if _, err := BlankLabels(tt.block); err == nil {
				t.Fatal("BlankLabels: no error")
			}
		})
	}
}

func TestLoops(t *testing.T) {
	// The Exif pointer points back at IFD0, and IFD0's next pointer at
	// itself: both end without an error.
	b := buildTIFF(binary.LittleEndian, []byte("ASCII\x00\x00\x00x"))
	binary.LittleEndian.PutUint32(b[8+2+12+8:], 8)
	binary.LittleEndian.PutUint32(b[8+2+24:], 8)
	if got, err := Labels(b, 0, ""); err != nil || len(got) != 0 {
		t.Fatalf("Labels = %v, %v", got, err)
	}
}

// TestExiftool reads UserComments written by exiftool (ASCII and, for
// non-ASCII text, UNICODE), in both byte orders.
func TestExiftool(t *testing.T) {
	fixtures.NeedTool(t, "exiftool")
	for _, tc := range []struct{ name, order, value string }{
		{"ascii-II", "II", string(testLabel.WrappedJSON())},
		{"ascii-MM", "MM", string(testLabel.WrappedJSON())},
		{"unicode-II", "II", strings.Replace(string(testLabel.WrappedJSON()), "abc-123", "编号", 1)},
		{"unicode-MM", "MM", strings.Replace(string(testLabel.WrappedJSON()), "abc-123", "编号", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, data := exiftoolJPEG(t, "-ExifByteOrder="+tc.order, "-EXIF:UserComment="+tc.value)
			block, at := exifAPP1(t, data, tc.order)
			got, err := Labels(block, at, "EXIF")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Raw != tc.value {
				t.Fatalf("Labels = %+v", got)
			}
			if _, err := BlankLabels(block); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if out := labeltest.Exiftool(t, "-s3", "-EXIF:UserComment", p); strings.TrimSpace(out) != "" {
				t.Fatalf("exiftool after blanking: %q", out)
			}
		})
	}
}

// exiftoolJPEG writes an 8×8 JPEG without metadata to a new file, edits
// it with exiftool args, and returns the file's path and bytes.
func exiftoolJPEG(t *testing.T, args ...string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "in.jpg")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	labeltest.Exiftool(t, append(append([]string{"-q", "-overwrite_original"}, args...), p)...)
	return p, labeltest.ReadFile(t, p)
}

// exifAPP1 returns the EXIF block of the first Exif APP1 segment in the
// JPEG data and its offset, checking its byte order ("II" or "MM").
func exifAPP1(t *testing.T, data []byte, order string) ([]byte, int64) {
	t.Helper()
	i := bytes.Index(data, []byte("Exif\x00\x00"))
	if i < 2 {
		t.Fatal("no Exif APP1")
	}
	end := i - 2 + int(binary.BigEndian.Uint16(data[i-2:]))
	if end > len(data) || end < i+8 {
		t.Fatalf("APP1 at %d of %d bytes runs past the %d-byte file", i-4, end-i+4, len(data))
	}
	block := data[i+6 : end]
	if string(block[:2]) != order {
		t.Fatalf("byte order %q, want %q", block[:2], order)
	}
	return block, int64(i + 6)
}

// orientationBlock returns a TIFF block whose IFD0 holds entries, each
// (tag, type, count, value), the value inline, and claims count of them.
func orientationBlock(order binary.ByteOrder, count uint16, entries ...[4]uint32) []byte {
	b := tiffHeader(order)
	w := func(v any) { _ = binary.Write(b, order, v) }
	w(uint32(8))
	w(count)
	for _, e := range entries {
		w(uint16(e[0]))
		w(uint16(e[1]))
		w(e[2])
		w(uint16(e[3])) // a SHORT value sits in the first two of the four bytes
		w(uint16(0))
	}
	w(uint32(0))
	return b.Bytes()
}

func TestOrientation(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	orient := func(typ, count, v uint32) [4]uint32 { return [4]uint32{TagOrientation, typ, count, v} }
	other := [4]uint32{0x010E, typeASCII, 4, 0x6162}
	good := orientationBlock(le, 1, orient(typeShort, 1, 6))
	patch := func(off int, v ...byte) []byte {
		b := append([]byte(nil), good...)
		copy(b[off:], v)
		return b
	}
	for _, tc := range []struct {
		name  string
		block []byte
		want  int
	}{
		{"II", good, 6},
		{"MM", orientationBlock(be, 1, orient(typeShort, 1, 8)), 8},
		{"after another entry", orientationBlock(be, 2, other, orient(typeShort, 1, 3)), 3},
		{"value 5", orientationBlock(le, 1, orient(typeShort, 1, 5)), 5},
		{"no orientation", orientationBlock(le, 1, other), 1},
		{"no entries", orientationBlock(le, 0), 1},
		{"value 0", orientationBlock(le, 1, orient(typeShort, 1, 0)), 1},
		{"value 9", orientationBlock(be, 1, orient(typeShort, 1, 9)), 1},
		{"type LONG", orientationBlock(be, 1, orient(typeLong, 1, 6)), 1},
		{"two values", orientationBlock(le, 1, orient(typeShort, 2, 6)), 1},
		{"count past the end, entry inside", orientationBlock(le, 0xFFFF, orient(typeShort, 1, 7)), 7},
		{"entry cut short", good[:8+2+10], 1},
		{"IFD0 past end", patch(4, 0xFF, 0xFF, 0xFF, 0xFF), 1},
		{"IFD0 inside header", patch(4, 4, 0, 0, 0), 1},
		{"IFD0 at the last byte", patch(4, byte(len(good)-1), 0, 0, 0), 1},
		{"Exif header not stripped", append([]byte("Exif\x00\x00"), good...), 1},
		{"short header", []byte("II*\x00\x08"), 1},
		{"empty", nil, 1},
		{"not TIFF", []byte("garbage!garbage!"), 1},
		{"label block, no orientation", buildTIFF(le, []byte("ASCII\x00\x00\x00x")), 1},
	} {
		if got := Orientation(tc.block); got != tc.want {
			t.Errorf("%s: Orientation(% x) = %d, want %d", tc.name, tc.block, got, tc.want)
		}
	}
}

// TestOrientationExiftool reads the orientation exiftool writes, in both
// byte orders.
func TestOrientationExiftool(t *testing.T) {
	fixtures.NeedTool(t, "exiftool")
	for _, tc := range []struct {
		order string
		o     int
	}{{"II", 6}, {"MM", 8}, {"II", 3}} {
		t.Run(fmt.Sprint(tc.order, tc.o), func(t *testing.T) {
			t.Parallel()
			_, data := exiftoolJPEG(t, "-ExifByteOrder="+tc.order, fmt.Sprint("-IFD0:Orientation#=", tc.o))
			block, _ := exifAPP1(t, data, tc.order)
			if got := Orientation(block); got != tc.o {
				t.Fatalf("Orientation = %d, exiftool wrote %d", got, tc.o)
			}
		})
	}
}
