package attack_test

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aigcmark/aigcmark/watermark/attack"
)

func TestSuiteShapesAndPurity(t *testing.T) {
	src := attack.Synthetic(1, 200, 160)
	orig := string(src.Pix)
	seen := map[string]bool{}
	for _, a := range attack.Suite() {
		if seen[a.ID+" "+a.Name] {
			t.Errorf("duplicate attack %s %s", a.ID, a.Name)
		}
		seen[a.ID+" "+a.Name] = true
		out, err := a.Apply(src, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("%s %s: %v", a.ID, a.Name, err)
		}
		if string(src.Pix) != orig {
			t.Fatalf("%s %s mutated its input", a.ID, a.Name)
		}
		b := out.Bounds()
		if b.Dx() < 50 || b.Dy() < 50 {
			t.Errorf("%s %s: output %v", a.ID, a.Name, b)
		}
	}
	for _, id := range []string{"I0", "I1", "I3", "I4", "I5", "I6", "I8", "I9", "I11", "I12", "I13", "I14", "I15", "I16", "I17", "I18", "I19", "I20", "I21", "I22", "I23"} {
		if len(attack.Select(id)) == 0 {
			t.Errorf("suite lacks %s", id)
		}
	}
}

func meanAbsDiff(a, b image.Image) float64 {
	ra, rb := a.Bounds(), b.Bounds()
	var s float64
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < ra.Dx(); x++ {
			r1, g1, b1, _ := a.At(ra.Min.X+x, ra.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(rb.Min.X+x, rb.Min.Y+y).RGBA()
			s += math.Abs(float64(r1)-float64(r2)) + math.Abs(float64(g1)-float64(g2)) + math.Abs(float64(b1)-float64(b2))
		}
	}
	return s / float64(3*ra.Dx()*ra.Dy()) / 257
}

func TestAttackEffects(t *testing.T) {
	src := attack.Synthetic(2, 240, 180)
	r := rand.New(rand.NewPCG(2, 2))
	if c := attack.Crop(src, 0.9, r).Bounds(); c.Dx() != 216 || c.Dy() != 162 {
		t.Errorf("crop 0.9 of 240x180 gave %v", c)
	}
	if s := attack.Shift(src, 33, 17).Bounds(); s.Dx() != 207 || s.Dy() != 163 {
		t.Errorf("shift 33,17 gave %v", s)
	}
	rot := attack.Rotate(src, 5)
	if rot.Bounds().Dx() != 240 || rot.Bounds().Dy() != 180 {
		t.Errorf("rotate kept canvas %v", rot.Bounds())
	}
	if _, _, _, a := rot.At(0, 0).RGBA(); a == 0 {
		t.Error("rotate left a transparent corner, want black")
	}
	if d := attack.Resize(src, 0.5).Bounds(); d.Dx() != 120 || d.Dy() != 90 {
		t.Errorf("resize 0.5 gave %v", d)
	}
	// Brightness ×0.5 halves a mid-grey pixel.
	br := attack.Brightness(src, 0.5, 0)
	r1, _, _, _ := src.At(10, 10).RGBA()
	r2, _, _, _ := br.At(10, 10).RGBA()
	if math.Abs(float64(r2>>8)-math.Round(float64(r1>>8)/2)) > 1 {
		t.Errorf("brightness x0.5: %d -> %d", r1>>8, r2>>8)
	}
	// Stronger operations change more.
	j90, _ := attack.JPEG(src, 90)
	j40, _ := attack.JPEG(src, 40)
	if meanAbsDiff(src, j90) >= meanAbsDiff(src, j40) {
		t.Error("jpeg q90 changed more than q40")
	}
	if meanAbsDiff(src, attack.GaussianBlur(src, 3)) >= meanAbsDiff(src, attack.GaussianBlur(src, 5)) {
		t.Error("blur 3 changed more than blur 5")
	}
	if meanAbsDiff(src, attack.Median(src, 3)) >= meanAbsDiff(src, attack.Median(src, 5)) {
		t.Error("median 3 changed more than median 5")
	}
	n := attack.Noise(src, 10, r)
	if d := meanAbsDiff(src, n); d < 6 || d > 10 {
		t.Errorf("noise sigma 10: mean abs change %.2f, want about 8", d)
	}
	g := attack.Saturation(src, 0)
	cr, cg, cb, _ := g.At(50, 50).RGBA()
	if cr != cg || cg != cb {
		t.Errorf("greyscale pixel %d,%d,%d", cr, cg, cb)
	}
}
