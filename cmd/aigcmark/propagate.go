package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/batch"
	"github.com/aigcmark/aigcmark/cmd/internal/fileset"
	"github.com/aigcmark/aigcmark/cmd/internal/progress"
	"github.com/aigcmark/aigcmark/cmd/internal/safewrite"
	"github.com/aigcmark/aigcmark/cmd/internal/video"
	"github.com/aigcmark/aigcmark/detect/verdict"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/sign"
	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/watermark"
)

type propagateOptions struct {
	verify      verifyOptions
	Propagator  string
	PropagateID string
	Notice      bool
	Position    string
	Out         string
	InPlace     bool
	SignKey     string
	Report      string
	Quiet       bool
	Progress    bool
}

func propagateCommand() *cli.Command {
	var o propagateOptions
	return &cli.Command{
		Name:      "propagate",
		Usage:     "verify uploads and write the platform's propagation elements into their metadata label",
		ArgsUsage: "INPUT...",
		Description: "Runs verify on each input; for cases 1-3 writes ContentPropagator and PropagateID into\n" +
			"the metadata label, keeping the producer's elements and ReservedCode1 as they are, sets Label\n" +
			"to the case (2 or 3 when no label held), and signs ReservedCode2 with --sign-key. With\n" +
			"--notice the case's notice (AI生成, 可能为AI生成, 疑似AI生成) is also drawn or played into the\n" +
			"content: that changes the content, so a producer's content signature no longer verifies\n" +
			"afterwards. Files of case none are copied unchanged (--out) or left alone (--in-place).",
		Flags: append(verifyFlags(&o.verify),
			&cli.StringFlag{Name: "propagator", Usage: "ContentPropagator: the platform's `CODE` (27-character provider code) or name", Destination: &o.Propagator},
			&cli.StringFlag{Name: "propagate-id", Usage: "PropagateID `ID` (only with a single input; default: a fresh unique ID per file)", Destination: &o.PropagateID},
			&cli.BoolFlag{Name: "notice", Usage: "also add the case's notice to the content (text on images and video, the AI rhythm in audio, a prompt in text)", Destination: &o.Notice},
			&cli.StringFlag{Name: "notice-position", Value: "top-left", Usage: "where the notice text goes on images and video", Destination: &o.Position},
			&cli.StringFlag{Name: "out", Usage: "write the results under `DIR`, keeping names and relative paths", Destination: &o.Out},
			&cli.BoolFlag{Name: "in-place", Usage: "replace each input, after the new file has been checked", Destination: &o.InPlace},
			&cli.StringFlag{Name: "sign-key", Usage: "sign ReservedCode2 with the Ed25519 key `FILE` over the propagation fields, ReservedCode1 and the content digest", Destination: &o.SignKey},
			&cli.StringFlag{Name: "report", Usage: "write a JSON line per input to `FILE`", Destination: &o.Report},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only failures and the summary", Destination: &o.Quiet},
			&cli.BoolFlag{Name: "progress", Value: true, Usage: "show progress bars when stderr is a terminal", Destination: &o.Progress},
		),
		Action: func(c *cli.Context) error {
			return runPropagate(c.Context, o, c.Args().Slice(), c.App.Writer, c.App.ErrWriter)
		},
	}
}

// propagateLine is one line of `propagate --report`: a contract documented
// in README.md.
type propagateLine struct {
	Input       string   `json:"input"`
	Output      *string  `json:"output"`
	Format      *string  `json:"format"`
	Kind        *string  `json:"kind"`
	Verdict     *string  `json:"verdict"` // "1", "2", "3", "none"
	Reasons     []string `json:"reasons"`
	PropagateID *string  `json:"propagate_id"`
	Applied     []string `json:"applied"`
	DurationMS  int64    `json:"duration_ms"`
	Error       *string  `json:"error"`
}

// propagator holds what every input is propagated with.
type propagator struct {
	o       propagateOptions
	v       *verifier
	signer  sign.Scheme
	mu      sync.Mutex
	notices map[string]*explicitSetup // by case
}

