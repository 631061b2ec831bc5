// Command wmbench measures the image watermark: the attack suite of
// ../shared/BENCH.md (I0–I23) on natural photographs from Debian packages,
// false detections on unmarked photographs and their crops, the quality of
// the marked pictures (PSNR and SSIM on luma), and embed/detect time at
// 1080p on one core. `make bench-watermark` runs it and writes its section
// of docs/BENCHMARKS.md:
//
//	go run ./cmd/internal/wmbench -out docs/BENCHMARKS.md
//
// The photographs come from the Debian packages mate-backgrounds (GPL-2+)
// and lomiri-wallpapers-16.04 / -20.04 (CC-BY-4.0, CC-BY-SA-4.0); see
// photos below. Pictures wider than -max-width are scaled down first (as
// delivered on the web; the full 4–5K originals take minutes per attack).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/disintegration/imaging"

	"github.com/aigcmark/aigcmark/cmd/internal/benchdoc"
	"github.com/aigcmark/aigcmark/watermark"
	"github.com/aigcmark/aigcmark/watermark/attack"
	"github.com/aigcmark/aigcmark/watermark/pixel"
)

// photos are the natural photographs used, each with its package and
// licence. Graphics and gradients shipped beside them are left out.
var photos = []struct{ Path, Package, Licence string }{
	{"/usr/share/backgrounds/mate/nature/Aqua.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/Blinds.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/Dune.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/FreshFlower.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/Garden.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/GreenMeadow.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/LadyBird.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/RainDrops.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/Storm.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/TwoWings.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/Wood.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/mate/nature/YellowFlower.jpg", "mate-backgrounds", "GPL-2+"},
	{"/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg", "lomiri-wallpapers-16.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/Dragonfly_by_Bolly.jpg", "lomiri-wallpapers-16.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg", "lomiri-wallpapers-20.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/Picture_0B_by_freespace.jpg", "lomiri-wallpapers-20.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/Picture_1A_by_freespace.jpg", "lomiri-wallpapers-20.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg", "lomiri-wallpapers-20.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg", "lomiri-wallpapers-16.04", "CC-BY-4.0"},
	{"/usr/share/backgrounds/free_by_Peter_Nerlich.jpg", "lomiri-wallpapers-16.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg", "lomiri-wallpapers-16.04", "CC-BY-4.0"},
	{"/usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg", "lomiri-wallpapers-16.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg", "lomiri-wallpapers-16.04", "CC-BY-4.0"},
	{"/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg", "lomiri-wallpapers-16.04", "CC-BY-4.0"},
	{"/usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg", "lomiri-wallpapers-16.04", "CC-BY-SA-4.0"},
	{"/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg", "lomiri-wallpapers-16.04", "CC-BY-4.0"},
}

// targets are the target table: attack names (as attack.Select
// takes them) that must give the exact payload on at least 95 % of the
// photographs.
var targets = []string{
	"I0 png", "I1 jpeg q90", "I1 jpeg q75", "I1 jpeg q50",
	"I4 resize x0.5", "I4 resize x0.71", "I4 resize x1.5",
	"I6 crop 0.9", "I8 shift 7,5", "I8 shift 8,8", "I8 shift 33,17",
	"I9 rotate +1", "I9 rotate -1", "I9 rotate +5", "I9 rotate -5",
	"I13 brightness x0.8", "I13 brightness x1.2", "I14 brightness +20", "I15 contrast x0.8",
	"I12 noise sigma 10", "I17 gaussian blur 5", "I18 median 3",
	"I22 jpeg 75 + resize 0.75 + crop 0.9 + rotate 2",
}

type options struct {
	Out      string
	MaxWidth int
	Crops    int
	Seed     uint64
	Clips    int
	Seconds  float64
	Images   bool
}

