// Package mp3 reads and writes the AIGC label of GB 45438-2025 Annex E in
// MP3 files: an ID3v2 TXXX frame whose description is AIGC and whose value
// is the label's JSON (ID3v2.3: https://id3.org/id3v2.3.0, ID3v2.4:
// https://id3.org/id3v2.4.0-structure and https://id3.org/id3v2.4.0-frames).
//
// Read understands ID3v2.2, 2.3 and 2.4 tags at the start of the file
// (several consecutive tags too), with tag-level and frame-level
// unsynchronisation, extended headers, compressed frames and footers. Write
// rebuilds the first tag with the TXXX AIGC frame replaced or added, copying
// every other frame byte for byte and keeping the tag's version; a file
// without a tag gets a new ID3v2.4 tag. A file whose first tag is ID3v2.2
// is refused as Unsupported: its frames would need converting to 2.3 ids
// and formats (PIC to APIC, for one), which cannot always be done
// faithfully. The MPEG audio that follows, and
// any ID3v1 or APE tag at the end, is copied unchanged with io.CopyN.
package mp3

import (
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Description is the TXXX description that names the label.
const Description = "AIGC"

const name = "mp3"

// Format is the MP3 container. The zero value is ready to use.
type Format struct{}

var _ label.Format = Format{}

// Name returns "mp3".
func (Format) Name() string { return name }

// Sniff reports whether head starts with an ID3v2 tag header (version 2, 3
// or 4) or with an MPEG audio frame header. For a frame header, when head
// is long enough, a second frame header must follow at the computed frame
// length.
func (Format) Sniff(head []byte) bool {
	if len(head) >= 10 && bytes.HasPrefix(head, []byte("ID3")) {
		_, err := parseTagHeader(head[:10], 0)
		return err == nil
	}
	h, ok := parseFrameHeader(head)
	if !ok || h.length == 0 {
		return false
	}
	if len(head) < h.length+4 {
		return true
	}
	h2, ok := parseFrameHeader(head[h.length:])
	return ok && h2.sameStream(h)
}

// Read returns every TXXX AIGC frame of the ID3v2 tags at the start of the
// file. It checks that the tags fit in the file and that MPEG audio, if
// anything, follows them.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	f, err := open(r)
	if err != nil {
		return nil, err
	}
	var found []label.Found
	for _, t := range f.tags {
		err := t.frames(func(fr frame) error {
			txt, ok, err := t.aigc(fr)
			if ok {
				found = append(found, label.NewFound(label.CarrierID3, t.where(fr), t.fileOffset(fr.off), []byte(txt)))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}

// Write copies src to dst with l in a TXXX AIGC frame. See the package
// documentation.
func (Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	return write(dst, src, l)
}
