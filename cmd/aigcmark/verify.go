package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/batch"
	"github.com/aigcmark/aigcmark/cmd/internal/fileset"
	"github.com/aigcmark/aigcmark/detect/c2pa"
	"github.com/aigcmark/aigcmark/detect/faceswap"
	"github.com/aigcmark/aigcmark/detect/traces"
	"github.com/aigcmark/aigcmark/detect/verdict"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/digest"
	"github.com/aigcmark/aigcmark/label/sign"
	"github.com/aigcmark/aigcmark/label/visible/picture"
	"github.com/aigcmark/aigcmark/watermark"
)

type verifyOptions struct {
	JSON       bool
	DeclaredAI bool
	Trust      cli.StringSlice
	WMKey      string
	Jobs       int
	Explicit   bool
	MaxPixels  int64
	Storage    storageOptions
	Tag        bool
	Report     string
	Faceswap   bool
	FaceFPS    string
}

func verifyFlags(o *verifyOptions) []cli.Flag {
	return append([]cli.Flag{
		&cli.BoolFlag{Name: "declared-ai", Usage: "the uploader declared the content AI-generated (case 2 when no label holds)", Destination: &o.DeclaredAI},
		&cli.StringSliceFlag{Name: "trust", Usage: "public keys (`FILE` or DIR of *.pub/*.pem; repeatable) whose ReservedCode1/ReservedCode2 signatures are checked", Destination: &o.Trust},
		&cli.StringFlag{Name: "wm-key", Usage: "also look for the invisible watermark made with the key `FILE` (pictures and video)", Destination: &o.WMKey},
		&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "files checked in parallel", Destination: &o.Jobs},
		&cli.BoolFlag{Name: "explicit", Value: true, Usage: "look for the explicit label in the pixels, samples or text (--explicit=false: metadata only)", Destination: &o.Explicit},
		&cli.Int64Flag{Name: "max-pixels", Value: picture.DefaultMaxPixels, Usage: "do not decode images with more pixels than this", Destination: &o.MaxPixels},
	}, storageFlags(&o.Storage)...)
}

func verifyCommand() *cli.Command {
	var o verifyOptions
	return &cli.Command{
		Name:      "verify",
		Usage:     "decide whether uploads are AI-generated, possibly or suspected AI-generated (Measures Art. 6)",
		ArgsUsage: "INPUT...",
		Description: "For each file: its metadata labels and their compliance, the integrity signatures\n" +
			"(ReservedCode1, ReservedCode2) checked against --trust keys, the watermark (--wm-key), the\n" +
			"explicit label, traces of generation (IPTC DigitalSourceType, C2PA manifests, generator\n" +
			"metadata), and the verdict: 1 (a label that holds says AI-generated), 2 (no such label, the\n" +
			"uploader declared it: --declared-ai), 3 (neither, but an explicit label or traces), or none.\n" +
			"Exits 0 when every input was checked, 1 when some could not be.",
		Flags: append(verifyFlags(&o),
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per input, one per line", Destination: &o.JSON},
			&cli.BoolFlag{Name: "tag", Usage: "record the verdict on each input as tags: aigc-label=1|2|3|none and aigc-checked=<time> (S3 object tags; extended attributes for local files)", Destination: &o.Tag},
			&cli.StringFlag{Name: "report", Usage: "also write the JSON lines to `FILE` (or an s3:// object)", Destination: &o.Report},
			&cli.BoolFlag{Name: "faceswap", Usage: "add heuristic face-swap evidence for pictures and video (as aigcmark faceswap; it does not change the verdict)", Destination: &o.Faceswap},
			&cli.StringFlag{Name: "faceswap-fps", Value: defaultFPS, Usage: "video frames per second the face-swap check reads, or all", Destination: &o.FaceFPS}),
		Action: func(c *cli.Context) error {
			return runVerify(c.Context, o, c.Args().Slice(), c.App.Writer, c.App.ErrWriter)
		},
	}
}