func main() {
	var o options
	flag.StringVar(&o.Out, "out", "", "write the Markdown section into `FILE` (docs/BENCHMARKS.md), between its watermark markers")
	flag.IntVar(&o.MaxWidth, "max-width", 1920, "scale wider photographs down to this width first")
	flag.IntVar(&o.Crops, "crops", 40, "random crops of each unmarked photograph checked for false detections")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of payloads, attacks and crops")
	flag.IntVar(&o.Clips, "clips", 3, "video clips for the video suite (0 skips it)")
	flag.Float64Var(&o.Seconds, "seconds", 4, "length of each video clip")
	flag.BoolVar(&o.Images, "images", true, "run the image suite")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "wmbench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "wmbench: "+format+"\n", args...) }

func run(ctx context.Context, o options) error {
	key := watermark.Key(watermark.Key{}.Sum("wmbench key"))
	if o.Images {
		if err := runImages(ctx, o, key); err != nil {
			return err
		}
	}
	if o.Clips > 0 {
		start := time.Now()
		work, err := os.MkdirTemp("", "wmbench-video-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		v, err := benchVideo(ctx, o, key, work, o.Clips, o.Seconds)
		if err != nil {
			return err
		}
		var b strings.Builder
		p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
		p("%s\n", benchdoc.WatermarkVideo.Begin)
		p("\nGenerated by `go run ./cmd/internal/wmbench` on %s in %s (load average at the end: %s).\n",
			time.Now().UTC().Format("2006-01-02 15:04 MST"), time.Since(start).Round(time.Second), loadAverage())
		v.markdown(p)
		p("\n%s\n", benchdoc.WatermarkVideo.End)
		fmt.Print(b.String())
		if o.Out != "" {
			if err := benchdoc.WatermarkVideo.Write(o.Out, b.String()); err != nil {
				return err
			}
		}
	}
	return nil
}

func runImages(ctx context.Context, o options, key watermark.Key) error {
	start := time.Now()
	var imgs []image.Image
	var names []string
	for _, p := range photos {
		m, err := load(p.Path, o.MaxWidth)
		if err != nil {
			return fmt.Errorf("%w (make bench-watermark installs the photo packages)", err)
		}
		imgs = append(imgs, m)
		names = append(names, filepath.Base(p.Path))
	}
	logf("%d photographs loaded", len(imgs))

	// Quality of the marked pictures.
	var psnrs, ssims []float64
	for i, m := range imgs {
		w, err := pixel.Embed(m, key, watermark.PayloadFor(key, "bench", names[i]), pixel.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", names[i], err)
		}
		ya, yb := lumaOf(m), lumaOf(w)
		psnrs = append(psnrs, psnr(ya, yb))
		ssims = append(ssims, ssim(ya, yb, m.Bounds().Dx(), m.Bounds().Dy()))
	}
	logf("PSNR(Y) %.2f–%.2f dB", slices.Min(psnrs), slices.Max(psnrs))

	// The attack suite.
	mk := attack.Marker{
		Embed: func(img image.Image, p [8]byte) (image.Image, error) {
			return pixel.Embed(img, key, p, pixel.Options{})
		},
		Detect: func(img image.Image) (bool, [8]byte, [8]byte, error) {
			a, err := pixel.Analyze(img, key, pixel.Options{})
			return a.Result.Found, a.Result.Payload, a.Candidate, err
		},
	}
	logf("running %d attacks on %d photographs", len(attack.Suite()), len(imgs))
	rows, err := attack.Run(ctx, imgs, attack.Suite(), mk, o.Seed)
	if err != nil {
		return err
	}

	// False detections: unmarked photographs, random crops, and attacked
	// variants.
	logf("false detections")
	tried, found := 0, 0
	r := rand.New(rand.NewPCG(o.Seed, 7))
	detect := func(m image.Image) {
		res, err := pixel.Detect(m, key, pixel.Options{})
		if err != nil && !errors.Is(err, watermark.ErrNotFound) {
			return // too small
		}
		tried++
		if res.Found {
			found++
		}
	}
	variants := attack.Select("I1 jpeg q75", "I4 resize x0.5", "I9 rotate +5")
	for _, m := range imgs {
		detect(m)
		for _, a := range variants {
			if v, err := a.Apply(m, r); err == nil {
				detect(v)
			}
		}
		b := m.Bounds()
		for k := 0; k < o.Crops; k++ {
			w := 256 + r.IntN(max(1, b.Dx()-256))
			h := 256 + r.IntN(max(1, b.Dy()-256))
			x, y := r.IntN(max(1, b.Dx()-w+1)), r.IntN(max(1, b.Dy()-h+1))
			detect(imaging.Crop(m, image.Rect(x, y, x+w, y+h)))
		}
	}

	// Time at 1080p on one core.
	logf("timing at 1080p on one core")
	prev := runtime.GOMAXPROCS(1)
	hd := imaging.Fill(imgs[0], 1920, 1080, imaging.Center, imaging.Lanczos)
	var embedT, detectT []time.Duration
	var marked image.Image
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		marked, err = pixel.Embed(hd, key, watermark.Payload{1, 2, 3, 4, 5, 6, 7, 8}, pixel.Options{})
		embedT = append(embedT, time.Since(t0))
		if err != nil {
			return err
		}
		t0 = time.Now()
		if _, err := pixel.Detect(marked, key, pixel.Options{}); err != nil {
			return fmt.Errorf("1080p timing: %w", err)
		}
		detectT = append(detectT, time.Since(t0))
	}
	runtime.GOMAXPROCS(prev)

	rep := report{Options: o, Names: names, PSNR: psnrs, SSIM: ssims, Rows: rows, Tried: tried, Found: found,
		Embed: median(embedT), Detect: median(detectT), Took: time.Since(start), Load: loadAverage()}
	text := rep.markdown()
	fmt.Print(text)
	if o.Out != "" {
		if err := benchdoc.Watermark.Write(o.Out, text); err != nil {
			return err
		}
		logf("wrote its section of %s", o.Out)
	}
	return nil
}

func load(path string, maxW int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if maxW > 0 && m.Bounds().Dx() > maxW {
		m = imaging.Resize(m, maxW, 0, imaging.Lanczos)
	}
	return m, nil
}

// lumaOf returns the BT.601 luma of m as float64 values, row by row.
func lumaOf(m image.Image) []float64 {
	b := m.Bounds()
	out := make([]float64, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := m.At(x, y).RGBA()
			out = append(out, (0.299*float64(r)+0.587*float64(g)+0.114*float64(bl))/257)
		}
	}
	return out
}

func psnr(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	if s == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(len(a))/s)
}

// ssim is the mean SSIM (Wang et al. 2004, C1 = (0.01·255)², C2 =
// (0.03·255)²) over 8×8 windows with a stride of 4.
func ssim(a, b []float64, w, h int) float64 {
	const c1, c2 = 6.5025, 58.5225
	var sum float64
	var n int
	for y := 0; y+8 <= h; y += 4 {
		for x := 0; x+8 <= w; x += 4 {
			var ma, mb, va, vb, cov float64
			for j := 0; j < 8; j++ {
				for i := 0; i < 8; i++ {
					p, q := a[(y+j)*w+x+i], b[(y+j)*w+x+i]
					ma += p
					mb += q
				}
			}
			ma /= 64
			mb /= 64
			for j := 0; j < 8; j++ {
				for i := 0; i < 8; i++ {
					p, q := a[(y+j)*w+x+i]-ma, b[(y+j)*w+x+i]-mb
					va += p * p
					vb += q * q
					cov += p * q
				}
			}
			va /= 63
			vb /= 63
			cov /= 63
			sum += (2*ma*mb + c1) * (2*cov + c2) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
			n++
		}
	}
	return sum / float64(n)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}
