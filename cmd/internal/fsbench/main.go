// Command fsbench builds the face-swap evaluation set and measures
// detect/faceswap on it. `make bench-faceswap` runs it and writes its
// section of docs/BENCHMARKS.md:
//
//	go run ./cmd/internal/fsbench -out docs/BENCHMARKS.md
//
// The set is generated from real face photographs shipped by Debian
// packages (see photos in gen.go; .ci/install-faces installs them). Each
// photograph yields many real "scenes" (rescaled, cropped, mirrored, with
// their own exposure, gamma, noise and blur); a swap pastes the face of
// one scene onto another with a hard, feathered or Poisson-style blend and
// usually a colour transfer; every picture is then kept as is or
// re-encoded at JPEG q90 and q70. Videos are pan/zoom clips over a scene,
// swapped frame by frame with a paste that follows the head smoothly (its
// offset wanders slowly, under 1 % of the face side), encoded with H.264
// at CRF 23, 32 and 40.
//
// The TRAIN and TEST splits use disjoint random seeds. The model and its
// thresholds are fitted on TRAIN only and written as Go source with
//
//	go run ./cmd/internal/fsbench -train -model detect/faceswap/modelweights.go
//
// and the report always measures the committed model on TEST.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/benchdoc"
	"github.com/aigcmark/aigcmark/detect/faceswap"
)

var ctxBG = context.Background()

type options struct {
	Out      string
	Train    bool
	Model    string
	Scenes   int
	Clips    int
	Frames   int
	Seed     uint64
	Dump     string
	NoVideo  bool
	Root     string
	Validate bool
}

// jpegTiers are the picture quality tiers: 0 keeps the lossless picture.
var jpegTiers = []int{0, 90, 70}

// crfTiers are the video quality tiers.
var crfTiers = []int{23, 32, 40}

// Targets of the issue.
const (
	targetCrude     = 0.90 // AUC on high-quality crude swaps
	targetCRF23     = 0.75 // AUC after H.264 CRF 23
	targetFalseFlag = 0.10 // false flags on real content
	trainFalseFlag  = 0.05 // the operating point chosen on TRAIN
)

func main() {
	var o options
	flag.StringVar(&o.Out, "out", "", "write the Markdown section into `FILE` (docs/BENCHMARKS.md) between the faceswap markers")
	flag.BoolVar(&o.Train, "train", false, "fit the model on the TRAIN split and write it to -model")
	flag.StringVar(&o.Model, "model", "detect/faceswap/modelweights.go", "Go source file the trained model is written to")
	flag.IntVar(&o.Scenes, "scenes", 40, "real scenes per split (each gives one swap per blend)")
	flag.IntVar(&o.Clips, "clips", 8, "real and as many swapped clips per split and CRF")
	flag.IntVar(&o.Frames, "frames", 16, "frames per clip (at 8 per second)")
	flag.Uint64Var(&o.Seed, "seed", 7, "seed of the generated set")
	flag.StringVar(&o.Dump, "dump", "", "write a few generated samples as PNG into `DIR`")
	flag.BoolVar(&o.NoVideo, "no-video", false, "skip the video part")
	flag.StringVar(&o.Root, "root", defaultRoot(), "`DIR` the photographs' packages are unpacked under (.ci/install-faces)")
	flag.BoolVar(&o.Validate, "validate", false, "for developing cues: fit on TRAIN and measure on a second TRAIN-like split (seed+1), never on TEST; pictures only")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "fsbench:", err)
		os.Exit(1)
	}
}

// defaultRoot is where .ci/install-faces unpacks by default.
func defaultRoot() string {
	if d := os.Getenv("FACES_DIR"); d != "" {
		return d
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "/"
	}
	return filepath.Join(h, ".cache", "aigcmark", "faces")
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "fsbench: "+format+"\n", args...) }

// sample is one scored picture: its class, tiers and the cue vectors of
// its usable faces (the swapped face marked).
type sample struct {
	Fake  bool
	Blend string
	JPEG  int
	Faces [][]float64
	IsSwp []bool
}