func runPropagate(ctx context.Context, o propagateOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("propagate: no inputs")
	}
	if o.Propagator == "" {
		return usagef("propagate: --propagator is required: the platform's provider code or name")
	}
	if (o.Out == "") == !o.InPlace {
		return usagef("propagate: give exactly one of --out DIR and --in-place")
	}
	if o.verify.Jobs < 1 {
		return usagef("propagate: --jobs must be at least 1")
	}
	bio, err := o.verify.Storage.open()
	if err != nil {
		return fmt.Errorf("propagate: %w", err)
	}
	defer bio.close()
	var out *output
	if o.Out != "" {
		if out, err = bio.output(ctx, o.Out); err != nil {
			return fmt.Errorf("propagate: --out: %w", err)
		}
		out.job = o.job()
	}
	ins := out.outside(bio.expand(ctx, args))
	files := files(ins)
	if o.Out != "" {
		if err := fileset.CheckDistinct(files); err != nil {
			return usagef("propagate: %v", err)
		}
	}
	if o.PropagateID != "" && len(files) != 1 {
		return usagef("propagate: --propagate-id names one piece of content, but %d files were given", len(files))
	}
	probe := label.Label{Label: "1", ContentProducer: "x", ProduceID: "x", ContentPropagator: o.Propagator, PropagateID: o.PropagateID}
	if probe.PropagateID == "" {
		probe.PropagateID = "00000000000000000000000000000000"
	}
	if ps := label.Validate(probe, label.Strict); label.HasErrors(ps) {
		for _, p := range ps {
			fmt.Fprintf(stderr, "aigcmark: propagate: %s\n", p)
		}
		return usagef("propagate: the propagation values do not conform to GB 45438 Annex E (see above)")
	}
	if _, err := visible.ParsePosition(o.Position); err != nil {
		return usagef("propagate: --notice-position: %v", err)
	}
	v, err := newVerifier(o.verify)
	if err != nil {
		return fmt.Errorf("propagate: %w", err)
	}
	p := &propagator{o: o, v: v, notices: map[string]*explicitSetup{}}
	if o.SignKey != "" {
		if p.signer, err = sign.LoadPrivateKey(o.SignKey); err != nil {
			return usagef("propagate: --sign-key: %v", err)
		}
	}
	var report *reportFile
	if o.Report != "" {
		if report, err = bio.openReport(ctx, o.Report); err != nil {
			return fmt.Errorf("propagate: --report: %w", err)
		}
	}
	bars := progress.NewBatch(stderr, o.Progress && !o.Quiet, len(files), 0)
	counts := map[string]int{}
	var failed, resumed int
	batch.Run(ctx, len(files), o.verify.Jobs, func(ctx context.Context, i int) propagateLine {
		if err := ctx.Err(); err != nil {
			return propagateLine{Input: files[i].Path, Error: strPtr(err.Error())}
		}
		t0 := time.Now()
		l := p.input(ctx, bio, out, ins[i], bars)
		l.DurationMS = time.Since(t0).Milliseconds()
		return l
	}, func(i int, l propagateLine) {
		bars.Done(0)
		if l.Error != nil {
			failed++
			bars.Fprintf(stderr, "%s: %s\n", l.Input, *l.Error)
		} else if *l.Verdict == "skipped" {
			resumed++
			if !o.Quiet {
				bars.Fprintf(stdout, "%s: %s\n", l.Input, strings.Join(l.Applied, ""))
			}
		} else {
			counts[*l.Verdict]++
			if !o.Quiet {
				out := "left alone"
				if l.Output != nil {
					out = "-> " + *l.Output
				}
				bars.Fprintf(stdout, "%s %s (verdict %s: %s)\n", l.Input, out, *l.Verdict, strings.Join(l.Applied, " + "))
			}
		}
		report.write(l)
	})
	bars.Wait()
	closeErr := report.Close(ctx)
	done := counts[verdict.AI] + counts[verdict.Possibly] + counts[verdict.Suspected] + counts[verdict.None]
	fmt.Fprintf(stderr, "propagated %d file(s): %d AI-generated (1), %d possibly (2), %d suspected (3), %d none (unchanged)",
		done-counts[verdict.None], counts[verdict.AI], counts[verdict.Possibly], counts[verdict.Suspected], counts[verdict.None])
	if resumed > 0 {
		fmt.Fprintf(stderr, "; %d already done", resumed)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "; %d failed", failed)
	}
	done += resumed
	if n := len(files) - done - failed; n > 0 {
		fmt.Fprintf(stderr, "; %d not started (interrupted)", n)
	}
	fmt.Fprintln(stderr)
	if closeErr != nil {
		return fmt.Errorf("propagate: %w", closeErr)
	}
	if failed > 0 || done < len(files) {
		return silentError{exitFailed}
	}
	return nil
}

