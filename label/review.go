package label

import (
	"fmt"
	"strings"
)

// Review checks the labels found in one file as a whole: each label's
// parse problems and values (Validate, in mode), and the rule of GB 45438
// clause 6.1 c that a file carries one metadata label. A file with no label
// gets a "no-label" problem; identical labels in several carriers a
// "duplicate-label" warning; labels that disagree a "conflicting-labels"
// error.
func Review(found []Found, mode Mode) []Problem {
	if len(found) == 0 {
		return []Problem{{Code: "no-label", Severity: Error, Message: "no AIGC metadata label found"}}
	}
	var ps []Problem
	for _, f := range found {
		own := ApplyMode(f.Problems, mode)
		if !hasCode(f.Problems, "bad-json") {
			own = append(own, Validate(f.Label, mode)...)
		}
		for _, p := range own {
			p.Carrier = f.Carrier
			ps = append(ps, p)
		}
	}
	if len(found) > 1 {
		var where []string
		same := true
		for _, f := range found {
			where = append(where, f.Carrier+" ("+f.Where+")")
			if f.Label != found[0].Label {
				same = false
			}
		}
		if same {
			ps = append(ps, Problem{Code: "duplicate-label", Severity: Warning,
				Message: fmt.Sprintf("the same label is stored %d times: %s; one label per file is expected", len(found), strings.Join(where, ", "))})
		} else {
			ps = append(ps, Problem{Code: "conflicting-labels", Severity: Error,
				Message: fmt.Sprintf("%d labels that disagree: %s", len(found), strings.Join(where, ", "))})
		}
	}
	return ps
}

func hasCode(ps []Problem, code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}

// HasErrors reports whether any problem has severity Error.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}
