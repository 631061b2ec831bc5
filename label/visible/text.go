package visible

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextRunes bounds the label and prompt texts.
const MaxTextRunes = 100

// CheckText reports whether s may be used as an explicit label or a text
// prompt: GB 45438-2025 clause 5 asks for an AI element ("人工智能" or the
// Latin capitals "AI") and a generation element ("生成" or "合成"). The text
// must also be one line of valid UTF-8 without control characters and at
// most MaxTextRunes characters. The error is a *TextError that quotes the
// rule.
func CheckText(s string) error {
	switch {
	case !utf8.ValidString(s):
		return &TextError{Text: s, Other: "not valid UTF-8"}
	case utf8.RuneCountInString(s) > MaxTextRunes:
		return &TextError{Text: s, Other: "longer than the limit of 100 characters"}
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return &TextError{Text: s, Other: "contains a line break or another control character"}
	}
	e := &TextError{
		Text:         s,
		NoAI:         !strings.Contains(s, "人工智能") && !strings.Contains(s, "AI"),
		NoGeneration: !strings.Contains(s, "生成") && !strings.Contains(s, "合成"),
	}
	if e.NoAI || e.NoGeneration {
		return e
	}
	return nil
}
