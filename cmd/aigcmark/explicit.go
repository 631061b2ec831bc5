package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/audio"
	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/cmd/internal/video"
	labelpkg "github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/cue"
	"github.com/aigcmark/aigcmark/label/visible/picture"
	"github.com/aigcmark/aigcmark/watermark"
	"github.com/aigcmark/aigcmark/watermark/pixel"
)

// Media kinds: which explicit label a file gets.
const (
	kindImage = "image"
	kindVideo = "video"
	kindAudio = "audio"
	kindText  = "text"
)

// explicitOptions are the label command's flags for explicit labels.
type explicitOptions struct {
	Mode             string // "auto" or "none"
	Text             string
	Position         string
	Size             float64
	Font             string
	Quality          int
	MaxPixels        int64
	CRF              int
	Preset           string
	ExplicitDuration time.Duration
	AudioCue         string
	AudioCueMode     string
	VoicePrompt      string
	Prompt           string
	PromptPosition   string
}

// explicitSetup is explicitOptions checked once for the whole batch.
type explicitSetup struct {
	o        explicitOptions
	renderer visible.Renderer
	audio    audio.Options
	prompt   visible.PromptOptions
	none     bool           // --explicit none: no explicit label
	wm       *watermark.Key // --wm-key: the watermark key, nil for none
}

// setup checks the options; errors are usage errors.
func (o explicitOptions) setup() (*explicitSetup, error) {
	s := &explicitSetup{o: o}
	switch o.Mode {
	case "auto":
	case "none":
		s.none = true
		return s, nil
	default:
		return nil, fmt.Errorf("--explicit %q: use auto or none", o.Mode)
	}
	st := visible.Style{Text: o.Text, Size: o.Size}
	pos, err := visible.ParsePosition(o.Position)
	if err != nil {
		return nil, fmt.Errorf("--position: %w", err)
	}
	st.Position = pos
	if o.Font != "" {
		data, err := readBounded(o.Font, visible.MaxFontBytes)
		if err != nil {
			return nil, fmt.Errorf("--font: %w", err)
		}
		if st.Font, err = visible.LoadFont(data); err != nil {
			return nil, fmt.Errorf("--font %s: %w", o.Font, err)
		}
	}
	if s.renderer, err = st.Renderer(); err != nil {
		return nil, err
	}
	if o.Quality < 0 || o.Quality > 100 {
		return nil, fmt.Errorf("--quality %d is outside 1..100", o.Quality)
	}
	if o.ExplicitDuration != 0 && o.ExplicitDuration < video.MinExplicitDuration {
		return nil, fmt.Errorf("--explicit-duration %s is under the %s GB 45438-2025 asks for", o.ExplicitDuration, video.MinExplicitDuration)
	}
	if o.AudioCue == "none" {
		if o.VoicePrompt == "" {
			return nil, errors.New("--audio-cue none leaves audio without an explicit label: give --voice-prompt FILE, or --explicit none with --audit-log")
		}
		s.audio.NoRhythm = true
	} else if s.audio.Places, err = cue.ParsePlaces(o.AudioCue); err != nil {
		return nil, fmt.Errorf("--audio-cue: %w", err)
	}
	if s.audio.Mode, err = cue.ParseMode(o.AudioCueMode); err != nil {
		return nil, fmt.Errorf("--audio-cue-mode: %w", err)
	}
	if o.VoicePrompt != "" {
		if _, err := os.Stat(o.VoicePrompt); err != nil {
			return nil, fmt.Errorf("--voice-prompt: %w", err)
		}
		s.audio.VoicePrompt = o.VoicePrompt
	}
	if s.prompt, err = visible.NewPromptOptions(o.Prompt, o.PromptPosition); err != nil {
		return nil, fmt.Errorf("--prompt: %w", err)
	}
	return s, nil
}

// readBounded reads a whole file that must be at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, over the limit of %d", path, st.Size(), limit)
	}
	return os.ReadFile(path)
}

// mediaKind tells which explicit label a file of format gets, "" for none.
// An MP4 is video when it has a video stream that is not cover art.
func mediaKind(ctx context.Context, format labelpkg.Format, path string) (string, error) {
	switch format.Name() {
	case "jpeg", "png", "webp", "gif":
		return kindImage, nil
	case "wav", "mp3", "flac", "ogg":
		return kindAudio, nil
	case "markdown":
		return kindText, nil
	case "mp4":
		info, err := ffmpeg.Probe(ctx, path)
		if err != nil {
			return "", err
		}
		if info.Video() != nil {
			return kindVideo, nil
		}
		if info.FirstOf("audio") != nil {
			return kindAudio, nil
		}
		return "", nil
	}
	return "", nil
}

