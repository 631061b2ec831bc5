package jpeg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	stdjpeg "image/jpeg"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/xmp"
)

var testLabel = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "0196f3a2c1d47b8e9a0b1c2d3e4f5a6b",
	ContentPropagator: "001191110108MA01KP2T5U10000", PropagateID: "0196f3a2c1d47b8e9a0b1c2d3e4f5a6b"}

var otherLabel = label.Label{Label: "2", ContentProducer: "someone-else", ProduceID: "old-id"}

// baseJPEG returns a small baseline JPEG from Go's encoder: SOI, DQT, SOF0,
// DHT, SOS, scan data, EOI.
func baseJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 48; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 7), uint8(x * y), 255})
		}
	}
	var b bytes.Buffer
	if err := stdjpeg.Encode(&b, img, &stdjpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seg returns a marker segment with payload p.
func seg(marker byte, p ...[]byte) []byte {
	body := bytes.Join(p, nil)
	n := len(body) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, body...)
}

// insertAfterSOI returns j with the segments inserted right after SOI.
func insertAfterSOI(j []byte, segs ...[]byte) []byte {
	out := append([]byte(nil), j[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, j[2:]...)
}

var jfif = seg(markerAPP0, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00"))

// exifBlock returns a big-endian EXIF block with Make in IFD0 and, when
// comment is not nil, UserComment = comment in the Exif IFD.
func exifBlock(comment []byte) []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.BigEndian, v) }
	b.WriteString("MM\x00*")
	w(uint32(8))
	// IFD0: Make (ASCII "Cam\0", inline) and ExifIFD pointer → at 8+2+24+4 = 38.
	w(uint16(2))
	w([]uint16{0x010F, 2})
	w(uint32(4))
	b.WriteString("Cam\x00")
	w([]uint16{0x8769, 4})
	w([]uint32{1, 38, 0})
	if comment == nil {
		w(uint16(0))
		w(uint32(0))
		return b.Bytes()
	}
	w(uint16(1))
	w([]uint16{0x9286, 7})
	w([]uint32{uint32(len(comment)), 38 + 2 + 12 + 4, 0})
	b.Write(comment)
	return b.Bytes()
}

func exifSeg(comment []byte) []byte {
	return seg(markerAPP1, []byte("Exif\x00\x00"), exifBlock(comment))
}

// iccProfile returns a minimal ICC profile: a header and an empty tag table.
func iccProfile() []byte {
	p := make([]byte, 164)
	binary.BigEndian.PutUint32(p[0:], 164)
	binary.BigEndian.PutUint32(p[8:], 0x02100000)
	copy(p[12:], "mntr")
	copy(p[16:], "RGB ")
	copy(p[20:], "XYZ ")
	copy(p[36:], "acsp")
	// One tag: the media white point, an XYZType at 144.
	binary.BigEndian.PutUint32(p[128:], 1)
	copy(p[132:], "wtpt")
	binary.BigEndian.PutUint32(p[136:], 144)
	binary.BigEndian.PutUint32(p[140:], 20)
	copy(p[144:], "XYZ ")
	binary.BigEndian.PutUint32(p[152:], 0xF6D6)
	binary.BigEndian.PutUint32(p[156:], 0x10000)
	binary.BigEndian.PutUint32(p[160:], 0xD32D)
	return p
}

var iccSeg = seg(0xE2, []byte("ICC_PROFILE\x00\x01\x01"), iccProfile())

const otherXMP = `<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    photoshop:City="Hangzhou">
   <dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator>
   <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
` + "                                                                                \n" + `<?xpacket end="w"?>`

func xmpSeg(packet string) []byte { return seg(markerAPP1, headerXMP, []byte(packet)) }

func labeledXMP(l label.Label) string {
	p, err := xmp.Set([]byte(otherXMP), string(l.JSON()))
	if err != nil {
		panic(err)
	}
	return string(p)
}

func userComment(s string) []byte { return []byte("ASCII\x00\x00\x00" + s) }

