// Package visible makes the explicit labels of GB 45438-2025 clause 5: text
// on images and video frames, and text prompts in text. (Audio cues live in
// label/visible/cue.) The project's summary of the rules is
// shared/spec/GB45438.md, section 2.
//
// Label text must hold an AI element ("人工智能" or "AI") and a generation
// element ("生成" or "合成"): CheckText says so with a *TextError that quotes
// the rule.
//
// A Style renders an Overlay for a picture size: white text on a black
// plate of opacity PlateAlpha (72 %), padded by PadX and PadY of the ink
// height, MarginFraction (2 %) of the shortest side from the picture's
// edges, at one of eight Positions (default bottom-right). The font size is
// found by measuring the drawn pixels: the rows with a pixel at least half
// covered span at least Size (default 0.06, at least 0.05) of the picture's
// shortest side, and at least MinInkPixels. The plate keeps at most 28 % of
// the picture under it, so the text's WCAG contrast is at least 9.3:1 on any
// picture. Text the font has no glyph for is refused, never drawn as boxes.
// The embedded font is a subset of Noto Sans CJK SC Bold (SIL Open Font
// License; font/gen.sh rebuilds it); LoadFont reads others.
//
// DrawOver composites an overlay in place (the per-frame path for video);
// Composite returns a new image and leaves its input alone. Locate finds a
// label drawn this way in a picture's pixels and measures it. AddPrompt
// adds a text prompt (default DefaultPrompt) to plain text or Markdown,
// after any YAML front matter.
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
