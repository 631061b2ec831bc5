package png

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/color"
	gopng "image/png"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/xmp"
)

var testLabel = label.Label{
	Label:             "1",
	ContentProducer:   "001191110108MA01KP2T5U10000",
	ProduceID:         "0192f0c6a4b27c3e9d5a1b2c3d4e5f60",
	ContentPropagator: "平台",
	PropagateID:       "p-1",
}

var oldLabel = label.Label{Label: "2", ContentProducer: "old", ProduceID: "old-id"}

// tChunk is one chunk of a test file.
type tChunk struct {
	typ  string
	data []byte
}

// build returns a PNG made of the given chunks, CRCs included.
func build(chunks ...tChunk) []byte {
	b := []byte(Signature)
	for _, c := range chunks {
		b = appendChunk(b, c.typ, c.data)
	}
	return b
}

// rawChunk is a chunk as it appears in a file.
type rawChunk struct {
	typ   string
	bytes []byte // length, type, data and CRC
}

// split returns the chunks of a well-formed PNG, and what follows IEND.
func split(t *testing.T, b []byte) ([]rawChunk, []byte) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(Signature)) {
		t.Fatal("no signature")
	}
	var out []rawChunk
	b = b[8:]
	for len(b) >= 12 {
		n := int(binary.BigEndian.Uint32(b))
		c := rawChunk{typ: string(b[4:8]), bytes: b[:12+n]}
		out = append(out, c)
		b = b[12+n:]
		if c.typ == "IEND" {
			return out, b
		}
	}
	t.Fatal("no IEND")
	return nil, nil
}

// keyword returns the keyword of a raw text chunk.
func keyword(c rawChunk) string {
	d := c.bytes[8:]
	if i := bytes.IndexByte(d, 0); i >= 0 {
		return string(d[:i])
	}
	return ""
}

// isCarrier reports whether Write may change or drop c.
func isCarrier(c rawChunk) bool {
	if !isText(c.typ) {
		return false
	}
	kw := keyword(c)
	return isAIGC(kw) || (c.typ == "iTXt" && kw == KeywordXMP)
}

func textChunk(kw, v string) tChunk { return tChunk{"tEXt", []byte(kw + "\x00" + v)} }

func ztxtChunk(kw, v string) tChunk {
	return tChunk{"zTXt", append([]byte(kw+"\x00\x00"), deflate([]byte(v))...)}
}

func itxtChunk(kw, v string, compress bool) tChunk {
	if compress {
		d := append([]byte(kw+"\x00\x01\x00en\x00\x00"), deflate([]byte(v))...)
		return tChunk{"iTXt", d}
	}
	return tChunk{"iTXt", []byte(kw + "\x00\x00\x00en\x00Translated\x00" + v)}
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func encode(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gopng.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withChunks inserts chunks after IHDR (before) and before IEND (after).
func withChunks(t *testing.T, png []byte, before, after []tChunk) []byte {
	t.Helper()
	cs, tail := split(t, png)
	out := []byte(Signature)
	for _, c := range cs {
		if c.typ == "IEND" {
			for _, a := range after {
				out = appendChunk(out, a.typ, a.data)
			}
		}
		out = append(out, c.bytes...)
		if c.typ == "IHDR" {
			for _, a := range before {
				out = appendChunk(out, a.typ, a.data)
			}
		}
	}
	return append(out, tail...)
}

func rgba(w, h int) image.Image {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 13), uint8(x * y), uint8(128 + x)})
		}
	}
	return m
}

func rgba64(w, h int) image.Image {
	m := image.NewRGBA64(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA64{uint16(x * 999), uint16(y * 1234), uint16(x*y*77 + 1), 0xffff})
		}
	}
	return m
}

func gray16(w, h int) image.Image {
	m := image.NewGray16(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetGray16(x, y, color.Gray16{uint16(x*y*311 + x)})
		}
	}
	return m
}

func paletted(w, h int) image.Image {
	pal := color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 128}}
	m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetColorIndex(x, y, uint8((x+y)%4))
		}
	}
	return m
}

// greyAlpha builds by hand an 8-bit grey+alpha PNG (colour type 4), which
// Go's encoder never writes.
func greyAlpha(w, h int) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 4
	var raw []byte
	for y := 0; y < h; y++ {
		raw = append(raw, 0)
		for x := 0; x < w; x++ {
			raw = append(raw, uint8(x*17+y), uint8(255-x*y))
		}
	}
	z := deflate(raw)
	// Two IDAT chunks, to check that both are copied.
	return build(tChunk{"IHDR", ihdr}, tChunk{"IDAT", z[:len(z)/2]}, tChunk{"IDAT", z[len(z)/2:]}, tChunk{"IEND", nil})
}

