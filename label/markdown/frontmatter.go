package markdown

import (
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// line is one line of the head of the file.
type line struct {
	start int    // offset in the file
	text  []byte // without its line ending
	eol   []byte // "\n", "\r\n", or empty at the end of the file
}

// frontMatter is the front matter found at the start of a file.
type frontMatter struct {
	bom   bool
	open  line   // the "---" line
	lines []line // the YAML lines
	close line   // the "---" or "..." line
	end   int    // offset just after the closing line
}

// eol returns the front matter's line ending style.
func (fm *frontMatter) eol() []byte { return fm.open.eol }

// readHead reads the front matter, if the file has one. It returns the
// bytes read (at least the first line, when there is no front matter), and
// the front matter or nil. A front matter that is opened but not closed,
// or longer than MaxFrontMatter, is an error.
func readHead(r io.ReadSeeker) ([]byte, *frontMatter, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	var head []byte
	chunk := 4096
	eof := false
	for {
		if !eof {
			n := min(chunk, MaxFrontMatter+1-len(head))
			buf := make([]byte, n)
			m, err := io.ReadFull(r, buf)
			head = append(head, buf[:m]...)
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				eof = true
			} else if err != nil {
				return nil, nil, err
			}
			chunk *= 2
		}
		fm, more, err := parseFrontMatter(head, eof || len(head) > MaxFrontMatter)
		if err != nil {
			return nil, nil, err
		}
		if !more {
			return head, fm, nil
		}
	}
}

// parseFrontMatter finds the front matter in head. more says head is
// not long enough to tell; final says no more bytes will come.
func parseFrontMatter(head []byte, final bool) (fm *frontMatter, more bool, err error) {
	p := 0
	hasBOM := bytes.HasPrefix(head, bom)
	if hasBOM {
		p = len(bom)
	}
	first, ok := nextLine(head, p, final)
	if !ok {
		return nil, !final, nil
	}
	if !isFence(first.text, "---") || len(first.eol) == 0 {
		return nil, false, nil
	}
	fm = &frontMatter{bom: hasBOM, open: first}
	p = first.start + len(first.text) + len(first.eol)
	notClosed := func() error {
		if len(head) > MaxFrontMatter {
			return label.Corrupt(name, 0, "front matter is longer than the limit of %d bytes", MaxFrontMatter)
		}
		return label.Corrupt(name, 0, "front matter opened at line 1 is not closed")
	}
	for {
		l, ok := nextLine(head, p, final)
		if !ok {
			if final {
				return nil, false, notClosed()
			}
			return nil, true, nil
		}
		p = l.start + len(l.text) + len(l.eol)
		if p > MaxFrontMatter {
			return nil, false, label.Corrupt(name, 0, "front matter is longer than the limit of %d bytes", MaxFrontMatter)
		}
		if isFence(l.text, "---") || isFence(l.text, "...") {
			fm.close, fm.end = l, p
			return fm, false, nil
		}
		fm.lines = append(fm.lines, l)
		if len(l.eol) == 0 { // the end of the file
			return nil, false, notClosed()
		}
	}
}

// nextLine returns the line starting at p; ok is false when the line's end
// is not in head yet (or head ends at p).
func nextLine(head []byte, p int, final bool) (line, bool) {
	if p >= len(head) {
		return line{}, false
	}
	i := bytes.IndexByte(head[p:], '\n')
	if i < 0 {
		if !final {
			return line{}, false
		}
		return line{start: p, text: head[p:]}, true
	}
	text, eol := head[p:p+i], head[p+i:p+i+1]
	if bytes.HasSuffix(text, []byte("\r")) {
		text, eol = text[:len(text)-1], head[p+i-1:p+i+1]
	}
	return line{start: p, text: text, eol: eol}, true
}

// isFence reports whether text is the fence f with optional trailing blanks.
func isFence(text []byte, f string) bool {
	return string(bytes.TrimRight(text, " \t")) == f
}

// entry is one top-level AIGC key in the front matter.
type entry struct {
	key   int // index of the key line in fm.lines
	last  int // index of the last line of its value
	after []byte
}

// entries returns the top-level keys named AIGC (in any ASCII case, plain
// or quoted) with the extent of their values: the key line and the
// indented (or "- ") lines under it, blank and comment lines among them.
func (fm *frontMatter) entries() []entry {
	var out []entry
	for i := 0; i < len(fm.lines); i++ {
		rest, ok := keyIs(fm.lines[i].text, "AIGC")
		if !ok {
			continue
		}
		e := entry{key: i, last: i, after: rest}
		for j := i + 1; j < len(fm.lines); j++ {
			t := fm.lines[j].text
			if len(bytes.TrimSpace(t)) == 0 || t[0] == '#' {
				continue // blank or comment: part of the value only if more follows
			}
			if t[0] == ' ' || t[0] == '\t' || (t[0] == '-' && (len(t) == 1 || t[1] == ' ')) {
				e.last = j
				continue
			}
			break
		}
		out = append(out, e)
		i = e.last
	}
	return out
}

// keyIs reports whether text is a top-level mapping key k and returns what
// follows the ':'.
func keyIs(text []byte, k string) ([]byte, bool) {
	var key []byte
	switch {
	case len(text) == 0:
		return nil, false
	case text[0] == '"' || text[0] == '\'':
		j := bytes.IndexByte(text[1:], text[0])
		if j < 0 {
			return nil, false
		}
		key, text = text[1:1+j], text[2+j:]
	default:
		j := bytes.IndexByte(text, ':')
		if j < 0 {
			return nil, false
		}
		key, text = bytes.TrimRight(text[:j], " \t"), text[j:]
	}
	text = bytes.TrimLeft(text, " \t")
	if !bytes.EqualFold(key, []byte(k)) || len(text) == 0 || text[0] != ':' {
		return nil, false
	}
	text = text[1:]
	if len(text) > 0 && text[0] != ' ' && text[0] != '\t' {
		return nil, false
	}
	return text, true
}

// lineNo returns the 1-based line number in the file of fm.lines[i].
func (fm *frontMatter) lineNo(i int) int { return i + 2 }
