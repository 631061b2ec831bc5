package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/disintegration/imaging"

	"github.com/aigcmark/aigcmark/detect/faceswap"
)

// photos are the real face photographs the set is built from, each with
// the Debian package that ships it and its licence. Only pictures with a
// clear frontal face and a licence that allows reuse are listed.
var photos = []struct{ Name, Path, Package, Licence string }{
	{"astronaut", "usr/lib/python3/dist-packages/skimage/data/astronaut.png", "python3-skimage",
		"public domain (NASA portrait of Eileen Collins, per skimage.data)"},
	{"hopper", "usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg", "facedetect",
		"public domain (U.S. Navy portrait of Grace Hopper)"},
	// KPhotoAlbum's demo album: snapshots taken by the project's authors,
	// shipped and licensed with the program (GPL-2+, see the package's
	// copyright file); these five have a usable frontal face. Indoor,
	// low-light, camera-JPEG pictures: harder than the two portraits.
	{"kpa-anne_helene", kpaDemo + "anne_helene.jpg", "kphotoalbum", kpaLicence},
	{"kpa-bar55", kpaDemo + "bar55.jpg", "kphotoalbum", kpaLicence},
	{"kpa-bar55_2", kpaDemo + "bar55_2.jpg", "kphotoalbum", kpaLicence},
	{"kpa-jesper_2", kpaDemo + "jesper_2.jpg", "kphotoalbum", kpaLicence},
	{"kpa-new_wave_2", kpaDemo + "new_wave_2.jpg", "kphotoalbum", kpaLicence},
}

const (
	kpaDemo    = "usr/share/kphotoalbum/demo/"
	kpaLicence = "GPL-2+ (KPhotoAlbum demo album, shipped with the program)"
)

// scene is a real picture with one known face.
type scene struct {
	ID    string
	Photo string
	Img   *image.NRGBA
	Face  faceswap.Box
}

// loadPhotos decodes the photographs under root (where .ci/install-faces
// unpacked the packages, or / when they are installed).
func loadPhotos(root string) ([]*image.NRGBA, error) {
	var out []*image.NRGBA
	for _, p := range photos {
		img, err := imaging.Open(filepath.Join(root, p.Path))
		if err != nil {
			return nil, fmt.Errorf("%s (Debian package %s; run .ci/install-faces): %w", p.Path, p.Package, err)
		}
		out = append(out, imaging.Clone(img))
	}
	return out, nil
}

// makeScene derives a real picture from photograph src: rescaled, cropped
// around the face, perhaps mirrored, with its own exposure, gamma, sensor
// noise and blur — the differences between two real photographs of a
// scene. The face is then located with the detector itself.
func makeScene(det *faceswap.Detector, src *image.NRGBA, name string, rng *rand.Rand, id string) (*scene, error) {
	scale := 0.9 + 1.3*rng.Float64()
	b := src.Bounds()
	img := imaging.Resize(src, int(float64(b.Dx())*scale), 0, imaging.Lanczos)
	cw := int(float64(img.Bounds().Dx()) * (0.75 + 0.25*rng.Float64()))
	ch := int(float64(img.Bounds().Dy()) * (0.75 + 0.25*rng.Float64()))
	// Keep the upper middle (where both faces are) inside the crop.
	x0 := rng.IntN(img.Bounds().Dx() - cw + 1)
	y0 := rng.IntN((img.Bounds().Dy()-ch)/2 + 1)
	img = imaging.Crop(img, image.Rect(x0, y0, x0+cw, y0+ch))
	if rng.IntN(2) == 0 {
		img = imaging.FlipH(img)
	}
	gain, gamma := 0.85+0.3*rng.Float64(), 0.8+0.45*rng.Float64()
	sigma := []float64{0, 0.8, 1.6, 3}[rng.IntN(4)]
	img = imaging.AdjustFunc(img, func(c color.NRGBA) color.NRGBA {
		f := func(v uint8) uint8 {
			x := 255 * math.Pow(float64(v)/255, gamma) * gain
			return clamp8(x)
		}
		return color.NRGBA{f(c.R), f(c.G), f(c.B), 255}
	})
	if rng.IntN(4) == 0 {
		img = imaging.Blur(img, 0.6)
	}
	addNoise(img, sigma, rng)
	r, err := det.AnalyzeImage(ctxBG, img)
	if err != nil {
		return nil, err
	}
	for _, f := range r.Faces {
		if f.Usable {
			return &scene{ID: id, Photo: name, Img: img, Face: f.Box}, nil
		}
	}
	return nil, nil
}

