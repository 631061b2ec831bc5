package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/batch"
	"github.com/aigcmark/aigcmark/cmd/internal/fileset"
	"github.com/aigcmark/aigcmark/cmd/internal/progress"
	"github.com/aigcmark/aigcmark/cmd/internal/video"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/sign"
	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/picture"
	"github.com/aigcmark/aigcmark/label/xmp"
	"github.com/aigcmark/aigcmark/watermark"
)

type labelOptions struct {
	Label       string
	Producer    string
	ProduceID   string
	Propagator  string
	PropagateID string
	Out         string
	InPlace     bool
	Jobs        int
	Lenient     bool
	Quiet       bool
	Explicit    explicitOptions
	AuditLog    string
	Recipient   string
	Report      string
	Progress    bool
	WMKey       string
	SignKey     string
	IPTC        bool
	Storage     storageOptions
}

func labelCommand() *cli.Command {
	var o labelOptions
	return &cli.Command{
		Name:      "label",
		Usage:     "label AI-generated files: the explicit label people see or hear, and the metadata label",
		ArgsUsage: "INPUT...",
		Description: "Draws the explicit label of GB 45438-2025 clause 5 (text on images and video frames, the\n" +
			"\"AI\" Morse rhythm in audio, a text prompt in text) and writes the Annex E metadata label,\n" +
			"in one pass. With --explicit none only the metadata is written, losslessly; the Measures\n" +
			"(Art. 9) allow that only with a log of who received the content: --audit-log is required.\n" +
			"Inputs are files or folders (walked recursively). Each output is written to a temporary\n" +
			"file, read back and checked, and only then renamed into place.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "producer", Usage: "ContentProducer: the generation service's `CODE` (27-character provider code) or name", Destination: &o.Producer},
			&cli.StringFlag{Name: "produce-id", Usage: "ProduceID `ID` (only with a single input file; default: a fresh unique ID per file)", Destination: &o.ProduceID},
			&cli.StringFlag{Name: "label", Value: "1", Usage: "Label: 1 AI-generated, 2 possibly, 3 suspected", Destination: &o.Label},
			&cli.StringFlag{Name: "propagator", Usage: "ContentPropagator `CODE` (default: the producer, as Annex E note 1 says)", Destination: &o.Propagator},
			&cli.StringFlag{Name: "propagate-id", Usage: "PropagateID `ID` (default: the ProduceID)", Destination: &o.PropagateID},
			&cli.StringFlag{Name: "out", Usage: "write labeled copies under `DIR`, keeping names and relative paths", Destination: &o.Out},
			&cli.BoolFlag{Name: "in-place", Usage: "replace each input, after the new file has been checked", Destination: &o.InPlace},
			&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "files labeled in parallel", Destination: &o.Jobs},
			&cli.BoolFlag{Name: "lenient", Usage: "accept values outside the recommended character set (a warning instead of an error)", Destination: &o.Lenient},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only failures and the summary", Destination: &o.Quiet},
			&cli.StringFlag{Name: "report", Usage: "write a JSON line per input to `FILE` (input, output, format, what was applied, duration, error)", Destination: &o.Report},
			&cli.BoolFlag{Name: "progress", Value: true, Usage: "show progress bars when stderr is a terminal", Destination: &o.Progress},

			&cli.StringFlag{Name: "explicit", Value: "auto", Usage: "explicit labels: auto (every image, video, audio and text file) or none (metadata only; needs --audit-log)", Destination: &o.Explicit.Mode, Category: "Explicit labels"},
			&cli.StringFlag{Name: "audit-log", Usage: "with --explicit none: append a JSON line per file handed out without its explicit label to `FILE`", Destination: &o.AuditLog, Category: "Explicit labels"},
			&cli.StringFlag{Name: "recipient", Usage: "who receives the content handed out with --explicit none (user or account), for the audit log", Destination: &o.Recipient, Category: "Explicit labels"},
			&cli.BoolFlag{Name: "iptc", Value: true, Usage: "also write the IPTC digital source type trainedAlgorithmicMedia beside the XMP label (JPEG, PNG, WebP, GIF), for platforms outside China; --iptc=false leaves it out (never removes one already there)", Destination: &o.IPTC},
			&cli.StringFlag{Name: "sign-key", Usage: "sign ReservedCode1 with the Ed25519 key `FILE` (keygen --sign) over the producer's fields and a digest of the content", Destination: &o.SignKey, Category: "Integrity"},
			&cli.StringFlag{Name: "wm-key", Usage: "also embed the invisible watermark made with the key `FILE` (pictures; its payload is the first 64 bits of HMAC-SHA256(key, ContentProducer/ProduceID), recorded in --report)", Destination: &o.WMKey, Category: "Watermark"},
			&cli.StringFlag{Name: "text", Value: visible.DefaultText, Usage: "label `TEXT` on images and video; must contain \"AI\" or \"人工智能\" and \"生成\" or \"合成\"", Destination: &o.Explicit.Text, Category: "Images and video"},
			&cli.StringFlag{Name: "position", Value: "bottom-right", Usage: "where the text goes: top-left, top, top-right, left, right, bottom-left, bottom, bottom-right", Destination: &o.Explicit.Position, Category: "Images and video"},
			&cli.Float64Flag{Name: "size", Value: visible.DefaultSize, Usage: "height of the text's ink as a fraction of the shortest side (at least 0.05)", Destination: &o.Explicit.Size, Category: "Images and video"},
			&cli.StringFlag{Name: "font", Usage: "TrueType/OpenType `FILE` to draw with (default: the embedded Noto Sans CJK SC subset)", Destination: &o.Explicit.Font, Category: "Images and video"},
			&cli.IntFlag{Name: "quality", Usage: "quality 1..100 of lossy image output (default: the input's estimated quality)", Destination: &o.Explicit.Quality, Category: "Images and video"},
			&cli.Int64Flag{Name: "max-pixels", Value: picture.DefaultMaxPixels, Usage: "refuse images with more pixels than this, before decoding", Destination: &o.Explicit.MaxPixels, Category: "Images and video"},
			&cli.IntFlag{Name: "crf", Value: video.DefaultCRF, Usage: "libx264 constant rate factor of video output", Destination: &o.Explicit.CRF, Category: "Images and video"},
			&cli.StringFlag{Name: "preset", Value: video.DefaultPreset, Usage: "libx264 preset of video output", Destination: &o.Explicit.Preset, Category: "Images and video"},
			&cli.DurationFlag{Name: "explicit-duration", Usage: "show the video label this long from the first frame (at least 2s; default: the whole video)", Destination: &o.Explicit.ExplicitDuration, Category: "Images and video"},
			&cli.StringFlag{Name: "audio-cue", Value: "start", Usage: "where the AI rhythm goes: start, end, middle, a comma list, or none (with --voice-prompt)", Destination: &o.Explicit.AudioCue, Category: "Audio"},
			&cli.StringFlag{Name: "audio-cue-mode", Value: "insert", Usage: "insert the cue (no content masked) or mix it over the content", Destination: &o.Explicit.AudioCueMode, Category: "Audio"},
			&cli.StringFlag{Name: "voice-prompt", Usage: "spoken prompt clip `FILE` inserted after the rhythm (or instead, with --audio-cue none)", Destination: &o.Explicit.VoicePrompt, Category: "Audio"},
			&cli.StringFlag{Name: "prompt", Value: visible.DefaultPrompt, Usage: "text prompt for text and Markdown files", Destination: &o.Explicit.Prompt, Category: "Text"},
			&cli.StringFlag{Name: "text-position", Value: "start", Usage: "where the text prompt goes: start, end or both", Destination: &o.Explicit.PromptPosition, Category: "Text"},
		}, storageFlags(&o.Storage)...),
		Action: func(c *cli.Context) error {
			return runLabel(c.Context, o, c.Args().Slice(), c.App.Writer, c.App.ErrWriter)
		},
	}
}