// testSegment is a segment as the tests' own walker sees it.
type testSegment struct {
	marker   byte
	off, end int
}

// segments walks the header segments of j independently of the package
// code, up to SOS.
func segments(t testing.TB, j []byte) []testSegment {
	t.Helper()
	var out []testSegment
	i := 2
	for i+4 <= len(j) {
		if j[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		for j[i+1] == 0xFF { // fill bytes
			i++
		}
		m := j[i+1]
		n := int(binary.BigEndian.Uint16(j[i+2:]))
		out = append(out, testSegment{m, i, i + 2 + n})
		if m == markerSOS {
			break
		}
		i += 2 + n
	}
	return out
}

// withoutXMP returns j without its standard XMP segments, and the offsets
// those segments had.
func withoutXMP(t testing.TB, j []byte) ([]byte, []int) {
	t.Helper()
	var out []byte
	var at []int
	prev := 0
	for _, s := range segments(t, j) {
		if s.marker == markerAPP1 && bytes.HasPrefix(j[s.off+4:], headerXMP) {
			out = append(out, j[prev:s.off]...)
			at = append(at, s.off)
			prev = s.end
		}
	}
	return append(out, j[prev:]...), at
}

func decode(t testing.TB, j []byte) *image.YCbCr {
	t.Helper()
	img, err := stdjpeg.Decode(bytes.NewReader(j))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	return img.(*image.YCbCr)
}

func samePixels(a, b *image.YCbCr) bool {
	return a.Rect == b.Rect && a.SubsampleRatio == b.SubsampleRatio &&
		bytes.Equal(a.Y, b.Y) && bytes.Equal(a.Cb, b.Cb) && bytes.Equal(a.Cr, b.Cr)
}

func TestSniff(t *testing.T) {
	labeltest.Sniff(t, Format{}, map[string]bool{
		"\xff\xd8\xff\xe0": true,
		"\xff\xd8\xff":     true,
		"\xff\xd8":         false,
		"\x89PNG\r\n":      false,
		"":                 false,
	})
}

// TestWrite labels JPEGs of various make-ups and checks the output carries
// exactly one label, decodes to the same pixels and differs from the input
// only in the XMP segment (and a blanked UserComment).
func TestWrite(t *testing.T) {
	base := baseJPEG(t)
	full := insertAfterSOI(base, jfif, exifSeg(userComment("Shot on a phone")), iccSeg,
		xmpSeg(otherXMP), seg(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x00")),
		seg(0xFE, []byte("a comment")))
	tests := []struct {
		name    string
		in      []byte
		wantAt  int  // offset of the XMP segment in the output
		blanked bool // an EXIF UserComment label is blanked
	}{
		{"bare Go JPEG", base, 2, false},
		{"JFIF", insertAfterSOI(base, jfif), 2 + len(jfif), false},
		{"JFIF and EXIF", insertAfterSOI(base, jfif, exifSeg(nil), iccSeg), 2 + len(jfif) + len(exifSeg(nil)), false},
		{"EXIF first", insertAfterSOI(base, exifSeg(nil), jfif, iccSeg), 2 + len(exifSeg(nil)) + len(jfif), false},
		{"ICC first", insertAfterSOI(base, iccSeg, jfif), 2, false},
		{"existing XMP, EXIF, ICC, IPTC, COM", full, 2 + len(jfif) + len(exifSeg(userComment("Shot on a phone"))) + len(iccSeg), false},
		{"relabel our XMP", insertAfterSOI(base, jfif, xmpSeg(labeledXMP(otherLabel))), 2 + len(jfif), false},
		{"EXIF UserComment label", insertAfterSOI(base, jfif, exifSeg(userComment(string(otherLabel.WrappedJSON())))),
			2 + len(jfif) + len(exifSeg(userComment(string(otherLabel.WrappedJSON())))), true},
		{"EXIF and XMP labels", insertAfterSOI(base, exifSeg(userComment(string(otherLabel.WrappedJSON()))), xmpSeg(labeledXMP(otherLabel))),
			2 + len(exifSeg(userComment(string(otherLabel.WrappedJSON())))), true},
		{"fill bytes and trailer", append(insertAfterSOI(base, []byte{0xFF, 0xFF}, jfif), "trailing bytes\xff\xd9x"...), 2 + 2 + len(jfif), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := labeltest.Write(t, Format{}, tt.in, testLabel)
			labeltest.RequireOne(t, Format{}, out, testLabel, label.CarrierXMP)
			if !samePixels(decode(t, tt.in), decode(t, out)) {
				t.Fatal("pixels differ after Write")
			}
			inRest, _ := withoutXMP(t, tt.in)
			outRest, at := withoutXMP(t, out)
			if len(at) != 1 || at[0] != tt.wantAt {
				t.Fatalf("XMP segments at %v, want [%d]", at, tt.wantAt)
			}
			if tt.blanked {
				i := bytes.Index(inRest, otherLabel.WrappedJSON())
				copy(inRest[i:], bytes.Repeat([]byte(" "), len(otherLabel.WrappedJSON())))
			}
			if !bytes.Equal(inRest, outRest) {
				t.Fatal("bytes outside the XMP segment changed")
			}
			// Writing again replaces the label and keeps the rest.
			again := labeltest.Write(t, Format{}, out, otherLabel)
			labeltest.RequireOne(t, Format{}, again, otherLabel, label.CarrierXMP)
			againRest, _ := withoutXMP(t, again)
			if !bytes.Equal(againRest, outRest) {
				t.Fatal("relabeling changed bytes outside the XMP segment")
			}
		})
	}
}

// TestExiftoolReadsOutput checks our output with exiftool: the label, the
// other XMP properties, EXIF, ICC and IPTC all read back.
func TestExiftoolReadsOutput(t *testing.T) {
	in := insertAfterSOI(baseJPEG(t), jfif, exifSeg(userComment("Shot on a phone")), iccSeg, xmpSeg(otherXMP),
		seg(0xFE, []byte("a comment")))
	p := labeltest.WriteTemp(t, "out.jpg", labeltest.Write(t, Format{}, in, testLabel))
	out := labeltest.Exiftool(t, "-S", "-XMP-TC260:AIGC", "-XMP-dc:Creator", "-XMP-photoshop:City",
		"-XMP-iptcExt:DigitalSourceType", "-EXIF:Make", "-EXIF:UserComment", "-ICC_Profile:ProfileClass",
		"-File:Comment", "-Warning", "-Error", p)
	for _, want := range []string{
		"AIGC: " + string(testLabel.JSON()),
		"Creator: Jane Doe",
		"City: Hangzhou",
		"DigitalSourceType: http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
		"Make: Cam",
		"UserComment: Shot on a phone",
		"ProfileClass: Display Device Profile",
		"Comment: a comment",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("exiftool output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Warning") || strings.Contains(out, "Error") {
		t.Errorf("exiftool complains:\n%s", out)
	}
}

// TestExiftoolWritten reads labels exiftool wrote, in XMP and in the EXIF
// UserComment, and relabels them to exactly one label.
func TestExiftoolWritten(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		carrier string
	}{
		{"XMP-TC260:AIGC", []string{"-XMP-TC260:AIGC=" + string(otherLabel.JSON())}, label.CarrierXMP},
		{"EXIF:UserComment", []string{"-EXIF:UserComment=" + string(otherLabel.WrappedJSON())}, label.CarrierEXIF},
		{"EXIF:UserComment unicode", []string{"-EXIF:UserComment=" + strings.Replace(string(otherLabel.WrappedJSON()), "old-id", "旧编号", 1)}, label.CarrierEXIF},
		{"both, with other XMP", []string{"-XMP-TC260:AIGC=" + string(otherLabel.JSON()), "-EXIF:UserComment=" + string(otherLabel.WrappedJSON()),
			"-XMP-dc:Creator=Jane", "-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := labeltest.WriteTemp(t, "in.jpg", insertAfterSOI(baseJPEG(t), jfif))
			labeltest.Exiftool(t, append([]string{"-q", "-overwrite_original"}, append(tt.args, p)...)...)
			in := labeltest.ReadFile(t, p)
			fs := labeltest.Read(t, Format{}, in)
			want := 1
			if tt.carrier == "" {
				want = 2
			}
			if len(fs) != want {
				t.Fatalf("Read found %d labels, want %d: %+v", len(fs), want, fs)
			}
			for _, f := range fs {
				if f.Label.Label != "2" || f.Label.ContentProducer != "someone-else" || tt.carrier != "" && f.Carrier != tt.carrier {
					t.Errorf("Found = %+v", f)
				}
			}
			out := labeltest.Write(t, Format{}, in, testLabel)
			labeltest.RequireOne(t, Format{}, out, testLabel, label.CarrierXMP)
			if !samePixels(decode(t, in), decode(t, out)) {
				t.Fatal("pixels differ after Write")
			}
			q := labeltest.WriteTemp(t, "out.jpg", out)
			got := labeltest.Exiftool(t, "-S", "-XMP-TC260:AIGC", "-EXIF:UserComment", "-XMP-dc:Creator", "-Warning", q)
			if !strings.Contains(got, "AIGC: "+string(testLabel.JSON())+"\n") || strings.Contains(got, "Warning") ||
				strings.Contains(got, "UserComment: {") {
				t.Errorf("exiftool reads:\n%s", got)
			}
			if tt.carrier == "" && !strings.Contains(got, "Creator: Jane\n") {
				t.Errorf("dc:creator lost:\n%s", got)
			}
		})
	}
}

func TestLongTrailer(t *testing.T) {
	// A trailer longer than the window makes the reader scan for EOI.
	in := append(baseJPEG(t), bytes.Repeat([]byte{0xAB}, 3*eoiWindow)...)
	out := labeltest.Write(t, Format{}, in, testLabel)
	labeltest.RequireOne(t, Format{}, out, testLabel, label.CarrierXMP)
	if !bytes.HasSuffix(out, in[len(in)-3*eoiWindow-100:]) {
		t.Fatal("trailer changed")
	}
}

func TestPacketTooBig(t *testing.T) {
	big := strings.Replace(otherXMP, "Jane Doe", strings.Repeat("J", maxPayload-len(headerXMP)-len(otherXMP)), 1)
	in := insertAfterSOI(baseJPEG(t), xmpSeg(big))
	if len(labeltest.Read(t, Format{}, in)) != 0 {
		t.Fatal("unexpected label")
	}
	err := (Format{}).Write(&bytes.Buffer{}, bytes.NewReader(in), testLabel)
	if !errors.Is(err, label.ErrUnsupported) {
		t.Fatalf("Write = %v, want an unsupported-variant error", err)
	}
}

func TestMPF(t *testing.T) {
	base := baseJPEG(t)
	mpf := seg(0xE2, []byte("MPF\x00MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"))
	// Inserting or growing XMP before the MPF segment moves the index and
	// the images it points at alike: fine.
	out := labeltest.Write(t, Format{}, insertAfterSOI(base, jfif, exifSeg(nil), mpf), testLabel)
	labeltest.RequireOne(t, Format{}, out, testLabel, label.CarrierXMP)
	out = labeltest.Write(t, Format{}, insertAfterSOI(base, jfif, xmpSeg(otherXMP), mpf), testLabel)
	labeltest.RequireOne(t, Format{}, out, testLabel, label.CarrierXMP)
	// After it, the offsets would break: refuse.
	err := (Format{}).Write(&bytes.Buffer{}, bytes.NewReader(insertAfterSOI(base, jfif, mpf, xmpSeg(otherXMP))), testLabel)
	if !errors.Is(err, label.ErrUnsupported) {
		t.Fatalf("Write = %v, want an unsupported-variant error", err)
	}
}

func TestBadInput(t *testing.T) {
	base := baseJPEG(t)
	sos := bytes.Index(base, []byte{0xFF, markerSOS})
	withJFIF := insertAfterSOI(base, jfif)
	patch := func(b []byte, off int, v ...byte) []byte {
		b = append([]byte(nil), b...)
		copy(b[off:], v)
		return b
	}
	tests := []struct {
		name, in, msg string
	}{
		{"empty", "", "no SOI"},
		{"not a JPEG", "\x89PNG\r\n\x1a\n", "no SOI"},
		{"SOI only", "\xff\xd8", "ends before the SOS"},
		{"truncated segment", string(withJFIF[:10]), "APP0 segment claims 14 bytes, 4 remain"},
		{"length past EOF", string(patch(withJFIF, 4, 0xFF, 0xF0)), "APP0 segment claims 65518 bytes"},
		{"length below 2", string(patch(withJFIF, 4, 0, 1)), "less than 2"},
		{"no EOI", string(base[:len(base)-2]), "no EOI marker"},
		{"truncated scan", string(base[:sos+200]), "no EOI marker"},
		{"junk between segments", string(patch(withJFIF, 2+len(jfif), 0x00)), "expected a marker"},
		{"second SOI", string(insertAfterSOI(base, []byte{0xFF, 0xD8})), "second SOI"},
		{"truncated marker", "\xff\xd8\xff\xff", "marker is truncated"},
		{"bad EXIF", string(insertAfterSOI(base, seg(markerAPP1, []byte("Exif\x00\x00MM\x00*\xff\xff\xff\xff")))), "bad EXIF block"},
		{"malformed XMP", string(insertAfterSOI(base, xmpSeg("<x:xmpmeta><rdf:RDF <<"))), "malformed XMP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labeltest.Corrupt(t, Format{}, []byte(tt.in), tt.msg)
		})
	}
}

