// Package traces finds the traces that AI image generators leave in a
// file's metadata: the IPTC digital source type, the generation parameters
// that Stable Diffusion front ends embed, and Software or CreatorTool fields
// that name a generator. It reads metadata only (PNG text and eXIf chunks,
// JPEG APP1 segments, WebP EXIF and XMP chunks, the GIF XMP application
// extension, XMP in MP4 uuid boxes and in moov); it never decodes pixels.
//
// Our own GB 45438-2025 labels (TC260:AIGC, see package label) are not
// generation traces and are never reported here; C2PA manifests are read by
// package detect/c2pa.
//
// Each Evidence is "strong" when the field can only come from a generator
// or an explicit declaration, "weak" when it suggests one. Where each
// detector's format is documented:
//
//   - IPTC DigitalSourceType (Iptc4xmpExt:DigitalSourceType, namespace
//     http://iptc.org/std/Iptc4xmpExt/2008-02-29/): IPTC Photo Metadata
//     Standard 2023.1+, "Digital Source Type", with the controlled
//     vocabulary http://cv.iptc.org/newscodes/digitalsourcetype/.
//     trainedAlgorithmicMedia and compositeWithTrainedAlgorithmicMedia are
//     strong; algorithmicMedia (no trained model, e.g. procedural art) and
//     compositeSynthetic (a composite with some synthetic element) are weak.
//     Element, attribute and rdf:resource forms, full URI or bare code.
//   - Stable Diffusion web UI (AUTOMATIC1111, and forks such as Forge):
//     repository AUTOMATIC1111/stable-diffusion-webui, modules/images.py
//     (PNG text "parameters"; JPEG and WebP: EXIF UserComment, UNICODE) and
//     modules/infotext_utils.py (the "Steps: …, Sampler: …, CFG scale: …,
//     Seed: …" last line). Strong when Steps and two other keys are present.
//   - ComfyUI: repository comfyanonymous/ComfyUI, nodes.py SaveImage (PNG
//     text "prompt", the API graph {"id":{"class_type":…,"inputs":…}}, and
//     "workflow", the editor graph {"nodes":[{"type":…}]}) and
//     SaveAnimatedWEBP (EXIF Model "prompt:{…}", Make "workflow:{…}").
//   - NovelAI: repository NovelAI/novelai-image-metadata and the naipng
//     project (PNG text "Software" = "NovelAI", "Source", and "Comment"
//     holding JSON with steps, sampler, seed).
//   - InvokeAI: repository invoke-ai/InvokeAI (PNG text "invokeai_metadata",
//     "invokeai_graph", "invokeai_workflow"; older releases "sd-metadata"
//     and "Dream").
//   - Fooocus: repository lllyasviel/Fooocus, modules/meta_parser.py (PNG
//     text "fooocus_scheme" and "parameters" as JSON or A1111 text with
//     "Version: Fooocus …"; JPEG/WebP EXIF UserComment, Software).
//   - Midjourney: no public specification; its downloads carry a
//     Description (PNG text, EXIF ImageDescription or XMP dc:description)
//     ending in "Job ID: <uuid>" and an Author, recognised by that pattern.
//   - Software / CreatorTool / Credit naming a generator: the table in
//     generators.go (DALL·E / OpenAI, Adobe Firefly, Midjourney, Google AI,
//     Bing Image Creator, …), matched case-insensitively on whole words.
//
// Camera and editor fields (Make, Model, "Adobe Photoshop") are not traces.
package traces

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Strength values.
const (
	Strong = "strong"
	Weak   = "weak"
)

// MaxDetail bounds the length, in bytes, of Evidence.Detail.
const MaxDetail = 160

// maxTotal bounds the metadata bytes one file may make Read hold.
const maxTotal = 32 << 20

// Evidence is one generation trace found in a file's metadata.
type Evidence struct {
	Source    string `json:"source"`    // the field: "png-text parameters", "exif Software", …
	Location  string `json:"location"`  // where in the file: "tEXt chunk at offset 33"
	Generator string `json:"generator"` // the tool, "" when the field names none
	Detail    string `json:"detail"`    // a short excerpt, at most MaxDetail bytes
	Strength  string `json:"strength"`  // Strong or Weak
}

func (e Evidence) String() string {
	g := e.Generator
	if g == "" {
		g = "unknown generator"
	}
	return fmt.Sprintf("%s (%s, %s): %s: %q", e.Source, e.Strength, e.Location, g, e.Detail)
}

// Error is a metadata structure Read cannot follow.
type Error struct {
	Format string // "png", "jpeg", …
	Offset int64
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("traces: %s: %s (at offset %d)", e.Format, e.Msg, e.Offset)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnknownFormat means the file is none of the containers Read knows.
var ErrUnknownFormat = errors.New("traces: unknown file format")

func corrupt(format string, off int64, msg string, args ...any) error {
	return &Error{Format: format, Offset: off, Msg: fmt.Sprintf(msg, args...)}
}

func truncated(format string, off int64, what string) error {
	return &Error{Format: format, Offset: off, Msg: what + " is truncated", Err: io.ErrUnexpectedEOF}
}

// Read returns the generation traces in the metadata of the file r: a PNG,
// JPEG, WebP, GIF or ISO base media (MP4, MOV, M4A) file. A file of another
// kind gives ErrUnknownFormat; a structure that cannot be followed gives an
// *Error together with the evidence found before it.
func Read(r io.ReadSeeker) ([]Evidence, error) {
	blocks, err := collect(r)
	var out []Evidence
	for _, b := range blocks {
		out = append(out, b.evidence()...)
	}
	return dedupe(out), err
}

// dedupe drops repeats of the same source, location and generator.
func dedupe(ev []Evidence) []Evidence {
	seen := map[string]bool{}
	out := ev[:0]
	for _, e := range ev {
		k := e.Source + "\x00" + e.Location + "\x00" + e.Generator
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// excerpt returns s on one line, cut to MaxDetail bytes on a rune boundary.
func excerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= MaxDetail {
		return s
	}
	cut := MaxDetail - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
