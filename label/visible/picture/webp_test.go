package picture_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	webpenc "github.com/deepteams/webp"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

// riffChunk is one chunk of a WebP file.
type riffChunk struct {
	id   string
	data []byte
}

// webpChunks splits the WebP file b into its chunks.
func webpChunks(t testing.TB, b []byte) []riffChunk {
	t.Helper()
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		t.Fatalf("not a WebP file: % x", b[:min(len(b), 12)])
	}
	var out []riffChunk
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if i+8+n > len(b) {
			t.Fatalf("chunk %q at %d overruns the file", b[i:i+4], i)
		}
		out = append(out, riffChunk{string(b[i : i+4]), b[i+8 : i+8+n]})
		i += 8 + n + n%2
	}
	return out
}

func chunkIDs(cs []riffChunk) string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, strings.TrimSpace(c.id))
	}
	return strings.Join(ids, ",")
}

// encodeWebP encodes m with deepteams/webp.
func encodeWebP(t testing.TB, m image.Image, lossless bool, q int, meta ...[]byte) []byte {
	t.Helper()
	o := webpenc.DefaultOptions()
	o.Lossless, o.Quality, o.Exact = lossless, float32(q), true
	if len(meta) == 3 {
		o.ICC, o.EXIF, o.XMP = meta[0], meta[1], meta[2]
	}
	var b bytes.Buffer
	if err := webpenc.Encode(&b, m, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ffmpegWebP encodes the PNG of m with ffmpeg's libwebp and args.
func ffmpegWebP(t testing.TB, m image.Image, args ...string) []byte {
	t.Helper()
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out.webp")
	if err := os.WriteFile(in, encodePNG(t, m), 0o644); err != nil {
		t.Fatal(err)
	}
	labeltest.RunTool(t, "ffmpeg", append(append([]string{"-nostdin", "-v", "error", "-i", in, "-c:v", "libwebp"}, args...), "-f", "webp", out)...)
	return labeltest.ReadFile(t, out)
}

func alphaPattern(w, h int, seed uint32) *image.NRGBA {
	m := pattern(w, h, seed)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Pix[m.PixOffset(x, y)+3] = uint8(255 - x*200/w)
			if x < w/6 && y < h/6 {
				m.Pix[m.PixOffset(x, y)+3] = 0
			}
		}
	}
	return m
}

// TestWebPLossless checks that a lossless WebP comes out lossless with
// every pixel outside the label the same, alpha and the colour of
// transparent pixels included.
func TestWebPLossless(t *testing.T) {
	cases := map[string][]byte{
		"go alpha": encodeWebP(t, alphaPattern(100, 70, 3), true, 75),
		"go":       encodeWebP(t, pattern(100, 70, 4), true, 75),
		"libwebp":  ffmpegWebP(t, alphaPattern(100, 70, 5), "-lossless", "1"),
	}
	for _, f := range []string{"webp/lossless.webp", "webp/alpha-lossless.webp", "webp/extended.webp"} {
		if b, err := os.ReadFile(fixtures.Path(f)); err == nil {
			cases[filepath.Base(f)] = b
		}
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, info := run(t, in, picture.Options{})
			if !info.Lossless || info.Quality != 0 {
				t.Errorf("Info = %+v", info)
			}
			ids := chunkIDs(webpChunks(t, out))
			if !strings.Contains(ids, "VP8L") || strings.Contains(ids, "VP8,") || strings.HasSuffix(ids, "VP8") {
				t.Errorf("output chunks %s, want a VP8L image", ids)
			}
			ffmpegDecodes(t, out)
			a, b := decode(t, in), decode(t, out)
			l := cornerRect(a.Bounds().Dx(), a.Bounds().Dy())
			if n, p := outsideDiffs(a, b, l); n > 0 {
				t.Errorf("%d pixels outside the label changed, first at %v", n, p)
			}
			if box, n := changedBox(a, b); !box.In(l) || n < l.Dx()*l.Dy()/3 {
				t.Errorf("%d pixels changed in %v, label %v", n, box, l)
			}
		})
	}
}

