package picture_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	labelgif "github.com/aigcmark/aigcmark/label/gif"
	labeljpeg "github.com/aigcmark/aigcmark/label/jpeg"
	"github.com/aigcmark/aigcmark/label/labeltest"
	labelpng "github.com/aigcmark/aigcmark/label/png"
	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/picture"
	labelwebp "github.com/aigcmark/aigcmark/label/webp"
)

// huge returns pictures of each format whose headers claim more pixels
// than the default limit, with (almost) no pixel data behind them.
func huge(t testing.TB) map[string][]byte {
	small := pattern(16, 16, 1)
	j := encodeJPEG(t, small, 80)
	sof := bytes.Index(j, []byte{0xFF, 0xC0})
	binary.BigEndian.PutUint16(j[sof+5:], 20000)
	binary.BigEndian.PutUint16(j[sof+7:], 20000)

	p := encodePNG(t, small)
	binary.BigEndian.PutUint32(p[16:], 20000)
	binary.BigEndian.PutUint32(p[20:], 20000)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))

	var g bytes.Buffer
	if err := gif.Encode(&g, small, nil); err != nil {
		t.Fatal(err)
	}
	gb := g.Bytes()
	binary.LittleEndian.PutUint16(gb[6:], 20000)
	binary.LittleEndian.PutUint16(gb[8:], 20000)

	w := encodeWebP(t, small, true, 75)
	v := bytes.Index(w, []byte("VP8L")) + 8
	bits := binary.LittleEndian.Uint32(w[v+1:])
	bits = bits&^(1<<28-1) | 16383 | 16383<<14 // 16384×16384
	binary.LittleEndian.PutUint32(w[v+1:], bits)
	return map[string][]byte{"jpeg": j, "png": p, "gif": gb, "webp": w}
}

// TestTooLarge checks that pictures over the pixel limit are refused from
// their header: quickly, without the renderer, and without allocating
// anything like the picture.
func TestTooLarge(t *testing.T) {
	for format, in := range huge(t) {
		t.Run(format, func(t *testing.T) {
			rendered := false
			r := func(w, h int) (visible.Overlay, error) { rendered = true; return corner(w, h) }
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), r, picture.Options{})
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			var tl *picture.TooLargeError
			if !errors.As(err, &tl) || !errors.Is(err, picture.ErrTooLarge) || tl.Format != format || tl.Limit != picture.DefaultMaxPixels || tl.Pixels < 250_000_000 {
				t.Fatalf("Label = %v, want a TooLargeError", err)
			}
			if !strings.Contains(err.Error(), "over the limit of 100000000") {
				t.Errorf("error %q does not give the limit", err)
			}
			if rendered {
				t.Error("the renderer was called")
			}
			a := after.TotalAlloc - before.TotalAlloc
			t.Logf("refused in %v, %d bytes allocated", elapsed, a)
			if a > 1<<20 {
				t.Errorf("allocated %d bytes", a)
			}
			if elapsed > time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
	// A lower limit refuses a picture a little over it, and accepts one
	// at it.
	in := encodePNG(t, pattern(100, 50, 1))
	if _, err := picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), corner, picture.Options{MaxPixels: 4999}); !errors.Is(err, picture.ErrTooLarge) {
		t.Errorf("MaxPixels 4999: %v", err)
	}
	run(t, in, picture.Options{MaxPixels: 5000})
}

// TestTooManyFramePixels checks that a GIF whose frames hold more pixels
// than the limit, the canvas being within it, is refused before decoding.
func TestTooManyFramePixels(t *testing.T) {
	in := labeltest.ReadFile(t, fixtures.Path("gif/animated.gif")) // 48×32, 3 frames
	_, err := picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), corner, picture.Options{MaxPixels: 48 * 32 * 2})
	var tl *picture.TooLargeError
	if !errors.As(err, &tl) || tl.Frames != 3 || !strings.Contains(err.Error(), "3 frames") {
		t.Fatalf("Label = %v, want a TooLargeError for 3 frames", err)
	}
}

