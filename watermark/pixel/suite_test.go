package pixel_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/watermark"
	"github.com/aigcmark/aigcmark/watermark/attack"
	"github.com/aigcmark/aigcmark/watermark/pixel"
	"github.com/disintegration/imaging"
)

// loadPhotos decodes the files matched by the space-separated globs in
// AIGCMARK_WM_PHOTOS, scaling any wider than AIGCMARK_WM_MAXW (if set).
func loadPhotos(t *testing.T) []image.Image {
	globs := os.Getenv("AIGCMARK_WM_PHOTOS")
	if globs == "" {
		t.Skip("set AIGCMARK_WM_PHOTOS to globs of photographs to run the full suite")
	}
	var maxW int
	fmt.Sscan(os.Getenv("AIGCMARK_WM_MAXW"), &maxW)
	var imgs []image.Image
	for _, g := range strings.Fields(globs) {
		files, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			im, _, err := image.Decode(fh)
			fh.Close()
			if err != nil {
				t.Logf("%s: %v (skipped)", f, err)
				continue
			}
			if maxW > 0 && im.Bounds().Dx() > maxW {
				im = imaging.Resize(im, maxW, 0, imaging.Lanczos)
			}
			t.Logf("%s %v", f, im.Bounds().Size())
			imgs = append(imgs, im)
		}
	}
	return imgs
}

// TestPhotoSuite runs the whole attack suite on photographs and prints the
// table (bit-acc, exact, wrong). It only reports; the robustness gate for
// CI is TestRobustness.
func TestPhotoSuite(t *testing.T) {
	imgs := loadPhotos(t)
	var psnr []float64
	for _, im := range imgs {
		m, err := pixel.Embed(im, key, payload, pixel.Options{})
		if err != nil {
			t.Fatal(err)
		}
		psnr = append(psnr, lumaPSNR(im, m))
	}
	fmt.Printf("PSNR(Y) per image: %.2f\n", psnr)
	atts := attack.Suite()
	if sel := os.Getenv("AIGCMARK_WM_ATTACKS"); sel != "" {
		atts = attack.Select(strings.Split(sel, ",")...)
	}
	rows, err := attack.Run(context.Background(), imgs, atts, marker(), 1)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%-4s %-46s %8s %7s %6s  %s\n", "id", "attack", "bit-acc", "exact", "wrong", "images missed")
	for _, r := range rows {
		fmt.Printf("%-4s %-46s %8.3f %7s %6d  %v\n", r.ID, r.Name, r.BitAcc, fmt.Sprintf("%d/%d", r.Exact, r.Images), r.Wrong, r.Failures)
		if r.Wrong != 0 {
			t.Errorf("%s %s: %d wrong payloads reported", r.ID, r.Name, r.Wrong)
		}
	}
}

// TestPhotoFalseAlarms detects on unmarked photographs, random crops of
// them at random sizes, and synthetic images with JPEG and crop variants.
func TestPhotoFalseAlarms(t *testing.T) {
	imgs := loadPhotos(t)
	r := rand.New(rand.NewPCG(5, 5))
	var n, found, lowFA int
	check := func(im image.Image) {
		res, err := pixel.Detect(im, key, pixel.Options{})
		if err != nil && !errors.Is(err, watermark.ErrNotFound) {
			return
		}
		n++
		if res.FalseAlarm < 0.01 {
			lowFA++
		}
		if res.Found {
			found++
			t.Errorf("false detection: %+v", res)
		}
	}
	for _, im := range imgs {
		check(im)
		b := im.Bounds()
		for k := 0; k < 40; k++ {
			w := 256 + r.IntN(max(1, min(b.Dx(), 2000)-256))
			h := 256 + r.IntN(max(1, min(b.Dy(), 1500)-256))
			x, y := r.IntN(max(1, b.Dx()-w+1)), r.IntN(max(1, b.Dy()-h+1))
			check(imaging.Crop(im, image.Rect(x, y, x+w, y+h)))
		}
	}
	for i := 0; i < 300; i++ {
		im := attack.Synthetic(uint64(5000+i), 256+r.IntN(700), 256+r.IntN(500))
		check(im)
		check(attack.Crop(im, 0.71, r))
		if j, err := attack.JPEG(im, 75); err == nil {
			check(j)
		}
	}
	fmt.Printf("unmarked: %d images, %d detections, %d with sync false-alarm < 0.01\n", n, found, lowFA)
}
