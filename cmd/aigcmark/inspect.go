package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/batch"
	"github.com/aigcmark/aigcmark/cmd/internal/fileset"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

type inspectOptions struct {
	JSON      bool
	Strict    bool
	Jobs      int
	Explicit  bool
	MaxPixels int64
	Storage   storageOptions
}

func inspectCommand() *cli.Command {
	var o inspectOptions
	return &cli.Command{
		Name:      "inspect",
		Usage:     "report the metadata labels in files and how they comply",
		ArgsUsage: "INPUT...",
		Description: "For each file: the detected container, every AIGC label found with its carrier and\n" +
			"fields, and compliance problems. Exits 3 when an input carries no label.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per input, one per line", Destination: &o.JSON},
			&cli.BoolFlag{Name: "strict", Usage: "report departures from the recommended character set and key layout as errors", Destination: &o.Strict},
			&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "files read in parallel", Destination: &o.Jobs},
			&cli.BoolFlag{Name: "explicit", Value: true, Usage: "also measure the explicit label from the pixels, samples or text (--explicit=false reads metadata only)", Destination: &o.Explicit},
			&cli.Int64Flag{Name: "max-pixels", Value: picture.DefaultMaxPixels, Usage: "do not decode images with more pixels than this", Destination: &o.MaxPixels},
		}, storageFlags(&o.Storage)...),
		Action: func(c *cli.Context) error {
			return runInspect(c.Context, o, c.Args().Slice(), c.App.Writer, c.App.ErrWriter)
		},
	}
}

// inspectReport is one line of `inspect --json`. Its shape is a contract
// documented in README.md.
type inspectReport struct {
	Path      string          `json:"path"`
	Format    *string         `json:"format"`
	Labels    []labelReport   `json:"labels"`
	Problems  []label.Problem `json:"problems"`
	Compliant bool            `json:"compliant"`
	Explicit  *explicitReport `json:"explicit"`
	Error     *string         `json:"error"`
}

type labelReport struct {
	Carrier  string      `json:"carrier"`
	Location string      `json:"location"`
	Offset   int64       `json:"offset"`
	Form     string      `json:"form"`
	AIGC     label.Label `json:"aigc"`
	Raw      string      `json:"raw"`
}

func newLabelReport(x label.Found) labelReport {
	form := "bare"
	if x.Wrapped {
		form = "wrapped"
	}
	return labelReport{Carrier: x.Carrier, Location: x.Where, Offset: x.Offset, Form: form, AIGC: x.Label, Raw: x.Raw}
}

func runInspect(ctx context.Context, o inspectOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("inspect: no inputs")
	}
	if o.Jobs < 1 {
		return usagef("inspect: --jobs must be at least 1")
	}
	mode := label.Lenient
	if o.Strict {
		mode = label.Strict
	}
	bio, err := o.Storage.open()
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	defer bio.close()
	ins := bio.expand(ctx, args)
	var failed, unlabeled, checked int
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	batch.Run(ctx, len(ins), o.Jobs, func(ctx context.Context, i int) (r inspectReport) {
		bio.withLocal(ctx, ins[i], func(f fileset.File) { r = inspectOne(ctx, o, f, mode) })
		r.Path = ins[i].Path
		return r
	}, func(i int, r inspectReport) {
		checked++
		if r.Error != nil {
			failed++
		} else if len(r.Labels) == 0 {
			unlabeled++
		}
		if o.JSON {
			_ = enc.Encode(r)
			return
		}
		printInspect(stdout, r)
		if r.Error != nil {
			fmt.Fprintf(stderr, "%s: %s\n", r.Path, *r.Error)
		}
	})
	if !o.JSON {
		fmt.Fprintf(stderr, "inspected %d file(s): %d labeled, %d without a label, %d failed\n",
			checked, checked-failed-unlabeled, unlabeled, failed)
	}
	switch {
	case failed > 0 || checked < len(ins):
		return silentError{exitFailed}
	case unlabeled > 0:
		return silentError{exitNoLabel}
	}
	return nil
}

func inspectOne(ctx context.Context, o inspectOptions, in fileset.File, mode label.Mode) inspectReport {
	r := inspectReport{Path: in.Path, Labels: []labelReport{}, Problems: []label.Problem{}}
	fail := func(err error) inspectReport {
		s := describe(err, in.Path)
		r.Error = &s
		return r
	}
	if in.Err != nil {
		return fail(in.Err)
	}
	f, format, err := openFormat(in.Path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	name := format.Name()
	r.Format = &name
	found, err := format.Read(f)
	if err != nil {
		return fail(err)
	}
	for _, x := range found {
		r.Labels = append(r.Labels, newLabelReport(x))
	}
	r.Problems = append(r.Problems, label.Review(found, mode)...)
	r.Compliant = len(found) > 0 && !label.HasErrors(r.Problems)
	if o.Explicit {
		r.Explicit = inspectExplicit(ctx, format, in.Path, newPictureFile(in.Path, o.MaxPixels))
	}
	return r
}

func printInspect(w io.Writer, r inspectReport) {
	if r.Error != nil {
		return // reported on stderr
	}
	n := len(r.Labels)
	status := "compliant"
	if !r.Compliant {
		status = "not compliant"
	}
	fmt.Fprintf(w, "%s: %s, %d label(s), %s\n", r.Path, *r.Format, n, status)
	for _, l := range r.Labels {
		where := l.Location
		if l.Offset >= 0 {
			where += fmt.Sprintf(" at offset %d", l.Offset)
		}
		fmt.Fprintf(w, "  %s label in %s (%s form)\n", l.Carrier, where, l.Form)
		for i, k := range label.Keys {
			fmt.Fprintf(w, "    %-19s%s\n", k+":", quoteIfNeeded(l.AIGC.Values()[i]))
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	if e := r.Explicit; e != nil {
		fmt.Fprintf(w, "  explicit label: %s\n", e.describe())
	}
}

// describe says in one line what inspect measured of the explicit label.
func (e *explicitReport) describe() string {
	if e.Error != nil {
		return "could not be checked: " + *e.Error
	}
	switch e.Kind {
	case kindImage, kindVideo:
		if !e.Found {
			if len(e.Frames) > 0 {
				var miss []string
				for _, f := range e.Frames {
					if !f.Found {
						miss = append(miss, fmt.Sprintf("%.1fs", f.T))
					}
				}
				return "not found in the frames at " + strings.Join(miss, ", ")
			}
			return "none found"
		}
		s := fmt.Sprintf("text at %s, %.1f%% of the shortest side", *e.Position, 100**e.TextHeight)
		if len(e.Frames) > 0 {
			var ts []string
			for _, f := range e.Frames {
				ts = append(ts, fmt.Sprintf("%.1fs", f.T))
			}
			s += " (frames at " + strings.Join(ts, ", ") + ")"
		}
		return s
	case kindAudio:
		if len(e.Cues) == 0 {
			return "no AI rhythm found"
		}
		var cs []string
		for _, c := range e.Cues {
			cs = append(cs, fmt.Sprintf("%q at %.2fs", c.Pattern, c.At))
		}
		return "rhythm " + strings.Join(cs, ", ")
	case kindText:
		if !e.Found {
			return "no text prompt found at the start or end"
		}
		return "text prompt at " + strings.Join(e.Prompt, " and ")
	}
	return ""
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"\\") {
		b, _ := json.Marshal(s)
		return string(b)
	}
	return s
}
