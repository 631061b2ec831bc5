package markdown

import (
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Read returns the label of each top-level AIGC key of the front matter.
//
// The label's Raw text is the JSON the key holds when it is given as JSON
// (flow, quoted or block scalar), and otherwise the bare JSON object
// rebuilt from the YAML mapping, keys in the file's order, so that
// label.NewFound reports missing, unknown and misspelt keys. YAML this
// package cannot read under AIGC (nested values, anchors, an unclosed
// quote, …) is reported as a "front-matter-syntax" problem of that label,
// with what could be read. A front matter that is opened but not closed is
// a FormatError.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	_, fm, err := readHead(r)
	if err != nil || fm == nil {
		return nil, err
	}
	var out []label.Found
	for _, e := range fm.entries() {
		var block [][]byte
		for _, l := range fm.lines[e.key+1 : e.last+1] {
			block = append(block, l.text)
		}
		raw, problems := parseValue(e.after, block)
		where := fmt.Sprintf("YAML front matter, key AIGC at line %d", fm.lineNo(e.key))
		f := label.NewFound(label.CarrierFrontMatter, where, int64(fm.lines[e.key].start), raw)
		for _, p := range problems {
			f.Problems = append(f.Problems, label.Problem{Code: "front-matter-syntax", Severity: label.Error,
				Message: "AIGC front matter value: " + p})
		}
		out = append(out, f)
	}
	return out, nil
}
