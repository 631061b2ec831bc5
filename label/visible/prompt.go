package visible

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/aigcmark/aigcmark/label/markdown"
)

// DefaultPrompt is the text prompt added when PromptOptions.Text is empty.
const DefaultPrompt = "（本内容由AI生成）"

// TextPosition is where a text prompt goes: GB 45438-2025 clause 5 allows
// the start, the end, or places in between. The zero value is TextEnd.
type TextPosition int

// The text positions.
const (
	TextEnd TextPosition = iota
	TextStart
	TextBoth
)

var textPositionNames = [...]string{TextEnd: "end", TextStart: "start", TextBoth: "both"}

// String returns "start", "end" or "both".
func (p TextPosition) String() string {
	if p < 0 || int(p) >= len(textPositionNames) {
		return fmt.Sprintf("TextPosition(%d)", int(p))
	}
	return textPositionNames[p]
}

// ParseTextPosition parses "start", "end" or "both" (any case).
func ParseTextPosition(s string) (TextPosition, error) {
	for p, name := range textPositionNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return TextPosition(p), nil
		}
	}
	return 0, newError(ErrPosition, "unknown text position %q; use one of start, end, both", s)
}

// MarshalText returns the position's name.
func (p TextPosition) MarshalText() ([]byte, error) {
	if p < 0 || int(p) >= len(textPositionNames) {
		return nil, newError(ErrPosition, "invalid text position %d", int(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText parses a name as ParseTextPosition does.
func (p *TextPosition) UnmarshalText(b []byte) error {
	v, err := ParseTextPosition(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// PromptText reports whether s may be used as a text prompt: the same rule
// as label text (CheckText).
func PromptText(s string) error { return CheckText(s) }

// PromptOptions says how to add a text prompt.
type PromptOptions struct {
	// Text is the prompt; empty means DefaultPrompt. It must pass
	// PromptText.
	Text string
	// Position is where the prompt goes.
	Position TextPosition
	// Markdown sets the prompt apart as its own paragraph: blank lines
	// around it, and a code fence left open at the end closed first.
	// Without it the prompt is a line of its own.
	Markdown bool
}

// NewPromptOptions checks a prompt text (empty means DefaultPrompt) and
// parses a position name (start, end or both), as a command line gives
// them.
func NewPromptOptions(text, position string) (PromptOptions, error) {
	o := PromptOptions{Text: text}
	if o.Text == "" {
		o.Text = DefaultPrompt
	}
	if err := PromptText(o.Text); err != nil {
		return PromptOptions{}, err
	}
	var err error
	o.Position, err = ParseTextPosition(position)
	return o, err
}

// headBytes is how much of the input is looked at to check that it is
// text and to learn its line ending.
const headBytes = 64 << 10

// AddPromptBytes returns src with the prompt added, for text already in
// memory.
func AddPromptBytes(src []byte, o PromptOptions) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(src) + 3*len(o.Text) + 64)
	if err := AddPrompt(&out, bytes.NewReader(src), o); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// AddPrompt copies the text src to dst with the prompt added, streaming:
// memory stays bounded whatever the length. The prompt goes after the YAML
// front matter, if the text has one (where label/markdown keeps the
// metadata label of any text file; the front matter is held in memory, up
// to markdown.MaxFrontMatter); a block that opens like front matter but is
// not closed within that bound is text. The prompt's line ending follows
// the text's (CRLF or LF), and a UTF-8 byte order mark stays first. Input
// that is not UTF-8 text (UTF-16, NUL bytes, invalid UTF-8 in the first 64
// KiB) is refused with ErrNotText before anything is written. Empty text
// gets the prompt once, whatever the position.
func AddPrompt(dst io.Writer, src io.Reader, o PromptOptions) error {
	text := o.Text
	if text == "" {
		text = DefaultPrompt
	}
	if err := PromptText(text); err != nil {
		return err
	}
	if o.Position < 0 || int(o.Position) >= len(textPositionNames) {
		return newError(ErrPosition, "invalid text position %d", int(o.Position))
	}
	br := bufio.NewReaderSize(src, headBytes)
	head, err := br.Peek(headBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	if err := checkText(head, len(head) < headBytes); err != nil {
		return err
	}
	w := &tracker{w: dst}
	eol := []byte("\n")
	if i := bytes.IndexByte(head, '\n'); i > 0 && head[i-1] == '\r' {
		eol = []byte("\r\n")
	}
	if bytes.HasPrefix(head, utf8BOM) {
		br.Discard(len(utf8BOM))
		w.Write(utf8BOM)
	}
	if bytes.HasPrefix(bytes.TrimPrefix(head, utf8BOM), []byte("---")) {
		// Front matter may run to markdown.MaxFrontMatter bytes: look
		// ahead through a larger buffer.
		buffered, _ := br.Peek(br.Buffered())
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), src), markdown.MaxFrontMatter+headBytes)
		fm, err := readFrontMatter(br)
		if err != nil {
			return err
		}
		w.Write(fm)
		if len(fm) > 0 && fm[len(fm)-1] != '\n' {
			w.Write(eol)
		}
	}
	if _, err := br.Peek(1); err == io.EOF {
		// Nothing (else) to label: the prompt once.
		w.Write([]byte(text))
		w.Write(eol)
		return w.err
	}
	if o.Position != TextEnd {
		w.Write([]byte(text))
		w.Write(eol)
		if o.Markdown {
			w.Write(eol)
		}
	}
	body := &tracker{w: w}
	var fence fenceState
	if err := copyLines(body, br, o.Markdown, &fence); err != nil {
		return err
	}
	if o.Position != TextStart {
		endsEOL := body.endsEOL()
		if !endsEOL {
			w.Write(eol)
		}
		if o.Markdown {
			if fence.open {
				w.Write(bytes.Repeat([]byte{fence.char}, fence.n))
				w.Write(eol)
			}
			if !body.blankEnd() || fence.open {
				w.Write(eol)
			}
		}
		w.Write([]byte(text))
		if endsEOL {
			w.Write(eol)
		}
	}
	return w.err
}

var utf8BOM = []byte("\xef\xbb\xbf")

// checkText refuses input that is not UTF-8 text. whole says head is all
// of it (so a rune cut at its end is an error).
func checkText(head []byte, whole bool) error {
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return newError(ErrNotText, "input starts with a UTF-16 byte order mark; only UTF-8 text takes a prompt")
	case bytes.IndexByte(head, 0) >= 0:
		return newError(ErrNotText, "input has a NUL byte at offset %d; only UTF-8 text takes a prompt", bytes.IndexByte(head, 0))
	}
	valid := head
	if !whole {
		// Allow a rune cut off at the end of the head.
		for i := len(head) - 1; i >= 0 && i >= len(head)-utf8.UTFMax; i-- {
			if utf8.RuneStart(head[i]) {
				if !utf8.FullRune(head[i:]) {
					valid = head[:i]
				}
				break
			}
		}
	}
	if !utf8.Valid(valid) {
		n := 0
		for len(valid) > 0 {
			r, size := utf8.DecodeRune(valid)
			if r == utf8.RuneError && size == 1 {
				break
			}
			valid, n = valid[size:], n+size
		}
		return newError(ErrNotText, "input is not valid UTF-8 at offset %d; only UTF-8 text takes a prompt", n)
	}
	return nil
}

// readFrontMatter reads a YAML front matter block ("---" line, lines,
// "---" or "..." line) from the start of br, as label/markdown reads it,
// and returns its bytes (nil when there is none). A block that is not
// closed within markdown.MaxFrontMatter bytes is not front matter: its
// bytes are left to be copied as text. br must buffer more than
// markdown.MaxFrontMatter bytes.
func readFrontMatter(br *bufio.Reader) ([]byte, error) {
	buf, err := br.Peek(markdown.MaxFrontMatter + 1)
	if err != nil && err != io.EOF {
		return nil, err
	}
	end, closed := frontMatterEnd(buf, len(buf) <= markdown.MaxFrontMatter)
	if !closed || end > markdown.MaxFrontMatter {
		return nil, nil
	}
	fm := make([]byte, end)
	_, err = io.ReadFull(br, fm)
	return fm, err
}

// frontMatterEnd finds the end of a front matter block at the start of
// buf: the offset after its closing line. final says buf holds all the
// input.
func frontMatterEnd(buf []byte, final bool) (end int, closed bool) {
	isFence := func(t []byte, f string) bool { return string(bytes.TrimRight(t, " \t")) == f }
	p := 0
	for n := 0; p < len(buf); n++ {
		i := bytes.IndexByte(buf[p:], '\n')
		if i < 0 {
			// The last line: only a closing fence counts, and only when
			// nothing follows.
			if n > 0 && final && (isFence(bytes.TrimSuffix(buf[p:], []byte("\r")), "---") || isFence(buf[p:], "...")) {
				return len(buf), true
			}
			return 0, false
		}
		line := bytes.TrimSuffix(buf[p:p+i], []byte("\r"))
		p += i + 1
		switch {
		case n == 0 && !isFence(line, "---"):
			return 0, false
		case n > 0 && (isFence(line, "---") || isFence(line, "...")):
			return p, true
		}
	}
	return 0, false
}

// tracker writes through, keeps the first error and the last four bytes.
type tracker struct {
	w    io.Writer
	err  error
	last [4]byte
	n    int64
}

func (t *tracker) Write(b []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.w.Write(b)
	t.n += int64(n)
	if len(b) >= 4 {
		copy(t.last[:], b[len(b)-4:])
	} else {
		copy(t.last[:], t.last[len(b):])
		copy(t.last[4-len(b):], b)
	}
	t.err = err
	return n, err
}

// endsEOL reports whether what was written ends with a line break.
func (t *tracker) endsEOL() bool { return t.n > 0 && t.last[3] == '\n' }

// blankEnd reports whether what was written ends with an empty line (or
// nothing was written).
func (t *tracker) blankEnd() bool {
	return t.n == 0 || t.n == 1 && t.last[3] == '\n' ||
		t.last[2] == '\n' && t.last[3] == '\n' || string(t.last[:]) == "\r\n\r\n"
}

// fenceState follows Markdown code fences (``` or ~~~, at most three
// spaces in) line by line.
type fenceState struct {
	open bool
	char byte
	n    int
}

// line updates the state with the start of a line.
func (f *fenceState) line(l []byte) {
	t := l
	for i := 0; i < 3 && len(t) > 0 && t[0] == ' '; i++ {
		t = t[1:]
	}
	if len(t) < 3 || t[0] != '`' && t[0] != '~' {
		return
	}
	c := t[0]
	n := 0
	for n < len(t) && t[n] == c {
		n++
	}
	if n < 3 {
		return
	}
	rest := bytes.TrimRight(t[n:], " \t\r\n")
	switch {
	case !f.open:
		if c == '`' && bytes.IndexByte(rest, '`') >= 0 {
			return // not a fence: an info string may not hold a backtick
		}
		f.open, f.char, f.n = true, c, n
	case c == f.char && n >= f.n && len(rest) == 0:
		f.open = false
	}
}

// copyLines copies br to w; with markdown it follows code fences.
func copyLines(w io.Writer, br *bufio.Reader, md bool, fence *fenceState) error {
	if !md {
		_, err := br.WriteTo(w)
		return err
	}
	atStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if atStart {
				fence.line(chunk)
			}
			if _, werr := w.Write(chunk); werr != nil {
				return werr
			}
			atStart = chunk[len(chunk)-1] == '\n'
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case err == io.EOF:
			return nil
		default:
			return err
		}
	}
}