// labelResult is the outcome for one input.
type labelResult struct {
	out     string
	format  string
	id      string
	bytes   int64
	skipped bool
	// skipNote says why a file was skipped ("" means: not a supported
	// format).
	skipNote string
	err      error
	// replaced describes the labels the input carried, "" when none.
	replaced  string
	kind      string   // image, video, audio, text or ""
	watermark string   // the payload embedded, "" for none
	applied   []string // what was done, for people and the report
	took      time.Duration
}

// replacedNote describes the labels a file carried before l replaced them,
// naming producers other than l's: replacing another service's label is
// worth a second look.
func replacedNote(old []label.Found, l label.Label) string {
	if len(old) == 0 {
		return ""
	}
	var others []string
	for _, f := range old {
		if p := f.Label.ContentProducer; p != l.ContentProducer && !slices.Contains(others, p) {
			others = append(others, p)
		}
	}
	s := fmt.Sprintf("replaced %d earlier label(s)", len(old))
	if len(others) > 0 {
		s += fmt.Sprintf(" by ContentProducer %s", strings.Join(quoteAll(others), ", "))
	}
	return s
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

func runLabel(ctx context.Context, o labelOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("label: no inputs")
	}
	if o.Producer == "" {
		return usagef("label: --producer is required: the generation service's provider code or name")
	}
	if (o.Out == "") == !o.InPlace {
		return usagef("label: give exactly one of --out DIR and --in-place")
	}
	if o.Jobs < 1 {
		return usagef("label: --jobs must be at least 1")
	}
	bio, err := o.Storage.open()
	if err != nil {
		return fmt.Errorf("label: %w", err)
	}
	defer bio.close()
	var out *output
	if o.Out != "" {
		if out, err = bio.output(ctx, o.Out); err != nil {
			return fmt.Errorf("label: --out: %w", err)
		}
		out.job = o.job()
	}
	// An output folder inside an input folder holds earlier outputs:
	// never label those again into a copy of themselves.
	ins := out.outside(bio.expand(ctx, args))
	files := files(ins)
	if (o.ProduceID != "" || o.PropagateID != "") && len(files) != 1 {
		return usagef("label: --produce-id and --propagate-id name one piece of content, but %d files were given; leave them out to get a unique ID per file", len(files))
	}
	if o.Out != "" {
		if err := fileset.CheckDistinct(files); err != nil {
			return usagef("label: %v", err)
		}
	}
	mode := label.Strict
	if o.Lenient {
		mode = label.Lenient
	}
	// Check the values once, with a placeholder for a generated ID.
	probe := o.build("00000000000000000000000000000000")
	if ps := label.Validate(probe, mode); len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintf(stderr, "aigcmark: label: %s\n", p)
		}
		if label.HasErrors(ps) {
			return usagef("label: the label values do not conform to GB 45438 Annex E (see above)")
		}
	}

	ex, err := o.Explicit.setup()
	if err != nil {
		return usagef("label: %v", err)
	}
	if ex.none && (o.AuditLog == "" || o.Recipient == "") {
		return usagef("label: --explicit none hands out content without its explicit label; the Measures (Art. 9) allow that only with a log of who received it: give --audit-log FILE and --recipient WHO")
	}
	if !ex.none && o.AuditLog != "" {
		return usagef("label: --audit-log records content handed out without its explicit label; it goes with --explicit none")
	}
	if o.WMKey != "" {
		k, err := loadKeyFile(o.WMKey)
		if err != nil {
			return usagef("label: --wm-key: %v", err)
		}
		ex.wm = &k
	}
	var signer sign.Scheme
	if o.SignKey != "" {
		if signer, err = sign.LoadPrivateKey(o.SignKey); err != nil {
			return usagef("label: --sign-key: %v", err)
		}
	}
	var audit *jsonlFile
	var report *reportFile
	if o.AuditLog != "" {
		if audit, err = openJSONL(o.AuditLog, true); err != nil {
			return fmt.Errorf("label: --audit-log: %w", err)
		}
	}
	if o.Report != "" {
		if report, err = bio.openReport(ctx, o.Report); err != nil {
			audit.Close()
			return fmt.Errorf("label: --report: %w", err)
		}
	}

	inputBytes := inputSize(ins)
	bars := progress.NewBatch(stderr, o.Progress && !o.Quiet, len(files), inputBytes)
	start := time.Now()
	var done, failed, skipped, resumed, replacedOthers int
	var total int64
	batch.Run(ctx, len(files), o.Jobs, func(ctx context.Context, i int) labelResult {
		if err := ctx.Err(); err != nil {
			return labelResult{err: err}
		}
		t0 := time.Now()
		r := labelInput(ctx, o, ex, signer, bio, out, ins[i], bars)
		r.took = time.Since(t0)
		return r
	}, func(i int, r labelResult) {
		f := files[i]
		bars.Done(r.bytes)
		line := reportLine{Input: f.Path, Format: strPtr(r.format), Kind: strPtr(r.kind),
			Applied: r.applied, ProduceID: strPtr(r.id), Watermark: strPtr(r.watermark), DurationMS: r.took.Milliseconds()}
		switch {
		case r.skipped:
			line.Applied = []string{}
			note := "not a supported format"
			if r.skipNote != "" {
				note = r.skipNote
				line.Output = strPtr(r.out)
				line.Applied = []string{"skipped: " + note}
				resumed++
			} else {
				skipped++
			}
			if !o.Quiet {
				bars.Fprintf(stdout, "%s: skipped: %s\n", f.Path, note)
			}
		case r.err != nil:
			failed++
			msg := describe(r.err, f.Path)
			line.Error = &msg
			line.Applied = []string{}
			bars.Fprintf(stderr, "%s: %s\n", f.Path, msg)
		default:
			done++
			total += r.bytes
			line.Output = strPtr(r.out)
			if !o.Quiet {
				note := ""
				if r.replaced != "" {
					note = "; " + r.replaced
				}
				bars.Fprintf(stdout, "%s -> %s (%s, %s, ProduceID %s%s)\n", f.Path, r.out, r.format, strings.Join(r.applied, " + "), r.id, note)
			}
			if strings.Contains(r.replaced, "ContentProducer") {
				replacedOthers++
			}
			audit.write(auditLine{Time: nowRFC3339(), Input: f.Path, Output: r.out,
				Producer: o.Producer, ProduceID: r.id, Recipient: o.Recipient})
		}
		report.write(line)
	})
	bars.Wait()
	closeErr := audit.Close()
	if err := report.Close(ctx); err != nil && closeErr == nil {
		closeErr = err
	}
	notStarted := len(files) - done - failed - skipped - resumed
	el := time.Since(start)
	fmt.Fprintf(stderr, "labeled %d file(s), %s in %s (%s/s)", done, humanBytes(total), el.Round(time.Millisecond), humanBytes(int64(float64(total)/el.Seconds())))
	if resumed > 0 {
		fmt.Fprintf(stderr, "; %d already done", resumed)
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "; %d skipped", skipped)
	}
	if replacedOthers > 0 {
		fmt.Fprintf(stderr, "; %d carried another producer's label, now replaced", replacedOthers)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "; %d failed", failed)
	}
	if notStarted > 0 {
		fmt.Fprintf(stderr, "; %d not started (interrupted)", notStarted)
	}
	fmt.Fprintln(stderr)
	if closeErr != nil {
		return fmt.Errorf("label: %w", closeErr)
	}
	if failed > 0 || notStarted > 0 {
		return silentError{exitFailed}
	}
	return nil
}

