package picture_test

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

// segments returns the marker segments of the JPEG b from SOI up to SOS,
// each whole (marker, length, payload).
func segments(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		if b[i+1] == 0xDA {
			return out
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		out = append(out, b[i:i+2+n])
		i += 2 + n
	}
	t.Fatal("no SOS")
	return nil
}

// dqt returns the DQT segments of the JPEG b.
func dqt(t testing.TB, b []byte) []byte {
	var out []byte
	for _, s := range segments(t, b) {
		if s[1] == 0xDB {
			out = append(out, s...)
		}
	}
	return out
}

// grid expands r outward to multiples of n: the JPEG blocks it touches.
func grid(r image.Rectangle, n int) image.Rectangle {
	return image.Rect(r.Min.X/n*n, r.Min.Y/n*n, (r.Max.X+n-1)/n*n, (r.Max.Y+n-1)/n*n)
}

// TestJPEGOutsideLabel checks that labeling changes the label region
// only: outside the 16×16 blocks the label touches, the output's pixels
// are exactly those of the unlabeled input re-encoded at the same quality,
// within 40 dB of the input everywhere outside the label, and the
// label's pixels are where the renderer put them.
func TestJPEGOutsideLabel(t *testing.T) {
	const w, h, q = 320, 240, 85
	in := encodeJPEG(t, pattern(w, h, 7), q)
	out, info := run(t, in, picture.Options{})
	if info.Format != "jpeg" || info.Quality != q || info.Estimated != q || info.Lossless {
		t.Errorf("Info = %+v, want jpeg at estimated quality %d", info, q)
	}
	src := decode(t, in)
	got := decode(t, out)
	if got.Bounds() != src.Bounds() {
		t.Fatalf("output is %v, input %v", got.Bounds(), src.Bounds())
	}
	want := decode(t, encodeJPEG(t, src, q))
	l := cornerRect(w, h)
	if n, p := outsideDiffs(got, want, grid(l, 16)); n > 0 {
		t.Errorf("%d pixels outside the label's blocks differ from a plain re-encode, first at %v", n, p)
	}
	if p := psnrOutside(src, got, l); p < 40 {
		t.Errorf("PSNR outside the label = %.1f dB, want >= 40", p)
	}
	box, n := changedBox(src, got)
	if !box.In(grid(l, 16)) || n < l.Dx()*l.Dy()/2 {
		t.Errorf("changed pixels: %d in %v; the label is %v", n, box, l)
	}
	if m := markerBox(got, l.Inset(-4)); m.Empty() || !m.In(l.Inset(-2)) || m.Min.X-l.Min.X > 2 {
		t.Errorf("marker at %v, want at the left of %v", m, l)
	}
}

// TestJPEGQualityEstimate checks the quality estimated from the
// quantisation tables against files Go's encoder and libjpeg's cjpeg wrote
// at known qualities.
func TestJPEGQualityEstimate(t *testing.T) {
	m := pattern(96, 64, 3)
	gray := image.NewGray(m.Bounds())
	for i := range gray.Pix {
		gray.Pix[i] = m.Pix[4*i+1]
	}
	for _, q := range []int{5, 10, 25, 50, 60, 75, 85, 92, 98, 100} {
		for name, img := range map[string]image.Image{"colour": m, "gray": gray} {
			_, info := run(t, encodeJPEG(t, img, q), picture.Options{})
			if info.Estimated != q || info.Quality != q {
				t.Errorf("Go %s quality %d: estimated %d, encoded at %d", name, q, info.Estimated, info.Quality)
			}
		}
	}
	t.Run("cjpeg", func(t *testing.T) {
		cjpeg := fixtures.NeedTool(t, "cjpeg")
		ppm := fmt.Appendf(nil, "P6\n%d %d\n255\n", 96, 64)
		for i := 0; i < len(m.Pix); i += 4 {
			ppm = append(ppm, m.Pix[i:i+3]...)
		}
		p := labeltest.WriteTemp(t, "in.ppm", ppm)
		for _, q := range []int{15, 40, 50, 70, 80, 90, 95, 99} {
			for _, extra := range [][]string{nil, {"-sample", "1x1"}, {"-progressive"}, {"-grayscale"}} {
				args := append([]string{"-quality", fmt.Sprint(q)}, extra...)
				b, err := exec.Command(cjpeg, append(args, p)...).Output()
				if err != nil {
					t.Fatalf("cjpeg %v: %v", args, err)
				}
				_, info := run(t, b, picture.Options{})
				t.Logf("cjpeg %v: estimated %d", args, info.Estimated)
				if d := info.Estimated - q; d < -2 || d > 2 {
					t.Errorf("cjpeg %v: estimated %d", args, info.Estimated)
				}
			}
		}
	})
}