// verifyReport is one line of `verify --json`: a contract documented in
// README.md.
type verifyReport struct {
	Path      string           `json:"path"`
	Format    *string          `json:"format"`
	Kind      *string          `json:"kind"`   // image, video, audio, text; null when unknown
	Digest    *string          `json:"digest"` // content digest (label/digest), hex
	Labels    []verifiedLabel  `json:"labels"`
	Problems  []label.Problem  `json:"problems"`
	Watermark *watermarkCheck  `json:"watermark"` // null without --wm-key or for audio and text
	Explicit  *explicitReport  `json:"explicit"`  // null with --explicit=false
	Faceswap  *faceswapReport  `json:"faceswap"`  // with --faceswap, for pictures and video
	Traces    []traceReport    `json:"traces"`
	C2PA      []c2paReport     `json:"c2pa"`
	Verdict   *verdict.Verdict `json:"verdict"` // null on error
	Error     *string          `json:"error"`
	found     []label.Found    // the labels as read, for propagate
	checks    []verdict.Label  // the labels as judged
	content   *sign.Content    // for propagate's signature
}

type verifiedLabel struct {
	labelReport
	Holds      bool              `json:"holds"`
	Why        *string           `json:"why"` // why it does not hold
	Signatures []signatureReport `json:"signatures"`
}

type signatureReport struct {
	Field  string  `json:"field"`  // ReservedCode1 or ReservedCode2
	Party  string  `json:"party"`  // producer or propagator
	Status string  `json:"status"` // valid, invalid, unknown-key, not-signed, foreign-format
	KeyID  *string `json:"key_id"`
	Reason *string `json:"reason"`
}

type watermarkCheck struct {
	detectReport
	// MatchesLabel tells whether the payload is the one the labeling
	// pipeline derives from a label found in the file (HMAC of
	// ContentProducer/ProduceID); null when no mark or no label.
	MatchesLabel *bool `json:"matches_label"`
}

type traceReport struct {
	Kind      string `json:"kind"` // explicit-label, watermark, metadata, c2pa
	Source    string `json:"source"`
	Location  string `json:"location"`
	Generator string `json:"generator"`
	Detail    string `json:"detail"`
	Strength  string `json:"strength"` // strong or weak
}

type c2paReport struct {
	Location       string   `json:"location"`
	Active         bool     `json:"active"`
	ClaimGenerator string   `json:"claim_generator"`
	Actions        []string `json:"actions"`
	SourceTypes    []string `json:"digital_source_types"`
	Generative     bool     `json:"generative"` // some source type is generative AI
	Validated      bool     `json:"validated"`  // always false: signatures are not checked
}

// evidence is the trace as the verdict's reasons word it.
func (t traceReport) evidence() verdict.Trace {
	var e verdict.Trace
	switch t.Kind {
	case "explicit-label":
		e = verdict.Trace{Kind: "explicit label", Detail: t.Detail}
	case "watermark":
		e = verdict.Trace{Kind: "aigcmark watermark", Detail: t.Detail}
	case "c2pa":
		e = verdict.Trace{Kind: "C2PA manifest (not validated) in " + t.Location, Detail: t.Detail}
	default:
		e = verdict.Trace{Kind: t.Source + " in " + t.Location, Detail: t.Detail}
	}
	if t.Generator != "" {
		e.Detail = t.Generator + ": " + e.Detail
	}
	if t.Strength == traces.Weak {
		e.Detail += " (weak)"
	}
	return e
}

// verifier holds what every input is checked with.
type verifier struct {
	o    verifyOptions
	keys sign.Keyring
	wm   *watermark.Key
	fs   *faceswapper // with --faceswap
}

func newVerifier(o verifyOptions) (*verifier, error) {
	v := &verifier{o: o, keys: sign.Keyring{}}
	for _, path := range o.Trust.Value() {
		k, err := sign.LoadPublicKeys(path)
		if err != nil {
			return nil, usagef("--trust: %v", err)
		}
		maps.Copy(v.keys, k)
	}
	if o.Faceswap {
		fs, err := newFaceswapper(faceswapOptions{FPS: o.FaceFPS, MinFace: faceswap.DefaultMinFace, MaxPixels: o.MaxPixels})
		if err != nil {
			return nil, err
		}
		v.fs = fs
	}
	if o.WMKey != "" {
		k, err := loadKeyFile(o.WMKey)
		if err != nil {
			return nil, usagef("--wm-key: %v", err)
		}
		v.wm = &k
	}
	return v, nil
}