func (s sample) score(m *faceswap.Model) (float64, bool) {
	best := -1.0
	for _, f := range s.Faces {
		best = math.Max(best, m.ImageScore(f))
	}
	return best, best >= 0
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	runtime.GOMAXPROCS(1)
	det, err := faceswap.New(faceswap.Options{})
	if err != nil {
		return err
	}
	src, err := loadPhotos(o.Root)
	if err != nil {
		return err
	}
	model := faceswap.DefaultModel()
	rep := &report{Options: o}
	if o.Validate {
		return validate(ctx, det, src, o)
	}
	if o.Train {
		train, _, err := pictureSet(ctx, det, src, "train", o)
		if err != nil {
			return err
		}
		var vtrain []clipResult
		if !o.NoVideo {
			if vtrain, err = videoSet(ctx, det, src, "train", o, nil); err != nil {
				return err
			}
		}
		model = fit(train, vtrain)
		if err := writeModel(o.Model, &model, o); err != nil {
			return err
		}
		logf("wrote %s", o.Model)
		det, err = faceswap.New(faceswap.Options{Model: &model})
		if err != nil {
			return err
		}
	}
	test, scenes, err := pictureSet(ctx, det, src, "test", o)
	if err != nil {
		return err
	}
	rep.Model = model
	rep.Pictures = test
	rep.Scenes = scenes
	if !o.NoVideo {
		if rep.Clips, err = videoSet(ctx, det, src, "test", o, &model); err != nil {
			return err
		}
	}
	rep.Speed, err = speed(det, src)
	if err != nil {
		return err
	}
	rep.Took = time.Since(start)
	text := rep.markdown()
	fmt.Print(text)
	if o.Out != "" {
		return benchdoc.Faceswap.Write(o.Out, text)
	}
	return nil
}

// splitSeed keeps TRAIN and TEST on disjoint random streams.
func splitSeed(seed uint64, split string) uint64 {
	if split == "train" {
		return seed*1000 + 1
	}
	return seed*1000 + 2
}

// pictureSet generates and scores one split of the picture set.
func pictureSet(ctx context.Context, det *faceswap.Detector, src []*image.NRGBA, split string, o options) ([]sample, int, error) {
	rng := rand.New(rand.NewPCG(splitSeed(o.Seed, split), 11))
	var scenes []*scene
	for i := 0; len(scenes) < o.Scenes && i < 4*o.Scenes; i++ {
		p := i % len(src)
		s, err := makeScene(det, src[p], photos[p].Name, rng, fmt.Sprintf("%s-%d", split, i))
		if err != nil {
			return nil, 0, err
		}
		if s != nil {
			scenes = append(scenes, s)
		}
	}
	logf("%s: %d real scenes", split, len(scenes))
	var out []sample
	for i, host := range scenes {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		items := []struct {
			img   image.Image
			blend string
			box   faceswap.Box
		}{{host.Img, "real", host.Face}}
		for _, bl := range blends {
			// Donor: another scene, from the other photograph half of the time.
			d := scenes[rng.IntN(len(scenes))]
			for d == host {
				d = scenes[rng.IntN(len(scenes))]
			}
			sp := randomSpec(bl, rng)
			items = append(items, struct {
				img   image.Image
				blend string
				box   faceswap.Box
			}{swap(host.Img, host.Face, d.Img, d.Face, sp), bl, host.Face})
		}
		for _, it := range items {
			for _, q := range jpegTiers {
				img, err := jpegRoundTrip(it.img, q)
				if err != nil {
					return nil, 0, err
				}
				if o.Dump != "" && i < 3 {
					_ = os.MkdirAll(o.Dump, 0o755)
					_ = savePNG(fmt.Sprintf("%s/%s-%d-%s-q%d.png", o.Dump, split, i, it.blend, q), img)
				}
				r, err := det.AnalyzeImage(ctx, img)
				if err != nil {
					return nil, 0, err
				}
				s := sample{Fake: it.blend != "real", Blend: it.blend, JPEG: q}
				for _, f := range r.Faces {
					if f.Usable {
						s.Faces = append(s.Faces, f.CueVector())
						s.IsSwp = append(s.IsSwp, s.Fake && iouBox(f.Box, it.box) > 0.3)
					}
				}
				out = append(out, s)
			}
		}
	}
	return out, len(scenes), nil
}

func iouBox(a, b faceswap.Box) float64 {
	r := a.Rect().Intersect(b.Rect())
	in := float64(r.Dx() * r.Dy())
	return in / (float64(a.W*a.H+b.W*b.H) - in)
}

// fit trains both logistic models on TRAIN and sets their thresholds so
// that at most trainFalseFlag of the TRAIN real pictures (clips) is flagged.
func fit(train []sample, clips []clipResult) faceswap.Model {
	m := faceswap.DefaultModel()
	var x [][]float64
	var y []bool
	for _, s := range train {
		for i, f := range s.Faces {
			x = append(x, f)
			y = append(y, s.IsSwp[i])
		}
	}
	m.ImageBias, m.ImageWeights = fitLogistic(x, y)
	m.CueAUC = cueAUCs(train)
	var real []float64
	for _, s := range train {
		if v, ok := s.score(&m); ok && !s.Fake {
			real = append(real, v)
		}
	}
	m.Threshold = thresholdFor(real, trainFalseFlag)
	x, y, real = nil, nil, nil
	for _, c := range clips {
		for _, t := range c.Tracks {
			x = append(x, t)
			y = append(y, c.Fake)
		}
	}
	if len(x) > 0 {
		m.TrackBias, m.TrackWeights = fitLogistic(x, y)
		for _, c := range clips {
			if v, ok := c.score(&m); ok && !c.Fake {
				real = append(real, v)
			}
		}
		m.TrackThreshold = thresholdFor(real, trainFalseFlag)
	}
	m.Description = fmt.Sprintf("flag at score ≥ threshold; thresholds chosen so that at most %.0f %% of the generated TRAIN real pictures (clips) are flagged", 100*trainFalseFlag)
	logf("model: %+v", m)
	return m
}

