package label

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Severity says how much a Problem matters.
type Severity int

const (
	// Warning is a departure from practice that a reader tolerates.
	Warning Severity = iota
	// Error is a departure from the standard.
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// MarshalText makes a Severity read "error" or "warning" in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Problem is one compliance finding. Code is stable and meant for scripts;
// Message is for people.
type Problem struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Carrier  string   `json:"carrier,omitempty"` // the label's carrier, for problems of one label
}

func (p Problem) String() string {
	s := p.Severity.String() + " " + p.Code + ": " + p.Message
	if p.Carrier != "" {
		s += " [" + p.Carrier + "]"
	}
	return s
}

// Mode selects how strictly Validate reads the "should" clauses of Annex E.
type Mode int

const (
	// Lenient reports departures from the recommended character set and
	// from strict structure as warnings.
	Lenient Mode = iota
	// Strict reports them as errors.
	Strict
)

// Validate checks a label's values. Label must be "1", "2" or "3" and the
// producer must be named in any mode, except in a label a platform wrote for
// content it found possibly or suspected AI-generated (Label "2" or "3"),
// whose producer it may not know: there an empty ContentProducer (and
// ProduceID) is a warning. The character set (printable ASCII
// without space, '"' and '\'), empty ProduceID and unknown or missing keys
// found by Parse are errors in Strict mode and warnings in Lenient mode; a
// value that looks like a provider code but breaks the 27-character layout
// is always a warning, since a plain name is allowed too.
func Validate(l Label, mode Mode) []Problem {
	var ps []Problem
	soft := Warning
	if mode == Strict {
		soft = Error
	}
	switch l.Label {
	case "1", "2", "3":
	default:
		ps = append(ps, Problem{Code: "label-value", Severity: Error,
			Message: fmt.Sprintf("Label is %q; it must be \"1\", \"2\" or \"3\"", l.Label)})
	}
	switch {
	case l.ContentProducer == "" && (l.Label == "2" || l.Label == "3"):
		// A platform that marks an upload as possibly or suspected
		// AI-generated (Measures Art. 6) does not know who made it.
		ps = append(ps, Problem{Code: "no-producer", Severity: Warning,
			Message: "ContentProducer is empty (the producer is unknown, as for a platform's Label 2 or 3)"})
	case l.ContentProducer == "":
		ps = append(ps, Problem{Code: "no-producer", Severity: Error,
			Message: "ContentProducer is empty"})
	}
	if l.ProduceID == "" && !(l.ContentProducer == "" && (l.Label == "2" || l.Label == "3")) {
		ps = append(ps, Problem{Code: "no-produce-id", Severity: soft,
			Message: "ProduceID is empty"})
	}
	if (l.ContentPropagator == "") != (l.PropagateID == "") {
		ps = append(ps, Problem{Code: "half-propagation", Severity: Warning,
			Message: "only one of ContentPropagator and PropagateID is set"})
	}
	for i, v := range l.Values() {
		if bad := badChars(v); bad != "" {
			ps = append(ps, Problem{Code: "charset", Severity: soft,
				Message: fmt.Sprintf("%s contains %s, outside the recommended set 0x21, 0x23-0x5B, 0x5D-0x7E", Keys[i], bad)})
		}
	}
	for _, k := range []string{"ContentProducer", "ContentPropagator"} {
		v, _ := l.Get(k)
		if msg := CheckProviderCode(v); msg != "" {
			ps = append(ps, Problem{Code: "provider-code", Severity: Warning,
				Message: k + " " + msg})
		}
	}
	return ps
}

// ApplyMode raises the soft problems Parse reports to errors in Strict mode.
func ApplyMode(ps []Problem, mode Mode) []Problem {
	if mode != Strict {
		return ps
	}
	out := make([]Problem, len(ps))
	for i, p := range ps {
		switch p.Code {
		case "unknown-key", "key-order", "key-case":
			p.Severity = Error
		}
		out[i] = p
	}
	return out
}

// badChars describes the characters of v outside the recommended set, or
// returns "" when there are none.
func badChars(v string) string {
	var bad []string
	seen := map[rune]bool{}
	for i, r := range v {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(v[i:]); n == 1 {
				return "invalid UTF-8"
			}
		}
		ok := r == 0x21 || (r >= 0x23 && r <= 0x5B) || (r >= 0x5D && r <= 0x7E) || r == '"'
		if !ok && !seen[r] {
			seen[r] = true
			if len(bad) < 5 {
				bad = append(bad, fmt.Sprintf("%q", r))
			}
		}
	}
	if len(seen) == 0 {
		return ""
	}
	s := strings.Join(bad, ", ")
	if len(seen) > len(bad) {
		s += fmt.Sprintf(" and %d more", len(seen)-len(bad))
	}
	return s
}

var codeLike = regexp.MustCompile(`^[0-9A-Z]{20,34}$`)

// CheckProviderCode checks a value that looks like a service-provider code
// (a run of 20 to 34 digits and upper-case letters) against the 27-character
// layout of the TC260 guides: "00", subject type 1|2, binding method 1, the
// 18-character unified social credit code, service type 1|2, and a
// four-character model code. It returns "" when v is a valid code or does
// not look like one (plain names are allowed), and otherwise says what is
// wrong.
func CheckProviderCode(v string) string {
	if !codeLike.MatchString(v) {
		return ""
	}
	if len(v) != 27 {
		return fmt.Sprintf("looks like a provider code but has %d characters, not 27", len(v))
	}
	switch {
	case v[0:2] != "00":
		return fmt.Sprintf("provider code version is %q, not \"00\"", v[0:2])
	case v[2] != '1' && v[2] != '2':
		return fmt.Sprintf("provider code subject type is %q, not 1 or 2", v[2])
	case v[3] != '1':
		return fmt.Sprintf("provider code binding method is %q, not 1", v[3])
	case v[22] != '1' && v[22] != '2':
		return fmt.Sprintf("provider code service type is %q, not 1 (generation) or 2 (distribution)", v[22])
	}
	if msg := checkUSCC(v[4:22]); msg != "" {
		return "provider code " + msg
	}
	return ""
}

// checkUSCC checks an 18-character unified social credit code (GB 32100-2015):
// its alphabet and its check character.
func checkUSCC(c string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := 0; i < 17; i++ {
		n := strings.IndexByte(alphabet, c[i])
		if n < 0 {
			return fmt.Sprintf("credit code has %q at position %d, outside its alphabet", c[i], i+1)
		}
		sum += n * weights[i]
	}
	want := alphabet[(31-sum%31)%31]
	if c[17] != want {
		return fmt.Sprintf("credit code check character is %q, expected %q", c[17], want)
	}
	return ""
}