// explicitResult is what the explicit stage did to one file.
type explicitResult struct {
	path    string   // the intermediate file holding the result, "" when nothing was done
	applied []string // "text label at bottom-right", "watermark 0123…", …
	marked  bool     // the watermark was embedded
}

// staged reports whether a file of kind goes through the content stage:
// for its explicit label, or for the watermark (pictures).
func (s *explicitSetup) staged(kind string) bool {
	switch {
	case kind == "":
		return false
	case !s.none:
		return true
	}
	return s.wm != nil && (kind == kindImage || kind == kindVideo)
}

// apply writes the explicitly labeled (and, with a key, watermarked with
// payload) version of the file at in, of the given kind, to a new
// intermediate file beside target, and returns it. The caller removes it.
func (s *explicitSetup) apply(ctx context.Context, in, target, kind string, payload watermark.Payload, jobProgress func(name string, total int64) (func(int64, int64), func())) (explicitResult, error) {
	inter, err := intermediate(target)
	if err != nil {
		return explicitResult{}, err
	}
	keep := false
	defer func() {
		if !keep {
			os.Remove(inter)
		}
	}()
	var res explicitResult
	var applied string
	switch kind {
	case kindImage:
		res, err = s.image(ctx, in, inter, payload)
	case kindVideo:
		res, err = s.video(ctx, in, inter, payload, jobProgress)
	case kindAudio:
		applied, err = s.audioCue(ctx, in, inter)
	case kindText:
		applied, err = s.text(in, inter)
	default:
		return explicitResult{}, fmt.Errorf("no explicit label for %s", kind)
	}
	if err != nil {
		return explicitResult{}, err
	}
	if applied != "" {
		res.applied = append(res.applied, applied)
	}
	if s.wm != nil && !res.marked && kind != kindImage {
		res.applied = append(res.applied, "no watermark ("+kind+" files do not carry one yet)")
	}
	if res.path = inter; len(res.applied) == 0 || res.applied[0] == "" {
		res.path = "" // nothing was done to the content
		return res, nil
	}
	keep = true
	return res, nil
}

// intermediate creates an empty file beside target for a stage's output,
// with target's extension (ffmpeg picks muxers by it).
func intermediate(target string) (string, error) {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating the folder for %s: %w", target, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.aigcmark-tmp"+filepath.Ext(target))
	if err != nil {
		return "", fmt.Errorf("creating a temporary file for %s: %w", target, err)
	}
	f.Close()
	return f.Name(), nil
}

