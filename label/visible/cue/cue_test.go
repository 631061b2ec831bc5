package cue

import (
	"math"
	"strings"
	"testing"
	"time"
)

// goertzel returns the amplitude of the frequency f in s (Hann window).
func goertzel(s []float32, rate int, f float64) float64 {
	c := 2 * math.Cos(2*math.Pi*f/float64(rate))
	var s1, s2, sw float64
	for i, v := range s {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(len(s)))
		sw += w
		x := float64(v)*w + c*s1 - s2
		s2, s1 = s1, x
	}
	return 2 * math.Sqrt(math.Max(s1*s1+s2*s2-c*s1*s2, 0)) / sw
}

func near(got, want, tol time.Duration) bool { return got >= want-tol && got <= want+tol }

// TestGenerate measures the rendered cue: its length, that every channel
// holds the same signal, its peak level, its pitch, and — through the
// detector — four bursts reading short, long, short, short at the right
// times.
func TestGenerate(t *testing.T) {
	for _, tc := range []struct{ rate, channels int }{{8000, 1}, {22050, 2}, {44100, 2}, {48000, 6}, {96000, 1}} {
		c, err := Generate(tc.rate, tc.channels)
		if err != nil {
			t.Fatal(err)
		}
		frames := len(c) / tc.channels
		if got := time.Duration(frames) * time.Second / time.Duration(tc.rate); !near(got, 2100*time.Millisecond, time.Millisecond) {
			t.Errorf("%d Hz: cue lasts %v, want 2.1 s", tc.rate, got)
		}
		ch0 := make([]float32, frames)
		for f := range frames {
			ch0[f] = c[f*tc.channels]
			for k := 1; k < tc.channels; k++ {
				if c[f*tc.channels+k] != ch0[f] {
					t.Fatalf("%d Hz: channel %d differs from channel 0 at frame %d", tc.rate, k, f)
				}
			}
		}
		if p := 20 * math.Log10(float64(Peak(c))); math.Abs(p-LevelDBFS) > 0.1 {
			t.Errorf("%d Hz: peak %.2f dBFS, want %.1f", tc.rate, p, LevelDBFS)
		}
		// The dash (700-1000 ms), its middle 200 ms: the energy is at the pitch.
		dash := ch0[Frames(750*time.Millisecond, tc.rate):Frames(950*time.Millisecond, tc.rate)]
		if a := goertzel(dash, tc.rate, Pitch); math.Abs(20*math.Log10(a)-LevelDBFS) > 0.2 {
			t.Errorf("%d Hz: %.0f Hz at %.2f dBFS in the dash", tc.rate, Pitch, 20*math.Log10(a))
		}
		gs, err := Find(c, tc.rate, tc.channels)
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != 1 {
			t.Fatalf("%d Hz: found %d cues in the cue", tc.rate, len(gs))
		}
		g := gs[0]
		if g.Words() != "short-long-short-short" {
			t.Errorf("%d Hz: reads %s", tc.rate, g.Words())
		}
		starts := []time.Duration{500, 700, 1300, 1500}
		lengths := []time.Duration{100, 300, 100, 100}
		for i, b := range g.Bursts {
			// Between half-amplitude points a burst is one fade shorter.
			if !near(b.Start, starts[i]*time.Millisecond+Fade/2, 3*time.Millisecond) ||
				!near(b.Length, lengths[i]*time.Millisecond-Fade, 3*time.Millisecond) {
				t.Errorf("%d Hz: burst %d at %v lasting %v, want %v lasting %v", tc.rate, i, b.Start, b.Length,
					starts[i]*time.Millisecond, lengths[i]*time.Millisecond)
			}
		}
	}
}

func TestGenerateBadFormat(t *testing.T) {
	for _, tc := range []struct{ rate, channels int }{{3999, 1}, {48000, 0}, {48000, MaxChannels + 1}, {0, 2}, {MaxRate + 1, 1}} {
		if _, err := Generate(tc.rate, tc.channels); err == nil || !strings.Contains(err.Error(), "cue: unsupported audio format") {
			t.Errorf("Generate(%d, %d): %v", tc.rate, tc.channels, err)
		}
	}
}

