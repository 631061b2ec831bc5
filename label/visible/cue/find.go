package cue

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Analysis parameters of the Detector.
const (
	hopDur     = 5 * time.Millisecond  // one envelope value every hop
	winDur     = 30 * time.Millisecond // Goertzel window (Hann)
	floorSpan  = time.Second           // the band's local floor is its minimum within ± this
	onMargin   = 12.0                  // dB over the local floor for a hop to count as "on"
	minLevel   = -60.0                 // dBFS: quieter bursts are ignored
	minPurity  = 6.0                   // dB the pitch band must exceed its neighbours by (median over a burst)
	minBurst   = 20 * time.Millisecond // shorter bursts are ignored
	maxGap     = 1600 * time.Millisecond
	gapUnits   = 4.0 // bursts further apart than this many shortest-burst lengths are not grouped
	levelRange = 8.0 // dB: the bursts of a cue have the same level
)

// sideRatios are the frequencies, relative to the pitch, whose band energy
// tells a tone from broadband sound.
var sideRatios = [2]float64{0.75, 4.0 / 3}

// Burst is one tone burst found in the audio.
type Burst struct {
	Start  time.Duration // where its amplitude first reaches half its peak
	Length time.Duration // between its half-amplitude points
	Long   bool          // at least twice as long as the group's shortest burst
	Level  float64       // peak amplitude at the pitch, dBFS
}

// Group is a run of tone bursts at the pitch with short gaps between them,
// set apart from other bursts by longer silences.
type Group struct {
	Bursts []Burst
	Gaps   []time.Duration // silence between consecutive bursts
	Unit   time.Duration   // the shortest burst: what "short" means in this group
}

// Start returns where the group's first burst starts.
func (g Group) Start() time.Duration { return g.Bursts[0].Start }

// End returns where the group's last burst ends.
func (g Group) End() time.Duration {
	b := g.Bursts[len(g.Bursts)-1]
	return b.Start + b.Length
}

