package pixel_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/watermark"
	"github.com/aigcmark/aigcmark/watermark/attack"
	"github.com/aigcmark/aigcmark/watermark/pixel"
)

var (
	key      = testKey("pixel test key")
	payload  = watermark.Payload{0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67}
	testImgs = [][3]int{{1, 640, 480}, {2, 800, 600}, {3, 720, 720}}
)

func testKey(s string) watermark.Key {
	var k watermark.Key
	copy(k[:], s)
	return k
}

// lumaPSNR measures the luma PSNR between two images of the same size.
func lumaPSNR(a, b image.Image) float64 {
	r := a.Bounds()
	var s float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := luma(a.At(x, y)) - luma(b.At(x-r.Min.X+b.Bounds().Min.X, y-r.Min.Y+b.Bounds().Min.Y))
			s += d * d
		}
	}
	return 10 * math.Log10(255*255*float64(r.Dx()*r.Dy())/s)
}

func luma(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return 0.299*float64(n.R) + 0.587*float64(n.G) + 0.114*float64(n.B)
}

func marker() attack.Marker {
	return attack.Marker{
		Embed: func(img image.Image, p [8]byte) (image.Image, error) {
			return pixel.Embed(img, key, p, pixel.Options{})
		},
		Detect: func(img image.Image) (bool, [8]byte, [8]byte, error) {
			a, err := pixel.Analyze(img, key, pixel.Options{})
			return a.Result.Found, a.Result.Payload, a.Candidate, err
		},
	}
}

// TestRobustness runs every attack the issue's target table requires on a
// few synthetic images: each must give the exact payload on every image.
func TestRobustness(t *testing.T) {
	names := []string{
		"I0 png", "I1 jpeg q90", "I1 jpeg q75", "I1 jpeg q50",
		"I4 resize x0.5", "I4 resize x0.71", "I4 resize x1.5",
		"I6 crop 0.9", "I8 shift 7,5", "I8 shift 33,17",
		"I9 rotate +1", "I9 rotate -1", "I9 rotate +5", "I9 rotate -5",
		"I13 brightness x0.8", "I13 brightness x1.2", "I14 brightness +20", "I15 contrast x0.8",
		"I12 noise sigma 10", "I17 gaussian blur 5", "I18 median 3",
		"I22 jpeg 75 + resize 0.75 + crop 0.9 + rotate 2",
	}
	atts := attack.Select(names...)
	if len(atts) != len(names) {
		t.Fatalf("selected %d attacks, want %d", len(atts), len(names))
	}
	if testing.Short() {
		atts = atts[:4]
	}
	var imgs []image.Image
	for _, s := range testImgs {
		imgs = append(imgs, attack.Synthetic(uint64(s[0]), s[1], s[2]))
	}
	rows, err := attack.Run(context.Background(), imgs, atts, marker(), 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Exact != r.Images || r.Wrong != 0 {
			t.Errorf("%s %s: exact %d/%d, wrong %d, bit-acc %.3f, failed images %v",
				r.ID, r.Name, r.Exact, r.Images, r.Wrong, r.BitAcc, r.Failures)
		}
	}
}

