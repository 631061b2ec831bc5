package faceswap

import (
	"context"
	"fmt"
	"image"
	"math"
)

// Video accumulates the frames of one video (in presentation order, with
// their timestamps in seconds) and follows each face across them. Create
// one with Detector.NewVideo, feed it with Add and read Result at the end.
// A Video is not safe for concurrent use.
type Video struct {
	d      *Detector
	frames []Frame
	tracks []*trackState
	n      int
	lastT  float64
}

// Bounds that keep a long video's bookkeeping small.
const (
	maxTracks    = 256
	trackGap     = 3 // frames a track may miss before it ends
	smallFace    = 64
	smallWin     = 160
	jitterSearch = 8
)

type trackState struct {
	Track
	last      Box
	lastFrame int
	prev      *window // the previous frame cut at prevBox geometry
	prevBox   Box
	deltas    [][3]float64
	jitter    []float64
	cueSum    []float64
	faces     int
}

// NewVideo starts the analysis of one video.
func (d *Detector) NewVideo() *Video { return &Video{d: d, lastT: math.Inf(-1)} }

// Add analyses the frame shown at t seconds.
func (v *Video) Add(ctx context.Context, t float64, img image.Image) error {
	if math.IsNaN(t) || math.IsInf(t, 0) || t < v.lastT {
		return fmt.Errorf("faceswap: frame %d has timestamp %v, after %v: frames must come in order", v.n, t, v.lastT)
	}
	r, err := v.d.AnalyzeImage(ctx, img)
	if err != nil {
		return fmt.Errorf("frame %d at %.3f s: %w", v.n, t, err)
	}
	v.lastT = t
	fr := Frame{T: t, Score: -1, Faces: r.Faces}
	used := make([]bool, len(v.tracks))
	for i := range fr.Faces {
		f := &fr.Faces[i]
		best, bestIoU := -1, 0.3
		for j, tr := range v.tracks {
			if used[j] || v.n-tr.lastFrame > trackGap {
				continue
			}
			if u := iou(tr.last, f.Box); u > bestIoU {
				best, bestIoU = j, u
			}
		}
		if best < 0 {
			if len(v.tracks) >= maxTracks {
				continue
			}
			v.tracks = append(v.tracks, &trackState{Track: Track{ID: len(v.tracks) + 1, Start: t}, cueSum: make([]float64, len(ImageCues))})
			used = append(used, false)
			best = len(v.tracks) - 1
		}
		used[best] = true
		tr := v.tracks[best]
		f.Track = tr.ID
		tr.End, tr.Frames = t, tr.Frames+1
		if f.Usable {
			if f.Score > fr.Score {
				fr.Score = f.Score
			}
			tr.observe(img, f, v.n-tr.lastFrame == 1)
		} else {
			tr.prev = nil
		}
		tr.last, tr.lastFrame = f.Box, v.n
	}
	v.frames = append(v.frames, fr)
	v.n++
	return nil
}

// observe records the temporal measurements of a usable face.
func (tr *trackState) observe(img image.Image, f *Face, consecutive bool) {
	for i, s := range f.raw {
		tr.cueSum[i] += s
	}
	tr.faces++
	cur := cutSmall(img, f.Box)
	tr.deltas = append(tr.deltas, faceMinusRing(cur))
	if consecutive && tr.prev != nil {
		// The current frame cut where the face was in the previous frame:
		// the interior and the ring around it should move together.
		same := cutSmall(img, tr.prevBox)
		din, okIn := shift(tr.prev, same, 0, 0.7)
		dout, okOut := shift(tr.prev, same, 1.05, 1.35)
		if okIn && okOut {
			tr.jitter = append(tr.jitter, 100*math.Hypot(din[0]-dout[0], din[1]-dout[1])/smallFace)
		}
	}
	tr.prev, tr.prevBox = cur, f.Box
}

// cutSmall cuts the face of box at smallFace pixels per face side.
func cutSmall(img image.Image, box Box) *window {
	px := float64(box.W) / smallFace
	cx, cy := float64(box.X)+float64(box.W)/2, float64(box.Y)+float64(box.H)/2
	return cut(img, cx-smallWin/2*px, cy-smallWin/2*px, px, smallWin)
}

