package exif

import (
	"bytes"
	"encoding/binary"
	"errors"
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

// buildTIFF returns an EXIF block: IFD0 (with an ImageDescription and the
// Exif pointer) and an Exif sub-IFD holding UserComment = value.
func buildTIFF(order binary.ByteOrder, value []byte) []byte {
	var b bytes.Buffer
	if order == binary.LittleEndian {
		b.WriteString("II*\x00")
	} else {
		b.WriteString("MM\x00*")
	}
	u16 := func(v uint16) { _ = binary.Write(&b, order, v) }
	u32 := func(v uint32) { _ = binary.Write(&b, order, v) }
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
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, order, value string }{
		{"ascii-II", "II", string(testLabel.WrappedJSON())},
		{"ascii-MM", "MM", string(testLabel.WrappedJSON())},
		{"unicode-II", "II", strings.Replace(string(testLabel.WrappedJSON()), "abc-123", "编号", 1)},
		{"unicode-MM", "MM", strings.Replace(string(testLabel.WrappedJSON()), "abc-123", "编号", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, tc.name+".jpg")
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			labeltest.Exiftool(t, "-q", "-overwrite_original", "-ExifByteOrder="+tc.order, "-EXIF:UserComment="+tc.value, p)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(data, []byte("Exif\x00\x00"))
			if i < 0 {
				t.Fatal("exiftool wrote no Exif APP1")
			}
			n := int(binary.BigEndian.Uint16(data[i-2:]))
			block := data[i+6 : i-2+n]
			if string(block[:2]) != tc.order {
				t.Fatalf("byte order %q", block[:2])
			}
			got, err := Labels(block, int64(i+6), "EXIF")
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