func TestEmbedQuality(t *testing.T) {
	for _, s := range testImgs {
		img := attack.Synthetic(uint64(s[0]), s[1], s[2])
		before := image.NewNRGBA(img.Rect)
		copy(before.Pix, img.Pix)
		m, err := pixel.Embed(img, key, payload, pixel.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if string(before.Pix) != string(img.Pix) {
			t.Fatal("Embed mutated its input")
		}
		if p := lumaPSNR(img, m); p < 40 || p > 46 {
			t.Errorf("image %v: luma PSNR %.2f dB, want 40–46", s, p)
		}
		// Only luma changes: R, G and B move by the same amount unless clipped.
		nm := m.(*image.NRGBA)
		var off int
		for i := 0; i < len(img.Pix); i += 4 {
			dr := int(nm.Pix[i]) - int(img.Pix[i])
			dg := int(nm.Pix[i+1]) - int(img.Pix[i+1])
			db := int(nm.Pix[i+2]) - int(img.Pix[i+2])
			if max(dr, dg, db)-min(dr, dg, db) > 1 {
				off++
			}
		}
		if frac := float64(off) / float64(len(img.Pix)/4); frac > 0.01 {
			t.Errorf("image %v: %.2f%% of pixels changed chroma", s, 100*frac)
		}
	}
}

func TestAlphaAndGrey(t *testing.T) {
	src := attack.Synthetic(4, 400, 300)
	for i := 3; i < len(src.Pix); i += 4 {
		src.Pix[i] = uint8(i / 4 % 256)
	}
	m, err := pixel.Embed(src, key, payload, pixel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nm := m.(*image.NRGBA)
	for i := 3; i < len(src.Pix); i += 4 {
		if nm.Pix[i] != src.Pix[i] {
			t.Fatalf("alpha changed at pixel %d: %d -> %d", i/4, src.Pix[i], nm.Pix[i])
		}
	}
	grey := image.NewGray(src.Rect)
	for i := range grey.Pix {
		grey.Pix[i] = uint8(luma(src.At(i%400, i/400)))
	}
	gm, err := pixel.Embed(grey, key, payload, pixel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := gm.(*image.Gray); !ok {
		t.Fatalf("grey input gave %T", gm)
	}
	res, err := pixel.Detect(gm, key, pixel.Options{})
	if err != nil || res.Payload != payload {
		t.Fatalf("grey: Detect = %+v, %v", res, err)
	}
}

// A flat gradient gets at most about one level of change: no visible pattern.
func TestFlatGradientIsQuiet(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 512, 512))
	for y := 0; y < 512; y++ {
		for x := 0; x < 512; x++ {
			g.Pix[y*512+x] = uint8(40 + x*160/512)
		}
	}
	m, err := pixel.Embed(g, key, payload, pixel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mg := m.(*image.Gray)
	var worst, big int
	for i := range g.Pix {
		d := int(mg.Pix[i]) - int(g.Pix[i])
		worst = max(worst, d, -d)
		if d > 1 || d < -1 {
			big++
		}
	}
	if worst > 2 || big > len(g.Pix)/100 {
		t.Fatalf("flat gradient: largest change %d levels, %d pixels change by 2; want <= 2 and < 1%%", worst, big)
	}
	if p := lumaPSNR(g, m); p < 46 {
		t.Fatalf("flat gradient: PSNR %.1f dB, want >= 46", p)
	}
}

func TestWrongKeyFindsNothing(t *testing.T) {
	img := attack.Synthetic(5, 640, 480)
	m, err := pixel.Embed(img, key, payload, pixel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		res, err := pixel.Detect(m, testKey(fmt.Sprint("wrong key ", i)), pixel.Options{})
		if !errors.Is(err, watermark.ErrNotFound) || res.Found {
			t.Fatalf("wrong key %d: %+v, %v", i, res, err)
		}
		if res.FalseAlarm < 1e-3 {
			t.Errorf("wrong key %d: sync claims false-alarm %.2g", i, res.FalseAlarm)
		}
	}
	if res, err := pixel.Detect(m, key, pixel.Options{}); err != nil || res.Payload != payload || res.FalseAlarm > pixel.DefaultMaxFalseAlarm {
		t.Fatalf("right key: %+v, %v", res, err)
	}
}

// Different payloads in the same image are each read back exactly, never
// as one another.
func TestRandomPayloads(t *testing.T) {
	img := attack.Synthetic(6, 512, 512)
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 6; i++ {
		var p watermark.Payload
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		m, err := pixel.Embed(img, key, p, pixel.Options{})
		if err != nil {
			t.Fatal(err)
		}
		j, err := attack.JPEG(m, 75)
		if err != nil {
			t.Fatal(err)
		}
		res, err := pixel.Detect(j, key, pixel.Options{})
		if err != nil || res.Payload != p {
			t.Fatalf("payload %v: got %+v, %v", p, res, err)
		}
	}
}

// Unmarked images and their crops and rescalings are never reported.
func TestUnmarkedNotFound(t *testing.T) {
	n := 12
	if testing.Short() {
		n = 3
	}
	var imgs []image.Image
	for i := 0; i < n; i++ {
		imgs = append(imgs, attack.Synthetic(uint64(100+i), 256+32*i, 256+16*(i%5)))
	}
	tried, found, err := attack.FalseDetections(context.Background(), imgs,
		attack.Select("I6 crop 0.71", "I4 resize x0.5", "I1 jpeg q75"),
		func(m image.Image) (bool, error) {
			res, err := pixel.Detect(m, key, pixel.Options{})
			if err != nil && !errors.Is(err, watermark.ErrNotFound) && !errors.Is(err, watermark.ErrTooSmall) {
				return false, err
			}
			return res.Found, nil
		}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if found != 0 {
		t.Fatalf("%d false detections in %d unmarked images", found, tried)
	}
}

func TestTooSmall(t *testing.T) {
	small := image.NewGray(image.Rect(0, 0, 300, pixel.MinSide-1))
	if _, err := pixel.Embed(small, key, payload, pixel.Options{}); !errors.Is(err, watermark.ErrTooSmall) {
		t.Fatalf("Embed: %v, want ErrTooSmall", err)
	}
	if _, err := pixel.Detect(small, key, pixel.Options{}); !errors.Is(err, watermark.ErrTooSmall) {
		t.Fatalf("Detect: %v, want ErrTooSmall", err)
	}
}

func FuzzDetect(f *testing.F) {
	f.Add(uint16(128), uint16(128), []byte{0})
	f.Add(uint16(200), uint16(140), []byte{1, 2, 3, 255, 0, 17})
	f.Add(uint16(5), uint16(900), []byte{9})
	f.Fuzz(func(t *testing.T, w, h uint16, data []byte) {
		w, h = w%300, h%300
		img := image.NewGray(image.Rect(0, 0, int(w), int(h)))
		if len(data) > 0 {
			for i := range img.Pix {
				img.Pix[i] = data[i%len(data)] + byte(i/len(data))
			}
		}
		start := time.Now()
		res, err := pixel.Detect(img, key, pixel.Options{})
		if err == nil && !res.Found {
			t.Fatal("nil error without a mark")
		}
		if res.Found {
			t.Fatalf("found a mark in fuzz data: %+v", res)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Detect took %v on %dx%d", d, w, h)
		}
	})
}

func ExampleEmbed() {
	var key watermark.Key // use watermark.LoadKey in real code
	p := watermark.PayloadFor(key, "001191110108MA01KP2T5U10000", "img-0001")
	img := attack.Synthetic(1, 640, 480)
	marked, err := pixel.Embed(img, key, p, pixel.Options{})
	if err != nil {
		panic(err)
	}
	res, err := pixel.Detect(marked, key, pixel.Options{})
	fmt.Println(res.Found, res.Payload == p, res.FalseAlarm <= 1e-6, err)
	// Output: true true true <nil>
}

func BenchmarkEmbed1080p(b *testing.B) {
	img := attack.Synthetic(11, 1920, 1080)
	b.SetBytes(int64(len(img.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pixel.Embed(img, key, payload, pixel.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetect1080p(b *testing.B) {
	img := attack.Synthetic(11, 1920, 1080)
	m, err := pixel.Embed(img, key, payload, pixel.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(img.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pixel.Detect(m, key, pixel.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// Small pictures (the issue's lower bound is 256×256) keep their mark
// through lossless and light lossy coding and a crop.
func TestSmallImage(t *testing.T) {
	img := attack.Synthetic(21, 256, 256)
	m, err := pixel.Embed(img, key, payload, pixel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attack.Select("I0 png", "I1 jpeg q90", "I8 shift 7,5", "I13 brightness x0.8") {
		out, err := a.Apply(m, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := pixel.Detect(out, key, pixel.Options{})
		if err != nil || res.Payload != payload {
			t.Errorf("256x256, %s: %+v, %v", a.Name, res, err)
		}
	}
}
