package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/batch"
	"github.com/aigcmark/aigcmark/cmd/internal/fileset"
	"github.com/aigcmark/aigcmark/cmd/internal/safewrite"
	"github.com/aigcmark/aigcmark/cmd/internal/video"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/visible/picture"
	"github.com/aigcmark/aigcmark/watermark"
	"github.com/aigcmark/aigcmark/watermark/pixel"
)

type detectOptions struct {
	Key       string
	JSON      bool
	Jobs      int
	MaxPixels int64
	Storage   storageOptions
}

func watermarkCommand() *cli.Command {
	var d detectOptions
	var e embedOptions
	return &cli.Command{
		Name:  "watermark",
		Usage: "embed or detect the keyed invisible watermark",
		Subcommands: []*cli.Command{
			{
				Name:      "embed",
				Usage:     "mark a picture or a video with a 64-bit payload under a key",
				ArgsUsage: "IN OUT",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key", Usage: "watermark key `FILE` (aigcmark keygen)", Destination: &e.Key},
					&cli.StringFlag{Name: "payload", Usage: "the payload: 16 hex digits", Destination: &e.Payload},
					&cli.IntFlag{Name: "quality", Usage: "quality 1..100 of lossy output (default: the input's estimated quality)", Destination: &e.Quality},
					&cli.Int64Flag{Name: "max-pixels", Value: pictureMaxPixels, Usage: "refuse images with more pixels than this, before decoding", Destination: &e.MaxPixels},
				},
				Action: func(c *cli.Context) error {
					return runEmbed(c.Context, e, c.Args().Slice(), c.App.Writer, c.App.ErrWriter)
				},
			},
			{
				Name:      "detect",
				Usage:     "look for the watermark made with a key",
				ArgsUsage: "INPUT...",
				Description: "Reports for each input whether the mark is there, its payload, the fraction of code bits\n" +
					"that agree (confidence) and the probability that unmarked content would score as high\n" +
					"(false_alarm_probability). A mark is reported only under 1e-6. Exits 3 when some input\n" +
					"was read and carries no mark.",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "key", Usage: "watermark key `FILE`", Destination: &d.Key},
					&cli.BoolFlag{Name: "json", Usage: "one JSON object per input, one per line", Destination: &d.JSON},
					&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "inputs read in parallel", Destination: &d.Jobs},
					&cli.Int64Flag{Name: "max-pixels", Value: pictureMaxPixels, Usage: "do not decode images with more pixels than this", Destination: &d.MaxPixels},
				}, storageFlags(&d.Storage)...),
				Action: func(c *cli.Context) error {
					return runDetect(c.Context, d, c.Args().Slice(), c.App.Writer, c.App.ErrWriter)
				},
			},
		},
	}
}

// detectReport is one line of `watermark detect --json`: a contract
// documented in README.md.
type detectReport struct {
	Path       string   `json:"path"`
	Found      bool     `json:"found"`
	Payload    *string  `json:"payload"`
	Confidence *float64 `json:"confidence"`
	FalseAlarm *float64 `json:"false_alarm_probability"`
	// Segments are a video's 2-second segments, each read on its own.
	Segments []segmentReport `json:"segments,omitempty"`
	Error    *string         `json:"error"`
}

type segmentReport struct {
	Start      float64 `json:"start"` // seconds
	End        float64 `json:"end"`
	Frames     int     `json:"frames"`
	Found      bool    `json:"found"`
	Payload    *string `json:"payload"`
	Confidence float64 `json:"confidence"`
	FalseAlarm float64 `json:"false_alarm_probability"` // for this segment alone
}

func runDetect(ctx context.Context, o detectOptions, args []string, stdout, stderr io.Writer) error {
	if o.Key == "" {
		return usagef("watermark detect: --key FILE is required")
	}
	if len(args) == 0 {
		return usagef("watermark detect: no inputs")
	}
	key, err := loadKeyFile(o.Key)
	if err != nil {
		return usagef("watermark detect: --key: %v", err)
	}
	bio, err := o.Storage.open()
	if err != nil {
		return fmt.Errorf("watermark detect: %w", err)
	}
	defer bio.close()
	ins := bio.expand(ctx, args)
	var failed, unmarked int
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	batch.Run(ctx, len(ins), max(o.Jobs, 1), func(ctx context.Context, i int) (r detectReport) {
		bio.withLocal(ctx, ins[i], func(f fileset.File) { r = detectOne(ctx, f, key, newPictureFile(f.Path, o.MaxPixels)) })
		r.Path = ins[i].Path
		return r
	}, func(i int, r detectReport) {
		switch {
		case r.Error != nil:
			failed++
		case !r.Found:
			unmarked++
		}
		if o.JSON {
			_ = enc.Encode(r)
			return
		}
		switch {
		case r.Error != nil:
			fmt.Fprintf(stderr, "%s: %s\n", r.Path, *r.Error)
		case r.Found:
			fmt.Fprintf(stdout, "%s: watermark %s (confidence %.3f, false-alarm probability %.1e)\n", r.Path, *r.Payload, *r.Confidence, *r.FalseAlarm)
		default:
			fmt.Fprintf(stdout, "%s: no watermark made with this key", r.Path)
			if r.FalseAlarm != nil {
				fmt.Fprintf(stdout, " (best candidate's false-alarm probability %.2g)", *r.FalseAlarm)
			}
			fmt.Fprintln(stdout)
		}
	})
	switch {
	case failed > 0:
		return silentError{exitFailed}
	case unmarked > 0:
		return silentError{exitNoLabel}
	}
	return nil
}