// TestJPEGQualityOption checks that Options.Quality sets the output's
// quantisation tables: they are those Go's encoder writes at that quality.
func TestJPEGQualityOption(t *testing.T) {
	in := encodeJPEG(t, pattern(64, 48, 1), 90)
	out, info := run(t, in, picture.Options{Quality: 40})
	if info.Quality != 40 || info.Estimated != 90 {
		t.Errorf("Info = %+v", info)
	}
	if want := dqt(t, encodeJPEG(t, pattern(8, 8, 1), 40)); !bytes.Equal(dqt(t, out), want) {
		t.Errorf("output tables differ from Go's at quality 40")
	}
}

// TestJPEGGray checks that a grayscale picture stays grayscale.
func TestJPEGGray(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 80, 60))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	out, _ := run(t, encodeJPEG(t, src, 80), picture.Options{})
	got, ok := decode(t, out).(*image.Gray)
	if !ok {
		t.Fatalf("output decodes to %T, want *image.Gray", decode(t, out))
	}
	box, _ := changedBox(decode(t, encodeJPEG(t, src, 80)), got)
	if l := cornerRect(80, 60); !box.In(grid(l, 8)) || box.Empty() {
		t.Errorf("changed %v, label %v", box, l)
	}
}

// TestJPEGProgressive checks a progressive 4:4:4 input: the output is a
// baseline JPEG whose pixels outside the label's blocks are those of a
// plain re-encode (Go's encoder subsamples the chroma to 4:2:0, which costs
// this noisy, ringed pattern about 15 dB against the input).
func TestJPEGProgressive(t *testing.T) {
	in := labeltest.ReadFile(t, fixtures.Path("jpeg/progressive.jpg"))
	out, info := run(t, in, picture.Options{})
	baseline := false
	for _, s := range segments(t, out) {
		baseline = baseline || s[1] == 0xC0
	}
	if !baseline {
		t.Error("output has no SOF0 segment")
	}
	src := decode(t, in)
	want := decode(t, encodeJPEG(t, src, info.Quality))
	if n, p := outsideDiffs(decode(t, out), want, grid(cornerRect(160, 120), 16)); n > 0 {
		t.Errorf("%d pixels outside the label's blocks differ from a plain re-encode, first at %v", n, p)
	}
}

// orientationCases give, for each EXIF orientation, where the viewer's
// bottom-right corner and left side are in the stored picture, read from
// the words of CIPA DC-008 (where the 0th row and 0th column are shown):
// for 6, the 0th row is the visual right-hand side and the 0th column the
// visual top, so the visual bottom-right is the stored top-right and the
// visual left is the stored bottom.
var orientationCases = []struct {
	o              int
	right, bottom  bool   // the viewer's bottom-right corner is at the stored right (bottom)
	viewerLeftSide string // the stored side the viewer's left side is on
}{
	{1, true, true, "left"},
	{2, false, true, "right"},
	{3, false, false, "right"},
	{4, true, false, "left"},
	{5, true, true, "top"},
	{6, true, false, "bottom"},
	{7, false, false, "bottom"},
	{8, false, true, "top"},
}

// TestJPEGOrientation labels a gray picture with each EXIF orientation and
// checks in the stored pixels that the label is in the corner the viewer
// sees as bottom-right, turned with the picture (its red marker on the
// viewer's left), and that the EXIF segment is kept as it was.
func TestJPEGOrientation(t *testing.T) {
	const w, h = 96, 56
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range src.Pix {
		src.Pix[i] = 128
		if i%4 == 3 {
			src.Pix[i] = 255
		}
	}
	plain := encodeJPEG(t, src, 95)
	for _, tc := range orientationCases {
		t.Run(fmt.Sprint(tc.o), func(t *testing.T) {
			app1 := jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifBlock(orientationTag(tc.o))...))
			in := afterSOI(plain, app1)
			out, info := run(t, in, picture.Options{})
			if info.Orientation != tc.o {
				t.Errorf("Info.Orientation = %d", info.Orientation)
			}
			if !bytes.Equal(segments(t, out)[0], app1) {
				t.Errorf("the EXIF segment is not kept first and unchanged")
			}
			got := decode(t, out)
			box, _ := changedBox(decode(t, plain), got)
			const tol = 2
			near := func(a, b int) bool { return a-b <= tol && b-a <= tol }
			okX := tc.right && near(box.Max.X, w-margin) || !tc.right && near(box.Min.X, margin)
			okY := tc.bottom && near(box.Max.Y, h-margin) || !tc.bottom && near(box.Min.Y, margin)
			if !okX || !okY {
				t.Errorf("label at %v in the stored %dx%d picture, want at its right %v, bottom %v", box, w, h, tc.right, tc.bottom)
			}
			if tall := box.Dy() > box.Dx(); tall != (tc.o >= 5) {
				t.Errorf("label %v: tall %v, the viewer's is wide", box, tall)
			}
			m := markerBox(got, got.Bounds())
			var side bool
			switch tc.viewerLeftSide {
			case "left":
				side = near(m.Min.X, box.Min.X) && m.Max.X < box.Min.X+box.Dx()/2
			case "right":
				side = near(m.Max.X, box.Max.X) && m.Min.X > box.Min.X+box.Dx()/2
			case "top":
				side = near(m.Min.Y, box.Min.Y) && m.Max.Y < box.Min.Y+box.Dy()/2
			case "bottom":
				side = near(m.Max.Y, box.Max.Y) && m.Min.Y > box.Min.Y+box.Dy()/2
			}
			if m.Empty() || !side {
				t.Errorf("marker at %v in label %v, want on its %s side", m, box, tc.viewerLeftSide)
			}
		})
	}
}

