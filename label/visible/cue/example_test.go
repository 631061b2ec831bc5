package cue_test

import (
	"fmt"

	"github.com/aigcmark/aigcmark/label/visible/cue"
)

func Example() {
	// Render the cue for 16 kHz stereo, put it after a second of silence,
	// and find it again.
	const rate = 16000
	c, err := cue.Generate(rate, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	audio := append(make([]float32, 2*rate), c...)
	found, err := cue.Find(audio, rate, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range found {
		fmt.Println(g.Words(), g.Pattern())
		fmt.Println(g)
	}
	fmt.Println(cue.Duration())
	// Output:
	// short-long-short-short .- ..
	// 1.502s short(95ms) long(295ms) short(95ms) short(95ms)
	// 2.1s
}

func ExampleMixOver() {
	const rate = 8000
	c, _ := cue.Generate(rate, 1)
	content := make([]float32, len(c))
	for i := range content {
		content[i] = 1 // full scale
	}
	mixed := cue.MixOver(content, c, 1, rate)
	// From the first burst (0.5 s) to the end of the last (1.6 s):
	fmt.Printf("peak %.3f\n", cue.Peak(mixed[rate/2:rate*16/10]))
	// Output:
	// peak 0.990
}