func runVerify(ctx context.Context, o verifyOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("verify: no inputs")
	}
	if o.Jobs < 1 {
		return usagef("verify: --jobs must be at least 1")
	}
	v, err := newVerifier(o)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	bio, err := o.Storage.open()
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer bio.close()
	var report *reportFile
	if o.Report != "" {
		if report, err = bio.openReport(ctx, o.Report); err != nil {
			return fmt.Errorf("verify: --report: %w", err)
		}
	}
	ins := bio.expand(ctx, args)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	counts := map[string]int{}
	var failed, checked int
	batch.Run(ctx, len(ins), o.Jobs, func(ctx context.Context, i int) (r verifyReport) {
		bio.withLocal(ctx, ins[i], func(f fileset.File) { r = v.check(ctx, f) })
		r.Path = ins[i].Path
		if o.Tag && r.Error == nil {
			if err := tagVerdict(ctx, ins[i], r.Verdict.Label, time.Now()); err != nil {
				s := "tagging the verdict: " + err.Error()
				r.Error = &s
			}
		}
		return r
	}, func(i int, r verifyReport) {
		checked++
		if r.Error != nil {
			failed++
		} else {
			counts[r.Verdict.Label]++
		}
		report.write(r)
		if o.JSON {
			_ = enc.Encode(r)
			return
		}
		printVerify(stdout, r)
		if r.Error != nil {
			fmt.Fprintf(stderr, "%s: %s\n", r.Path, *r.Error)
		}
	})
	if !o.JSON {
		fmt.Fprintf(stderr, "verified %d file(s): %d AI-generated (1), %d possibly (2), %d suspected (3), %d none, %d failed\n",
			checked, counts[verdict.AI], counts[verdict.Possibly], counts[verdict.Suspected], counts[verdict.None], failed)
	}
	if err := report.Close(ctx); err != nil {
		return fmt.Errorf("verify: --report: %w", err)
	}
	if failed > 0 || checked < len(ins) {
		return silentError{exitFailed}
	}
	return nil
}

