// Package benchdoc writes the sections of docs/BENCHMARKS.md that the
// benchmark commands own. make bench (cmd/internal/benchreport) rewrites
// the whole file and keeps the other commands' sections; make
// bench-watermark (wmbench) and make bench-faceswap (fsbench) each replace
// their own section between its markers.
package benchdoc

import (
	"os"
	"strings"
)

// A Section is the pair of HTML comments that delimit one command's part
// of the file.
type Section struct{ Begin, End string }

// The sections other commands than benchreport write.
var (
	Watermark      = Section{"<!-- watermark:begin -->", "<!-- watermark:end -->"}
	WatermarkVideo = Section{"<!-- watermark-video:begin -->", "<!-- watermark-video:end -->"}
	Faceswap       = Section{"<!-- faceswap:begin -->", "<!-- faceswap:end -->"}
)

// Kept lists the sections a rewrite of the whole file keeps.
var Kept = []Section{Watermark, WatermarkVideo, Faceswap}

// Write puts text (which starts with s.Begin and ends with s.End) into
// the file at path in place of the section there, or at its end.
func (s Section) Write(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	f := string(old)
	if i, j := strings.Index(f, s.Begin), strings.Index(f, s.End); i >= 0 && j > i {
		f = f[:i] + strings.TrimRight(text, "\n") + f[j+len(s.End):]
	} else {
		f = strings.TrimRight(f, "\n") + "\n\n" + text
	}
	return os.WriteFile(path, []byte(f), 0o644)
}

// Find returns the section as it stands in the file at path, markers
// included, or "" when it has none.
func (s Section) Find(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	f := string(b)
	if i, j := strings.Index(f, s.Begin), strings.Index(f, s.End); i >= 0 && j > i {
		return f[i : j+len(s.End)]
	}
	return ""
}
