package cue

import (
	"math"
	"math/rand/v2"
)

// Test signals: mono at rate Hz unless said otherwise.

func silence(rate int, sec float64) []float32 { return make([]float32, int(sec*float64(rate))) }

func cat(parts ...[]float32) []float32 {
	var out []float32
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func mono(rate int) []float32 {
	c, err := Generate(rate, 1)
	if err != nil {
		panic(err)
	}
	return c
}

// tone is a sine of amplitude amp with 5 ms raised-cosine fades.
func tone(rate int, freq, amp, sec float64) []float32 {
	n := int(sec * float64(rate))
	f := Frames(Fade, rate)
	out := make([]float32, n)
	for i := range out {
		g := 1.0
		if i < f {
			g = 0.5 - 0.5*math.Cos(math.Pi*float64(i)/float64(f))
		} else if n-1-i < f {
			g = 0.5 - 0.5*math.Cos(math.Pi*float64(n-1-i)/float64(f))
		}
		out[i] = float32(g * amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// morse renders a Morse string ('.', '-', ' ' for a letter gap) with dot
// length dot seconds at freq.
func morse(rate int, code string, dot, freq float64) []float32 {
	var out []float32
	for i, c := range code {
		switch c {
		case '.':
			out = append(out, tone(rate, freq, 0.25, dot)...)
		case '-':
			out = append(out, tone(rate, freq, 0.25, 3*dot)...)
		case ' ':
			out = append(out, silence(rate, 2*dot)...) // plus the element gap: 3 dots
			continue
		}
		if i < len(code)-1 {
			out = append(out, silence(rate, dot)...)
		}
	}
	return out
}

func whiteNoise(rate int, sec, amp float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float32, int(sec*float64(rate)))
	for i := range out {
		out[i] = float32(amp * (2*r.Float64() - 1))
	}
	return out
}

// resonator filters x through a two-pole resonance at f Hz with bandwidth
// bw Hz, in place.
func resonator(x []float64, rate int, f, bw float64) {
	r := math.Exp(-math.Pi * bw / float64(rate))
	a1 := 2 * r * math.Cos(2*math.Pi*f/float64(rate))
	a2 := -r * r
	var y1, y2 float64
	for i, v := range x {
		y := (1-r)*v + a1*y1 + a2*y2
		x[i] = y
		y2, y1 = y1, y
	}
}

// speech is speech-like sound: syllables of a glottal pulse train (pitch
// gliding between 90 and 240 Hz) through three formant resonators set per
// vowel, with fricative noise, 100-350 ms long, separated by 40-400 ms
// pauses, normalised to peak 0.8.
func speech(rate int, sec float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 2))
	vowels := [][3]float64{{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240}, {530, 1840, 2480}, {570, 840, 2410}, {660, 1720, 2410}, {490, 1350, 1690}}
	n := int(sec * float64(rate))
	x := make([]float64, n)
	for p := 0; p < n; {
		syl := int((0.1 + 0.25*r.Float64()) * float64(rate))
		v := vowels[r.IntN(len(vowels))]
		f0a, f0b := 90+150*r.Float64(), 90+150*r.Float64()
		s := make([]float64, syl)
		phase := 0.0
		fric := r.IntN(3) == 0
		for i := range s {
			t := float64(i) / float64(syl)
			phase += (f0a + (f0b-f0a)*t) / float64(rate)
			if phase >= 1 {
				phase--
				s[i] = 1
			}
			if fric && t < 0.3 {
				s[i] += 0.3 * (2*r.Float64() - 1)
			}
		}
		for j, f := range v {
			ss := append([]float64(nil), s...)
			resonator(ss, rate, f, 80+40*float64(j))
			for i := range s {
				if j == 0 {
					s[i] = 0
				}
				s[i] += ss[i] / float64(j+1)
			}
		}
		for i := range s {
			t := float64(i) / float64(syl)
			env := math.Sin(math.Pi * t)
			if p+i < n {
				x[p+i] = s[i] * env
			}
		}
		p += syl + int((0.04+0.36*r.Float64())*float64(rate))
	}
	return normalise(x, 0.8)
}

// music is music-like sound: a melody of harmonic notes (pitches from a
// scale spanning 220-1400 Hz; with nearPitch, a quarter of them right next
// to 1 kHz: B5 987.8 Hz and C6 1046.5 Hz), 100-400 ms long in staccato and
// legato, with rests, over a soft chord, normalised to peak 0.9.
func music(rate int, sec float64, seed uint64, nearPitch bool) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	n := int(sec * float64(rate))
	x := make([]float64, n)
	scale := []int{0, 2, 4, 5, 7, 9, 11}
	for p := 0; p < n; {
		dur := []float64{0.1, 0.1, 0.2, 0.3, 0.4}[r.IntN(5)]
		m := int(dur * float64(rate))
		if r.IntN(5) > 0 { // a note, else a rest
			oct := r.IntN(3)
			semi := scale[r.IntN(len(scale))] + 12*oct + 3 // from C4
			if nearPitch && r.IntN(4) == 0 {
				semi = []int{26, 27}[r.IntN(2)] // B5 or C6
			}
			f := 220 * math.Pow(2, float64(semi)/12)
			staccato := r.IntN(2) == 0
			for i := 0; i < m && p+i < n; i++ {
				t := float64(i) / float64(rate)
				env := math.Exp(-3 * t)
				if staccato && float64(i) > 0.7*float64(m) {
					env *= math.Max(0, 1-(float64(i)-0.7*float64(m))/(0.1*float64(m)))
				}
				env *= math.Min(1, t/0.005)
				var v float64
				for h := 1; h <= 6; h++ {
					v += math.Sin(2*math.Pi*f*float64(h)*t) / float64(h)
				}
				x[p+i] += 0.5 * env * v
			}
		}
		p += m
	}
	for i := range x { // a soft A minor chord underneath
		t := float64(i) / float64(rate)
		x[i] += 0.05 * (math.Sin(2*math.Pi*220*t) + math.Sin(2*math.Pi*261.63*t) + math.Sin(2*math.Pi*329.63*t))
	}
	return normalise(x, 0.9)
}

func normalise(x []float64, peak float64) []float32 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v / m * peak)
	}
	return out
}

// stereo duplicates a mono signal into two channels.
func stereo(m []float32) []float32 {
	out := make([]float32, 2*len(m))
	for i, v := range m {
		out[2*i], out[2*i+1] = v, v
	}
	return out
}
