package attack

import (
	"context"
	"fmt"
	"image"
	"math/bits"
	"math/rand/v2"
)

// Marker is what the harness needs from a watermark: embed a payload, and
// detect returning whether a mark was found, the payload reported, and the
// best-guess payload even when not found (for bit accuracy).
type Marker struct {
	Embed  func(img image.Image, payload [8]byte) (image.Image, error)
	Detect func(img image.Image) (found bool, payload, guess [8]byte, err error)
}

// Row is the outcome of one attack over a set of images.
type Row struct {
	ID, Name string
	Images   int     // marked images attacked
	Exact    int     // found with the right payload
	Wrong    int     // found with a wrong payload (must stay 0)
	BitAcc   float64 // mean fraction of payload bits right (of the guess)
	Errors   int     // attack or detector errors
	Failures []int   // indices of images not recovered exactly
}

// ExactRate returns Exact / Images.
func (r Row) ExactRate() float64 {
	if r.Images == 0 {
		return 0
	}
	return float64(r.Exact) / float64(r.Images)
}

// Run embeds a payload derived from seed into every image, applies every
// attack and detects. Marked images are computed once per image.
func Run(ctx context.Context, imgs []image.Image, attacks []Attack, mk Marker, seed uint64) ([]Row, error) {
	rows := make([]Row, len(attacks))
	for i, a := range attacks {
		rows[i] = Row{ID: a.ID, Name: a.Name}
	}
	for n, img := range imgs {
		r := rand.New(rand.NewPCG(seed, uint64(n)))
		var p [8]byte
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		marked, err := mk.Embed(img, p)
		if err != nil {
			return nil, fmt.Errorf("attack: embedding image %d: %w", n, err)
		}
		for i, a := range attacks {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			row := &rows[i]
			row.Images++
			ar := rand.New(rand.NewPCG(seed^0xa77ac4, uint64(n*1000+i)))
			att, err := a.Apply(marked, ar)
			if err != nil {
				row.Errors++
				row.Failures = append(row.Failures, n)
				continue
			}
			found, got, guess, err := mk.Detect(att)
			if err != nil {
				row.Errors++
			}
			row.BitAcc += bitAcc(p, guess)
			switch {
			case found && got == p:
				row.Exact++
			case found:
				row.Wrong++
				row.Failures = append(row.Failures, n)
			default:
				row.Failures = append(row.Failures, n)
			}
		}
	}
	for i := range rows {
		if rows[i].Images > 0 {
			rows[i].BitAcc /= float64(rows[i].Images)
		}
	}
	return rows, nil
}

func bitAcc(a, b [8]byte) float64 {
	d := 0
	for i := range a {
		d += bits.OnesCount8(a[i] ^ b[i])
	}
	return 1 - float64(d)/64
}

// FalseDetections runs detect on every image and on crops of each (the
// attacks given, applied to the unmarked images) and counts detections.
func FalseDetections(ctx context.Context, imgs []image.Image, attacks []Attack, detect func(image.Image) (bool, error), seed uint64) (tried, found int, err error) {
	for n, img := range imgs {
		variants := []image.Image{img}
		for i, a := range attacks {
			r := rand.New(rand.NewPCG(seed, uint64(n*1000+i)))
			v, err := a.Apply(img, r)
			if err != nil {
				return tried, found, err
			}
			variants = append(variants, v)
		}
		for _, v := range variants {
			if err := ctx.Err(); err != nil {
				return tried, found, err
			}
			ok, _ := detect(v)
			tried++
			if ok {
				found++
			}
		}
	}
	return tried, found, nil
}