// job fingerprints the options that decide what an output holds (not
// where inputs and outputs are, nor how the batch runs).
func (o labelOptions) job() string {
	o.Out, o.InPlace, o.Jobs, o.Quiet, o.Report, o.Progress, o.Storage = "", false, 0, false, "", false, storageOptions{}
	return jobID("label", o)
}

// build returns the label for one file whose ProduceID is id.
func (o labelOptions) build(id string) label.Label {
	l := label.Label{Label: o.Label, ContentProducer: o.Producer, ProduceID: id,
		ContentPropagator: o.Propagator, PropagateID: o.PropagateID}
	if l.ContentPropagator == "" {
		l.ContentPropagator = l.ContentProducer
	}
	if l.PropagateID == "" {
		l.PropagateID = l.ProduceID
	}
	return l
}

// labelInput labels one input wherever it lives: a bucket object is
// staged to a local file first, and an output bound for a bucket (or an
// object labeled in place) is made locally and uploaded once it checked
// out. An output already made from this very source (a batch run again)
// is skipped; so is, with --in-place, an input that is itself our output.
func labelInput(ctx context.Context, o labelOptions, ex *explicitSetup, signer sign.Scheme, bio *batchIO, out *output, in input, bars *progress.Batch) labelResult {
	if in.Err != nil {
		return labelOne(ctx, o, ex, signer, in.File, bars)
	}
	if out != nil {
		pre, err := listed(in)
		if err != nil {
			return labelResult{err: err}
		}
		if ok, err := out.done(ctx, in, pre); err != nil {
			return labelResult{err: err}
		} else if ok {
			return labelResult{skipped: true, skipNote: "already labeled (" + out.URL(in) + " records this source)", out: out.URL(in), bytes: pre.Size}
		}
	}
	f, src, cleanup, err := bio.stage(ctx, in)
	if err != nil {
		return labelResult{err: err}
	}
	defer cleanup()
	if out == nil && src.Meta.SourceETag() != "" {
		return labelResult{skipped: true, skipNote: "already labeled in place by aigcmark", out: in.Path, bytes: src.Size}
	}
	local := o
	remoteOut := out != nil && out.dir == ""
	if remoteOut || o.InPlace && in.store != nil {
		// Made in a work folder, uploaded below.
		dir, err := bio.tempDir()
		if err != nil {
			return labelResult{err: err}
		}
		defer os.RemoveAll(dir)
		local.Out, local.InPlace = dir, false
	}
	r := labelOne(ctx, local, ex, signer, f, bars)
	if r.err != nil || r.skipped {
		return r
	}
	switch {
	case o.InPlace && in.store != nil:
		r.out, r.err = upload(ctx, in.store, in.obj.Key, r.out, out.meta(src))
	case o.InPlace:
		r.err = recordLocal(r.out, out.meta(src))
	default:
		r.out, r.err = out.publish(ctx, in, src, r.out)
	}
	return r
}

