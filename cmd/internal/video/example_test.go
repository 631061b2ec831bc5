package video_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/video"
	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/visible"
)

func ExampleLabel() {
	// A stand-in for the text renderer: a white plate 6 % of the shortest
	// side high at the bottom-right corner.
	plate := func(w, h int) (visible.Overlay, error) {
		s := max(min(w, h)*6/100, 1)
		m := image.NewNRGBA(image.Rect(0, 0, 3*s, s))
		for i := range m.Pix {
			m.Pix[i] = 255
		}
		m.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})
		return visible.Overlay{Image: m, At: image.Pt(w-4*s, h-2*s)}, nil
	}
	dir, err := os.MkdirTemp("", "video-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "labeled.mp4")
	res, err := video.Label(context.Background(), fixtures.Path("mp4/faststart.mp4"), out, plate,
		video.Options{ExplicitDuration: 2 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %dx%d: %d frames, %d with the label at %v\n", res.Container, res.Width, res.Height, res.Frames, res.Labeled, res.Overlay)
	// Output:
	// mp4 128x96: 30 frames, 30 with the label at (108,86)-(123,91)
}
