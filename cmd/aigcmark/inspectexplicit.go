package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/aigcmark/aigcmark/cmd/internal/audio"
	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/visible"
)

// explicitReport is the "explicit" member of an `inspect --json` line: the
// explicit label measured from the file's pixels, samples or text, never
// taken from metadata. Its shape is a contract documented in README.md.
type explicitReport struct {
	Kind  string `json:"kind"`  // "image", "video", "audio" or "text"
	Found bool   `json:"found"` // the label is there (for video: in every frame checked)
	// Images and video frames.
	Position   *string  `json:"position,omitempty"`    // corner or edge
	Plate      *[4]int  `json:"plate,omitempty"`       // x0, y0, x1, y1 of the plate, viewer pixels
	Ink        *[4]int  `json:"ink,omitempty"`         // x0, y0, x1, y1 of the text's ink
	TextHeight *float64 `json:"text_height,omitempty"` // ink height / shortest side
	// Video: the frames checked in the first 2 s.
	Frames []frameReport `json:"frames,omitempty"`
	// Audio: every "AI" rhythm found.
	Cues []cueReport `json:"cues,omitempty"`
	// Text: where a prompt that meets clause 5 was found.
	Prompt []string `json:"prompt,omitempty"` // "start", "end"
	Error  *string  `json:"error,omitempty"`
}

type frameReport struct {
	T          float64  `json:"t"` // seconds from the start
	Found      bool     `json:"found"`
	Position   *string  `json:"position,omitempty"`
	TextHeight *float64 `json:"text_height,omitempty"`
}

type cueReport struct {
	At      float64 `json:"at"`      // seconds: start of the first burst
	Pattern string  `json:"pattern"` // ".- .." for the AI rhythm
}

// inspectExplicit measures the explicit label of the file at path (pic
// decodes it when it is a picture).
func inspectExplicit(ctx context.Context, format label.Format, path string, pic *pictureFile) *explicitReport {
	kind, err := mediaKind(ctx, format, path)
	if kind == "" && err == nil {
		return nil
	}
	r := &explicitReport{Kind: kind}
	if err == nil {
		switch kind {
		case kindImage:
			err = r.image(ctx, pic)
		case kindVideo:
			err = r.video(ctx, path)
		case kindAudio:
			err = r.audio(ctx, path)
		case kindText:
			err = r.text(path)
		}
	}
	if err != nil {
		s := err.Error()
		r.Error = &s
	}
	return r
}

func (r *explicitReport) setFound(f visible.Found) {
	pos := f.Position.String()
	h := round4(f.InkHeight)
	r.Found, r.Position, r.TextHeight = true, &pos, &h
	r.Plate = &[4]int{f.Plate.Min.X, f.Plate.Min.Y, f.Plate.Max.X, f.Plate.Max.Y}
	r.Ink = &[4]int{f.Ink.Min.X, f.Ink.Min.Y, f.Ink.Max.X, f.Ink.Max.Y}
}

func round4(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 64)
	return v
}

// image decodes the picture as the viewer sees it (EXIF orientation
// applied) and looks for the label in its pixels.
func (r *explicitReport) image(ctx context.Context, pic *pictureFile) error {
	img, err := pic.decode(ctx)
	if err != nil {
		return err
	}
	if found, ok := visible.Locate(img); ok {
		r.setFound(found)
	}
	return nil
}

// video checks frames at 0 s, 1 s and 1.9 s (those within the video), as
// the viewer sees them (ffmpeg applies the rotation).
func (r *explicitReport) video(ctx context.Context, path string) error {
	info, err := ffmpeg.Probe(ctx, path)
	if err != nil {
		return err
	}
	times := []float64{0}
	for _, t := range []float64{1, 1.9} {
		if info.Duration == 0 || t < info.Duration-0.05 {
			times = append(times, t)
		}
	}
	r.Found = true
	for _, t := range times {
		img, err := videoFrame(ctx, path, t)
		if err != nil {
			return err
		}
		fr := frameReport{T: t}
		if found, ok := visible.Locate(img); ok {
			pos := found.Position.String()
			h := round4(found.InkHeight)
			fr.Found, fr.Position, fr.TextHeight = true, &pos, &h
			if t == 0 {
				r.setFound(found)
			}
		}
		r.Found = r.Found && fr.Found
		r.Frames = append(r.Frames, fr)
	}
	if !r.Found {
		r.Position, r.Plate, r.Ink, r.TextHeight = nil, nil, nil, nil
	}
	return nil
}

// videoFrame decodes the frame shown at t seconds, rotated for the viewer.
func videoFrame(ctx context.Context, path string, t float64) (image.Image, error) {
	out, err := ffmpeg.Command(ctx, "ffmpeg", "-v", "error", "-ss", strconv.FormatFloat(t, 'f', 3, 64), "-i", path,
		"-map", "0:v:0", "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-").Output()
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ffmpeg gave no frame at %.3fs", t)
	}
	return png.Decode(bytes.NewReader(out))
}

func (r *explicitReport) audio(ctx context.Context, path string) error {
	groups, err := audio.Inspect(ctx, path)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.Pattern() == ".- .." {
			r.Found = true
		}
		r.Cues = append(r.Cues, cueReport{At: round4(g.Start().Seconds()), Pattern: g.Pattern()})
	}
	return nil
}

// promptWindow is how far from the start and the end of a text file a
// prompt is looked for.
const promptWindow = 4 << 10

// text looks for a line meeting the clause 5 text rule near the start
// (after any front matter) and near the end of the file.
func (r *explicitReport) text(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	head := make([]byte, min(st.Size(), promptWindow+int64(label.MaxMetadata)))
	if _, err := io.ReadFull(f, head); err != nil {
		return err
	}
	body := skipFrontMatter(head)
	if line, ok := firstLine(body[:min(len(body), promptWindow)]); ok && visible.CheckText(line) == nil {
		r.Prompt = append(r.Prompt, "start")
	}
	tailLen := min(st.Size(), promptWindow)
	tail := make([]byte, tailLen)
	if _, err := f.ReadAt(tail, st.Size()-tailLen); err != nil && err != io.EOF {
		return err
	}
	if line, ok := lastLine(tail); ok && visible.CheckText(line) == nil {
		r.Prompt = append(r.Prompt, "end")
	}
	r.Found = len(r.Prompt) > 0
	return nil
}

// skipFrontMatter returns b after a leading YAML front matter block.
func skipFrontMatter(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if !bytes.HasPrefix(b, []byte("---\n")) && !bytes.HasPrefix(b, []byte("---\r\n")) {
		return b
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(make([]byte, 64<<10), len(b)+1)
	n := 0
	first := true
	for s.Scan() {
		line := s.Text()
		n += len(line) + 1
		if first {
			first = false
			continue
		}
		if t := strings.TrimRight(line, "\r "); t == "---" || t == "..." {
			return b[min(n, len(b)):]
		}
	}
	return b
}

// firstLine returns the first line of b that is not blank, trimmed.
func firstLine(b []byte) (string, bool) {
	for _, line := range strings.Split(string(b), "\n") {
		if t := strings.TrimSpace(line); t != "" {
			return t, true
		}
	}
	return "", false
}

// lastLine returns the last line of b that is not blank, trimmed.
func lastLine(b []byte) (string, bool) {
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return t, true
		}
	}
	return "", false
}