func addNoise(img *image.NRGBA, sigma float64, rng *rand.Rand) {
	if sigma == 0 {
		return
	}
	for i := 0; i < len(img.Pix); i += 4 {
		n := rng.NormFloat64() * sigma
		for c := 0; c < 3; c++ {
			img.Pix[i+c] = clamp8(float64(img.Pix[i+c]) + n + 0.5*rng.NormFloat64()*sigma)
		}
	}
}

func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// Blend qualities of the swaps, crudest first.
var blends = []string{"hard", "feather", "poisson"}

// swapSpec is the random part of one swap, so that video frames can share it.
type swapSpec struct {
	Blend          string
	AxX, AxY, OffY float64 // mask half-axes and vertical offset, in face-box sides
	ColourTransfer bool
	Feather        float64 // feather width in face-box sides
	DonorCut       float64 // side of the donor square, in donor face-box sides
	DonorRescale   float64 // extra rescaling of the donor before pasting
	Gain           float64 // brightness factor of the pasted face (0 means 1)
}

func randomSpec(blend string, rng *rand.Rand) swapSpec {
	s := swapSpec{Blend: blend,
		AxX: 0.34 + 0.1*rng.Float64(), AxY: 0.45 + 0.11*rng.Float64(), OffY: 0.06 * rng.Float64(),
		ColourTransfer: rng.Float64() < 0.7, DonorCut: 1.5,
		DonorRescale: []float64{1, 0.6, 1.5}[rng.IntN(3)]}
	switch blend {
	case "hard":
		s.Feather = 0.01
	case "feather":
		s.Feather = 0.05 + 0.1*rng.Float64()
	default:
		s.Feather = 0.03
	}
	return s
}

// swap pastes the face of donor onto host's face box hb: the donor square
// around its face is resampled to the host's face size (through an extra
// down/up-scale, as a swap tool working at its own resolution would),
// optionally colour-matched (mean and spread per channel over the face),
// and blended through an elliptical mask: hard, feathered, or
// Poisson-style (the donor plus a membrane that removes the seam, solved
// by relaxation on a coarse grid).
func swap(host *image.NRGBA, hb faceswap.Box, donor *image.NRGBA, db faceswap.Box, sp swapSpec) *image.NRGBA {
	out := imaging.Clone(host)
	side := int(sp.DonorCut * float64(hb.W))
	dside := int(sp.DonorCut * float64(db.W))
	dcx, dcy := db.X+db.W/2, db.Y+db.H/2
	patch := imaging.Crop(donor, image.Rect(dcx-dside/2, dcy-dside/2, dcx-dside/2+dside, dcy-dside/2+dside))
	if sp.DonorRescale != 1 {
		patch = imaging.Resize(patch, max(16, int(float64(patch.Bounds().Dx())*sp.DonorRescale)), 0, imaging.Linear)
	}
	patch = imaging.Resize(patch, side, side, imaging.Linear)
	hcx, hcy := hb.X+hb.W/2, hb.Y+hb.H/2
	ox, oy := hcx-side/2, hcy-side/2
	fs := float64(hb.W)
	ax, ay := sp.AxX*fs, sp.AxY*fs
	ecx, ecy := float64(side)/2, float64(side)/2+sp.OffY*fs
	// rho < 1 inside the mask.
	rho := func(x, y int) float64 { return math.Hypot((float64(x)+0.5-ecx)/ax, (float64(y)+0.5-ecy)/ay) }
	hostAt := func(x, y int) (float64, float64, float64, bool) {
		X, Y := ox+x, oy+y
		if !(image.Point{X, Y}).In(host.Bounds()) {
			return 0, 0, 0, false
		}
		i := host.PixOffset(X, Y)
		return float64(host.Pix[i]), float64(host.Pix[i+1]), float64(host.Pix[i+2]), true
	}
	pp := make([][3]float64, side*side)
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			i := patch.PixOffset(x, y)
			pp[y*side+x] = [3]float64{float64(patch.Pix[i]), float64(patch.Pix[i+1]), float64(patch.Pix[i+2])}
		}
	}
	if sp.ColourTransfer {
		var ms, mh, ss, sh [3]float64
		var n float64
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				if rho(x, y) > 0.8 {
					continue
				}
				r, g, b, ok := hostAt(x, y)
				if !ok {
					continue
				}
				h := [3]float64{r, g, b}
				for c := 0; c < 3; c++ {
					v := pp[y*side+x][c]
					ms[c], ss[c], mh[c], sh[c] = ms[c]+v, ss[c]+v*v, mh[c]+h[c], sh[c]+h[c]*h[c]
				}
				n++
			}
		}
		if n > 10 {
			for c := 0; c < 3; c++ {
				ms[c], mh[c] = ms[c]/n, mh[c]/n
				sdS := math.Sqrt(math.Max(ss[c]/n-ms[c]*ms[c], 1))
				sdH := math.Sqrt(math.Max(sh[c]/n-mh[c]*mh[c], 1))
				for k := range pp {
					pp[k][c] = (pp[k][c]-ms[c])*sdH/sdS + mh[c]
				}
			}
		}
	}
	if sp.Gain != 0 && sp.Gain != 1 {
		for k := range pp {
			for c := 0; c < 3; c++ {
				pp[k][c] *= sp.Gain
			}
		}
	}
	if sp.Blend == "poisson" {
		poisson(pp, side, rho, hostAt)
	}
	fw := math.Max(sp.Feather*fs/math.Max(ax, ay), 0.005)
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			r := rho(x, y)
			a := math.Min(1, math.Max(0, (1-r)/fw+0.5))
			if sp.Blend == "hard" {
				a = math.Min(1, math.Max(0, (1-r)*ax+0.5)) // one-pixel antialiased edge
			}
			if a <= 0 {
				continue
			}
			hr, hg, hb2, ok := hostAt(x, y)
			if !ok {
				continue
			}
			h := [3]float64{hr, hg, hb2}
			i := out.PixOffset(ox+x, oy+y)
			for c := 0; c < 3; c++ {
				out.Pix[i+c] = clamp8(a*pp[y*side+x][c] + (1-a)*h[c])
			}
		}
	}
	return out
}

