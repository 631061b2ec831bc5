package visible

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels matched (errors.Is) by the errors of this package, for callers
// that branch on the kind of problem.
var (
	// ErrTextRule is matched by a *TextError: the text lacks the elements
	// GB 45438-2025 clause 5 asks for.
	ErrTextRule = errors.New("label text does not meet GB 45438-2025 clause 5")
	// ErrSize: a label size outside [MinSize, MaxSize].
	ErrSize = errors.New("label size out of range")
	// ErrPosition: an unknown position name.
	ErrPosition = errors.New("unknown position")
	// ErrFont: a font that cannot be parsed or drawn with.
	ErrFont = errors.New("unusable font")
	// ErrMissingGlyphs is matched by a *MissingGlyphsError.
	ErrMissingGlyphs = errors.New("font lacks glyphs")
	// ErrNoFit: the label does not fit the picture.
	ErrNoFit = errors.New("label does not fit the picture")
	// ErrNotText: input for a text prompt that is not UTF-8 text.
	ErrNotText = errors.New("not UTF-8 text")
)

// Error is an error of this package. Its message reads
// "visible: <what is wrong>"; Kind is one of the sentinels above.
type Error struct {
	Kind error
	Msg  string
	Err  error // the underlying cause, if any
}

func (e *Error) Error() string {
	s := "visible: " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

func newError(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// TextError reports a label or prompt text that lacks the AI element or the
// generation element of GB 45438-2025 clause 5. It matches ErrTextRule.
type TextError struct {
	Text         string
	NoAI         bool   // neither "人工智能" nor "AI"
	NoGeneration bool   // neither "生成" nor "合成"
	Other        string // another problem: not UTF-8, too long, a control character
}

// Rule is the rule TextError quotes.
const Rule = `GB 45438-2025 clause 5: the text must contain an AI element ("人工智能" or "AI") and a generation element ("生成" or "合成"), e.g. "AI生成"`

func (e *TextError) Error() string {
	if e.Other != "" {
		return fmt.Sprintf("visible: label text %q: %s", e.Text, e.Other)
	}
	var lacks []string
	if e.NoAI {
		lacks = append(lacks, `an AI element ("人工智能" or "AI")`)
	}
	if e.NoGeneration {
		lacks = append(lacks, `a generation element ("生成" or "合成")`)
	}
	return fmt.Sprintf("visible: label text %q lacks %s; %s", e.Text, strings.Join(lacks, " and "), Rule)
}

// Is reports whether target is ErrTextRule.
func (e *TextError) Is(target error) bool { return target == ErrTextRule }

// MissingGlyphsError reports characters the font has no glyph for. The
// label is never drawn with placeholder boxes instead. It matches
// ErrMissingGlyphs.
type MissingGlyphsError struct {
	Font  string // the font's full name
	Runes []rune // each missing character once, in text order
}

func (e *MissingGlyphsError) Error() string {
	quoted := make([]string, len(e.Runes))
	for i, r := range e.Runes {
		quoted[i] = fmt.Sprintf("%q (U+%04X)", r, r)
	}
	return fmt.Sprintf("visible: font %q has no glyph for %s; choose a font that covers them",
		e.Font, strings.Join(quoted, ", "))
}

// Is reports whether target is ErrMissingGlyphs.
func (e *MissingGlyphsError) Is(target error) bool { return target == ErrMissingGlyphs }