// writeModel writes m as the Go source of detect/faceswap/modelweights.go.
func writeModel(path string, m *faceswap.Model, o options) error {
	f := func(v []float64) string {
		var s []string
		for _, x := range v {
			s = append(s, fmt.Sprintf("%.4f", x))
		}
		return strings.Join(s, ", ")
	}
	src := fmt.Sprintf(`// Code generated by go run ./cmd/internal/fsbench -train -seed %d -scenes %d -clips %d -frames %d; DO NOT EDIT.

package faceswap

// defaultModel was fitted on the TRAIN split of the generated set only.
var defaultModel = Model{
	ImageBias:      %.4f,
	ImageWeights:   []float64{%s},
	TrackBias:      %.4f,
	TrackWeights:   []float64{%s},
	Threshold:      %.4f,
	TrackThreshold: %.4f,
	Description:    %q,
	CueAUC:         []float64{%s},
}
`, o.Seed, o.Scenes, o.Clips, o.Frames, m.ImageBias, f(m.ImageWeights), m.TrackBias, f(m.TrackWeights), m.Threshold, m.TrackThreshold, m.Description, f(m.CueAUC))
	return os.WriteFile(path, []byte(src), 0o644)
}

// cueAUCs returns the AUC of each picture cue alone, face by face: the
// swapped faces against the usable faces of real pictures, all tiers.
func cueAUCs(set []sample) []float64 {
	out := make([]float64, len(faceswap.ImageCues))
	for i := range out {
		var r, f []float64
		for _, s := range set {
			for j, x := range s.Faces {
				switch {
				case !s.Fake:
					r = append(r, x[i])
				case s.IsSwp[j]:
					f = append(f, x[i])
				}
			}
		}
		out[i] = auc(r, f)
	}
	return out
}

// validate fits the picture model on TRAIN and measures it on a second
// split drawn like TRAIN from seed+1, so that cues can be developed
// without looking at TEST.
func validate(ctx context.Context, det *faceswap.Detector, src []*image.NRGBA, o options) error {
	train, _, err := pictureSet(ctx, det, src, "train", o)
	if err != nil {
		return err
	}
	ov := o
	ov.Seed++
	val, _, err := pictureSet(ctx, det, src, "train", ov)
	if err != nil {
		return err
	}
	m := fit(train, nil)
	only := func(blend string, q int) []sample {
		var out []sample
		for _, s := range train {
			if (!s.Fake || s.Blend == blend) && s.JPEG == q {
				out = append(out, s)
			}
		}
		return out
	}
	hard, feather, poisson, hard70 := cueAUCs(only("hard", 0)), cueAUCs(only("feather", 0)), cueAUCs(only("poisson", 0)), cueAUCs(only("hard", 70))
	for i, a := range cueAUCs(train) {
		logf("TRAIN AUC %-20s %.3f (validation %.3f); TRAIN hard/feather/poisson lossless %.3f %.3f %.3f, hard q70 %.3f",
			faceswap.ImageCues[i], a, cueAUCs(val)[i], hard[i], feather[i], poisson[i], hard70[i])
	}
	for _, set := range []struct {
		name string
		s    []sample
	}{{"train", train}, {"validation", val}} {
		real := map[int][]float64{}
		fake := map[string][]float64{}
		for _, s := range set.s {
			v, ok := s.score(&m)
			if !ok {
				continue
			}
			if !s.Fake {
				real[s.JPEG] = append(real[s.JPEG], v)
				continue
			}
			fake[fmt.Sprint(s.Blend, s.JPEG)] = append(fake[fmt.Sprint(s.Blend, s.JPEG)], v)
		}
		crude := append(append([]float64(nil), fake["hard0"]...), fake["feather0"]...)
		line := fmt.Sprintf("%s: crude lossless AUC %.3f", set.name, auc(real[0], crude))
		var all []float64
		for _, q := range jpegTiers {
			all = append(all, real[q]...)
			for _, bl := range blends {
				line += fmt.Sprintf(" %s/q%d %.3f", bl, q, auc(real[q], fake[fmt.Sprint(bl, q)]))
			}
		}
		logf("%s; false flags on real %.1f %% of %d", line, 100*rateAtOrAbove(all, m.Threshold), len(all))
	}
	return nil
}
