// Package verdict decides, from the evidence a verifier gathered, which of
// the cases of the CAC labeling Measures (Art. 6) an upload falls in, and the
// notice a platform shows for it (shared/spec/GB45438.md, section 5):
//
//   - case "1": an implicit (metadata) label that holds says the content is
//     AI-generated: the notice "AI生成";
//   - case "2": no such label, but the uploader declared the content
//     AI-generated: "可能为AI生成" (possibly);
//   - case "3": neither, but an explicit label or other traces of generation
//     were found (a watermark, IPTC or C2PA metadata, generator parameters,
//     a label that does not hold): "疑似AI生成" (suspected);
//   - "none": nothing of the above.
//
// A label "holds" when it parses with every Annex E field in range and
// none of its integrity fields was found invalid. A label that a platform
// wrote with Label "2" or "3" (its own case for the file) carries that case
// forward: it is the earlier platform's decision, not a producer's
// statement. A label that does not hold is never case 1; it still counts as
// a trace.
package verdict

import (
	"fmt"
	"slices"
)

// The cases, as the Label field of Annex E spells them.
const (
	AI        = "1"
	Possibly  = "2"
	Suspected = "3"
	None      = "none"
)

// Notices are the default wording shown for each case.
var Notices = map[string]string{
	AI:        "AI生成",
	Possibly:  "可能为AI生成",
	Suspected: "疑似AI生成",
	None:      "",
}

// A Label is one implicit label as the verifier judged it.
type Label struct {
	// Where names the carrier for reasons: "xmp in APP1 segment".
	Where string
	// Value is the label's Label field.
	Value string
	// Holds is true when the label is well-formed and no signature on it
	// was found invalid.
	Holds bool
	// Why says why it does not hold ("ReservedCode1 signature invalid:
	// the content changed"); empty when it holds.
	Why string
}

// A Trace is one piece of evidence of generation other than an implicit
// label: an explicit label, a watermark, metadata a generator left.
type Trace struct {
	Kind   string // "explicit-label", "watermark", "iptc", "c2pa", "generator", …
	Detail string // for people
}

// Evidence is everything the decision takes.
type Evidence struct {
	Labels     []Label
	DeclaredAI bool // the uploader declared the content AI-generated
	Traces     []Trace
}

// Verdict is the decision: its JSON form is part of `aigcmark verify
// --json` (README).
type Verdict struct {
	Label   string   `json:"label"`   // "1", "2", "3" or "none"
	Notice  string   `json:"notice"`  // the notice to show, "" for none
	Reasons []string `json:"reasons"` // why, strongest first
}

// Decide returns the verdict for e: the strongest case any evidence
// supports (1 before 2 before 3), with every reason that supports a case.
func Decide(e Evidence) Verdict {
	type reason struct{ c, text string }
	var rs []reason
	add := func(c, text string) { rs = append(rs, reason{c, text}) }
	for _, l := range e.Labels {
		switch {
		case !l.Holds:
			add(Suspected, fmt.Sprintf("an implicit label in %s that does not hold (%s)", l.Where, l.Why))
		case l.Value == AI:
			add(AI, fmt.Sprintf("the implicit label in %s says AI-generated (Label 1)", l.Where))
		case l.Value == Possibly:
			add(Possibly, fmt.Sprintf("the implicit label in %s says possibly AI-generated (Label 2, an earlier platform's case)", l.Where))
		case l.Value == Suspected:
			add(Suspected, fmt.Sprintf("the implicit label in %s says suspected AI-generated (Label 3, an earlier platform's case)", l.Where))
		default:
			add(Suspected, fmt.Sprintf("an implicit label in %s with Label %q", l.Where, l.Value))
		}
	}
	if e.DeclaredAI {
		add(Possibly, "the uploader declared the content AI-generated")
	}
	for _, t := range e.Traces {
		add(Suspected, t.Kind+": "+t.Detail)
	}
	slices.SortStableFunc(rs, func(a, b reason) int { return rank(a.c) - rank(b.c) })
	v := Verdict{Label: None, Reasons: []string{}}
	for i, r := range rs {
		if i == 0 {
			v.Label = r.c
		}
		v.Reasons = append(v.Reasons, r.text)
	}
	v.Notice = Notices[v.Label]
	return v
}

// rank orders the cases, strongest first.
func rank(c string) int {
	switch c {
	case AI:
		return 0
	case Possibly:
		return 1
	case Suspected:
		return 2
	}
	return 3
}
