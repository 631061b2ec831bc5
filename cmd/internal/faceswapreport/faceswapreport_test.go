package faceswapreport_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"regexp"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/cmd/internal/faceswapreport"
	"github.com/aigcmark/aigcmark/detect/faceswap"
)

// page is a video page with two frames, one of them without a face.
func page(path string) faceswapreport.Page {
	img := image.NewRGBA(image.Rect(0, 0, 1600, 900))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{90, 120, 150, 255}), image.Point{}, draw.Src)
	face := faceswap.Face{Box: faceswap.Box{X: 700, Y: 300, W: 200, H: 200}, Usable: true, Score: 0.7,
		Cues: map[string]faceswap.Cue{faceswap.CueBoundary: {Score: 0.9, Why: "a <ring> & more"}, "new_cue": {Score: 0.1, Why: "later"}}}
	return faceswapreport.Page{
		Path: path, Kind: "video", FrameThreshold: 0.55, Sampling: "every frame", Duration: 1, Generator: "test",
		Result: &faceswap.Result{Verdict: faceswap.LikelyManipulated, Score: 0.8, Reason: "because",
			OperatingPoint: faceswap.OperatingPoint{Threshold: 0.04},
			Faces:          []faceswap.Face{face},
			Frames:         []faceswap.Frame{{T: 0, Score: -1}, {T: 0.5, Score: 0.7}},
			Tracks: []faceswap.Track{{ID: 1, Start: 0.5, End: 0.5, Frames: 1, Score: 0.8,
				Cues: map[string]faceswap.Cue{faceswap.CueFlicker: {Why: "only 1 usable frame"}}}}},
		KeyFrames: []faceswapreport.KeyFrame{{Why: "first frame", Image: img}, {Why: "highest-scoring frame", T: 0.5, Image: img, Faces: []faceswap.Face{face}}},
	}
}

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	if err := faceswapreport.Write(&b, page(`clip<script>alert(1)</script>.mp4`)); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		`clip&lt;script&gt;alert(1)&lt;/script&gt;.mp4`, // the path is text, not markup
		`a &lt;ring&gt; &amp; more`,
		`<svg id="timeline"`, `class="threshold"`, `operating point 0.550`,
		`Likely manipulated`, `not proof`, `face-track score`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("the path was written as markup")
	}
	// One point for the scored frame, one grey tick for the other.
	if n := strings.Count(html, "<circle "); n != 1 {
		t.Errorf("%d points", n)
	}
	// Cue rows: the face's two (the unknown one last) and the track's one.
	rows := regexp.MustCompile(`<tr class="cue-row"><td class="cue">(\w+)</td>`).FindAllStringSubmatch(html, -1)
	var names []string
	for _, r := range rows {
		names = append(names, r[1])
	}
	if got := strings.Join(names, " "); got != "temporal_flicker blend_boundary new_cue" {
		t.Errorf("cue rows %q", got)
	}
	// Key frames are scaled to MaxImageWidth.
	if n := strings.Count(html, fmt.Sprintf(`width="%d" height="405"`, faceswapreport.MaxImageWidth)); n != 2 {
		t.Errorf("%d key frames at %d px", n, faceswapreport.MaxImageWidth)
	}
}

func TestWriteRefuses(t *testing.T) {
	p := page("x.mp4")
	p.Result = nil
	if err := faceswapreport.Write(&bytes.Buffer{}, p); !errors.Is(err, faceswapreport.ErrNoResult) {
		t.Errorf("no result: %v", err)
	}
	p = page("x.mp4")
	p.KeyFrames[0].Image = image.NewRGBA(image.Rect(0, 0, 0, 0))
	if err := faceswapreport.Write(&bytes.Buffer{}, p); err == nil || !strings.Contains(err.Error(), "key frame 0") {
		t.Errorf("empty key frame: %v", err)
	}
}

func ExampleWrite() {
	var b bytes.Buffer
	if err := faceswapreport.Write(&b, page("clip.mp4")); err != nil {
		panic(err)
	}
	html := b.String()
	fmt.Println(strings.HasPrefix(html, "<!DOCTYPE html>"), strings.Count(html, "<img "), strings.Contains(html, "<script"))
	// Output: true 2 false
}