// hardGated is the cue's rhythm without fades: the reference a click test
// must fail on.
func hardGated(rate int) []float32 {
	return cat(silence(rate, 0.5), tone(rate, Pitch, float64(Amplitude), 0.1)[:0],
		gate(rate, 0.1), silence(rate, 0.1), gate(rate, 0.3), silence(rate, 0.3),
		gate(rate, 0.1), silence(rate, 0.1), gate(rate, 0.1), silence(rate, 0.5))
}

func gate(rate int, sec float64) []float32 {
	out := make([]float32, int(sec*float64(rate)))
	for i := range out {
		out[i] = Amplitude * float32(math.Sin(2*math.Pi*Pitch*float64(i)/float64(rate)+0.7))
	}
	return out
}

// clicks measures the cue's burst edges: the largest jump between
// consecutive samples, relative to what a sine at the pitch and level can
// do, and the spectral splatter (the strongest component 300 Hz or more
// away from the pitch, relative to the pitch) around every edge.
func clicks(s []float32, rate int, away float64) (jump, splatter float64) {
	maxStep := float64(Amplitude) * 2 * math.Pi * Pitch / float64(rate)
	splatter = -200
	half := Frames(20*time.Millisecond, rate)
	for i := 1; i < len(s); i++ {
		jump = math.Max(jump, math.Abs(float64(s[i]-s[i-1]))/maxStep)
		if (s[i-1] == 0) != (s[i] == 0) && i >= half && i+half <= len(s) { // an edge
			w := s[i-half : i+half]
			ref := goertzel(w, rate, Pitch)
			for f := Pitch + away; f < float64(rate)/2*0.95; f += 25 {
				splatter = math.Max(splatter, 20*math.Log10(goertzel(w, rate, f)/ref+1e-12))
			}
			for f := Pitch - away; f > 50; f -= 25 {
				splatter = math.Max(splatter, 20*math.Log10(goertzel(w, rate, f)/ref+1e-12))
			}
		}
	}
	return jump, splatter
}

// TestNoClicks checks that every burst fades in and out: no step between
// samples larger than the sine itself makes, and little energy away from
// the pitch around the edges, where a gated tone splatters.
func TestNoClicks(t *testing.T) {
	for _, rate := range []int{8000, 48000} {
		jump, splatter := clicks(mono(rate), rate, 300)
		_, far := clicks(mono(rate), rate, 500)
		hj, hs := clicks(hardGated(rate), rate, 300)
		t.Logf("%d Hz: cue: step %.3f, splatter %.1f dB from 300 Hz away, %.1f dB from 500 Hz; hard gate: step %.1f, splatter %.1f dB",
			rate, jump, splatter, far, hj, hs)
		if splatter > -45 || far > -55 {
			t.Errorf("%d Hz: splatter at %.1f dB (300 Hz away), %.1f dB (500 Hz away) relative to the pitch", rate, splatter, far)
		}
		if hs <= -40 {
			t.Errorf("%d Hz: the hard-gated reference splatters at only %.1f dB: the test cannot tell", rate, hs)
		}
		// At 8 kHz a 1 kHz sine moves by 0.77 of its amplitude between
		// samples, so a step says little there; at 48 kHz it does.
		if rate == 48000 {
			if jump > 1.001 {
				t.Errorf("%d Hz: a step of %.2f times the sine's largest", rate, jump)
			}
			if hj <= 2 {
				t.Errorf("%d Hz: the hard-gated reference steps only %.2f: the test cannot tell", rate, hj)
			}
		}
	}
}