// input propagates one input wherever it lives, as labelInput labels:
// bucket objects are staged, outputs bound for a bucket (or an object
// propagated in place) are made locally and uploaded, an output already
// made from this source by the same job is skipped, and with --in-place an
// input that is itself our output is left alone.
func (p *propagator) input(ctx context.Context, bio *batchIO, out *output, in input, bars *progress.Batch) propagateLine {
	if in.Err != nil {
		return p.one(ctx, in.File, bars)
	}
	line := propagateLine{Input: in.Path, Applied: []string{}, Reasons: []string{}}
	fail := func(err error) propagateLine {
		s := err.Error()
		line.Error = &s
		return line
	}
	skip := func(note, at string) propagateLine {
		none := "skipped"
		line.Verdict, line.Output = &none, &at
		line.Applied = []string{"skipped: " + note}
		return line
	}
	if out != nil {
		pre, err := listed(in)
		if err != nil {
			return fail(err)
		}
		if ok, err := out.done(ctx, in, pre); err != nil {
			return fail(err)
		} else if ok {
			return skip("already propagated ("+out.URL(in)+" records this source)", out.URL(in))
		}
	}
	f, src, cleanup, err := bio.stage(ctx, in)
	if err != nil {
		return fail(err)
	}
	defer cleanup()
	if out == nil && src.Meta.SourceETag() != "" {
		return skip("already propagated in place by aigcmark", in.Path)
	}
	outDir, inPlace := p.o.Out, p.o.InPlace
	if out != nil && out.dir == "" || p.o.InPlace && in.store != nil {
		dir, err := bio.tempDir()
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(dir)
		outDir, inPlace = dir, false
	}
	l := p.oneTo(ctx, f, bars, outDir, inPlace)
	l.Input = in.Path
	if l.Error != nil || l.Output == nil {
		return l
	}
	switch {
	case p.o.InPlace && in.store != nil:
		*l.Output, err = upload(ctx, in.store, in.obj.Key, *l.Output, out.meta(src))
	case p.o.InPlace:
		err = recordLocal(*l.Output, out.meta(src))
	default:
		*l.Output, err = out.publish(ctx, in, src, *l.Output)
	}
	if err != nil {
		s := err.Error()
		l.Error, l.Output = &s, nil
	}
	return l
}

// job fingerprints the options that decide what an output holds.
func (o propagateOptions) job() string {
	o.Out, o.InPlace, o.Report, o.Quiet, o.Progress = "", false, "", false, false
	o.verify.Jobs, o.verify.Storage, o.verify.JSON, o.verify.Tag, o.verify.Report = 0, storageOptions{}, false, false, ""
	return jobID("propagate", struct {
		O     propagateOptions
		V     verifyOptions
		Trust []string
	}{o, o.verify, o.verify.Trust.Value()})
}

// one verifies and propagates one local input as the options say.
func (p *propagator) one(ctx context.Context, in fileset.File, bars *progress.Batch) propagateLine {
	return p.oneTo(ctx, in, bars, p.o.Out, p.o.InPlace)
}