func detectOne(ctx context.Context, in fileset.File, key watermark.Key, pic *pictureFile) detectReport {
	r := detectReport{Path: in.Path}
	fail := func(err error) detectReport {
		s := describe(err, in.Path)
		r.Error = &s
		return r
	}
	if in.Err != nil {
		return fail(in.Err)
	}
	var res watermark.Result
	if isVideo(ctx, in.Path) {
		d, err := video.DetectVideo(ctx, in.Path, key, video.DetectOptions{})
		if err != nil && !errors.Is(err, watermark.ErrNotFound) {
			return fail(err)
		}
		res = d.Result
		for _, s := range d.Segments {
			sr := segmentReport{Start: round4(s.Start.Seconds()), End: round4(s.End.Seconds()), Frames: s.Frames,
				Found: s.Result.Found, Confidence: s.Result.Confidence, FalseAlarm: s.Result.FalseAlarm}
			if s.Result.Found {
				p := s.Result.Payload.String()
				sr.Payload = &p
			}
			r.Segments = append(r.Segments, sr)
		}
	} else {
		img, err := pic.decode(ctx)
		if errors.Is(err, label.ErrUnknownFormat) {
			return fail(fmt.Errorf("not a picture (JPEG, PNG, WebP, GIF) or a video (MP4, MOV)"))
		}
		if err != nil {
			return fail(err)
		}
		res, err = pixel.Detect(img, key, pixel.Options{})
		if err != nil && !errors.Is(err, watermark.ErrNotFound) {
			return fail(err)
		}
	}
	conf, fa := res.Confidence, res.FalseAlarm
	if !math.IsNaN(conf) {
		r.Confidence = &conf
	}
	if !math.IsNaN(fa) {
		r.FalseAlarm = &fa
	}
	if res.Found {
		p := res.Payload.String()
		r.Found, r.Payload = true, &p
	}
	return r
}

// pictureMaxPixels is the default pixel limit for decoding pictures.
const pictureMaxPixels = picture.DefaultMaxPixels

type embedOptions struct {
	Key       string
	Payload   string
	Quality   int
	MaxPixels int64
}

func runEmbed(ctx context.Context, o embedOptions, args []string, stdout, stderr io.Writer) error {
	if o.Key == "" || o.Payload == "" {
		return usagef("watermark embed: --key FILE and --payload HEX16 are required")
	}
	if len(args) != 2 {
		return usagef("watermark embed: give IN and OUT")
	}
	in, out := args[0], args[1]
	key, err := loadKeyFile(o.Key)
	if err != nil {
		return usagef("watermark embed: --key: %v", err)
	}
	payload, err := watermark.ParsePayload(o.Payload)
	if err != nil {
		return usagef("watermark embed: --payload: %v", err)
	}
	if o.Quality < 0 || o.Quality > 100 {
		return usagef("watermark embed: --quality %d is outside 1..100", o.Quality)
	}
	if same, _ := sameFile(in, out); same {
		return usagef("watermark embed: OUT is IN; write to another file")
	}
	if isVideo(ctx, in) {
		return embedVideo(ctx, key, payload, in, out, stdout)
	}
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	tmp, err := safewrite.Create(out, st.Mode().Perm())
	if err != nil {
		return err
	}
	defer tmp.Discard()
	info, err := picture.Label(ctx, tmp, src, nil, picture.Options{MaxPixels: o.MaxPixels, Quality: o.Quality,
		Mark: markWith(key, payload)})
	if err != nil {
		return fmt.Errorf("%s: %s", in, describe(err, in))
	}
	// Read it back before it becomes OUT: the mark must be there.
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	img, err := picture.Decode(ctx, tmp.File, o.MaxPixels)
	if err != nil {
		return fmt.Errorf("%s: reading the marked picture back: %w", out, err)
	}
	res, err := checkImageMark(img, key, payload)
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was written", in, err)
	}
	if err := tmp.Commit(false); err != nil {
		return err
	}
	q := ""
	if info.Quality > 0 {
		q = fmt.Sprintf(", quality %d", info.Quality)
	}
	fmt.Fprintf(stdout, "%s -> %s (%s%s, watermark %s, read back with confidence %.3f)\n", in, out, info.Format, q, payload, res.Confidence)
	return nil
}

// markWith returns the picture mark for key and payload.
func markWith(key watermark.Key, payload watermark.Payload) func(image.Image) (image.Image, error) {
	return func(m image.Image) (image.Image, error) { return pixel.Embed(m, key, payload, pixel.Options{}) }
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// isVideo reports whether the file at path is an MP4 or MOV with a video
// stream.
func isVideo(ctx context.Context, path string) bool {
	f, format, err := openFormat(path)
	if err != nil {
		return false
	}
	f.Close()
	kind, err := mediaKind(ctx, format, path)
	return err == nil && kind == kindVideo
}

// embedVideo marks every frame of the video at in into out (re-encoded
// with libx264 as label does), and reads the mark back before keeping it.
func embedVideo(ctx context.Context, key watermark.Key, payload watermark.Payload, in, out string, stdout io.Writer) error {
	inter, err := intermediate(out)
	if err != nil {
		return err
	}
	defer os.Remove(inter)
	res, err := video.Label(ctx, in, inter, nil, video.Options{Watermark: video.PixelWatermark(key, payload, pixel.Options{})})
	if err != nil {
		return fmt.Errorf("%s: %s", in, describe(err, in))
	}
	d, err := video.DetectVideo(ctx, inter, key, video.DetectOptions{})
	if err != nil || d.Payload != payload {
		return fmt.Errorf("%s: the mark does not read back from the output (%v); nothing was written", in, err)
	}
	if err := os.Rename(inter, out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s -> %s (video, watermark %s on %d frames, read back with confidence %.3f)\n", in, out, payload, res.Marked, d.Confidence)
	return nil
}