// iccOf returns the ICC profile of the fixture exif-icc-xmp.jpg.
func iccOf(t testing.TB) []byte {
	for _, s := range segments(t, labeltest.ReadFile(t, fixtures.Path("jpeg/exif-icc-xmp.jpg"))) {
		if s[1] == 0xE2 && bytes.HasPrefix(s[4:], []byte("ICC_PROFILE\x00")) {
			return s[4+14:]
		}
	}
	t.Fatal("fixture has no ICC profile")
	return nil
}

// TestJPEGMetadata checks that every metadata segment is carried over
// unchanged and in order (an ICC profile in two APP2 segments, EXIF, XMP,
// IPTC, a comment), that the APP14 Adobe and APP2 MPF segments are not,
// and that exiftool reads the metadata in the output.
func TestJPEGMetadata(t *testing.T) {
	fix := labeltest.ReadFile(t, fixtures.Path("jpeg/exif-icc-xmp.jpg"))
	icc := iccOf(t)
	var exifSeg, xmpSeg []byte
	for _, s := range segments(t, fix) {
		switch {
		case bytes.HasPrefix(s[4:], []byte("Exif\x00")):
			exifSeg = s
		case bytes.HasPrefix(s[4:], []byte("http://ns.adobe.com/xap/1.0/")):
			xmpSeg = s
		}
	}
	half := len(icc) / 2
	icc1 := jpegSegment(0xE2, append([]byte("ICC_PROFILE\x00\x01\x02"), icc[:half]...))
	icc2 := jpegSegment(0xE2, append([]byte("ICC_PROFILE\x00\x02\x02"), icc[half:]...))
	iptc := jpegSegment(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x78\x00\x07caption"))
	com := jpegSegment(0xFE, []byte("a comment"))
	adobe := jpegSegment(0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))
	mpf := jpegSegment(0xE2, []byte("MPF\x00II*\x00\x08\x00\x00\x00\x00\x00"))
	plain := encodeJPEG(t, decode(t, fix), 80)
	in := afterSOI(plain, exifSeg, icc1, icc2, mpf, xmpSeg, iptc, adobe, com)
	out, info := run(t, in, picture.Options{})
	want := [][]byte{exifSeg, icc1, icc2, xmpSeg, iptc, com}
	got := segments(t, out)
	if len(got) < len(want) {
		t.Fatalf("output has %d segments before SOS", len(got))
	}
	for i, s := range want {
		if !bytes.Equal(got[i], s) {
			t.Errorf("segment %d is % x…, want % x…", i, got[i][:min(len(got[i]), 20)], s[:min(len(s), 20)])
		}
	}
	for _, s := range got {
		if bytes.HasPrefix(s[4:], []byte("Adobe")) || bytes.HasPrefix(s[4:], []byte("MPF\x00")) {
			t.Errorf("output keeps % x", s[:min(len(s), 12)])
		}
	}
	if k := strings.Join(info.Kept, ","); k != "EXIF,ICC,XMP,IPTC,comment" {
		t.Errorf("Info.Kept = %s", k)
	}

	p := filepath.Join(t.TempDir(), "out.jpg")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	tags := labeltest.ExiftoolTags(t, p)
	for k, v := range map[string]string{
		"ICC_Profile:ProfileDescription": "aigcmark test RGB (gamma 2.2)",
		"IFD0:Make":                      "AIGCMark Optics",
		"IFD0:Model":                     "Test Rig Mk II",
		"XMP-photoshop:City":             "Hangzhou",
		"IPTC:Caption-Abstract":          "caption",
		"File:Comment":                   "a comment",
	} {
		if k == "File:Comment" {
			if c := labeltest.Exiftool(t, "-s3", "-Comment", p); strings.TrimSpace(c) != v {
				t.Errorf("exiftool Comment = %q", c)
			}
			continue
		}
		if tags[k] != v {
			t.Errorf("exiftool %s = %q, want %q", k, tags[k], v)
		}
	}
}