// smallRho is the normalised hull radius of a pixel of a small window.
func smallRho(x, y int) float64 {
	k := float64(smallFace) / faceSide
	return math.Hypot((float64(x)-smallWin/2)/(axX*k), (float64(y)-smallWin/2)/(axY*k))
}

// faceMinusRing is the mean Y, Cb, Cr of the face interior minus that of
// the ring just outside the hull.
func faceMinusRing(w *window) [3]float64 {
	var in, out [3]float64
	var ni, no float64
	for y := 0; y < w.n; y++ {
		for x := 0; x < w.n; x++ {
			k := y*w.n + x
			if !w.ok[k] {
				continue
			}
			switch r := smallRho(x, y); {
			case r < 0.7:
				in[0], in[1], in[2], ni = in[0]+float64(w.y[k]), in[1]+float64(w.cb[k]), in[2]+float64(w.cr[k]), ni+1
			case r > 1.15 && r < 1.6:
				out[0], out[1], out[2], no = out[0]+float64(w.y[k]), out[1]+float64(w.cb[k]), out[2]+float64(w.cr[k]), no+1
			}
		}
	}
	if ni == 0 || no == 0 {
		return [3]float64{}
	}
	return [3]float64{in[0]/ni - out[0]/no, in[1]/ni - out[1]/no, in[2]/ni - out[2]/no}
}

// shift finds the displacement of the pixels of a whose hull radius lies in
// [r0, r1) in b, to a fraction of a pixel, by the least mean absolute
// difference over ±jitterSearch pixels.
func shift(a, b *window, r0, r1 float64) ([2]float64, bool) {
	n := a.n
	var idx []int
	for y := jitterSearch; y < n-jitterSearch; y++ {
		for x := jitterSearch; x < n-jitterSearch; x++ {
			if r := smallRho(x, y); r >= r0 && r < r1 && a.ok[y*n+x] {
				idx = append(idx, y*n+x)
			}
		}
	}
	if len(idx) < 50 {
		return [2]float64{}, false
	}
	const span = 2*jitterSearch + 1
	var cost [span * span]float64
	best, bi := math.Inf(1), 0
	for dy := -jitterSearch; dy <= jitterSearch; dy++ {
		for dx := -jitterSearch; dx <= jitterSearch; dx++ {
			var s float64
			var c int
			off := dy*n + dx
			for _, k := range idx {
				if b.ok[k+off] {
					s += math.Abs(float64(a.y[k] - b.y[k+off]))
					c++
				}
			}
			v := math.Inf(1)
			if c > len(idx)/2 {
				v = s / float64(c)
			}
			i := (dy+jitterSearch)*span + dx + jitterSearch
			cost[i] = v
			if v < best {
				best, bi = v, i
			}
		}
	}
	if math.IsInf(best, 1) {
		return [2]float64{}, false
	}
	bx, by := bi%span, bi/span
	sub := func(l, c, r float64) float64 {
		if math.IsInf(l, 1) || math.IsInf(r, 1) {
			return 0
		}
		den := l - 2*c + r
		if den <= 0 {
			return 0
		}
		return math.Max(-0.5, math.Min(0.5, 0.5*(l-r)/den))
	}
	fx, fy := float64(bx-jitterSearch), float64(by-jitterSearch)
	if bx > 0 && bx < span-1 {
		fx += sub(cost[bi-1], cost[bi], cost[bi+1])
	}
	if by > 0 && by < span-1 {
		fy += sub(cost[bi-span], cost[bi], cost[bi+span])
	}
	return [2]float64{fx, fy}, true
}

// minTrackFaces is the number of usable faces a track needs for its
// temporal cues.
const minTrackFaces = 3

