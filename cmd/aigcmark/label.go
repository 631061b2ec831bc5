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
	"github.com/aigcmark/aigcmark/cmd/internal/safewrite"
	"github.com/aigcmark/aigcmark/label"
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
}

func labelCommand() *cli.Command {
	var o labelOptions
	return &cli.Command{
		Name:      "label",
		Usage:     "write the GB 45438 metadata label into files, losslessly",
		ArgsUsage: "INPUT...",
		Description: "Writes the Annex E label into each file's container metadata without touching the media.\n" +
			"Inputs are files or folders (walked recursively). Each output is written to a temporary\n" +
			"file, read back and checked, and only then renamed into place.",
		Flags: []cli.Flag{
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
		},
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
	err     error
	// replaced describes the labels the input carried, "" when none.
	replaced string
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
	files := fileset.Expand(args)
	if o.Out != "" {
		// An output folder inside an input folder holds earlier outputs:
		// never label those again into a copy of themselves.
		files = fileset.Outside(files, o.Out)
	}
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

	start := time.Now()
	var done, failed, skipped, replacedOthers int
	var total int64
	batch.Run(ctx, len(files), o.Jobs, func(ctx context.Context, i int) labelResult {
		if err := ctx.Err(); err != nil {
			return labelResult{err: err}
		}
		return labelOne(o, files[i])
	}, func(i int, r labelResult) {
		f := files[i]
		switch {
		case r.skipped:
			skipped++
			if !o.Quiet {
				fmt.Fprintf(stdout, "%s: skipped: not a supported format\n", f.Path)
			}
		case r.err != nil:
			failed++
			fmt.Fprintf(stderr, "%s: %s\n", f.Path, describe(r.err, f.Path))
		default:
			done++
			total += r.bytes
			if !o.Quiet {
				note := ""
				if r.replaced != "" {
					note = "; " + r.replaced
				}
				fmt.Fprintf(stdout, "%s -> %s (%s, ProduceID %s%s)\n", f.Path, r.out, r.format, r.id, note)
			}
			if strings.Contains(r.replaced, "ContentProducer") {
				replacedOthers++
			}
		}
	})
	notStarted := len(files) - done - failed - skipped
	el := time.Since(start)
	fmt.Fprintf(stderr, "labeled %d file(s), %s in %s (%s/s)", done, humanBytes(total), el.Round(time.Millisecond), humanBytes(int64(float64(total)/el.Seconds())))
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
	if failed > 0 || notStarted > 0 {
		return silentError{exitFailed}
	}
	return nil
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

func labelOne(o labelOptions, in fileset.File) labelResult {
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
	id := o.ProduceID
	if id == "" {
		id = label.NewID()
	}
	l := o.build(id)

	tmp, err := safewrite.Create(target, st.Mode().Perm())
	if err != nil {
		return labelResult{err: err}
	}
	defer tmp.Discard()
	if err := format.Write(tmp, src, l); err != nil {
		return labelResult{err: err}
	}
	if err := verifyOutput(tmp.File, format, l); err != nil {
		return labelResult{err: fmt.Errorf("the labeled file did not check out, nothing was written: %w", err)}
	}
	if err := tmp.Commit(o.InPlace); err != nil {
		return labelResult{err: err}
	}
	return labelResult{out: target, format: format.Name(), id: id, bytes: st.Size(), replaced: replacedNote(old, l)}
}

// verifyOutput reads the written file back: it must be recognised as the
// same format and carry exactly the label written, nothing else.
func verifyOutput(f *os.File, format label.Format, l label.Label) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	head := make([]byte, label.SniffLen)
	n, _ := io.ReadFull(f, head)
	if !format.Sniff(head[:n]) {
		return fmt.Errorf("output is no longer recognised as %s", format.Name())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	found, err := format.Read(f)
	if err != nil {
		return fmt.Errorf("reading the output back: %w", err)
	}
	if len(found) != 1 {
		return fmt.Errorf("output carries %d labels, want exactly 1", len(found))
	}
	if found[0].Label != l {
		return fmt.Errorf("output label reads back as %s, wrote %s", found[0].Label, l)
	}
	return nil
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
