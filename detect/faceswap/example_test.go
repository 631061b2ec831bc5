package faceswap_test

import (
	"context"
	"fmt"
	"image/jpeg"
	"os"

	"github.com/aigcmark/aigcmark/detect/faceswap"
)

func ExampleDetector_AnalyzeImage() {
	f, err := os.Open("testdata/astronaut.jpg")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		panic(err)
	}
	d, err := faceswap.New(faceswap.Options{})
	if err != nil {
		panic(err)
	}
	r, err := d.AnalyzeImage(context.Background(), img)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Verdict, len(r.Faces), r.Faces[0].Usable, len(r.Faces[0].Cues))
	// Output: no_evidence 1 true 6
}

func ExampleDetector_NewVideo() {
	d, err := faceswap.New(faceswap.Options{})
	if err != nil {
		panic(err)
	}
	f, err := os.Open("testdata/hopper.jpg")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		panic(err)
	}
	v := d.NewVideo()
	for i := 0; i < 4; i++ { // a still frame shown for two seconds
		if err := v.Add(context.Background(), float64(i)/2, img); err != nil {
			panic(err)
		}
	}
	r := v.Result()
	fmt.Println(len(r.Frames), len(r.Tracks), r.Tracks[0].Frames)
	// Output: 4 1 4
}
