package picture_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

// pngChunk returns a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// chunks splits the PNG b into its chunks, whole.
func chunks(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 8; i < len(b); {
		if i+12 > len(b) {
			t.Fatalf("truncated chunk at %d", i)
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		out = append(out, b[i:i+12+n])
		i += 12 + n
	}
	return out
}

func chunkType(c []byte) string { return string(c[4:8]) }

// encodePNG encodes m with Go's encoder.
func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withChunks puts before after IHDR and after before IEND in the PNG b.
func withChunks(t testing.TB, b []byte, before, after [][]byte) []byte {
	out := append([]byte{}, b[:8]...)
	for _, c := range chunks(t, b) {
		if chunkType(c) == "IEND" {
			out = append(out, bytes.Join(after, nil)...)
		}
		out = append(out, c...)
		if chunkType(c) == "IHDR" {
			out = append(out, bytes.Join(before, nil)...)
		}
	}
	return out
}

// ihdr returns the bit depth and colour type of the PNG b.
func ihdr(t testing.TB, b []byte) (depth, colourType byte) {
	c := chunks(t, b)[0]
	return c[8+8], c[8+9]
}

// TestPNGOutsideLabel labels PNGs of every colour type class Go writes and
// checks that the output has the same bit depth and colour type, that
// every pixel outside the label is the same, and that the label's pixels
// changed.
func TestPNGOutsideLabel(t *testing.T) {
	const w, h = 120, 80
	src := pattern(w, h, 5)
	alpha := image.NewNRGBA(src.Rect)
	copy(alpha.Pix, src.Pix)
	for i := 3; i < len(alpha.Pix); i += 4 {
		alpha.Pix[i] = uint8(i / 4 % w * 2)
	}
	opaque := image.NewRGBA(src.Rect)
	copy(opaque.Pix, src.Pix)
	gray := image.NewGray(src.Rect)
	gray16 := image.NewGray16(src.Rect)
	rgba64 := image.NewRGBA64(src.Rect)
	nrgba64 := image.NewNRGBA64(src.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := src.NRGBAAt(x, y)
			gray.SetGray(x, y, color.Gray{c.G})
			gray16.SetGray16(x, y, color.Gray16{uint16(c.G)<<8 | uint16(x)})
			rgba64.SetRGBA64(x, y, color.RGBA64{uint16(c.R)<<8 | uint16(y), uint16(c.G) << 8, uint16(c.B) << 8, 0xFFFF})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R) << 8, uint16(c.G)<<8 | 3, uint16(c.B) << 8, uint16(x * 500)})
		}
	}
	cases := map[string][]byte{
		"rgba8":         encodePNG(t, alpha),
		"rgb8":          encodePNG(t, opaque),
		"gray8":         encodePNG(t, gray),
		"gray16":        encodePNG(t, gray16),
		"rgb16":         encodePNG(t, rgba64),
		"rgba16":        encodePNG(t, nrgba64),
		"palette.png":   labeltest.ReadFile(t, fixtures.Path("png/palette.png")),
		"text.png":      labeltest.ReadFile(t, fixtures.Path("png/text-chunks.png")),
		"gray16.png":    labeltest.ReadFile(t, fixtures.Path("png/gray16.png")),
		"full palette":  encodePNG(t, fullPalette(w, h)),
		"small palette": encodePNG(t, smallPalette(w, h)),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, info := run(t, in, picture.Options{})
			if info.Format != "png" || !info.Lossless {
				t.Errorf("Info = %+v", info)
			}
			d0, c0 := ihdr(t, in)
			d1, c1 := ihdr(t, out)
			if c0 != c1 || d0 != d1 && c0 != 3 || c0 == 3 && d1 < d0 {
				t.Errorf("bit depth, colour type %d, %d; input %d, %d", d1, c1, d0, c0)
			}
			a, b := decode(t, in), decode(t, out)
			l := cornerRect(a.Bounds().Dx(), a.Bounds().Dy())
			if n, p := outsideDiffs(a, b, l); n > 0 {
				t.Errorf("%d pixels outside the label changed, first at %v", n, p)
			}
			box, n := changedBox(a, b)
			if !box.In(l) || n < l.Dx()*l.Dy()/3 {
				t.Errorf("%d pixels changed in %v, label %v", n, box, l)
			}
			if pa, ok := a.(*image.Paletted); ok {
				pb := b.(*image.Paletted)
				if len(pb.Palette) < len(pa.Palette) {
					t.Fatalf("palette shrank from %d to %d", len(pa.Palette), len(pb.Palette))
				}
				for i, c := range pa.Palette {
					if color.NRGBA64Model.Convert(c) != color.NRGBA64Model.Convert(pb.Palette[i]) {
						t.Errorf("palette entry %d changed", i)
					}
				}
			}
		})
	}
}

// fullPalette is a picture with 256 palette entries: the label's colours
// must map to the nearest.
func fullPalette(w, h int) *image.Paletted {
	var pal color.Palette
	for i := 0; i < 256; i++ {
		pal = append(pal, color.RGBA{uint8(i), uint8(255 - i), uint8(i * 3), 255})
	}
	m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i := range m.Pix {
		m.Pix[i] = uint8(i % 256)
	}
	return m
}