// check verifies one input; errors end up in the report.
func (v *verifier) check(ctx context.Context, in fileset.File) verifyReport {
	r := verifyReport{Path: in.Path, Labels: []verifiedLabel{}, Problems: []label.Problem{},
		Traces: []traceReport{}, C2PA: []c2paReport{}}
	fail := func(err error) verifyReport {
		s := describe(err, in.Path)
		r.Error, r.Verdict = &s, nil
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
	kind, err := mediaKind(ctx, format, in.Path)
	if err != nil {
		return fail(err)
	}
	if kind != "" {
		r.Kind = &kind
	}
	found, err := format.Read(f)
	if err != nil {
		return fail(err)
	}
	r.found = found
	for _, p := range label.Review(found, label.Lenient) {
		if p.Code != "no-label" { // the verdict says so
			r.Problems = append(r.Problems, p)
		}
	}

	// The content digest the signatures are checked against.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	d, err := digest.SumFormat(format, f)
	switch {
	case err == nil:
		h := hex.EncodeToString(d[:])
		r.Digest = &h
		r.content = &sign.Content{Container: name, Digest: d}
	case errors.Is(err, digest.ErrNoDigest):
	default:
		return fail(err)
	}
	for _, x := range found {
		r.Labels = append(r.Labels, v.judge(x, r.content))
		vl := r.Labels[len(r.Labels)-1]
		c := verdict.Label{Where: x.Where, Value: x.Label.Label, Holds: vl.Holds}
		if vl.Why != nil {
			c.Why = *vl.Why
		}
		r.checks = append(r.checks, c)
	}

	// The picture is decoded once for the checks that read its pixels.
	pic := newPictureFile(in.Path, v.o.MaxPixels)

	// Traces in the metadata.
	if err := v.metadataTraces(f, &r); err != nil {
		return fail(err)
	}
	if v.wm != nil && (kind == kindImage || kind == kindVideo) {
		r.Watermark = v.watermark(ctx, in, found, pic)
		if r.Watermark.Found {
			detail := "payload " + *r.Watermark.Payload
			if m := r.Watermark.MatchesLabel; m != nil && *m {
				detail += ", matching the label's ContentProducer/ProduceID"
			}
			r.Traces = append(r.Traces, traceReport{Kind: "watermark", Source: "aigcmark watermark", Location: "pixels",
				Detail: detail, Strength: traces.Strong})
		}
	}
	if v.o.Explicit && kind != "" {
		r.Explicit = inspectExplicit(ctx, format, in.Path, pic)
		if e := r.Explicit; e != nil && e.Error == nil && (e.Found || len(e.Cues) > 0) {
			r.Traces = append(r.Traces, traceReport{Kind: "explicit-label", Source: "aigcmark explicit label detector",
				Location: e.Kind, Detail: e.describe(), Strength: traces.Strong})
		}
	}

	if v.fs != nil && (kind == kindImage || kind == kindVideo) {
		fr := v.fs.check(ctx, in, nil, "", pic)
		fr.Path = ""
		r.Faceswap = &fr
	}

	ev := verdict.Evidence{Labels: r.checks, DeclaredAI: v.o.DeclaredAI}
	for _, t := range r.Traces {
		ev.Traces = append(ev.Traces, t.evidence())
	}
	vd := verdict.Decide(ev)
	r.Verdict = &vd
	return r
}

// judge checks one label: its values and both integrity fields.
func (v *verifier) judge(x label.Found, content *sign.Content) verifiedLabel {
	vl := verifiedLabel{labelReport: newLabelReport(x), Holds: true, Signatures: []signatureReport{}}
	var why []string
	ps := append(label.ApplyMode(x.Problems, label.Lenient), label.Validate(x.Label, label.Lenient)...)
	for _, p := range ps {
		if p.Severity == label.Error {
			why = append(why, p.Message)
		}
	}
	for _, party := range []sign.Party{sign.Producer, sign.Propagator} {
		sr := signatureReport{Field: party.Field(), Party: party.String()}
		var res sign.Result
		if content != nil {
			res = sign.Verify(v.keys, party, x.Label, *content)
		} else {
			// No digest for this container: a signature of ours
			// cannot be checked.
			res = sign.Verify(sign.Keyring{}, party, x.Label, sign.Content{})
			if res.Status == sign.UnknownKey {
				res.Reason = "no content digest is defined for this format"
			}
		}
		sr.Status = res.Status.String()
		if res.KeyID != "" {
			sr.KeyID = &res.KeyID
		}
		if res.Reason != "" {
			sr.Reason = &res.Reason
		}
		if res.Status == sign.Invalid {
			why = append(why, fmt.Sprintf("%s signature invalid: %s", party.Field(), res.Reason))
		}
		vl.Signatures = append(vl.Signatures, sr)
	}
	if len(why) > 0 {
		s := strings.Join(why, "; ")
		vl.Holds, vl.Why = false, &s
	}
	return vl
}

// metadataTraces adds the generator metadata and C2PA manifests of f.
func (v *verifier) metadataTraces(f *os.File, r *verifyReport) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	// A metadata structure the trace readers cannot follow in a file the
	// label reader took is a finding, not a failure: what was read before
	// it still counts.
	evs, err := traces.Read(f)
	if err != nil && !errors.Is(err, traces.ErrUnknownFormat) {
		r.Problems = append(r.Problems, label.Problem{Code: "unreadable-metadata", Severity: label.Warning,
			Message: "generator metadata: " + err.Error()})
	}
	for _, e := range evs {
		r.Traces = append(r.Traces, traceReport{Kind: "metadata", Source: e.Source, Location: e.Location,
			Generator: e.Generator, Detail: e.Detail, Strength: e.Strength})
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	ms, err := c2pa.Find(f)
	if err != nil && !errors.Is(err, label.ErrUnknownFormat) {
		r.Problems = append(r.Problems, label.Problem{Code: "unreadable-metadata", Severity: label.Warning,
			Message: "C2PA manifest store: " + err.Error()})
	}
	for _, m := range ms {
		cr := c2paReport{Location: m.Where, Active: m.Active, ClaimGenerator: m.ClaimGenerator,
			Actions: []string{}, SourceTypes: []string{}}
		if cr.ClaimGenerator == "" && len(m.GeneratorInfo) > 0 {
			cr.ClaimGenerator = strings.TrimSpace(m.GeneratorInfo[0].Name + " " + m.GeneratorInfo[0].Version)
		}
		for _, a := range m.Actions {
			cr.Actions = append(cr.Actions, a.Action)
		}
		for _, s := range m.SourceTypes {
			cr.SourceTypes = append(cr.SourceTypes, s.Value)
			if c2pa.Generative(s.Value) {
				cr.Generative = true
			}
		}
		r.C2PA = append(r.C2PA, cr)
		if cr.Generative {
			detail := "digital source type " + strings.Join(cr.SourceTypes, ", ")
			if len(cr.Actions) > 0 {
				detail += "; actions " + strings.Join(cr.Actions, ", ")
			}
			r.Traces = append(r.Traces, traceReport{Kind: "c2pa", Source: "C2PA manifest (signature not validated)",
				Location: m.Where, Generator: cr.ClaimGenerator, Detail: detail, Strength: traces.Strong})
		}
	}
	return nil
}

// watermark looks for the mark and ties its payload to the labels found.
func (v *verifier) watermark(ctx context.Context, in fileset.File, found []label.Found, pic *pictureFile) *watermarkCheck {
	w := &watermarkCheck{detectReport: detectOne(ctx, in, *v.wm, pic)}
	w.Path = ""
	if w.Found && len(found) > 0 {
		m := false
		for _, x := range found {
			if watermark.PayloadFor(*v.wm, x.Label.ContentProducer, x.Label.ProduceID).String() == *w.Payload {
				m = true
			}
		}
		w.MatchesLabel = &m
	}
	return w
}

func printVerify(w io.Writer, r verifyReport) {
	if r.Error != nil {
		return // reported on stderr
	}
	kind := ""
	if r.Kind != nil {
		kind = " " + *r.Kind
	}
	notice := ""
	if r.Verdict.Notice != "" {
		notice = " " + r.Verdict.Notice
	}
	fmt.Fprintf(w, "%s: %s%s, verdict %s%s\n", r.Path, *r.Format, kind, r.Verdict.Label, notice)
	for _, l := range r.Labels {
		state := "holds"
		if !l.Holds {
			state = "does not hold: " + *l.Why
		}
		fmt.Fprintf(w, "  label in %s (%s): Label %s, ContentProducer %s, ProduceID %s; %s\n", l.Location, l.Carrier,
			quoteIfNeeded(l.AIGC.Label), quoteIfNeeded(l.AIGC.ContentProducer), quoteIfNeeded(l.AIGC.ProduceID), state)
		for _, s := range l.Signatures {
			line := s.Status
			if s.KeyID != nil {
				line += ", key " + *s.KeyID
			}
			if s.Reason != nil {
				line += ": " + *s.Reason
			}
			fmt.Fprintf(w, "    %s (%s): %s\n", s.Field, s.Party, line)
		}
	}
	if m := r.Watermark; m != nil {
		switch {
		case m.Error != nil:
			fmt.Fprintf(w, "  watermark: could not be checked: %s\n", *m.Error)
		case m.Found:
			s := fmt.Sprintf("  watermark: %s (false alarm %.1e)", *m.Payload, *m.FalseAlarm)
			if m.MatchesLabel != nil {
				if *m.MatchesLabel {
					s += ", matches the label"
				} else {
					s += ", does not match the label's ContentProducer/ProduceID"
				}
			}
			fmt.Fprintln(w, s)
		default:
			fmt.Fprintln(w, "  watermark: none found with this key")
		}
	}
	if e := r.Explicit; e != nil {
		fmt.Fprintf(w, "  explicit label: %s\n", e.describe())
	}
	for _, t := range r.Traces {
		if t.Kind == "watermark" || t.Kind == "explicit-label" {
			continue // shown above
		}
		fmt.Fprintf(w, "  trace (%s, %s): %s: %s\n", t.Kind, t.Strength, t.Source, t.Detail)
	}
	for _, c := range r.C2PA {
		if !c.Generative {
			fmt.Fprintf(w, "  C2PA manifest in %s (not validated): generator %q, no generative source type\n", c.Location, c.ClaimGenerator)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	for _, s := range r.Verdict.Reasons {
		fmt.Fprintf(w, "  because %s\n", s)
	}
}