// Pattern returns the bursts as Morse code: "." for short, "-" for long, and
// a space for a gap at least twice the unit (a letter gap). The cue reads
// ".- ..".
func (g Group) Pattern() string {
	var b strings.Builder
	for i, x := range g.Bursts {
		if i > 0 && g.Gaps[i-1] >= 2*g.Unit {
			b.WriteByte(' ')
		}
		if x.Long {
			b.WriteByte('-')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

// Words returns the burst lengths as words: "short-long-short-short".
func (g Group) Words() string {
	w := make([]string, len(g.Bursts))
	for i, x := range g.Bursts {
		w[i] = "short"
		if x.Long {
			w[i] = "long"
		}
	}
	return strings.Join(w, "-")
}

// String describes g: "0.503s short(95ms) long(295ms) short(95ms) short(95ms)".
func (g Group) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%.3fs", g.Start().Seconds())
	for _, x := range g.Bursts {
		w := "short"
		if x.Long {
			w = "long"
		}
		fmt.Fprintf(&b, " %s(%dms)", w, x.Length.Milliseconds())
	}
	return b.String()
}

// IsCue reports whether g is the cue: four bursts reading short, long,
// short, short, spaced as Morse spaces ".- ..": element gaps about one unit,
// the letter gap about three, no burst longer than five units, and all four
// at about the same level.
func (g Group) IsCue() bool {
	if len(g.Bursts) != 4 || len(g.Gaps) != 3 || g.Pattern() != Morse {
		return false
	}
	u := float64(g.Unit)
	if g.Unit < 30*time.Millisecond || g.Unit > 500*time.Millisecond {
		return false
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, b := range g.Bursts {
		l := float64(b.Length)
		if (!b.Long && l >= 2*u) || l > 5*u {
			return false
		}
		lo, hi = math.Min(lo, b.Level), math.Max(hi, b.Level)
	}
	if hi-lo > levelRange {
		return false
	}
	short := func(d time.Duration) bool { return float64(d) >= 0.4*u && float64(d) < 2*u }
	long := func(d time.Duration) bool { return float64(d) >= 2*u && float64(d) <= 5*u }
	return short(g.Gaps[0]) && long(g.Gaps[1]) && short(g.Gaps[2])
}

// A Detector finds cues in audio fed to it in pieces, keeping two values
// per 5 ms of audio (about 6 MB an hour; the final analysis takes about four
// times that) and no samples beyond one 30 ms window. Its zero value is not
// usable: call NewDetector.
type Detector struct {
	rate, channels int
	hop, win       int
	weights        []float64
	sumW           float64
	coef           [3]float64 // 2cos(ω) at the pitch and the two side bands
	ring           []float32  // the last win mono samples
	pos            int        // next write position in ring
	inHop          int        // samples since the last hop
	partial        []float32  // samples of an incomplete frame
	tone, side     []float32  // amplitude² per hop at the pitch, and the louder side band
	done           bool
	groups         []Group
}

// NewDetector returns a Detector for interleaved audio at rate Hz with
// channels channels (averaged to one).
func NewDetector(rate, channels int) (*Detector, error) {
	if err := CheckFormat(rate, channels); err != nil {
		return nil, err
	}
	d := &Detector{rate: rate, channels: channels,
		hop: max(Frames(hopDur, rate), 1), win: max(Frames(winDur, rate), 4)}
	d.ring = make([]float32, d.win)
	d.weights = make([]float64, d.win)
	for i := range d.weights {
		d.weights[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(d.win))
		d.sumW += d.weights[i]
	}
	freqs := [3]float64{Pitch, Pitch * sideRatios[0], Pitch * sideRatios[1]}
	for i, f := range freqs {
		d.coef[i] = 2 * math.Cos(2*math.Pi*f/float64(rate))
	}
	return d, nil
}

// Write feeds interleaved samples; a piece may end in the middle of a
// frame. Samples written after Groups or Find was called are ignored.
func (d *Detector) Write(s []float32) {
	if d.done {
		return
	}
	if len(d.partial) > 0 {
		need := d.channels - len(d.partial)
		if len(s) < need {
			d.partial = append(d.partial, s...)
			return
		}
		d.partial = append(d.partial, s[:need]...)
		d.frame(d.partial)
		d.partial = d.partial[:0]
		s = s[need:]
	}
	for len(s) >= d.channels {
		d.frame(s[:d.channels])
		s = s[d.channels:]
	}
	d.partial = append(d.partial, s...)
}

func (d *Detector) frame(f []float32) {
	var m float32
	for _, v := range f {
		m += v
	}
	d.push(m / float32(d.channels))
}

func (d *Detector) push(v float32) {
	if v != v || v > 1e6 || v < -1e6 { // NaN or absurd: treat as silence
		v = 0
	}
	d.ring[d.pos] = v
	d.pos++
	if d.pos == d.win {
		d.pos = 0
	}
	d.inHop++
	if d.inHop == d.hop {
		d.inHop = 0
		d.measure()
	}
}

// measure runs the three Goertzel filters over the window.
func (d *Detector) measure() {
	var s1, s2 [3]float64
	i := d.pos
	for k := 0; k < d.win; k++ {
		x := float64(d.ring[i]) * d.weights[k]
		for j := range 3 {
			s := x + d.coef[j]*s1[j] - s2[j]
			s2[j], s1[j] = s1[j], s
		}
		i++
		if i == d.win {
			i = 0
		}
	}
	var p [3]float64
	norm := 2 / d.sumW
	for j := range 3 {
		pw := s1[j]*s1[j] + s2[j]*s2[j] - d.coef[j]*s1[j]*s2[j]
		p[j] = math.Max(pw, 0) * norm * norm // amplitude² of a sine at that frequency
	}
	d.tone = append(d.tone, float32(p[0]))
	d.side = append(d.side, float32(math.Max(p[1], p[2])))
}

// finish feeds silence until the last window has left the audio.
func (d *Detector) finish() {
	if d.done {
		return
	}
	for range d.win + d.hop {
		d.push(0)
	}
	d.done = true
	d.groups = d.analyse()
}

// Groups returns every group of tone bursts at the pitch found in what was
// written, in time order. It ends the input.
func (d *Detector) Groups() []Group {
	d.finish()
	return slices.Clone(d.groups)
}

// Cues returns the groups that are cues (Group.IsCue), in time order. It
// ends the input.
func (d *Detector) Cues() []Group {
	d.finish()
	var out []Group
	for _, g := range d.groups {
		if g.IsCue() {
			out = append(out, g)
		}
	}
	return out
}

// Find returns the cues in s, interleaved samples at rate Hz with channels
// channels.
func Find(s []float32, rate, channels int) ([]Group, error) {
	d, err := NewDetector(rate, channels)
	if err != nil {
		return nil, err
	}
	d.Write(s)
	return d.Cues(), nil
}

type segment struct {
	a, b       int     // first and last hop
	start, end float64 // seconds, half-amplitude points
	level      float64 // peak dBFS
}

// centre returns the time of the centre of hop k's window, in seconds.
func (d *Detector) centre(k int) float64 {
	return (float64((k+1)*d.hop) - float64(d.win)/2) / float64(d.rate)
}

func db(p float32) float64 { return 10 * math.Log10(float64(p)+1e-30) }

func (d *Detector) analyse() []Group {
	n := len(d.tone)
	if n == 0 {
		return nil
	}
	level := make([]float64, n)
	smooth := make([]float64, n)
	for k := range n {
		level[k] = db(d.tone[k])
		lo, hi := max(k-1, 0), min(k+1, n-1)
		var s float32
		for j := lo; j <= hi; j++ {
			s += d.tone[j]
		}
		smooth[k] = db(s / float32(hi-lo+1))
	}
	floor := slidingMin(smooth, int(floorSpan/hopDur))

	var segs []segment
	for k := 0; k < n; {
		if !(level[k] >= floor[k]+onMargin && level[k] >= minLevel) {
			k++
			continue
		}
		a := k
		for k < n && level[k] >= floor[k]+onMargin && level[k] >= minLevel {
			k++
		}
		segs = d.split(segs, level, a, k-1)
	}

	var bursts []Burst
	for _, s := range segs {
		if s.end-s.start < minBurst.Seconds() || d.purity(s) < minPurity {
			continue
		}
		bursts = append(bursts, Burst{Start: seconds(s.start), Length: seconds(s.end - s.start), Level: s.level})
	}
	return group(bursts)
}

// split finds the bursts in the run of "on" hops [a, b] and adds them to
// segs, merging overlaps. Over content, a run can hold several bursts whose
// gaps do not fall to the floor: each burst is the stretch around a local
// peak where the amplitude stays above half that peak, taken from the
// loudest down to peaks runSpan dB under the run's loudest; what is left is
// taken as content in the gaps.
func (d *Detector) split(segs []segment, level []float64, a, b int) []segment {
	const runSpan = 10.0
	var found []segment
	claimed := make([]bool, b-a+1)
	top := math.Inf(-1)
	for {
		p := -1
		for k := a; k <= b; k++ {
			if !claimed[k-a] && (p < 0 || level[k] > level[p]) {
				p = k
			}
		}
		if p < 0 || level[p] < top-runSpan {
			break
		}
		top = math.Max(top, level[p])
		s := d.refine(level, p)
		skirt := false // the flank of a burst already found
		for _, f := range found {
			skirt = skirt || (s.a <= f.b && s.b >= f.a)
		}
		for k := max(s.a, a); k <= min(s.b, b); k++ {
			claimed[k-a] = true
		}
		if !skirt {
			found = append(found, s)
		}
	}
	slices.SortFunc(found, func(x, y segment) int { return x.a - y.a })
	for _, s := range found {
		for len(segs) > 0 && segs[len(segs)-1].b >= s.a {
			p := segs[len(segs)-1]
			segs = segs[:len(segs)-1]
			s.a, s.start = min(s.a, p.a), math.Min(s.start, p.start)
			s.b, s.end = max(s.b, p.b), math.Max(s.end, p.end)
			s.level = math.Max(s.level, p.level)
		}
		segs = append(segs, s)
	}
	return segs
}

// refine returns the burst around the peak hop p: the hops whose amplitude
// is at least half the peak's, with the half-amplitude points between hops
// found by linear interpolation.
func (d *Detector) refine(level []float64, p int) segment {
	thr := level[p] - 20*math.Log10(2)
	l, r := p, p
	for l > 0 && level[l-1] >= thr {
		l--
	}
	for r < len(level)-1 && level[r+1] >= thr {
		r++
	}
	half := math.Sqrt(float64(d.tone[p])) / 2
	amp := func(k int) float64 { return math.Sqrt(float64(d.tone[k])) }
	hop := float64(d.hop) / float64(d.rate)
	start := d.centre(l)
	if l > 0 {
		start -= hop * (amp(l) - half) / math.Max(amp(l)-amp(l-1), 1e-12)
	}
	end := d.centre(r)
	if r < len(level)-1 {
		end += hop * (amp(r) - half) / math.Max(amp(r)-amp(r+1), 1e-12)
	}
	return segment{a: l, b: r, start: math.Max(start, 0), end: end, level: level[p]}
}

// purity is the median, over s's hops, of how far the pitch band exceeds
// the louder side band, in dB.
func (d *Detector) purity(s segment) float64 {
	r := make([]float64, 0, s.b-s.a+1)
	for k := s.a; k <= s.b; k++ {
		r = append(r, db(d.tone[k])-db(d.side[k]))
	}
	slices.Sort(r)
	return r[len(r)/2]
}

// group joins bursts separated by gaps of at most gapUnits times the shorter
// neighbour (and maxGap).
func group(bursts []Burst) []Group {
	var out []Group
	var cur []Burst
	flush := func() {
		if len(cur) == 0 {
			return
		}
		g := Group{Bursts: cur, Unit: cur[0].Length}
		for i, b := range cur {
			g.Unit = min(g.Unit, b.Length)
			if i > 0 {
				g.Gaps = append(g.Gaps, b.Start-cur[i-1].Start-cur[i-1].Length)
			}
		}
		for i := range g.Bursts {
			g.Bursts[i].Long = g.Bursts[i].Length >= 2*g.Unit
		}
		out = append(out, g)
		cur = nil
	}
	for _, b := range bursts {
		if len(cur) > 0 {
			p := cur[len(cur)-1]
			gap := b.Start - p.Start - p.Length
			if gap > maxGap || float64(gap) > gapUnits*float64(min(p.Length, b.Length)) {
				flush()
			}
		}
		cur = append(cur, b)
	}
	flush()
	return out
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// slidingMin returns, for each k, the minimum of v over [k-w, k+w].
func slidingMin(v []float64, w int) []float64 {
	n := len(v)
	out := make([]float64, n)
	var dq []int // indices of increasing values
	next := 0
	for k := range n {
		for ; next < n && next <= k+w; next++ {
			for len(dq) > 0 && v[dq[len(dq)-1]] >= v[next] {
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, next)
		}
		for dq[0] < k-w {
			dq = dq[1:]
		}
		out[k] = v[dq[0]]
	}
	return out
}
