package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/disintegration/imaging"

	"github.com/aigcmark/aigcmark/detect/faceswap"
)

// Clip geometry: frames of clipW×clipH at clipFPS.
const (
	clipW, clipH = 480, 360
	clipFPS      = 8
)

// The swapped clips' paste tracking: each frame keeps trackAR of the
// previous offset and adds a step of trackStep (in face sides; the same
// for the brightness factor). A stationary spread of about 0.7 % and a
// frame-to-frame change of about 0.4 % of the face side, as a tool that
// smooths its landmarks over time would leave.
const (
	trackAR   = 0.8
	trackStep = 0.004
)

// clipResult is one scored clip: the feature vectors of its scored tracks.
type clipResult struct {
	Fake         bool
	CRF          int
	Tracks       [][]float64
	Inconclusive bool
}

func (c clipResult) score(m *faceswap.Model) (float64, bool) {
	best := -1.0
	for _, t := range c.Tracks {
		best = math.Max(best, m.TrackScore(t))
	}
	return best, best >= 0
}

// videoSet makes o.Clips real and o.Clips swapped clips per CRF tier for
// one split, encodes each with H.264, decodes it and scores the frames.
func videoSet(ctx context.Context, det *faceswap.Detector, src []*image.NRGBA, split string, o options, _ *faceswap.Model) ([]clipResult, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, fmt.Errorf("the video part needs ffmpeg (or pass -no-video): %w", err)
	}
	dir, err := os.MkdirTemp("", "fsbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rng := rand.New(rand.NewPCG(splitSeed(o.Seed, split), 23))
	var scenes []*scene
	for i := 0; len(scenes) < o.Clips+2 && i < 8*o.Clips+8; i++ {
		p := i % len(src)
		s, err := makeScene(det, src[p], photos[p].Name, rng, fmt.Sprintf("%s-v%d", split, i))
		if err != nil {
			return nil, err
		}
		if s != nil {
			scenes = append(scenes, s)
		}
	}
	var out []clipResult
	for i := 0; i < o.Clips && i < len(scenes); i++ {
		host := scenes[i]
		donor := scenes[(i+1+rng.IntN(len(scenes)-1))%len(scenes)]
		path := pathOf(rng)
		spec := randomSpec(blends[rng.IntN(len(blends))], rng)
		for _, fake := range []bool{false, true} {
			frames := make([]*image.NRGBA, o.Frames)
			// A swap tool that tracks the head smoothly: the paste's
			// offset and brightness wander slowly (AR(1), about 0.7 % of
			// the face side and 0.7 % of brightness), not frame by frame.
			var ox, oy, og float64
			for k := range frames {
				f, box := panZoomFrame(host, path, float64(k)/float64(max(o.Frames-1, 1)))
				if fake {
					sp := spec
					ox = trackAR*ox + trackStep*rng.NormFloat64()
					oy = trackAR*oy + trackStep*rng.NormFloat64()
					og = trackAR*og + trackStep*rng.NormFloat64()
					box.X += int(math.Round(ox * float64(box.W)))
					box.Y += int(math.Round(oy * float64(box.W)))
					sp.Gain = 1 + og
					f = swap(f, box, donor.Img, donor.Face, sp)
				}
				frames[k] = f
			}
			for _, crf := range crfTiers {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				dec, err := h264RoundTrip(ctx, dir, frames, crf)
				if err != nil {
					return nil, err
				}
				v := det.NewVideo()
				for k, f := range dec {
					if err := v.Add(ctx, float64(k)/clipFPS, f); err != nil {
						return nil, err
					}
				}
				r := v.Result()
				c := clipResult{Fake: fake, CRF: crf, Inconclusive: r.Verdict == faceswap.Inconclusive}
				for _, t := range r.Tracks {
					if x := t.CueVector(); x != nil {
						c.Tracks = append(c.Tracks, x)
					}
				}
				out = append(out, c)
			}
		}
		logf("%s: clip %d/%d done", split, i+1, o.Clips)
	}
	return out, nil
}

// camPath is a pan and zoom over a scene: crop fractions and face-relative
// offsets at the start and the end.
type camPath struct{ z0, z1, dx0, dy0, dx1, dy1 float64 }

