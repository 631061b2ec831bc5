// Package all is the explicit registry of every container format aigcmark
// labels: it sniffs a file's container from its bytes and hands back the
// label.Format that reads and writes it. It is built in this one file, with
// no init side effects.
package all

import (
	"errors"
	"io"
	"path/filepath"
	"strings"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/flac"
	"github.com/aigcmark/aigcmark/label/gif"
	"github.com/aigcmark/aigcmark/label/jpeg"
	"github.com/aigcmark/aigcmark/label/markdown"
	"github.com/aigcmark/aigcmark/label/mp3"
	"github.com/aigcmark/aigcmark/label/mp4"
	"github.com/aigcmark/aigcmark/label/ogg"
	"github.com/aigcmark/aigcmark/label/png"
	"github.com/aigcmark/aigcmark/label/wav"
	"github.com/aigcmark/aigcmark/label/webp"
)

// Formats returns every registered format in the order Sniff tries them:
// formats with magic bytes first, Markdown (plain text, no magic) last.
func Formats() []label.Format {
	return []label.Format{
		jpeg.Format{}, png.Format{}, webp.Format{}, gif.Format{},
		mp4.Format{}, wav.Format{}, flac.Format{}, ogg.Format{}, mp3.Format{},
		markdown.Format{},
	}
}

// ByName returns the format called name, or nil.
func ByName(name string) label.Format {
	for _, f := range Formats() {
		if f.Name() == name {
			return f
		}
	}
	return nil
}

// textExts are the names under which a plain-text file is taken for
// Markdown. Text has no magic bytes, and labeling a JSON or CSV sidecar by
// prepending front matter would damage it, so for text (and only for text)
// the name counts as well: a file that already opens with front matter, or
// whose name ends in one of these, is Markdown.
var textExts = map[string]bool{".md": true, ".markdown": true, ".mdown": true, ".mkd": true, ".mdx": true, ".txt": true}

// Detect returns the format of the file whose first bytes are head (up to
// label.SniffLen of them) and whose name is name. Binary containers are
// recognised by their bytes alone, whatever the name says.
func Detect(head []byte, name string) (label.Format, error) {
	for _, f := range Formats() {
		if !f.Sniff(head) {
			continue
		}
		if f.Name() == "markdown" && !textExts[strings.ToLower(filepath.Ext(name))] && !opensFrontMatter(head) {
			return nil, label.ErrUnknownFormat
		}
		return f, nil
	}
	return nil, label.ErrUnknownFormat
}

func opensFrontMatter(head []byte) bool {
	s := strings.TrimPrefix(string(head), "\ufeff")
	return strings.HasPrefix(s, "---\n") || strings.HasPrefix(s, "---\r\n")
}

// Sniff reads the head of r, detects its format (see Detect) and leaves r
// at offset 0.
func Sniff(r io.ReadSeeker, name string) (label.Format, error) {
	head := make([]byte, label.SniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return Detect(head[:n], name)
}
