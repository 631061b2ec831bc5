package webp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/xmp"
	xwebp "golang.org/x/image/webp"
)

var (
	label1 = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "a1b2c3",
		ContentPropagator: "001191110108MA01KP2T5U10000", PropagateID: "a1b2c3"}
	label2 = label.Label{Label: "2", ContentProducer: "Example Co", ProduceID: "id-2", ReservedCode1: "sig"}
)

// Tiny image bitstreams made once with ffmpeg's libwebp encoder (testsrc):
// a 6x4 lossy VP8 key frame, a 7x5 lossless VP8L image, and a 5x3 lossless
// image with alpha_is_used set (43 bytes: odd, so its chunk has a pad byte).
var (
	vp8Data       = unhex("b002009d012a0600040002003425b00274ba00c900c900fd4004a7db6be000fee6fc83bf01df7649a668acac4e919fd1b8bffe3c0fe1722199ebabc85c17b3f67f99fc62d87e954f7cb2baf6f05dff83150221a73ef0bf923a93e888595f1c000000")
	vp8lData      = unhex("2f060001006760906da41ef0f9bdcbc39c8681b46db2999be4cb3b810045b658eca02bcd7f4034203c02887b75518735dc4051db46d2dcc3a0ef82289025b56016cb128ce87f1c280835a1beff2da106")
	vp8lAlphaData = unhex("2f048000102f201048da1f7a0d014191ffa3cdffc804d8ab9508b26ca4e9f6433897f7b77a8888fe87a303")
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func chunk(id string, data []byte) []byte { return riff.AppendChunk(nil, id, data) }

func webpFile(chunks ...[]byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBP")
	for _, c := range chunks {
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint32(b[4:8], uint32(len(b)-8))
	return b
}

func vp8x(flags byte, w, h int) []byte {
	d := make([]byte, 10)
	d[0] = flags
	putUint24(d[4:7], uint32(w-1))
	putUint24(d[7:10], uint32(h-1))
	return chunk("VP8X", d)
}

var (
	iccp = chunk("ICCP", []byte("\x00\x00\x00\x1fnot really an ICC profile"))
	exif = chunk("EXIF", []byte("II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
)

// testFile is an input and what the output's VP8X chunk must say.
type testFile struct {
	name  string
	data  []byte
	flags byte // VP8X flags expected after Write
	w, h  int
	anim  bool // x/image/webp and ffmpeg cannot decode it
}

func handBuilt() []testFile {
	return []testFile{
		{name: "simple lossy", data: webpFile(chunk("VP8 ", vp8Data)), flags: flagXMP, w: 6, h: 4},
		{name: "simple lossless", data: webpFile(chunk("VP8L", vp8lData)), flags: flagXMP, w: 7, h: 5},
		{name: "simple lossless alpha", data: webpFile(chunk("VP8L", vp8lAlphaData)), flags: flagXMP | flagAlpha, w: 5, h: 3},
		{name: "extended ICCP VP8L EXIF", data: webpFile(vp8x(flagICC|flagEXIF, 7, 5), iccp, chunk("VP8L", vp8lData), exif),
			flags: flagICC | flagEXIF | flagXMP, w: 7, h: 5},
		{name: "extended with unknown chunk after EXIF", data: webpFile(vp8x(flagEXIF, 6, 4), chunk("VP8 ", vp8Data), exif, chunk("ZZZZ", []byte("odd"))),
			flags: flagEXIF | flagXMP, w: 6, h: 4},
	}
}

// ffmpegFiles makes images with ffmpeg's libwebp encoder.
func ffmpegFiles(t *testing.T) []testFile {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	var out []testFile
	for _, tc := range []struct {
		name, src string
		lossless  string
		flags     byte
	}{
		{"ffmpeg lossy", "testsrc=s=33x17", "0", flagXMP},
		{"ffmpeg lossless", "testsrc=s=40x30", "1", flagXMP},
		{"ffmpeg lossless rgba", "testsrc=s=21x11,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*10'", "1", flagXMP | flagAlpha},
		{"ffmpeg lossy rgba", "testsrc=s=21x11,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*10'", "0", flagXMP | flagAlpha},
	} {
		p := filepath.Join(dir, "f.webp")
		labeltest.RunTool(t, "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", tc.src, "-frames:v", "1",
			"-c:v", "libwebp", "-lossless", tc.lossless, p)
		data := labeltest.ReadFile(t, p)
		var w, h int
		_, err := fmtSscanf(tc.src, &w, &h)
		must(t, err)
		out = append(out, testFile{name: tc.name, data: data, flags: tc.flags, w: w, h: h})
	}
	return out
}

func fmtSscanf(src string, w, h *int) (int, error) {
	var err error
	s := strings.TrimPrefix(src, "testsrc=s=")
	s, _, _ = strings.Cut(s, ",")
	ws, hs, _ := strings.Cut(s, "x")
	for _, p := range []struct {
		s string
		v *int
	}{{ws, w}, {hs, h}} {
		if err = json.Unmarshal([]byte(p.s), p.v); err != nil {
			return 0, err
		}
	}
	return 2, nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type rawChunk struct {
	id   string
	data []byte // header, data, pad
}

// chunks returns the chunks of a WebP file, each with its bytes.
func chunks(t *testing.T, b []byte) []rawChunk {
	t.Helper()
	rd, err := riff.NewReader(bytes.NewReader(b), "webp")
	must(t, err)
	var out []rawChunk
	for {
		c, err := rd.Next()
		if err == io.EOF {
			return out
		}
		must(t, err)
		out = append(out, rawChunk{c.ID, b[c.Offset:c.End()]})
	}
}

func TestWrite(t *testing.T) {
	files := handBuilt()
	if _, err := exec.LookPath("ffmpeg"); err == nil || os.Getenv(fixtures.RequireToolsEnv) != "" {
		files = append(files, ffmpegFiles(t)...)
	}
	for _, p := range fixtures.All("webp") {
		data, err := os.ReadFile(p)
		must(t, err)
		f, err := scan(bytes.NewReader(data))
		must(t, err)
		flags := byte(flagXMP)
		if f.vp8x != nil {
			flags |= f.vp8x[0]
		} else if f.alpha {
			flags |= flagAlpha
		}
		files = append(files, testFile{name: "fixture " + filepath.Base(p), data: data, flags: flags,
			w: f.width, h: f.height, anim: flags&flagAnim != 0})
	}
	for _, tc := range files {
		t.Run(tc.name, func(t *testing.T) {
			out := labeltest.WriteRead(t, Format{}, tc.data, label1, label.CarrierXMP)

			// VP8X first, then every input chunk byte for byte and in
			// order, with one XMP chunk after the image and EXIF chunks.
			got := chunks(t, out)
			if got[0].id != "VP8X" {
				t.Fatalf("first chunk %q", got[0].id)
			}
			if want := vp8x(tc.flags, tc.w, tc.h); !bytes.Equal(got[0].data, want) {
				t.Errorf("VP8X = %x, want %x", got[0].data, want)
			}
			var kept []rawChunk
			xmpAt := -1
			for i, c := range got[1:] {
				if c.id == "XMP " {
					xmpAt = i
					continue
				}
				kept = append(kept, c)
			}
			var orig []rawChunk
			for _, c := range chunks(t, tc.data) {
				if c.id != "VP8X" {
					orig = append(orig, c)
				}
			}
			if len(kept) != len(orig) {
				t.Fatalf("output has %d other chunks, input %d", len(kept), len(orig))
			}
			for i := range kept {
				if kept[i].id != orig[i].id || !bytes.Equal(kept[i].data, orig[i].data) {
					t.Errorf("chunk %d: %q differs from input %q", i, kept[i].id, orig[i].id)
				}
				switch kept[i].id {
				case "VP8 ", "VP8L", "ALPH", "ANMF", "EXIF", "ICCP", "ANIM":
					if i >= xmpAt {
						t.Errorf("XMP chunk at %d comes before %q at %d", xmpAt, kept[i].id, i)
					}
				}
			}

			if !tc.anim {
				samePixels(t, tc.data, out)
			}
			checkExiftool(t, out, label1, tc.w, tc.h)
			if !tc.anim {
				sameFrames(t, tc.data, out)
			}

			// Re-labeling edits the XMP packet in place: labeling again with
			// label1 gives the same bytes.
			again := labeltest.WriteRead(t, Format{}, out, label2, label.CarrierXMP)
			if back := labeltest.Write(t, Format{}, again, label1); !bytes.Equal(back, out) {
				t.Errorf("labeling twice is not stable")
			}
		})
	}
}

// samePixels decodes a and b with golang.org/x/image/webp and compares them.
func samePixels(t *testing.T, a, b []byte) {
	t.Helper()
	ia, err := xwebp.Decode(bytes.NewReader(a))
	if err != nil {
		t.Logf("x/image/webp cannot decode the input: %v", err)
		return
	}
	ib, err := xwebp.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("x/image/webp decodes the input but not the output: %v", err)
	}
	if ia.Bounds() != ib.Bounds() {
		t.Fatalf("bounds %v, want %v", ib.Bounds(), ia.Bounds())
	}
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ca, cb := color.NRGBA64Model.Convert(ia.At(x, y)), color.NRGBA64Model.Convert(ib.At(x, y)); ca != cb {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, cb, ca)
			}
		}
	}
	cfg, err := xwebp.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != r.Dx() || cfg.Height != r.Dy() {
		t.Errorf("DecodeConfig %+v, %v", cfg, err)
	}
	var _ image.Image = ib
}

// checkExiftool reads the label and size back with exiftool.
func checkExiftool(t *testing.T, b []byte, l label.Label, w, h int) {
	t.Helper()
	if _, err := exec.LookPath("exiftool"); err != nil && os.Getenv(fixtures.RequireToolsEnv) == "" {
		return
	}
	out := labeltest.Exiftool(t, "-j", "-n", "-m", "-XMP-TC260:AIGC", "-ImageWidth", "-ImageHeight", "-Warning", "-Error",
		labeltest.WriteTemp(t, "x.webp", b))
	var res []struct {
		AIGC        string
		ImageWidth  int
		ImageHeight int
		Warning     string
		Error       string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 {
		t.Fatalf("exiftool output %s: %v", out, err)
	}
	r := res[0]
	if r.AIGC != string(l.JSON()) || r.ImageWidth != w || r.ImageHeight != h || r.Error != "" {
		t.Errorf("exiftool reads %+v, want AIGC %s and %dx%d", r, l.JSON(), w, h)
	}
	if r.Warning != "" {
		t.Logf("exiftool warning: %s", r.Warning)
	}
}

// sameFrames compares ffmpeg's framemd5 of a and b.
func sameFrames(t *testing.T, a, b []byte) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil && os.Getenv(fixtures.RequireToolsEnv) == "" {
		return
	}
	ma := labeltest.FrameMD5(t, labeltest.WriteTemp(t, "a.webp", a))
	mb := labeltest.FrameMD5(t, labeltest.WriteTemp(t, "b.webp", b))
	if ma != mb {
		t.Errorf("framemd5 differs:\n%s\n%s", ma, mb)
	}
}

// TestExiftoolLabeled reads files exiftool labeled (it makes simple files
// extended) and relabels them: one label, the other XMP property kept.
func TestExiftoolLabeled(t *testing.T) {
	fixtures.NeedTool(t, "exiftool")
	for _, tc := range handBuilt() {
		t.Run(tc.name, func(t *testing.T) {
			p := labeltest.WriteTemp(t, "in.webp", tc.data)
			labeltest.Exiftool(t, "-overwrite_original", "-XMP-TC260:AIGC="+string(label2.JSON()), "-XMP-dc:Title=Kept title", p)
			in := labeltest.ReadFile(t, p)
			labeltest.RequireOne(t, Format{}, in, label2, label.CarrierXMP)
			got := labeltest.WriteRead(t, Format{}, in, label1, label.CarrierXMP)
			checkExiftool(t, got, label1, tc.w, tc.h)
			title := labeltest.Exiftool(t, "-s3", "-XMP-dc:Title", labeltest.WriteTemp(t, "out.webp", got))
			if strings.TrimSpace(title) != "Kept title" {
				t.Errorf("dc:title after relabel: %q", title)
			}
			samePixels(t, tc.data, got)
		})
	}
}

func TestExistingXMP(t *testing.T) {
	other := []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>image/webp</dc:format></rdf:Description>` +
		`</rdf:RDF></x:xmpmeta>`)
	withLabel, err := xmp.Set(other, string(label2.JSON()))
	must(t, err)
	set1, err := xmp.Options{}.Set(other, label1)
	must(t, err)
	reset1, err := xmp.Options{}.Set(withLabel, label1)
	must(t, err)
	dropped, err := xmp.Drop(withLabel)
	must(t, err)
	img := chunk("VP8L", vp8lData)
	for _, tc := range []struct {
		name  string
		in    []byte
		found int
		want  []byte
	}{
		{"XMP without label", webpFile(vp8x(flagXMP, 7, 5), img, chunk("XMP ", other)), 0,
			webpFile(vp8x(flagXMP, 7, 5), img, chunk("XMP ", set1))},
		{"XMP flag not set", webpFile(vp8x(0, 7, 5), img, chunk("XMP ", withLabel)), 1,
			webpFile(vp8x(flagXMP, 7, 5), img, chunk("XMP ", reset1))},
		{"two XMP chunks", webpFile(vp8x(flagXMP, 7, 5), img, chunk("XMP ", withLabel), chunk("XMP ", withLabel)), 2,
			webpFile(vp8x(flagXMP, 7, 5), img, chunk("XMP ", reset1), chunk("XMP ", dropped))},
		{"simple file with a stray XMP chunk", webpFile(img, chunk("XMP ", withLabel)), 1,
			webpFile(vp8x(flagXMP, 7, 5), img, chunk("XMP ", reset1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := (Format{}).Read(bytes.NewReader(tc.in))
			must(t, err)
			if len(fs) != tc.found {
				t.Errorf("found %d labels, want %d", len(fs), tc.found)
			}
			out := labeltest.WriteRead(t, Format{}, tc.in, label1, label.CarrierXMP)
			if !bytes.Equal(out, tc.want) {
				t.Errorf("got  %q\nwant %q", out, tc.want)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	img := chunk("VP8L", vp8lData)
	good := webpFile(chunk("VP8 ", vp8Data))
	for _, tc := range []struct {
		name string
		in   []byte
		err  string
	}{
		{"VP8X of 9 bytes", webpFile(chunk("VP8X", make([]byte, 9)), img), "VP8X chunk has 9 bytes, not 10"},
		{"VP8X canvas differs from image", webpFile(vp8x(0, 8, 5), img), "VP8L image is 7x5, VP8X canvas is 8x5"},
		{"VP8X canvas too large", webpFile(vp8x(0, 1<<24, 1<<24), img), "over 2^32-1 pixels"},
		{"VP8X not first", webpFile(img, vp8x(0, 7, 5)), "VP8X chunk is not the first"},
		{"first chunk unknown", webpFile(chunk("ICCP", nil), img), `first chunk is "ICCP"`},
		{"no chunks", webpFile(), "no chunks"},
		{"no image", webpFile(vp8x(0, 7, 5), exif), "no VP8 or VP8L image chunk"},
		{"truncated chunk", good[:len(good)-10], "RIFF header claims"},
		{"truncated chunk, size fixed", webpFile(good[12 : len(good)-10]), `chunk "VP8 " claims 98 bytes, 88 remain (at offset 12)`},
		{"truncated header", good[:8], "RIFF header is truncated"},
		{"chunk claims 4 GiB", webpFile(img, []byte("EXIF\xff\xff\xff\xff")), `chunk "EXIF" claims 4294967295 bytes, 0 remain`},
		{"bad VP8 start code", webpFile(chunk("VP8 ", append([]byte{0, 0, 0, 1, 2, 3}, vp8Data[6:]...))), "bad key frame start code"},
		{"VP8 inter frame", webpFile(chunk("VP8 ", append([]byte{1}, vp8Data[1:]...))), "not a key frame"},
		{"VP8 too short", webpFile(chunk("VP8 ", vp8Data[:6])), "frame header is truncated"},
		{"VP8L bad signature", webpFile(chunk("VP8L", append([]byte{0x2e}, vp8lData[1:]...))), "bad signature"},
		{"VP8L bad version", webpFile(chunk("VP8L", []byte{0x2f, 0, 0, 0, 0x20})), "unknown version"},
		{"RF64", append([]byte("RF64"), good[4:]...), "where the ds64 chunk must be"},
		{"WAVE", append(append([]byte(nil), good[:8]...), append([]byte("WAVE"), good[12:]...)...), "not a WebP file"},
		{"malformed XMP with label", webpFile(vp8x(flagXMP, 7, 5), img, chunk("XMP ", []byte("<x:xmpmeta><TC260:AIGC>{}</x:xmpmeta"))), "XMP chunk: xmp: malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labeltest.Corrupt(t, Format{}, tc.in, tc.err)
		})
	}
}

func TestSniff(t *testing.T) {
	labeltest.Sniff(t, Format{}, map[string]bool{
		"RIFF\x00\x00\x00\x00WEBPVP8 ": true,
		"RIFF\x00\x00\x00\x00WAVEfmt ": false,
		"RIFF\x00\x00\x00\x00WEB":      false,
		"":                             false,
	})
}

// TestFixtures reads the labeled WebP fixtures (another tool's label) and
// relabels them.
func TestFixtures(t *testing.T) {
	labeltest.LabeledFixtures(t, Format{}, label1, label.CarrierXMP, func(t *testing.T, in, out []byte) {
		samePixels(t, in, out)
		sameFrames(t, in, out)
	}, ".webp")
}