// oneTo verifies and propagates one local input into outDir (or in place).
func (p *propagator) oneTo(ctx context.Context, in fileset.File, bars *progress.Batch, outDir string, inPlace bool) propagateLine {
	line := propagateLine{Input: in.Path, Applied: []string{}, Reasons: []string{}}
	fail := func(err error) propagateLine {
		s := describe(err, in.Path)
		line.Error, line.Applied = &s, []string{}
		return line
	}
	r := p.v.check(ctx, in)
	line.Format, line.Kind = r.Format, r.Kind
	if r.Error != nil {
		line.Error = r.Error
		return line
	}
	line.Verdict, line.Reasons = &r.Verdict.Label, r.Verdict.Reasons
	src, format, err := openFormat(in.Path)
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return fail(err)
	}
	target := in.Path
	if !inPlace {
		target = filepath.Join(outDir, in.Rel)
		if ost, err := os.Stat(target); err == nil && os.SameFile(st, ost) {
			return fail(fmt.Errorf("the output %s is the input itself; use --in-place to replace inputs", target))
		}
	} else if t, err := filepath.EvalSymlinks(in.Path); err == nil {
		target = t
	}

	if r.Verdict.Label == verdict.None {
		if inPlace {
			line.Applied = append(line.Applied, "nothing (no evidence of generation)")
			return line
		}
		if err := copyFile(src, target, st.Mode().Perm()); err != nil {
			return fail(err)
		}
		line.Output = &target
		line.Applied = append(line.Applied, "copied unchanged (no evidence of generation)")
		return line
	}

	l := propagated(r, p.o.Propagator, p.o.PropagateID)
	line.PropagateID = &l.PropagateID
	var source io.ReadSeeker = src
	if p.o.Notice && r.Kind != nil {
		ex, err := p.notice(r.Verdict.Label)
		if err != nil {
			return fail(err)
		}
		frames := func(name string, total int64) (func(int64, int64), func()) { return bars.Job(name, "frames", total) }
		x, err := ex.apply(ctx, in.Path, target, *r.Kind, watermark.Payload{}, frames)
		if err != nil {
			return fail(fmt.Errorf("notice: %w", err))
		}
		line.Applied = append(line.Applied, x.applied...)
		if x.path != "" {
			defer os.Remove(x.path)
			staged, err := os.Open(x.path)
			if err != nil {
				return fail(err)
			}
			defer staged.Close()
			source = staged
		}
	}
	written, signed, err := writeLabel(source, format, target, st.Mode().Perm(), inPlace, l, p.signer, sign.Propagator)
	if err != nil {
		return fail(err)
	}
	if signed {
		line.Applied = append(line.Applied, "signed ReservedCode2")
	}
	line.Applied = append(line.Applied, fmt.Sprintf("propagation label (Label %s) in %s", l.Label, written.Carrier))
	line.Output = &target
	return line
}

// propagated returns the label to write for a file verified as r: the
// producer's elements of the label that decided the case (or of the first
// label found, or none), Label set to the case, and the platform's
// propagation elements; ReservedCode2 is left for the signer.
func propagated(r verifyReport, propagator, id string) label.Label {
	var l label.Label
	chosen := -1
	for i, c := range r.checks {
		if c.Holds && c.Value == r.Verdict.Label {
			chosen = i
			break
		}
	}
	if chosen < 0 && len(r.found) > 0 {
		chosen = 0
	}
	if chosen >= 0 {
		f := r.found[chosen].Label
		l = label.Label{ContentProducer: f.ContentProducer, ProduceID: f.ProduceID, ReservedCode1: f.ReservedCode1}
	}
	l.Label = r.Verdict.Label
	l.ContentPropagator = propagator
	if id == "" {
		id = label.NewID()
	}
	l.PropagateID = id
	return l
}

// notice returns the explicit-label setup drawing the notice of case c.
func (p *propagator) notice(c string) (*explicitSetup, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.notices[c]; ok {
		return s, nil
	}
	text := verdict.Notices[c]
	s, err := explicitOptions{Mode: "auto", Text: text, Position: p.o.Position, Size: visible.DefaultSize,
		MaxPixels: p.o.verify.MaxPixels, CRF: video.DefaultCRF, Preset: video.DefaultPreset,
		AudioCue: "start", AudioCueMode: "insert", Prompt: text, PromptPosition: "start"}.setup()
	if err != nil {
		return nil, fmt.Errorf("notice %q: %w", text, err)
	}
	p.notices[c] = s
	return s, nil
}

// copyFile copies src to target through a checked temporary file.
func copyFile(src *os.File, target string, perm os.FileMode) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	tmp, err := safewrite.Create(target, perm)
	if err != nil {
		return err
	}
	defer tmp.Discard()
	if _, err := io.Copy(tmp, src); err != nil {
		return err
	}
	return tmp.Commit(false)
}