// TestNotACue runs the detector on sound that must not read as a cue.
func TestNotACue(t *testing.T) {
	rate := 16000
	for name, s := range map[string][]float32{
		"speech":                      speech(rate, 30, 1),
		"music":                       music(rate, 30, 1, true),
		"music, other seed":           music(rate, 30, 7, true),
		"white noise":                 whiteNoise(rate, 30, 0.5, 1),
		"quiet white noise":           whiteNoise(rate, 30, 0.01, 2),
		"continuous 1 kHz":            cat(silence(rate, 1), tone(rate, Pitch, 0.25, 8), silence(rate, 1)),
		"1 kHz from the first sample": tone(rate, Pitch, 0.9, 5),
		"beeps every second": func() []float32 {
			var s []float32
			for range 10 {
				s = append(s, cat(tone(rate, Pitch, 0.25, 0.2), silence(rate, 0.8))...)
			}
			return s
		}(),
		"B (-...)":              cat(silence(rate, 1), morse(rate, "-...", 0.1, Pitch), silence(rate, 1)),
		"U (..-)":               cat(silence(rate, 1), morse(rate, "..-", 0.1, Pitch), silence(rate, 1)),
		"L (.-..) no gap":       cat(silence(rate, 1), morse(rate, ".-..", 0.1, Pitch), silence(rate, 1)),
		"AIA (.- .. .-)":        cat(silence(rate, 1), morse(rate, ".- .. .-", 0.1, Pitch), silence(rate, 1)),
		"the rhythm at 1.5 kHz": cat(silence(rate, 1), morse(rate, ".- ..", 0.1, 1500), silence(rate, 1)),
	} {
		d, err := NewDetector(rate, 1)
		if err != nil {
			t.Fatal(err)
		}
		d.Write(s)
		if cues := d.Cues(); len(cues) > 0 {
			t.Errorf("%s: found %v", name, cues)
		}
		if strings.HasPrefix(name, "beeps") && len(d.Groups()) != 10 {
			t.Errorf("beeps: %d groups, want the 10 beeps, each alone", len(d.Groups()))
		}
		if strings.Contains(name, "(") && !strings.Contains(name, "kHz") {
			want := name[strings.Index(name, "(")+1 : strings.Index(name, ")")]
			if gs := d.Groups(); len(gs) != 1 || gs[0].Pattern() != strings.TrimSuffix(want, " no gap") {
				t.Errorf("%s: groups %v, want one reading %q", name, gs, want)
			}
		}
	}
}

// TestFindInContent finds cues inserted into and mixed over content, in
// stereo, at the times they were placed.
func TestFindInContent(t *testing.T) {
	rate := 44100
	c := mono(rate)
	sp := speech(rate, 6, 4)
	mu := music(rate, 6, 11, false)
	for _, tc := range []struct {
		name  string
		audio []float32
		at    []float64 // seconds where a cue (its lead-in) starts
	}{
		{"inserted at start, middle, end of speech", cat(c, sp[:3*rate], c, sp[3*rate:], c), []float64{0, 2.1 + 3, 4.2 + 6}},
		{"inserted into music", cat(mu[:2*rate], c, mu[2*rate:]), []float64{2}},
		{"mixed over speech", cat(sp[:rate], MixOver(sp[rate:], c, 1, rate)), []float64{1}},
		{"mixed over music", MixOver(mu, c, 1, rate), []float64{0}},
		{"in -30 dBFS noise", MixOver(whiteNoise(rate, 4, 0.03, 5), cat(silence(rate, 1), c), 1, rate), []float64{1}},
		{"at 1/10 the level", cat(sp[:rate], scale(c, 0.1), sp[rate:]), []float64{1}},
	} {
		gs, err := Find(stereo(tc.audio), rate, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != len(tc.at) {
			t.Errorf("%s: found %d cues %v, want %d", tc.name, len(gs), gs, len(tc.at))
			continue
		}
		for i, g := range gs {
			want := time.Duration((tc.at[i] + LeadIn.Seconds()) * float64(time.Second))
			if !near(g.Start(), want, 10*time.Millisecond) {
				t.Errorf("%s: cue %d at %v, want %v", tc.name, i, g.Start(), want)
			}
		}
	}
}

func scale(s []float32, g float32) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = v * g
	}
	return out
}

