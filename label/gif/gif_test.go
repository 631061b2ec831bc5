package gif

import (
	"bytes"
	"image"
	"image/color"
	"image/color/palette"
	stdgif "image/gif"
	"reflect"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/xmp"
)

var testLabel = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "0196f3a2c1d47b8e9a0b1c2d3e4f5a6b",
	ContentPropagator: "001191110108MA01KP2T5U10000", PropagateID: "0196f3a2c1d47b8e9a0b1c2d3e4f5a6b"}

var otherLabel = label.Label{Label: "2", ContentProducer: "someone-else", ProduceID: "old-id"}

const otherXMP = `<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
   <dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator>
   <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`

// makeGIF encodes frames of a small pattern with Go's encoder. With more
// than one frame it writes a NETSCAPE2.0 loop extension and a graphic
// control extension per frame.
func makeGIF(t testing.TB, frames int) []byte {
	t.Helper()
	g := &stdgif.GIF{LoopCount: 3}
	pal := color.Palette(palette.Plan9[:64])
	for f := 0; f < frames; f++ {
		img := image.NewPaletted(image.Rect(0, 0, 40, 30), pal)
		for y := 0; y < 30; y++ {
			for x := 0; x < 40; x++ {
				img.SetColorIndex(x, y, uint8((x+y*3+f*7)%64))
			}
		}
		g.Image = append(g.Image, img)
		if frames > 1 {
			g.Delay = append(g.Delay, 10+f)
			g.Disposal = append(g.Disposal, stdgif.DisposalBackground)
		} else {
			g.Delay = append(g.Delay, 0)
		}
	}
	var b bytes.Buffer
	if err := stdgif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testBlock is a block as the tests' own walker sees it.
type testBlock struct {
	intro, label byte
	id           string // application identifier
	off, end     int
}

// blocks walks g independently of the package code. The XMP extension is
// found by its trailer rather than by walking sub-blocks.
func blocks(t testing.TB, g []byte) (first int, out []testBlock) {
	t.Helper()
	i := 13
	if g[10]&0x80 != 0 {
		i += 3 << (g[10]&7 + 1)
	}
	first = i
	subs := func(i int) int {
		for g[i] != 0 {
			i += 1 + int(g[i])
		}
		return i + 1
	}
	for g[i] != introTrailer {
		b := testBlock{intro: g[i], off: i}
		switch g[i] {
		case introImage:
			j := i + 10
			if g[i+9]&0x80 != 0 {
				j += 3 << (g[i+9]&7 + 1)
			}
			i = subs(j + 1)
		case introExtension:
			b.label = g[i+1]
			if b.label == extApplication {
				b.id = string(g[i+3 : i+14])
			}
			if b.id == xmpID {
				k := bytes.Index(g[i:], magic)
				if k < 0 {
					t.Fatal("XMP extension without magic trailer")
				}
				i += k + len(magic) + 1
			} else {
				i = subs(i + 2)
			}
		default:
			t.Fatalf("block 0x%02X at %d", g[i], i)
		}
		b.end = i
		out = append(out, b)
	}
	return first, out
}

// withoutXMP returns g without its XMP extensions, and their offsets.
func withoutXMP(t testing.TB, g []byte) ([]byte, []int) {
	t.Helper()
	var out []byte
	var at []int
	prev := 0
	_, bs := blocks(t, g)
	for _, b := range bs {
		if b.id == xmpID {
			out = append(out, g[prev:b.off]...)
			at = append(at, b.off)
			prev = b.end
		}
	}
	return append(out, g[prev:]...), at
}

// insertBefore inserts data before the first block of g matching pick.
func insertBefore(t testing.TB, g []byte, pick func(testBlock) bool, data []byte) []byte {
	t.Helper()
	_, bs := blocks(t, g)
	for _, b := range bs {
		if pick(b) {
			out := append([]byte(nil), g[:b.off]...)
			out = append(out, data...)
			return append(out, g[b.off:]...)
		}
	}
	t.Fatal("no block to insert before")
	return nil
}

func isImageOrGCE(b testBlock) bool {
	return b.intro == introImage || b.label == extGraphicControl
}

func comment(s string) []byte {
	return append(append([]byte{introExtension, extComment, byte(len(s))}, s...), 0)
}

func xmpExt(t testing.TB, packet string) []byte {
	t.Helper()
	e, err := extension([]byte(packet), -1)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func labeledXMP(t testing.TB, l label.Label) string {
	t.Helper()
	p, err := xmp.Set([]byte(otherXMP), string(l.JSON()))
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

func gif87(g []byte) []byte {
	g = append([]byte(nil), g...)
	copy(g[3:], "87a")
	return g
}

func decodeAll(t testing.TB, g []byte) *stdgif.GIF {
	t.Helper()
	d, err := stdgif.DecodeAll(bytes.NewReader(g))
	if err != nil {
		t.Fatalf("image/gif: %v", err)
	}
	return d
}

// sameFrames compares every frame's pixels and palette, the delays,
// disposals, loop count and screen.
func sameFrames(t testing.TB, a, b *stdgif.GIF) {
	t.Helper()
	if len(a.Image) != len(b.Image) {
		t.Fatalf("%d frames, want %d", len(b.Image), len(a.Image))
	}
	for i := range a.Image {
		pa, pb := a.Image[i], b.Image[i]
		if pa.Rect != pb.Rect || !bytes.Equal(pa.Pix, pb.Pix) || !reflect.DeepEqual(pa.Palette, pb.Palette) {
			t.Fatalf("frame %d differs", i)
		}
	}
	if !reflect.DeepEqual(a.Delay, b.Delay) || !reflect.DeepEqual(a.Disposal, b.Disposal) ||
		a.LoopCount != b.LoopCount || a.BackgroundIndex != b.BackgroundIndex ||
		a.Config.Width != b.Config.Width || a.Config.Height != b.Config.Height {
		t.Fatalf("timing or screen differs: %v %v %d vs %v %v %d", a.Delay, a.Disposal, a.LoopCount, b.Delay, b.Disposal, b.LoopCount)
	}
}

func TestSniff(t *testing.T) {
	labeltest.Sniff(t, Format{}, map[string]bool{
		"GIF89a\x01\x00": true,
		"GIF87a":         true,
		"GIF88a":         false,
		"GIF8":           false,
		"\xff\xd8\xff":   false,
	})
}

// TestWrite labels GIFs of various make-ups and checks that the output
// carries exactly one label, decodes to the same frames, and differs from
// the input only in the XMP extension (and the version for GIF87a).
func TestWrite(t *testing.T) {
	single := makeGIF(t, 1)
	anim := makeGIF(t, 3)
	animComment := insertBefore(t, anim, isImageOrGCE, comment("made by a test"))
	_, sb := blocks(t, single)
	_, ab := blocks(t, anim)
	tests := []struct {
		name   string
		in     []byte
		wantAt int // offset of the XMP extension in the output
	}{
		{"GIF87a", gif87(single), sb[0].off},
		{"GIF89a", single, sb[0].off},
		{"animated, loop and comment", animComment, ab[1].off + len(comment("made by a test"))},
		{"existing XMP after loop", insertBefore(t, anim, isImageOrGCE, xmpExt(t, otherXMP)), ab[1].off},
		{"existing XMP before loop", insertBefore(t, anim, func(testBlock) bool { return true }, xmpExt(t, labeledXMP(t, otherLabel))), ab[0].off},
		{"two XMP extensions", insertBefore(t, anim, isImageOrGCE, append(xmpExt(t, labeledXMP(t, otherLabel)), xmpExt(t, labeledXMP(t, otherLabel))...)), ab[1].off},
		{"trailing bytes", append(append([]byte(nil), single...), "junk after the trailer"...), sb[0].off},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := labeltest.Write(t, Format{}, tt.in, testLabel)
			labeltest.RequireOne(t, Format{}, out, testLabel, label.CarrierXMP)
			if string(out[:6]) != "GIF89a" {
				t.Errorf("header %q", out[:6])
			}
			sameFrames(t, decodeAll(t, tt.in), decodeAll(t, out))
			inRest, _ := withoutXMP(t, tt.in)
			outRest, at := withoutXMP(t, out)
			if len(at) == 0 || at[0] != tt.wantAt {
				t.Fatalf("XMP extensions at %v, want %d first", at, tt.wantAt)
			}
			copy(inRest[3:], "89a")
			if !bytes.Equal(inRest, outRest) {
				t.Fatal("bytes outside the XMP extension changed")
			}
			again := labeltest.Write(t, Format{}, out, otherLabel)
			labeltest.RequireOne(t, Format{}, again, otherLabel, label.CarrierXMP)
			sameFrames(t, decodeAll(t, tt.in), decodeAll(t, again))
		})
	}
}

// TestKeepsOtherXMP checks that the other properties of an existing packet
// survive, with exiftool as the reader.
func TestKeepsOtherXMP(t *testing.T) {
	in := insertBefore(t, makeGIF(t, 2), isImageOrGCE, append(comment("hello"), xmpExt(t, otherXMP)...))
	p := labeltest.WriteTemp(t, "out.gif", labeltest.Write(t, Format{}, in, testLabel))
	out := labeltest.Exiftool(t, "-S", "-XMP-TC260:AIGC", "-XMP-dc:Creator", "-XMP-iptcExt:DigitalSourceType",
		"-Comment", "-GIF:AnimationIterations", "-GIF:FrameCount", "-Warning", p)
	for _, want := range []string{
		"AIGC: " + string(testLabel.JSON()),
		"Creator: Jane Doe",
		"DigitalSourceType: http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
		"Comment: hello",
		"AnimationIterations: 3",
		"FrameCount: 2",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("exiftool output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Warning") {
		t.Errorf("exiftool complains:\n%s", out)
	}
}

// TestExiftool has exiftool read what we write and write a label we read,
// and compares exiftool's XMP extension bytes with ours.
func TestExiftool(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"GIF87a", gif87(makeGIF(t, 1))},
		{"animated", insertBefore(t, makeGIF(t, 3), isImageOrGCE, comment("c"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Ours, read by exiftool.
			p := labeltest.WriteTemp(t, "ours.gif", labeltest.Write(t, Format{}, tc.in, testLabel))
			if got := labeltest.Exiftool(t, "-s3", "-XMP-TC260:AIGC", p); got != string(testLabel.JSON())+"\n" {
				t.Fatalf("exiftool reads %q", got)
			}
			// exiftool's, read by us.
			q := labeltest.WriteTemp(t, "theirs.gif", tc.in)
			labeltest.Exiftool(t, "-q", "-overwrite_original", "-XMP-TC260:AIGC="+string(otherLabel.JSON()), "-XMP-dc:Creator=Jane", q)
			theirs := labeltest.ReadFile(t, q)
			labeltest.RequireOne(t, Format{}, theirs, otherLabel, label.CarrierXMP)
			i := bytes.Index(theirs, []byte("\x21\xff\x0bXMP DataXMP"))
			j := bytes.Index(theirs, magic)
			if i < 0 || j < 0 || theirs[j+len(magic)] != 0 {
				t.Fatal("exiftool's XMP extension is not laid out as ours")
			}
			sameFrames(t, decodeAll(t, tc.in), decodeAll(t, theirs))
			// Relabeled: one label, dc:creator kept.
			out := labeltest.Write(t, Format{}, theirs, testLabel)
			labeltest.RequireOne(t, Format{}, out, testLabel, label.CarrierXMP)
			sameFrames(t, decodeAll(t, tc.in), decodeAll(t, out))
			r := labeltest.WriteTemp(t, "relabeled.gif", out)
			got := labeltest.Exiftool(t, "-S", "-XMP-TC260:AIGC", "-XMP-dc:Creator", "-Warning", r)
			if got != "AIGC: "+string(testLabel.JSON())+"\nCreator: Jane\n" {
				t.Fatalf("exiftool reads:\n%s", got)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	g := makeGIF(t, 2)
	first, bs := blocks(t, g)
	img := bs[len(bs)-1]
	withXMP := insertBefore(t, g, isImageOrGCE, xmpExt(t, otherXMP))
	x := bytes.Index(withXMP, magic)
	withGCT := append([]byte(nil), g[:13]...)
	withGCT[10] |= 0x87
	subBlocked := []byte("\x21\xff\x0bXMP DataXMP")
	for p := []byte(otherXMP); len(p) > 0; {
		n := min(len(p), 255)
		subBlocked = append(append(subBlocked, byte(n)), p[:n]...)
		p = p[n:]
	}
	subBlocked = append(subBlocked, 0)
	tests := []struct {
		name, in, msg string
	}{
		{"empty", "", "not a GIF"},
		{"not a GIF", "\x89PNG\r\n\x1a\n", "not a GIF"},
		{"truncated screen descriptor", string(g[:10]), "logical screen descriptor is truncated"},
		{"truncated colour table", string(withGCT) + "abc", "global colour table is truncated"},
		{"truncated image data", string(g[:img.end-20]), "image data is truncated"},
		{"truncated descriptor", string(g[:img.off+4]), "image descriptor is truncated"},
		{"no trailer", string(g[:len(g)-1]), "no trailer"},
		{"unknown block", string(g[:first]) + "\x42" + string(g[first:]), "unknown block type 0x42"},
		{"XMP without magic trailer", string(insertBefore(t, g, isImageOrGCE, subBlocked)), "magic trailer"},
		{"truncated XMP", string(withXMP[:x+100]), "XMP application extension is truncated"},
		{"malformed XMP", string(insertBefore(t, g, isImageOrGCE, xmpExt(t, "<x:xmpmeta><rdf:RDF <<"))), "malformed XMP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labeltest.Corrupt(t, Format{}, []byte(tt.in), tt.msg)
		})
	}
}

// TestFixtures labels the committed sample GIFs: the output carries one
// label, decodes to the same frames, and exiftool reads every other tag as
// before.
func TestFixtures(t *testing.T) {
	labeltest.Fixtures(t, Format{}, "gif", testLabel, label.CarrierXMP, func(t *testing.T, in, out []byte) {
		sameFrames(t, decodeAll(t, in), decodeAll(t, out))
		before := labeltest.ExiftoolTags(t, labeltest.WriteTemp(t, "in.gif", in))
		after := labeltest.ExiftoolTags(t, labeltest.WriteTemp(t, "out.gif", out))
		if after["XMP-TC260:AIGC"] != string(testLabel.JSON()) {
			t.Errorf("exiftool reads AIGC %q", after["XMP-TC260:AIGC"])
		}
		for k, v := range before {
			if k != "XMP-TC260:AIGC" && k != "GIF:GIFVersion" && after[k] != v {
				t.Errorf("exiftool %s: %q, was %q", k, after[k], v)
			}
		}
	})
}