// TestCorrupt checks that damaged files give typed errors, never a panic
// or an output: every cut of a file of each format, corrupt fixtures,
// and bytes that are no picture.
func TestCorrupt(t *testing.T) {
	files := map[string][]byte{
		"jpeg":        labeltest.ReadFile(t, fixtures.Path("jpeg/exif-icc-xmp.jpg")),
		"progressive": labeltest.ReadFile(t, fixtures.Path("jpeg/progressive.jpg")),
		"png":         labeltest.ReadFile(t, fixtures.Path("png/text-chunks.png")),
		"gif":         labeltest.ReadFile(t, fixtures.Path("gif/animated.gif")),
		"webp":        encodeWebP(t, pattern(40, 30, 2), true, 75),
		"webp lossy":  encodeWebP(t, pattern(40, 30, 2), false, 75),
	}
	for name, in := range files {
		t.Run(name, func(t *testing.T) {
			step := max(len(in)/97, 1)
			for n := 0; n < len(in)-1; n += step {
				var out bytes.Buffer
				_, err := picture.Label(context.Background(), &out, bytes.NewReader(in[:n]), corner, picture.Options{})
				var fe *label.FormatError
				switch {
				case err == nil:
					// Some cuts leave a file the decoder accepts (a GIF
					// without its trailer): then it must be a picture.
					decode(t, out.Bytes())
				case n < 16 && errors.Is(err, label.ErrUnknownFormat):
				case !errors.As(err, &fe):
					t.Errorf("cut at %d: %v (%T), want a *label.FormatError", n, err, err)
				}
			}
		})
	}
	for _, p := range []string{"bad/truncated.jpg", "bad/no-eoi.jpg", "bad/bad-crc.png"} {
		in := labeltest.ReadFile(t, fixtures.Path(p))
		_, err := picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), corner, picture.Options{})
		if !errors.Is(err, label.ErrCorrupt) {
			t.Errorf("%s: %v, want a corrupt-file error", p, err)
		}
	}
	_, err := picture.Label(context.Background(), &bytes.Buffer{}, strings.NewReader("hello, not a picture"), corner, picture.Options{})
	if !errors.Is(err, label.ErrUnknownFormat) {
		t.Errorf("text: %v", err)
	}
}

// TestBadCalls checks the errors of bad options, renderers and contexts.
func TestBadCalls(t *testing.T) {
	in := encodePNG(t, pattern(40, 30, 1))
	boom := errors.New("boom")
	for name, tc := range map[string]struct {
		r    visible.Renderer
		opts picture.Options
		ctx  func() context.Context
		want string
	}{
		"quality":        {corner, picture.Options{Quality: 101}, nil, "quality 101"},
		"no renderer":    {nil, picture.Options{}, nil, "no renderer"},
		"renderer fails": {func(int, int) (visible.Overlay, error) { return visible.Overlay{}, boom }, picture.Options{}, nil, "boom"},
		"no image":       {func(int, int) (visible.Overlay, error) { return visible.Overlay{}, nil }, picture.Options{}, nil, "no image"},
		"outside": {func(w, h int) (visible.Overlay, error) {
			return visible.Overlay{Image: image.NewNRGBA(image.Rect(0, 0, 4, 4)), At: image.Pt(w, 0)}, nil
		}, picture.Options{}, nil, "outside"},
		"cancelled": {corner, picture.Options{}, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, "canceled"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if tc.ctx != nil {
				ctx = tc.ctx()
			}
			var out bytes.Buffer
			_, err := picture.Label(ctx, &out, bytes.NewReader(in), tc.r, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Label = %v, want an error saying %q", err, tc.want)
			}
			if name == "renderer fails" && !errors.Is(err, boom) {
				t.Errorf("%v does not wrap the renderer's error", err)
			}
			if out.Len() > 0 {
				t.Errorf("wrote %d bytes", out.Len())
			}
		})
	}
}

// TestAlphaOver checks the compositing on a picture with alpha: every
// output pixel of the overlay is the non-premultiplied "over" of the
// overlay's colour on the input's, within rounding, and the overlay
// itself is not changed.
func TestAlphaOver(t *testing.T) {
	const w, h = 40, 30
	src := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(src.Pix); i += 4 {
		src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3] = uint8(i), 200, uint8(255-i), uint8(i/4*9)
	}
	ov := image.NewNRGBA(image.Rect(0, 0, 20, 10))
	for i := 0; i < len(ov.Pix); i += 4 {
		ov.Pix[i], ov.Pix[i+1], ov.Pix[i+2], ov.Pix[i+3] = 250, uint8(i), 10, uint8(i*3)
	}
	keep := append([]byte{}, ov.Pix...)
	at := image.Pt(15, 12)
	r := func(int, int) (visible.Overlay, error) { return visible.Overlay{Image: ov, At: at}, nil }
	var out bytes.Buffer
	if _, err := picture.Label(context.Background(), &out, bytes.NewReader(encodePNG(t, src)), r, picture.Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ov.Pix, keep) {
		t.Error("Label changed the overlay")
	}
	got := decode(t, out.Bytes()).(*image.NRGBA)
	for y := 0; y < 10; y++ {
		for x := 0; x < 20; x++ {
			s, d, g := ov.NRGBAAt(x, y), src.NRGBAAt(x+at.X, y+at.Y), got.NRGBAAt(x+at.X, y+at.Y)
			sa, da := float64(s.A)/255, float64(d.A)/255
			a := sa + da*(1-sa)
			mix := func(sc, dc uint8) float64 {
				if a == 0 {
					return 0
				}
				return (float64(sc)*sa + float64(dc)*da*(1-sa)) / a
			}
			want := []float64{mix(s.R, d.R), mix(s.G, d.G), mix(s.B, d.B), a * 255}
			for i, v := range []uint8{g.R, g.G, g.B, g.A} {
				if a > 0 && math.Abs(float64(v)-want[i]) > 1 {
					t.Fatalf("(%d,%d): %v over %v gives %v, want %.1f", x, y, s, d, g, want)
				}
			}
		}
	}
}