// poisson adds to the patch a smooth membrane that equals host − patch on
// the mask's edge and is harmonic inside (seamless cloning), solved by
// Gauss–Seidel relaxation on a grid of at most 48×48 cells.
func poisson(pp [][3]float64, side int, rho func(x, y int) float64, hostAt func(x, y int) (float64, float64, float64, bool)) {
	g := min(48, side)
	cell := float64(side) / float64(g)
	mem := make([][3]float64, g*g)
	fixed := make([]bool, g*g)
	for j := 0; j < g; j++ {
		for i := 0; i < g; i++ {
			x, y := int((float64(i)+0.5)*cell), int((float64(j)+0.5)*cell)
			if rho(x, y) >= 0.97 {
				fixed[j*g+i] = true
				if r, gg, b, ok := hostAt(x, y); ok {
					p := pp[y*side+x]
					mem[j*g+i] = [3]float64{r - p[0], gg - p[1], b - p[2]}
				}
			}
		}
	}
	for it := 0; it < 300; it++ {
		for j := 1; j < g-1; j++ {
			for i := 1; i < g-1; i++ {
				k := j*g + i
				if fixed[k] {
					continue
				}
				for c := 0; c < 3; c++ {
					mem[k][c] = (mem[k-1][c] + mem[k+1][c] + mem[k-g][c] + mem[k+g][c]) / 4
				}
			}
		}
	}
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			fx := math.Min(math.Max(float64(x)/cell-0.5, 0), float64(g-1))
			fy := math.Min(math.Max(float64(y)/cell-0.5, 0), float64(g-1))
			i0, j0 := int(fx), int(fy)
			i1, j1 := min(i0+1, g-1), min(j0+1, g-1)
			ax, ay := fx-float64(i0), fy-float64(j0)
			for c := 0; c < 3; c++ {
				v := (1-ax)*(1-ay)*mem[j0*g+i0][c] + ax*(1-ay)*mem[j0*g+i1][c] + (1-ax)*ay*mem[j1*g+i0][c] + ax*ay*mem[j1*g+i1][c]
				pp[y*side+x][c] += v
			}
		}
	}
}

// jpegRoundTrip re-encodes img as JPEG at quality q (0 keeps it as is).
func jpegRoundTrip(img image.Image, q int) (image.Image, error) {
	if q == 0 {
		return img, nil
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return jpeg.Decode(&b)
}

// savePNG is for looking at samples with -dump.
func savePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return imaging.Encode(f, img, imaging.PNG)
}
