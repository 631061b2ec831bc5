// Package visible makes the explicit labels of GB 45438-2025 clause 5: text
// on images and video frames, and text prompts in text. (Audio cues live in
// label/visible/cue.)
package visible

import "image"

// An Overlay is an explicit label rendered for one picture size: the label
// image (plate and text, non-premultiplied alpha) and where its top-left
// corner goes, in the picture as the viewer sees it (after any EXIF or
// display-matrix rotation).
type Overlay struct {
	Image *image.NRGBA
	At    image.Point
}

// Bounds is the rectangle the overlay covers in viewer coordinates.
func (o Overlay) Bounds() image.Rectangle {
	return o.Image.Bounds().Sub(o.Image.Bounds().Min).Add(o.At)
}

// A Renderer renders the overlay for a picture of w×h pixels as the viewer
// sees it.
type Renderer func(w, h int) (Overlay, error)