// transform runs fn from the file in to the existing file out.
func transform(in, out string, fn func(dst io.Writer, src io.ReadSeeker) error) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(out, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	err = fn(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

// image draws the label and, with a key, embeds the watermark first. A
// picture that cannot carry the mark (palettes, animations) still gets its
// label, and the result says so.
func (s *explicitSetup) image(ctx context.Context, in, out string, payload watermark.Payload) (explicitResult, error) {
	var render visible.Renderer
	if !s.none {
		render = s.renderer
	}
	opts := picture.Options{MaxPixels: s.o.MaxPixels, Quality: s.o.Quality}
	if s.wm != nil {
		opts.Mark = markWith(*s.wm, payload)
	}
	var info picture.Info
	label := func() error {
		return transform(in, out, func(dst io.Writer, src io.ReadSeeker) (err error) {
			info, err = picture.Label(ctx, dst, src, render, opts)
			return err
		})
	}
	err := label()
	var res explicitResult
	if opts.Mark != nil && (errors.Is(err, labelpkg.ErrUnsupported) || errors.Is(err, watermark.ErrTooSmall)) {
		res.applied = append(res.applied, "no watermark ("+describe(err, in)+")")
		if render == nil {
			return res, nil // nothing else to do to the pixels
		}
		opts.Mark = nil
		err = label()
	}
	if err != nil {
		return res, err
	}
	var what []string
	if render != nil {
		w := fmt.Sprintf("text label at %s", s.position())
		if info.Frames > 1 {
			w += fmt.Sprintf(" on %d frames", info.Frames)
		}
		what = append(what, w)
	}
	if info.Marked {
		res.marked = true
		what = append(what, "watermark "+payload.String())
	}
	if info.Quality > 0 {
		what[len(what)-1] += fmt.Sprintf(", quality %d", info.Quality)
	}
	res.applied = append(what, res.applied...)
	// Read the output once and check what was put into its pixels.
	img, err := decodePicture(ctx, out, s.o.MaxPixels)
	if err != nil {
		return res, fmt.Errorf("decoding the labeled picture: %w", err)
	}
	if render != nil {
		err = checkImageLabel(img)
	}
	if err == nil && info.Marked {
		_, err = checkImageMark(img, *s.wm, payload)
	}
	return res, err
}

// checkImageMark reads the watermark back from an output picture.
func checkImageMark(img image.Image, key watermark.Key, payload watermark.Payload) (watermark.Result, error) {
	res, err := pixel.Detect(img, key, pixel.Options{})
	if err != nil {
		return res, fmt.Errorf("the watermark does not read back from the output: %w", err)
	}
	if res.Payload != payload {
		return res, fmt.Errorf("the watermark reads back as %s, wrote %s", res.Payload, payload)
	}
	return res, nil
}

func (s *explicitSetup) position() string {
	p, _ := visible.ParsePosition(s.o.Position)
	return p.String()
}

// checkImageLabel measures the label in an output picture from its pixels:
// it must be found, and its text must be at least 5 % of the shortest side.
func checkImageLabel(img image.Image) error {
	found, ok := visible.Locate(img)
	if !ok {
		return errors.New("the explicit label cannot be found in the labeled picture")
	}
	if found.InkHeight < visible.MinSize {
		return fmt.Errorf("the explicit label's text is %.3f of the shortest side, under %.2f", found.InkHeight, visible.MinSize)
	}
	return nil
}

// video draws the label on the frames and, with a key, marks every frame
// first. A video too small or too deep (10-bit) for the mark keeps its
// label, and the result says so.
func (s *explicitSetup) video(ctx context.Context, in, out string, payload watermark.Payload, jobProgress func(string, int64) (func(int64, int64), func())) (explicitResult, error) {
	var render visible.Renderer
	if !s.none {
		render = s.renderer
	}
	opts := video.Options{CRF: s.o.CRF, Preset: s.o.Preset, ExplicitDuration: s.o.ExplicitDuration}
	if s.wm != nil {
		opts.Watermark = video.PixelWatermark(*s.wm, payload, pixel.Options{})
	}
	run := func() (video.Result, error) {
		update, finish := jobProgress(filepath.Base(in), 0)
		defer finish()
		opts.Progress = update
		return video.Label(ctx, in, out, render, opts)
	}
	r, err := run()
	var res explicitResult
	if opts.Watermark != nil && (errors.Is(err, labelpkg.ErrUnsupported) || errors.Is(err, watermark.ErrTooSmall)) {
		res.applied = append(res.applied, "no watermark ("+describe(err, in)+")")
		if render == nil {
			return res, nil
		}
		opts.Watermark = nil
		r, err = run()
	}
	if err != nil {
		return res, err
	}
	var what []string
	if render != nil {
		what = append(what, fmt.Sprintf("text label at %s on %d of %d frames", s.position(), r.Labeled, r.Frames))
	}
	if r.Marked > 0 {
		res.marked = true
		what = append(what, fmt.Sprintf("watermark %s on %d frames", payload, r.Marked))
	}
	res.applied = append(what, res.applied...)
	return res, nil
}

func (s *explicitSetup) audioCue(ctx context.Context, in, out string) (string, error) {
	res, err := audio.Label(ctx, in, out, s.audio)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, c := range res.Cues {
		parts = append(parts, fmt.Sprintf("%s (%.1fs)", c.Place, c.At.Seconds()))
	}
	what := "AI rhythm"
	if s.audio.NoRhythm {
		what = "voice prompt"
	} else if s.audio.VoicePrompt != "" {
		what = "AI rhythm and voice prompt"
	}
	how := "inserted"
	if s.audio.Mode == cue.Mix {
		how = "mixed"
	}
	return fmt.Sprintf("%s %s at %s", what, how, strings.Join(parts, ", ")), nil
}

func (s *explicitSetup) text(in, out string) (string, error) {
	po := s.prompt
	switch strings.ToLower(filepath.Ext(in)) {
	case ".md", ".markdown", ".mdown", ".mkd", ".mdx":
		po.Markdown = true
	}
	err := transform(in, out, func(dst io.Writer, src io.ReadSeeker) error { return visible.AddPrompt(dst, src, po) })
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("text prompt at %s", s.prompt.Position), nil
}

// decodePicture decodes the picture at path as the viewer sees it.
// pictureFile decodes the picture at path at most once, for the checks
// that read the same file (the explicit label, the watermark, the face
// evidence).
type pictureFile struct {
	path string
	max  int64
	once sync.Once
	img  image.Image
	err  error
}

func newPictureFile(path string, maxPixels int64) *pictureFile {
	return &pictureFile{path: path, max: maxPixels}
}

// decode returns the decoded picture, or the error decoding gave.
func (p *pictureFile) decode(ctx context.Context) (image.Image, error) {
	p.once.Do(func() { p.img, p.err = decodePicture(ctx, p.path, p.max) })
	return p.img, p.err
}

func decodePicture(ctx context.Context, path string, maxPixels int64) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return picture.Decode(ctx, f, maxPixels)
}