// invisible renders a fully transparent overlay.
func invisible(w, h int) (visible.Overlay, error) {
	return visible.Overlay{Image: image.NewNRGBA(image.Rect(0, 0, w, h))}, nil
}

// ffmpegDecodes checks that ffmpeg's own WebP decoder reads b without a
// complaint.
func ffmpegDecodes(t testing.TB, b []byte) {
	t.Helper()
	fixtures.NeedTool(t, "ffmpeg")
	p := labeltest.WriteTemp(t, "out.webp", b)
	labeltest.RunTool(t, "ffmpeg", "-nostdin", "-v", "error", "-i", p, "-f", "null", "-")
}

// TestWebPLossy checks that a lossy WebP comes out lossy at the input's
// quality, with its alpha, and outside the label as close to the input as
// a plain re-encode at that quality.
func TestWebPLossy(t *testing.T) {
	cases := map[string][]byte{
		"go q80":            encodeWebP(t, pattern(160, 120, 3), false, 80),
		"libwebp alpha q70": ffmpegWebP(t, alphaPattern(160, 120, 4), "-lossless", "0", "-quality", "70"),
	}
	for _, f := range []string{"webp/lossy.webp", "webp/alpha-lossy.webp"} {
		if b, err := os.ReadFile(fixtures.Path(f)); err == nil {
			cases[filepath.Base(f)] = b
		}
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, info := run(t, in, picture.Options{})
			if info.Lossless || info.Quality == 0 || info.Quality != info.Estimated {
				t.Errorf("Info = %+v", info)
			}
			inIDs, outIDs := chunkIDs(webpChunks(t, in)), chunkIDs(webpChunks(t, out))
			if !strings.Contains(outIDs, "VP8") || strings.Contains(outIDs, "VP8L") ||
				strings.Contains(inIDs, "ALPH") != strings.Contains(outIDs, "ALPH") {
				t.Errorf("output chunks %s, input %s", outIDs, inIDs)
			}
			ffmpegDecodes(t, out)
			a, b := decode(t, in), decode(t, out)
			// The same re-encode without a label: an overlay with
			// nothing visible.
			var none bytes.Buffer
			if _, err := picture.Label(context.Background(), &none, bytes.NewReader(in), invisible, picture.Options{}); err != nil {
				t.Fatal(err)
			}
			plain := decode(t, none.Bytes())
			l := cornerRect(a.Bounds().Dx(), a.Bounds().Dy())
			// VP8 predicts and filters across blocks: compare outside the
			// label's macroblocks.
			g := grid(l, 16)
			if p, want := psnrOutside(a, b, g), psnrOutside(a, plain, g); p < want-0.5 || p < 25 {
				t.Errorf("PSNR outside the label %.1f dB; a plain re-encode gives %.1f dB", p, want)
			}
			if box, n := changedBox(a, b); n < l.Dx()*l.Dy()/3 || !box.Overlaps(l) {
				t.Errorf("%d pixels changed in %v, label %v", n, box, l)
			}
			if m := markerBox(b, l.Inset(-2)); m.Empty() || m.Min.X-l.Min.X > 3 {
				t.Errorf("marker at %v, want at the left of %v", m, l)
			}
			if strings.Contains(inIDs, "ALPH") {
				var diff int
				bb := a.Bounds()
				for y := bb.Min.Y; y < bb.Max.Y; y++ {
					for x := bb.Min.X; x < bb.Max.X; x++ {
						if !(image.Point{x, y}).In(l) && at64(a, x, y).A != at64(b, x, y).A {
							diff++
						}
					}
				}
				if diff > 0 {
					t.Errorf("alpha changed at %d pixels outside the label", diff)
				}
			}
		})
	}
}