// TestFixtures labels the committed sample JPEGs and the JPEGs other tools
// labeled: the output carries one label, decodes to the same pixels, and
// exiftool reads every other tag as before.
func TestFixtures(t *testing.T) {
	labeltest.Fixtures(t, Format{}, "jpeg", testLabel, label.CarrierXMP, checkFixture)
	labeltest.LabeledFixtures(t, Format{}, testLabel, label.CarrierXMP, checkFixture, ".jpg")
}

func checkFixture(t *testing.T, in, out []byte) {
	if !samePixels(decode(t, in), decode(t, out)) {
		t.Fatal("pixels differ after Write")
	}
	before := labeltest.ExiftoolTags(t, labeltest.WriteTemp(t, "in.jpg", in))
	after := labeltest.ExiftoolTags(t, labeltest.WriteTemp(t, "out.jpg", out))
	if after["XMP-TC260:AIGC"] != string(testLabel.JSON()) {
		t.Errorf("exiftool reads AIGC %q", after["XMP-TC260:AIGC"])
	}
	for k, v := range before {
		if k == "XMP-TC260:AIGC" {
			continue
		}
		if k == "ExifIFD:UserComment" && strings.Contains(v, "AIGC") {
			if strings.TrimSpace(after[k]) != "" {
				t.Errorf("UserComment label not blanked: %q", after[k])
			}
			continue
		}
		if after[k] != v {
			t.Errorf("exiftool %s: %q, was %q", k, after[k], v)
		}
	}
}

// TestBadFixtures reads the committed corrupt JPEGs.
func TestBadFixtures(t *testing.T) {
	labeltest.BadFixtures(t, Format{}, ".jpg")
}

func TestFileToFile(t *testing.T) {
	// The payload copy goes straight from file to file.
	in := insertAfterSOI(baseJPEG(t), jfif, xmpSeg(otherXMP))
	out := filepath.Join(t.TempDir(), "out.jpg")
	labeltest.WriteFile(t, Format{}, labeltest.WriteTemp(t, "in.jpg", in), out, testLabel)
	labeltest.RequireOne(t, Format{}, labeltest.ReadFile(t, out), testLabel, label.CarrierXMP)
}