// Result scores each face track and decides for the whole video.
func (v *Video) Result() *Result {
	r := &Result{Frames: v.frames, Score: -1}
	found := 0
	bestFrame := -1
	for i, f := range v.frames {
		found += len(f.Faces)
		if f.Score >= 0 && (bestFrame < 0 || f.Score > v.frames[bestFrame].Score) {
			bestFrame = i
		}
	}
	if bestFrame >= 0 {
		r.Faces = v.frames[bestFrame].Faces
	}
	for _, tr := range v.tracks {
		if tr.faces == 0 {
			continue
		}
		t := tr.Track
		x := make([]float64, len(TrackFeatures))
		t.Cues = make(map[string]Cue, len(TrackFeatures))
		for i, name := range ImageCues {
			x[i] = tr.cueSum[i] / float64(tr.faces)
			t.Cues[name] = Cue{Score: round3(x[i]), Why: fmt.Sprintf("mean over %d frames", tr.faces)}
		}
		if tr.faces >= minTrackFaces {
			fl := flicker(tr.deltas)
			x[5] = squash(fl-0.4, 2)
			t.Cues[CueFlicker] = Cue{Score: round3(x[5]), Why: fmt.Sprintf("face-minus-surround brightness/colour changes by %.2f (8-bit units) from frame to frame", fl)}
			if len(tr.jitter) >= 2 {
				j := median(tr.jitter)
				x[6] = squash(j-0.6, 1.5)
				t.Cues[CueJitter] = Cue{Score: round3(x[6]), Why: fmt.Sprintf("face interior slides %.2f %% of the face size against the head around it per frame", j)}
			} else {
				t.Cues[CueJitter] = Cue{Why: "fewer than 3 consecutive usable frames"}
			}
			t.raw = x
			t.Score = round3(v.d.model.track(x))
			if t.Score > r.Score {
				r.Score = t.Score
			}
		} else {
			t.Score = -1
			t.Cues[CueFlicker] = Cue{Why: fmt.Sprintf("only %d usable frames; temporal cues need %d", tr.faces, minTrackFaces)}
			t.Cues[CueJitter] = t.Cues[CueFlicker]
		}
		r.Tracks = append(r.Tracks, t)
	}
	if r.Score >= 0 {
		v.d.decideTrack(r)
		return r
	}
	if bestFrame >= 0 {
		r.Score = v.frames[bestFrame].Score
	}
	v.d.decide(r, found, "frame")
	return r
}

// decideTrack sets the verdict of a video from its best face track.
func (d *Detector) decideTrack(r *Result) {
	r.OperatingPoint = OperatingPoint{Threshold: d.model.TrackThreshold, Description: d.model.Description}
	if r.Score >= d.model.TrackThreshold {
		r.Verdict = LikelyManipulated
		r.Reason = fmt.Sprintf("highest face-track score %.2f is at or above the operating threshold %.2f", r.Score, d.model.TrackThreshold)
	} else {
		r.Verdict = NoEvidence
		r.Reason = fmt.Sprintf("highest face-track score %.2f is below the operating threshold %.2f; swaps by modern neural tools can still pass", r.Score, d.model.TrackThreshold)
	}
}

// flicker is the root-mean-square frame-to-frame change of the
// face-minus-surround colour, with the slow trend (lighting, motion)
// removed by a second difference.
func flicker(d [][3]float64) float64 {
	if len(d) < 3 {
		return 0
	}
	var v []float64
	for i := 2; i < len(d); i++ {
		var s float64
		for c := 0; c < 3; c++ {
			e := d[i][c] - 2*d[i-1][c] + d[i-2][c]
			s += e * e
		}
		v = append(v, math.Sqrt(s/6)) // second difference of white noise has variance 6σ²
	}
	return median(v)
}

func iou(a, b Box) float64 {
	r := a.Rect().Intersect(b.Rect())
	in := float64(r.Dx() * r.Dy())
	u := float64(a.W*a.H+b.W*b.H) - in
	if u <= 0 {
		return 0
	}
	return in / u
}

// AnalyzeFrames is a convenience that runs a Video over frames in order.
func (d *Detector) AnalyzeFrames(ctx context.Context, frames []TimedFrame) (*Result, error) {
	v := d.NewVideo()
	for _, f := range frames {
		if err := v.Add(ctx, f.T, f.Image); err != nil {
			return nil, err
		}
	}
	return v.Result(), nil
}

// TimedFrame is a video frame and its presentation time in seconds.
type TimedFrame struct {
	T     float64
	Image image.Image
}