func pathOf(rng *rand.Rand) camPath {
	z0, z1 := 0.6+0.15*rng.Float64(), 0.6+0.15*rng.Float64()
	return camPath{z0, z1, rng.Float64()*0.4 - 0.2, rng.Float64()*0.3 - 0.15, rng.Float64()*0.4 - 0.2, rng.Float64()*0.3 - 0.15}
}

// panZoomFrame renders the frame at fraction u of the path: a crop of the
// scene around its face, scaled to clipW×clipH, and the face box in it.
func panZoomFrame(s *scene, p camPath, u float64) (*image.NRGBA, faceswap.Box) {
	b := s.Img.Bounds()
	z := p.z0 + (p.z1-p.z0)*u
	cw := z * float64(b.Dx())
	ch := cw * clipH / clipW
	if ch > float64(b.Dy()) {
		ch = float64(b.Dy())
		cw = ch * clipW / clipH
	}
	fcx, fcy := float64(s.Face.X)+float64(s.Face.W)/2, float64(s.Face.Y)+float64(s.Face.H)/2
	cx := fcx + (p.dx0+(p.dx1-p.dx0)*u)*cw
	cy := fcy + (p.dy0+(p.dy1-p.dy0)*u)*ch
	x0 := math.Min(math.Max(cx-cw/2, 0), float64(b.Dx())-cw)
	y0 := math.Min(math.Max(cy-ch/2, 0), float64(b.Dy())-ch)
	r := image.Rect(int(x0), int(y0), int(x0+cw), int(y0+ch))
	f := imaging.Resize(imaging.Crop(s.Img, r), clipW, clipH, imaging.Linear)
	k := float64(clipW) / float64(r.Dx())
	box := faceswap.Box{X: int((float64(s.Face.X) - float64(r.Min.X)) * k), Y: int((float64(s.Face.Y) - float64(r.Min.Y)) * k),
		W: int(float64(s.Face.W) * k), H: int(float64(s.Face.H) * k)}
	return f, box
}

// h264RoundTrip encodes frames with libx264 at crf and decodes them back.
func h264RoundTrip(ctx context.Context, dir string, frames []*image.NRGBA, crf int) ([]*image.RGBA, error) {
	path := filepath.Join(dir, fmt.Sprintf("clip-crf%d.mp4", crf))
	var raw bytes.Buffer
	for _, f := range frames {
		for y := 0; y < clipH; y++ {
			for x := 0; x < clipW; x++ {
				i := f.PixOffset(x, y)
				raw.Write(f.Pix[i : i+3])
			}
		}
	}
	enc := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
		"-s", fmt.Sprintf("%dx%d", clipW, clipH), "-r", fmt.Sprint(clipFPS), "-i", "-",
		"-c:v", "libx264", "-preset", "medium", "-crf", fmt.Sprint(crf), "-pix_fmt", "yuv420p", "-threads", "1", path)
	enc.Stdin = &raw
	enc.WaitDelay = 5 * time.Second
	if b, err := enc.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ffmpeg encode: %v: %s", err, b)
	}
	dec := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-threads", "1", "-")
	var stderr bytes.Buffer
	dec.Stderr = &stderr
	dec.WaitDelay = 5 * time.Second
	stdout, err := dec.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := dec.Start(); err != nil {
		return nil, err
	}
	var out []*image.RGBA
	buf := make([]byte, clipW*clipH*3)
	for {
		if _, err := io.ReadFull(stdout, buf); err != nil {
			break
		}
		m := image.NewRGBA(image.Rect(0, 0, clipW, clipH))
		for i, j := 0, 0; i < len(buf); i, j = i+3, j+4 {
			m.Pix[j], m.Pix[j+1], m.Pix[j+2], m.Pix[j+3] = buf[i], buf[i+1], buf[i+2], 255
		}
		out = append(out, m)
	}
	if err := dec.Wait(); err != nil {
		return nil, fmt.Errorf("ffmpeg decode: %v: %s", err, stderr.Bytes())
	}
	if len(out) != len(frames) {
		return nil, fmt.Errorf("ffmpeg decoded %d frames of %d", len(out), len(frames))
	}
	return out, nil
}