func pixels(t *testing.T, b []byte) image.Image {
	t.Helper()
	m, err := gopng.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("image/png cannot decode: %v", err)
	}
	return m
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// checkLossless checks that out decodes to in's pixels and that every chunk
// but the carriers is byte-identical and in the same order.
func checkLossless(t *testing.T, in, out []byte) {
	t.Helper()
	if !samePixels(pixels(t, in), pixels(t, out)) {
		t.Fatal("pixels differ after Write")
	}
	ci, ti := split(t, in)
	co, to := split(t, out)
	var ki, ko [][]byte
	for _, c := range ci {
		if !isCarrier(c) {
			ki = append(ki, c.bytes)
		}
	}
	for _, c := range co {
		if !isCarrier(c) {
			ko = append(ko, c.bytes)
		}
	}
	if len(ki) != len(ko) {
		t.Fatalf("%d other chunks before, %d after", len(ki), len(ko))
	}
	for i := range ki {
		if !bytes.Equal(ki[i], ko[i]) {
			t.Fatalf("chunk %d (%q) changed", i, ki[i][4:8])
		}
	}
	if !bytes.Equal(ti, to) {
		t.Fatal("bytes after IEND changed")
	}
}

var ancillary = []tChunk{
	{"gAMA", []byte{0, 0, 0xb1, 0x8f}},
	{"iCCP", append([]byte("fake\x00\x00"), deflate(iccProfile())...)},
	textChunk("Title", "A title"),
	textChunk("Author", "Jane Doe"),
	ztxtChunk("Comment", "a compressed comment"),
	itxtChunk("Description", "说明", false),
	{"eXIf", []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x00")},
	{"acTL", []byte{0, 0, 0, 1, 0, 0, 0, 0}},
	{"prVt", []byte("private unknown chunk")},
}

// iccProfile returns a minimal ICC profile: a header and a copyright tag.
func iccProfile() []byte {
	p := make([]byte, 156)
	binary.BigEndian.PutUint32(p, 156)
	copy(p[12:], "mntrRGB XYZ ")
	copy(p[36:], "acsp")
	binary.BigEndian.PutUint32(p[128:], 1) // tag count
	copy(p[132:], "cprt")
	binary.BigEndian.PutUint32(p[136:], 144)
	binary.BigEndian.PutUint32(p[140:], 11)
	copy(p[144:], "text\x00\x00\x00\x00hi\x00")
	return p
}

func TestWriteLossless(t *testing.T) {
	tests := []struct {
		name string
		png  []byte
	}{
		{"rgba8", encode(t, rgba(13, 7))},
		{"rgba16", encode(t, rgba64(9, 5))},
		{"gray16", encode(t, gray16(8, 8))},
		{"palette", encode(t, paletted(10, 3))},
		{"grey+alpha", greyAlpha(6, 4)},
		{"ancillary", withChunks(t, encode(t, rgba(5, 5)), ancillary, []tChunk{
			textChunk("Late", "after IDAT"),
			{"fcTL", make([]byte, 26)},
			{"fdAT", []byte{0, 0, 0, 1, 1, 2, 3}},
		})},
		{"trailing bytes", append(encode(t, gray16(3, 3)), "trailing junk"...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := labeltest.WriteRead(t, Format{}, tt.png, testLabel, label.CarrierXMP)
			checkLossless(t, tt.png, out)
			cs, _ := split(t, out)
			if cs[1].typ != "iTXt" || keyword(cs[1]) != KeywordXMP {
				t.Fatalf("second chunk is %q %q, want the XMP iTXt", cs[1].typ, keyword(cs[1]))
			}
			// The new chunk is uncompressed with empty language and translated keyword.
			want := KeywordXMP + "\x00\x00\x00\x00\x00"
			if !bytes.HasPrefix(cs[1].bytes[8:], []byte(want)) {
				t.Fatalf("XMP chunk header %q", cs[1].bytes[8:8+len(want)])
			}
			// Relabel: still one label, nothing else moves.
			again := labeltest.WriteRead(t, Format{}, out, oldLabel, label.CarrierXMP)
			checkLossless(t, out, again)
		})
	}
}

func TestReadCarriers(t *testing.T) {
	base := encode(t, rgba(4, 4))
	wrapped := string(oldLabel.WrappedJSON())
	bare := string(oldLabel.JSON())
	xmpPacket := `<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"><dc:format>image/png</dc:format><TC260:AIGC>` + xmp.EscapeText(bare) + `</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
	tests := []struct {
		name    string
		chunks  []tChunk
		carrier string
		where   string
		wrapped bool
	}{
		{"tEXt wrapped", []tChunk{textChunk("AIGC", wrapped)}, label.CarrierPNGText, `tEXt chunk "AIGC"`, true},
		{"tEXt bare", []tChunk{textChunk("AIGC", bare)}, label.CarrierPNGText, `tEXt chunk "AIGC"`, false},
		{"zTXt", []tChunk{ztxtChunk("AIGC", wrapped)}, label.CarrierPNGText, `zTXt chunk "AIGC"`, true},
		{"iTXt", []tChunk{itxtChunk("AIGC", bare, false)}, label.CarrierPNGText, `iTXt chunk "AIGC"`, false},
		{"iTXt compressed", []tChunk{itxtChunk("AIGC", wrapped, true)}, label.CarrierPNGText, `iTXt chunk "AIGC"`, true},
		{"XMP", []tChunk{itxtChunk(KeywordXMP, xmpPacket, false)}, label.CarrierXMP, `iTXt chunk "XML:com.adobe.xmp"`, false},
		{"XMP compressed", []tChunk{itxtChunk(KeywordXMP, xmpPacket, true)}, label.CarrierXMP, `iTXt chunk "XML:com.adobe.xmp"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := withChunks(t, base, []tChunk{textChunk("Title", "keep me")}, tt.chunks)
			fs := labeltest.Read(t, Format{}, in)
			if len(fs) != 1 {
				t.Fatalf("found %d labels", len(fs))
			}
			f := fs[0]
			if f.Label != oldLabel || f.Carrier != tt.carrier || f.Where != tt.where || f.Wrapped != tt.wrapped || f.Offset < 8 {
				t.Fatalf("found %+v", f)
			}
			out := labeltest.WriteRead(t, Format{}, in, testLabel, label.CarrierXMP)
			checkLossless(t, in, out)
			cs, _ := split(t, out)
			for _, c := range cs {
				if isText(c.typ) && isAIGC(keyword(c)) {
					t.Fatalf("%s AIGC chunk left in the output", c.typ)
				}
			}
			if strings.HasPrefix(tt.name, "XMP") {
				// Updated in place (last before IEND), other properties kept.
				x := cs[len(cs)-2]
				if x.typ != "iTXt" || keyword(x) != KeywordXMP || !bytes.Contains(x.bytes, []byte("<dc:format>image/png</dc:format>")) {
					t.Fatalf("XMP chunk not updated in place: %q", x.bytes)
				}
				if !bytes.Contains(x.bytes, []byte("\x00\x00\x00en\x00")) {
					t.Fatalf("language tag not kept: %q", x.bytes[:40])
				}
			}
		})
	}
}