// TestWebPQualityEstimate checks the quality estimated from the VP8
// quantiser against files libwebp (through ffmpeg) and deepteams/webp
// wrote at known qualities.
func TestWebPQualityEstimate(t *testing.T) {
	m := pattern(160, 120, 9)
	for _, q := range []int{10, 30, 50, 70, 85, 95} {
		check := func(t *testing.T, in []byte) {
			_, info := run(t, in, picture.Options{})
			if d := info.Estimated - q; d < -2 || d > 2 {
				t.Errorf("quality %d: estimated %d", q, info.Estimated)
			}
		}
		t.Run(fmt.Sprint("deepteams ", q), func(t *testing.T) { check(t, encodeWebP(t, m, false, q)) })
		t.Run(fmt.Sprint("libwebp ", q), func(t *testing.T) {
			check(t, ffmpegWebP(t, m, "-lossless", "0", "-quality", fmt.Sprint(q)))
		})
	}
	// Options.Quality wins over the estimate.
	out, info := run(t, encodeWebP(t, m, false, 90), picture.Options{Quality: 30})
	if info.Quality != 30 || info.Estimated != 90 {
		t.Errorf("Info = %+v", info)
	}
	if _, again := run(t, out, picture.Options{}); again.Estimated < 28 || again.Estimated > 32 {
		t.Errorf("output written at quality 30 estimates as %d", again.Estimated)
	}
}

// TestWebPMetadata checks that the ICC profile, EXIF and XMP chunks are
// carried over with the right VP8X flags, and that the EXIF orientation 8
// is honoured.
func TestWebPMetadata(t *testing.T) {
	const w, h = 90, 60
	icc := iccOf(t)
	exif := exifBlock(asciiTag(0x010F, "WebPCam"), asciiTag(0x0110, "Model W"), orientationTag(8))
	xmp := []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Shenzhen"/></rdf:RDF></x:xmpmeta>`)
	for _, lossless := range []bool{true, false} {
		t.Run(fmt.Sprint("lossless ", lossless), func(t *testing.T) {
			in := encodeWebP(t, pattern(w, h, 1), lossless, 80, icc, exif, xmp)
			out, info := run(t, in, picture.Options{})
			if info.Orientation != 8 || strings.Join(info.Kept, ",") != "ICC,EXIF,XMP" {
				t.Errorf("Info = %+v", info)
			}
			cs := webpChunks(t, out)
			got := map[string][]byte{}
			for _, c := range cs {
				got[c.id] = c.data
			}
			if !bytes.Equal(got["ICCP"], icc) || !bytes.Equal(got["EXIF"], exif) || !bytes.Equal(got["XMP "], xmp) {
				t.Errorf("metadata chunks not carried over: %s", chunkIDs(cs))
			}
			if cs[0].id != "VP8X" || cs[0].data[0]&0x2C != 0x2C {
				t.Errorf("first chunk %q flags %#x, want VP8X with ICC, EXIF and XMP", cs[0].id, cs[0].data[0])
			}
			// Orientation 8 shows the stored bottom-left corner at the
			// viewer's bottom-right.
			box, _ := changedBox(decode(t, in), decode(t, out))
			if box.Min.X > margin+2 || box.Max.Y < h-margin-2 || box.Dy() <= box.Dx() {
				t.Errorf("label at %v in the stored %dx%d picture, want a tall box at the bottom left", box, w, h)
			}
			p := filepath.Join(t.TempDir(), "out.webp")
			if err := os.WriteFile(p, out, 0o644); err != nil {
				t.Fatal(err)
			}
			tags := labeltest.ExiftoolTags(t, p)
			for k, v := range map[string]string{
				"ICC_Profile:ProfileDescription": "aigcmark test RGB (gamma 2.2)",
				"IFD0:Make":                      "WebPCam",
				"XMP-photoshop:City":             "Shenzhen",
			} {
				if tags[k] != v {
					t.Errorf("exiftool %s = %q, want %q", k, tags[k], v)
				}
			}
		})
	}
}