// testLabel is the metadata label the chain test writes.
var testLabel = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "picture-chain-1"}.WithPropagationDefaults()

// TestChain runs what `aigcmark label` does for a picture: the explicit
// label with Label, then the metadata label with the container's Write.
// exiftool must then read the metadata the input had and the AIGC label,
// and our reader exactly that label.
func TestChain(t *testing.T) {
	fixtures.NeedTool(t, "exiftool")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(iccOf(t))
	zw.Close()
	exif := exifBlock(asciiTag(0x010F, "ChainCam"), asciiTag(0x0110, "Chain Model"), orientationTag(1))
	pngIn := withChunks(t, encodePNG(t, pattern(80, 60, 1)), [][]byte{
		pngChunk("iCCP", append([]byte("icc\x00\x00"), z.Bytes()...)),
		pngChunk("eXIf", exif),
	}, nil)
	cases := []struct {
		name   string
		in     []byte
		format label.Format
		tags   map[string]string
	}{
		{"jpeg", labeltest.ReadFile(t, fixtures.Path("jpeg/exif-icc-xmp.jpg")), labeljpeg.Format{}, map[string]string{
			"ICC_Profile:ProfileDescription": "aigcmark test RGB (gamma 2.2)", "IFD0:Make": "AIGCMark Optics", "IFD0:Model": "Test Rig Mk II", "XMP-photoshop:City": "Hangzhou"}},
		{"png", pngIn, labelpng.Format{}, map[string]string{
			"ICC_Profile:ProfileDescription": "aigcmark test RGB (gamma 2.2)", "IFD0:Make": "ChainCam", "IFD0:Model": "Chain Model"}},
		{"webp", encodeWebP(t, pattern(80, 60, 2), false, 80, iccOf(t), exif, nil), labelwebp.Format{}, map[string]string{
			"ICC_Profile:ProfileDescription": "aigcmark test RGB (gamma 2.2)", "IFD0:Make": "ChainCam", "IFD0:Model": "Chain Model"}},
		{"gif", labeltest.ReadFile(t, fixtures.Path("gif/animated.gif")), labelgif.Format{}, map[string]string{"GIF:FrameCount": "3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			explicit, _ := run(t, tc.in, picture.Options{})
			var out bytes.Buffer
			if err := tc.format.Write(&out, bytes.NewReader(explicit), testLabel); err != nil {
				t.Fatalf("%s Write: %v", tc.format.Name(), err)
			}
			labeltest.RequireOne(t, tc.format, out.Bytes(), testLabel, label.CarrierXMP)
			p := filepath.Join(t.TempDir(), "out."+tc.name)
			if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			tags := labeltest.ExiftoolTags(t, p)
			if tags["XMP-TC260:AIGC"] != string(testLabel.JSON()) {
				t.Errorf("exiftool XMP-TC260:AIGC = %q", tags["XMP-TC260:AIGC"])
			}
			for k, v := range tc.tags {
				if tags[k] != v {
					t.Errorf("exiftool %s = %q, want %q", k, tags[k], v)
				}
			}
			if w := labeltest.Exiftool(t, "-s3", "-Warning", p); strings.TrimSpace(w) != "" {
				t.Errorf("exiftool warns: %s", w)
			}
			// The explicit label is still there after the metadata label.
			box, n := changedBox(decode(t, tc.in), decode(t, out.Bytes()))
			if n == 0 || !box.Overlaps(cornerRect(decode(t, tc.in).Bounds().Dx(), decode(t, tc.in).Bounds().Dy())) {
				t.Errorf("no label in the final file (changed %v)", box)
			}
		})
	}
}