// smallPalette is a 4-colour picture (2 bits per pixel in the file).
func smallPalette(w, h int) *image.Paletted {
	pal := color.Palette{color.RGBA{200, 180, 0, 255}, color.RGBA{0, 90, 200, 255}, color.RGBA{250, 250, 250, 255}, color.RGBA{90, 40, 10, 255}}
	m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i := range m.Pix {
		m.Pix[i] = uint8(i / 7 % 4)
	}
	return m
}

// TestPNGMetadata checks which chunks are carried over, where, and that
// exiftool reads them in the output; the eXIf orientation 6 is honoured.
func TestPNGMetadata(t *testing.T) {
	const w, h = 90, 60
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(iccOf(t))
	zw.Close()
	before := [][]byte{
		pngChunk("iCCP", append([]byte("test icc\x00\x00"), z.Bytes()...)),
		pngChunk("gAMA", binary.BigEndian.AppendUint32(nil, 45455)),
		pngChunk("cHRM", make([]byte, 32)),
		pngChunk("pHYs", []byte{0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1}),
		pngChunk("tEXt", []byte("Title\x00Test title")),
		pngChunk("eXIf", exifBlock(asciiTag(0x010F, "PNGCam"), asciiTag(0x0110, "Model P"), orientationTag(6))),
		pngChunk("tIME", []byte{0x07, 0xE9, 9, 1, 10, 0, 0}), // unsafe to copy: dropped
		pngChunk("prVt", []byte("private, safe to copy")),
		pngChunk("prVT", []byte("private, unsafe to copy")), // dropped
	}
	after := [][]byte{pngChunk("iTXt", []byte("Comment\x00\x00\x00zh\x00\x00注释"))}
	in := withChunks(t, encodePNG(t, pattern(w, h, 2)), before, after)
	out, info := run(t, in, picture.Options{})
	if info.Orientation != 6 {
		t.Errorf("Info.Orientation = %d", info.Orientation)
	}
	if k := strings.Join(info.Kept, ","); k != "ICC,gAMA,cHRM,pHYs,text,EXIF,prVt" {
		t.Errorf("Info.Kept = %s", k)
	}
	cs := chunks(t, out)
	wantBefore := append(append([][]byte{}, before[:6]...), before[7])
	for i, c := range wantBefore {
		if !bytes.Equal(cs[1+i], c) {
			t.Errorf("chunk %d is %q, want %q", 1+i, chunkType(cs[1+i]), chunkType(c))
		}
	}
	if !bytes.Equal(cs[len(cs)-2], after[0]) {
		t.Errorf("chunk before IEND is %q, want the late iTXt", chunkType(cs[len(cs)-2]))
	}
	for _, c := range cs {
		if typ := chunkType(c); typ == "tIME" || typ == "prVT" {
			t.Errorf("output keeps %q", typ)
		}
	}
	// Orientation 6 shows the stored top-right corner at the viewer's
	// bottom-right.
	box, _ := changedBox(decode(t, in), decode(t, out))
	if box.Max.X != w-margin || box.Min.Y != margin || box.Dy() <= box.Dx() {
		t.Errorf("label at %v in the stored %dx%d picture, want a tall box at the top right", box, w, h)
	}

	p := filepath.Join(t.TempDir(), "out.png")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	tags := labeltest.ExiftoolTags(t, p)
	for k, v := range map[string]string{
		"ICC_Profile:ProfileDescription": "aigcmark test RGB (gamma 2.2)",
		"IFD0:Make":                      "PNGCam",
		"IFD0:Model":                     "Model P",
		"PNG:Title":                      "Test title",
		"PNG:Gamma":                      "2.2",
	} {
		if tags[k] != v {
			t.Errorf("exiftool %s = %q, want %q", k, tags[k], v)
		}
	}
}

// TestPNGRefused checks the PNGs Label refuses, and that it says why.
func TestPNGRefused(t *testing.T) {
	plain := encodePNG(t, pattern(20, 20, 1))
	apng := withChunks(t, plain, [][]byte{pngChunk("acTL", []byte{0, 0, 0, 1, 0, 0, 0, 0})}, nil)
	badCRC := withChunks(t, plain, [][]byte{pngChunk("tEXt", []byte("a\x00b"))}, nil)
	badCRC[8+25+8+3] ^= 1 // a byte of the text
	for name, tc := range map[string]struct {
		in   []byte
		want error
		msg  string
	}{
		"APNG":           {apng, label.ErrUnsupported, "APNG"},
		"kept chunk CRC": {badCRC, label.ErrCorrupt, "CRC"},
		"bad-crc.png":    {labeltest.ReadFile(t, fixtures.Path("bad/bad-crc.png")), label.ErrCorrupt, "png: "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(tc.in), corner, picture.Options{})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Label = %v, want %v saying %q", err, tc.want, tc.msg)
			}
		})
	}
}