// TestReadBoth checks that a file with both carriers reports both labels,
// and that Write leaves one.
func TestReadBoth(t *testing.T) {
	in := withChunks(t, encode(t, rgba(3, 3)), []tChunk{
		itxtChunk(KeywordXMP, string(xmp.New(string(oldLabel.JSON()))), false),
	}, []tChunk{textChunk("AIGC", string(testLabel.WrappedJSON()))})
	if fs := labeltest.Read(t, Format{}, in); len(fs) != 2 {
		t.Fatalf("found %d labels, want 2", len(fs))
	}
	out := labeltest.WriteRead(t, Format{}, in, testLabel, label.CarrierXMP)
	checkLossless(t, in, out)
}

func TestBadInput(t *testing.T) {
	good := withChunks(t, encode(t, rgba(4, 4)), []tChunk{textChunk("AIGC", string(oldLabel.JSON()))}, nil)
	cs, _ := split(t, good)
	idat := 8
	for _, c := range cs {
		if c.typ == "IDAT" {
			break
		}
		idat += len(c.bytes)
	}
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	var bomb []byte
	{
		var buf bytes.Buffer
		w, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
		zero := make([]byte, 1<<20)
		for i := 0; i <= label.MaxMetadata>>20; i++ {
			w.Write(zero)
		}
		w.Close()
		bomb = append([]byte("AIGC\x00\x00"), buf.Bytes()...)
	}
	tests := []struct {
		name     string
		in       []byte
		contains string
	}{
		{"not png", []byte("GIF89a nope"), "signature"},
		{"empty", nil, "signature"},
		{"signature only", []byte(Signature), "without an IEND"},
		{"bad IHDR CRC", mod(func(b []byte) []byte { b[8+8+3] ^= 1; return b }), "CRC"},
		{"bad AIGC CRC", mod(func(b []byte) []byte { b[8+25+20] ^= 1; return b }), "CRC"},
		{"bad IDAT CRC", mod(func(b []byte) []byte { b[idat+9] ^= 1; return b }), `"IDAT" chunk has CRC`},
		{"truncated chunk", good[:idat+10], "remain"},
		{"truncated header", good[:idat+5], "truncated"},
		{"length past EOF", mod(func(b []byte) []byte { binary.BigEndian.PutUint32(b[idat:], 1<<20); return b }), "claims 1048576 bytes"},
		{"length 4 GiB", mod(func(b []byte) []byte { binary.BigEndian.PutUint32(b[idat:], 0xffffffff); return b }), "2^31-1"},
		{"missing IEND", good[:len(good)-12], "without an IEND"},
		{"IDAT first", build(tChunk{"IDAT", nil}, tChunk{"IEND", nil}), "not IHDR"},
		{"bad type", mod(func(b []byte) []byte { b[idat+4] = '1'; return b }), "invalid chunk type"},
		{"zip bomb", build(cs[0].chunk(), tChunk{"zTXt", bomb}, tChunk{"IEND", nil}), "decompresses to more than"},
		{"bad zlib", build(cs[0].chunk(), tChunk{"zTXt", []byte("AIGC\x00\x00garbage")}, tChunk{"IEND", nil}), "compressed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labeltest.Corrupt(t, Format{}, tt.in, tt.contains)
		})
	}
}

