package markdown

import (
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Write copies src to dst with l as the front matter key AIGC, in block
// form. The first existing AIGC key and its value are replaced where they
// stand and further ones are dropped; without one, the key is added as the
// last of the front matter; without front matter, a new one holding only
// the label is put at the start of the file (after a byte order mark). All
// other lines are kept byte for byte, new lines use the line ending of the
// file's first line, and the body after the front matter is copied from
// src as it is.
func (Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	head, fm, err := readHead(src)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	var rest int64 // where the copied remainder of src starts
	if fm == nil {
		p := 0
		if bytes.HasPrefix(head, bom) {
			p = len(bom)
			out.Write(bom)
		}
		eol := []byte("\n")
		if i := bytes.IndexByte(head, '\n'); i > 0 && head[i-1] == '\r' {
			eol = []byte("\r\n")
		}
		out.WriteString("---")
		out.Write(eol)
		writeBlock(&out, l, eol)
		out.WriteString("---")
		out.Write(eol)
		rest = int64(p)
	} else {
		eol := fm.eol()
		out.Write(head[:fm.open.start+len(fm.open.text)+len(fm.open.eol)])
		entries := fm.entries()
		skip := map[int]bool{}
		for _, e := range entries {
			for i := e.key; i <= e.last; i++ {
				skip[i] = true
			}
		}
		for i, ln := range fm.lines {
			if len(entries) > 0 && i == entries[0].key {
				writeBlock(&out, l, eol)
			}
			if !skip[i] {
				out.Write(ln.text)
				out.Write(ln.eol)
			}
		}
		if len(entries) == 0 {
			writeBlock(&out, l, eol)
		}
		out.Write(fm.close.text)
		out.Write(fm.close.eol)
		rest = int64(fm.end)
	}
	if _, err := dst.Write(out.Bytes()); err != nil {
		return err
	}
	if _, err := src.Seek(rest, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	return err
}

// writeBlock writes the AIGC key in block form.
func writeBlock(b *bytes.Buffer, l label.Label, eol []byte) {
	b.WriteString("AIGC:")
	b.Write(eol)
	for i, v := range l.Values() {
		b.WriteString("  " + label.Keys[i] + ": " + quote(v))
		b.Write(eol)
	}
}
