package mp3

import (
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// file is the structure of an MP3 file as far as labels go: the ID3v2
// tags at its start and where the audio begins.
type file struct {
	size  int64
	tags  []*tag
	audio int64 // offset of the first byte after the tags
}

// open reads the tag headers at the start of r and checks that what
// follows them is MPEG audio (or nothing, or only trailing tags).
func open(r io.ReadSeeker) (*file, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	f := &file{size: size}
	var h [10]byte
	for f.audio+10 <= size {
		if _, err := r.Seek(f.audio, io.SeekStart); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, label.Truncated(name, f.audio, "ID3v2 tag header")
		}
		if string(h[:3]) != "ID3" {
			break
		}
		t, err := parseTagHeader(h[:], f.audio)
		if err != nil {
			return nil, err
		}
		if rest := size - f.audio; t.total() > rest {
			return nil, label.Corrupt(name, f.audio, "%s claims %d bytes, %d remain in the file", t, t.total(), rest)
		}
		if len(f.tags) == maxTags {
			return nil, label.Corrupt(name, f.audio, "more than %d ID3v2 tags in a row", maxTags)
		}
		t.r = r
		if err := t.init(); err != nil {
			return nil, err
		}
		f.tags = append(f.tags, t)
		f.audio += t.total()
	}
	if err := f.checkAudio(r); err != nil {
		return nil, err
	}
	return f, nil
}

// checkAudio checks that MPEG audio starts at f.audio. After a tag it also
// accepts a few KiB of zero bytes first (padding some writers leave outside
// the tag), no audio at all, or only an ID3v1 or APE tag.
func (f *file) checkAudio(r io.ReadSeeker) error {
	if _, err := r.Seek(f.audio, io.SeekStart); err != nil {
		return err
	}
	head := make([]byte, min(f.size-f.audio, 4096))
	if _, err := io.ReadFull(r, head); err != nil {
		return label.Truncated(name, f.audio, "audio")
	}
	if len(f.tags) == 0 {
		if _, ok := parseFrameHeader(head); !ok {
			return label.Corrupt(name, 0, "not an MP3 file: no ID3v2 tag or MPEG audio frame header at the start")
		}
		return nil
	}
	b := bytes.TrimLeft(head, "\x00")
	if len(b) == 0 && len(head) < 4096 {
		return nil // no audio
	}
	if _, ok := parseFrameHeader(b); ok || bytes.HasPrefix(b, []byte("TAG")) || bytes.HasPrefix(b, []byte("APETAGEX")) {
		return nil
	}
	return label.Corrupt(name, f.audio, "no MPEG audio frame follows the ID3v2 tag")
}