func labelOne(ctx context.Context, o labelOptions, ex *explicitSetup, signer sign.Scheme, in fileset.File, bars *progress.Batch) labelResult {
	if in.Err != nil {
		return labelResult{err: in.Err}
	}
	src, format, err := openFormat(in.Path)
	if errors.Is(err, label.ErrUnknownFormat) && !in.Explicit {
		return labelResult{skipped: true}
	}
	if err != nil {
		return labelResult{err: err}
	}
	defer src.Close()
	format = xmp.Configure(format, xmp.Options{NoSourceType: !o.IPTC})
	st, err := src.Stat()
	if err != nil {
		return labelResult{err: err}
	}
	target := in.Path
	if !o.InPlace {
		target = filepath.Join(o.Out, in.Rel)
		if ost, err := os.Stat(target); err == nil && os.SameFile(st, ost) {
			return labelResult{err: fmt.Errorf("the output %s is the input itself; use --in-place to replace inputs", target)}
		}
	} else if t, err := filepath.EvalSymlinks(in.Path); err == nil {
		target = t // replace the file a link points to, not the link
	}
	// What the file carried before, to say what was replaced.
	old, err := format.Read(src)
	if err != nil {
		return labelResult{err: err}
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return labelResult{err: err}
	}
	res := labelResult{format: format.Name(), bytes: st.Size()}

	id := o.ProduceID
	if id == "" {
		id = label.NewID()
	}
	l := o.build(id)

	// The explicit label (and the watermark) first, into an intermediate
	// file that then takes the input's place as the source of the
	// metadata label. The metadata-only path stays lossless and cheap: no
	// ffprobe for MP4s there.
	if contentStage := !ex.none || ex.wm != nil; contentStage || format.Name() != "mp4" {
		if res.kind, err = mediaKind(ctx, format, in.Path); err != nil {
			return labelResult{err: err}
		}
	}
	if ex.staged(res.kind) {
		var payload watermark.Payload
		if ex.wm != nil {
			payload = watermark.PayloadFor(*ex.wm, l.ContentProducer, l.ProduceID)
		}
		frames := func(name string, total int64) (func(int64, int64), func()) { return bars.Job(name, "frames", total) }
		x, err := ex.apply(ctx, in.Path, target, res.kind, payload, frames)
		if err != nil {
			return labelResult{err: fmt.Errorf("explicit label: %w", err)}
		}
		res.applied = append(res.applied, x.applied...)
		if x.marked {
			res.watermark = payload.String()
		}
		if x.path != "" {
			defer os.Remove(x.path)
			staged, err := os.Open(x.path)
			if err != nil {
				return labelResult{err: err}
			}
			defer staged.Close()
			src = staged
		}
	}

	// The signature covers the content as it will be: after the explicit
	// label, whose digest the metadata label does not change.
	written, signed, err := writeLabel(src, format, target, st.Mode().Perm(), o.InPlace, l, signer, sign.Producer)
	if err != nil {
		return labelResult{err: err}
	}
	if signed {
		res.applied = append(res.applied, "signed ReservedCode1")
	}
	res.out, res.id, res.replaced = target, id, replacedNote(old, l)
	res.applied = append(res.applied, "metadata label in "+written.Carrier)
	return res
}

// verifyOutput reads the written file back: it must be recognised as the
// same format and carry exactly the label written, nothing else.
func verifyOutput(f *os.File, format label.Format, l label.Label) (label.Found, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return label.Found{}, err
	}
	head := make([]byte, label.SniffLen)
	n, _ := io.ReadFull(f, head)
	if !format.Sniff(head[:n]) {
		return label.Found{}, fmt.Errorf("output is no longer recognised as %s", format.Name())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return label.Found{}, err
	}
	found, err := format.Read(f)
	if err != nil {
		return label.Found{}, fmt.Errorf("reading the output back: %w", err)
	}
	if len(found) != 1 {
		return label.Found{}, fmt.Errorf("output carries %d labels, want exactly 1", len(found))
	}
	if found[0].Label != l {
		return label.Found{}, fmt.Errorf("output label reads back as %s, wrote %s", found[0].Label, l)
	}
	return found[0], nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