// TestMixOverNeverClips mixes the cue over full-scale content: the result
// stays under full scale, the content outside the cue is untouched, and
// the cue is found.
func TestMixOverNeverClips(t *testing.T) {
	rate := 48000
	c := stereo(mono(rate))
	n := len(c)/2 + rate
	for name, content := range map[string][]float32{
		"full-scale square": func() []float32 {
			s := make([]float32, 2*n)
			for i := range s {
				s[i] = float32(1 - 2*((i/2/24)%2))
			}
			return s
		}(),
		"full-scale sine": stereo(tone(rate, 440, 1, float64(n)/float64(rate))),
		"music":           stereo(music(rate, float64(n)/float64(rate), 3, false)),
	} {
		out := MixOver(content, c, 2, rate)
		if len(out) != len(content) {
			t.Fatalf("%s: %d samples out of %d", name, len(out), len(content))
		}
		// Where the cue sounds (from its first to its last non-zero
		// sample) the sum stays under full scale; elsewhere the content is
		// only ever turned down.
		first, last := -1, 0
		for i, v := range c {
			if v != 0 {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if p := Peak(out[first : last+1]); p > 0.99 {
			t.Errorf("%s: peak %.4f under the cue", name, p)
		}
		for i := range out {
			if abs32(out[i]) > max(abs32(content[i]), 0.99) {
				t.Fatalf("%s: sample %d is %.4f, content %.4f", name, i, out[i], content[i])
			}
		}
		for i := len(c); i < len(out); i++ {
			if out[i] != content[i] {
				t.Fatalf("%s: sample %d changed after the cue", name, i)
			}
		}
		if gs, _ := Find(out, rate, 2); len(gs) != 1 {
			t.Errorf("%s: found %v", name, gs)
		}
	}
}

// TestMixOverNotch mixes the cue over content holding a continuous 1 kHz
// tone and a 300 Hz tone: under the cue's lead-in the 1 kHz tone is gone,
// the 300 Hz tone only ducked, and the cue is found.
func TestMixOverNotch(t *testing.T) {
	rate := 48000
	c := mono(rate)
	sec := float64(len(c))/float64(rate) + 1
	content := make([]float32, int(sec*float64(rate)))
	a, b := tone(rate, Pitch, 0.4, sec), tone(rate, 300, 0.4, sec)
	for i := range content {
		content[i] = a[i] + b[i]
	}
	out := MixOver(content, c, 1, rate)
	lead := out[Frames(100*time.Millisecond, rate):Frames(400*time.Millisecond, rate)]
	if a := goertzel(lead, rate, Pitch); a > 0.4*0.02 {
		t.Errorf("1 kHz content at %.4f under the lead-in, want under %.4f", a, 0.4*0.02)
	}
	if a := goertzel(lead, rate, 300); a < 0.25 || a > 0.4 {
		t.Errorf("300 Hz content at %.4f under the lead-in, want 0.4 ducked by 2.6 dB and notched by 0.9 dB", a)
	}
	after := out[len(c)+rate/10:]
	if a := goertzel(after, rate, Pitch); math.Abs(a-0.4) > 0.01 {
		t.Errorf("1 kHz content at %.4f after the cue, want 0.4", a)
	}
	gs, _ := Find(out, rate, 1)
	if len(gs) != 1 || !near(gs[0].Start(), LeadIn, 10*time.Millisecond) {
		t.Errorf("found %v", gs)
	}
}

func TestMixOverDoesNotModifyInputs(t *testing.T) {
	content := []float32{0.5, 0.5, 0.5, 0.5}
	block := []float32{0, 0.2, 0.2, 0}
	out := MixOver(content, block, 1, 8000)
	if content[1] != 0.5 || block[1] != 0.2 || out[1] == 0.5 {
		t.Fatalf("content %v block %v out %v", content, block, out)
	}
}

func TestSplitPoint(t *testing.T) {
	rate := 16000
	loud := tone(rate, 300, 0.8, 1)
	// A 15 ms pause 200 ms before the centre of a 1 s loud window.
	w := append([]float32(nil), loud...)
	p := Frames(300*time.Millisecond, rate)
	for i := p; i < p+Frames(15*time.Millisecond, rate); i++ {
		w[i] = 0
	}
	if got := SplitPoint(w, 1, rate); got < p || got >= p+Frames(15*time.Millisecond, rate) {
		t.Errorf("split at %d, want inside the pause at %d", got, p)
	}
	// No pause: a zero crossing of the sine, near the quietest stretch.
	got := SplitPoint(loud, 1, rate)
	if math.Abs(float64(loud[got])) > 0.8*math.Sin(2*math.Pi*300/float64(rate)) {
		t.Errorf("split at %d where the signal is %.3f", got, loud[got])
	}
}

func TestRemix(t *testing.T) {
	st := []float32{1, 0, 0.5, 0.5}
	if got := Remix(st, 2, 1); len(got) != 2 || got[0] != 0.5 || got[1] != 0.5 {
		t.Errorf("stereo to mono: %v", got)
	}
	if got := Remix([]float32{0.25, -0.25}, 1, 3); len(got) != 6 || got[2] != 0.25 || got[3] != -0.25 {
		t.Errorf("mono to 3: %v", got)
	}
	if got := Remix(st, 2, 2); &got[0] == &st[0] || got[0] != 1 {
		t.Errorf("2 to 2 must copy: %v", got)
	}
}

// TestResample converts tones between rates: the frequency and level are
// kept, and a tone above the new Nyquist frequency is removed rather than
// aliased.
func TestResample(t *testing.T) {
	for _, tc := range []struct{ from, to int }{{48000, 44100}, {22050, 48000}, {16000, 8000}} {
		in := tone(tc.from, 1000, 0.5, 0.5)
		out := Resample(stereo(in), 2, tc.from, tc.to)
		if want := len(in) * tc.to / tc.from; len(out) != 2*want {
			t.Fatalf("%d→%d: %d samples, want %d", tc.from, tc.to, len(out), 2*want)
		}
		m := Remix(out, 2, 1)
		mid := m[len(m)/4 : 3*len(m)/4]
		if a := goertzel(mid, tc.to, 1000); math.Abs(a-0.5) > 0.005 {
			t.Errorf("%d→%d: 1 kHz at amplitude %.4f, want 0.5", tc.from, tc.to, a)
		}
	}
	high := tone(16000, 6000, 0.5, 0.5) // above 4 kHz, the Nyquist frequency at 8 kHz
	out := Resample(high, 1, 16000, 8000)
	mid := out[len(out)/4 : 3*len(out)/4]
	if p := Peak(mid); p > 0.005 {
		t.Errorf("6 kHz resampled to 8 kHz left a peak of %.4f (aliasing)", p)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]string{"": "start", "start": "start", "end,start": "start end",
		" middle , END ": "middle end", "start,end,middle": "start middle end", "start,start": "start"} {
		ps, err := ParsePlaces(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var s []string
		for _, p := range ps {
			s = append(s, p.String())
		}
		if strings.Join(s, " ") != want {
			t.Errorf("%q: %v, want %s", in, s, want)
		}
	}
	if _, err := ParsePlaces("start,begin"); err == nil || !strings.Contains(err.Error(), `"begin"`) {
		t.Errorf("unknown place: %v", err)
	}
	for in, want := range map[string]Mode{"": Insert, "insert": Insert, "MIX": Mix} {
		if m, err := ParseMode(in); err != nil || m != want {
			t.Errorf("%q: %v %v", in, m, err)
		}
	}
	if _, err := ParseMode("overlay"); err == nil {
		t.Error("unknown mode accepted")
	}
}

// Low-bitrate codecs smear bursts: Vorbis at 24 kbit/s (22 kHz mono) turned
// one 95 ms dot into 162 ms. A dot stretched to 1.7 dots still reads short.
func TestFindSmearedDot(t *testing.T) {
	const rate = 22050
	dot := 0.1
	s := cat(silence(rate, 0.5),
		tone(rate, Pitch, 0.25, dot), silence(rate, dot), tone(rate, Pitch, 0.25, 3*dot), silence(rate, 3*dot),
		tone(rate, Pitch, 0.25, 1.7*dot), silence(rate, dot), tone(rate, Pitch, 0.25, dot),
		silence(rate, 0.5))
	groups, err := Find(s, rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || !groups[0].IsCue() {
		t.Fatalf("found %v, want one cue", groups)
	}
}