func (c rawChunk) chunk() tChunk { return tChunk{c.typ, c.bytes[8 : len(c.bytes)-4]} }

func TestSniff(t *testing.T) {
	if !(Format{}).Sniff(encode(t, rgba(1, 1))) {
		t.Fatal("PNG not sniffed")
	}
	for _, b := range [][]byte{nil, []byte("\x89PNG"), []byte("GIF89a"), []byte("\x89PNG\r\n\x1a\r")} {
		if (Format{}).Sniff(b) {
			t.Fatalf("%q sniffed as PNG", b)
		}
	}
}

func TestExiftool(t *testing.T) {
	in := withChunks(t, encode(t, rgba(6, 6)), ancillary, nil)
	p := labeltest.WriteTemp(t, "ours.png", labeltest.Write(t, Format{}, in, testLabel))
	got := labeltest.Exiftool(t, "-s3", "-XMP-TC260:AIGC", p)
	if strings.TrimSpace(got) != string(testLabel.JSON()) {
		t.Fatalf("exiftool reads %q, want %s", got, testLabel.JSON())
	}
	got = labeltest.Exiftool(t, "-s", "-PNG:Title", "-PNG:Author", "-PNG:Comment", "-PNG:Description-en", "-warning", p)
	for _, want := range []string{"Title                           : A title", "Author                          : Jane Doe",
		"Comment                         : a compressed comment", "Description-en                  : 说明"} {
		if !strings.Contains(got, want) {
			t.Fatalf("exiftool output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Warning") {
		t.Fatalf("exiftool warns:\n%s", got)
	}
}

// TestExiftoolLabeled reads a file exiftool labeled (XMP with other
// properties) and relabels it.
func TestExiftoolLabeled(t *testing.T) {
	in := withChunks(t, encode(t, paletted(5, 5)), []tChunk{textChunk("Title", "T")}, nil)
	p := labeltest.WriteTemp(t, "x.png", in)
	labeltest.Exiftool(t, "-overwrite_original", "-XMP-TC260:AIGC="+string(oldLabel.JSON()), "-XMP-dc:Creator=Jane", p)
	labeled := labeltest.ReadFile(t, p)
	fs := labeltest.Read(t, Format{}, labeled)
	if len(fs) != 1 || fs[0].Label != oldLabel || fs[0].Carrier != label.CarrierXMP {
		t.Fatalf("Read of exiftool's file = %+v", fs)
	}
	out := labeltest.WriteRead(t, Format{}, labeled, testLabel, label.CarrierXMP)
	checkLossless(t, labeled, out)
	got := labeltest.Exiftool(t, "-s3", "-XMP-TC260:AIGC", "-XMP-dc:Creator", "-PNG:Title", labeltest.WriteTemp(t, "x.png", out))
	want := string(testLabel.JSON()) + "\nJane\nT\n"
	if got != want {
		t.Fatalf("exiftool reads %q, want %q", got, want)
	}
}

// TestFixtures relabels the committed samples: plain ones, ones other
// tools labeled (which must be read) and deliberately bad ones (which must
// be refused).
func TestFixtures(t *testing.T) {
	labeltest.Fixtures(t, Format{}, "png", testLabel, label.CarrierXMP, checkLossless)
	labeltest.LabeledFixtures(t, Format{}, testLabel, label.CarrierXMP, checkLossless, ".png")
	labeltest.BadFixtures(t, Format{}, ".png")
}
