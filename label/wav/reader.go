package wav

import (
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/xmp"
)

const name = "wav"

// Chunk ids.
const (
	idAIGC = "AIGC"
	idLIST = "LIST"
	idPMX  = "_PMX"
	idFmt  = "fmt "
	idData = "data"
	idINFO = "INFO"
)

// file is a walked WAV file: its chunks, the labels found, and the metadata
// chunks a writer must rewrite to remove a label.
type file struct {
	rd     *riff.Reader
	chunks []riff.Chunk
	found  []label.Found
	lists  map[int]riff.List // LIST/INFO chunks holding an AIGC item, by index in chunks
	pmx    map[int][]byte    // _PMX packets holding TC260:AIGC, by index in chunks
}

// open reads the header of the WAV file r.
func open(r io.ReadSeeker) (*riff.Reader, error) {
	rd, err := riff.NewReader(r, name)
	if err != nil {
		return nil, err
	}
	if rd.Header.Form != "WAVE" {
		return nil, label.Corrupt(name, 8, "form type is %q, not \"WAVE\"", rd.Header.Form)
	}
	return rd, nil
}

// scan walks r's chunks, reading the metadata chunks that may carry a label.
func scan(r io.ReadSeeker) (*file, error) {
	rd, err := open(r)
	if err != nil {
		return nil, err
	}
	f := &file{rd: rd, lists: map[int]riff.List{}, pmx: map[int][]byte{}}
	var hasFmt, hasData bool
	var loaded int64 // metadata bytes read, bounded by label.MaxMetadata
	read := func(c riff.Chunk) ([]byte, error) {
		loaded += c.Size
		if loaded > label.MaxMetadata {
			return nil, label.Unsupported(name, c.Offset, "metadata chunks hold more than %d bytes", label.MaxMetadata)
		}
		return rd.ReadData(c, label.MaxMetadata)
	}
	err = rd.Walk(func(c riff.Chunk) error {
		i := len(f.chunks)
		f.chunks = append(f.chunks, c)
		switch c.ID {
		case idFmt:
			if c.Size < 14 {
				return label.Corrupt(name, c.Offset, "fmt chunk of %d bytes is too small", c.Size)
			}
			hasFmt = true
		case idData:
			hasData = true
		case idAIGC:
			d, err := read(c)
			if err != nil {
				return err
			}
			// Some writers NUL-terminate or NUL-pad the text.
			f.found = append(f.found, label.NewFound(label.CarrierRIFFChunk, "AIGC chunk", c.Offset, bytes.TrimRight(d, "\x00")))
		case idLIST:
			t, err := rd.ReadHead(c, 4)
			if err != nil {
				return err
			}
			if string(t) != idINFO {
				return nil
			}
			d, err := read(c)
			if err != nil {
				return err
			}
			l, err := riff.ParseList(d, c.DataOffset(), name)
			if err != nil {
				return err
			}
			for _, s := range l.Subs {
				if s.ID == idAIGC {
					// INFO items are NUL-terminated strings.
					f.found = append(f.found, label.NewFound(label.CarrierRIFFInfo, "LIST/INFO/AIGC", s.Offset, bytes.TrimRight(s.Data, "\x00")))
					f.lists[i] = l
				}
			}
		case idPMX:
			d, err := read(c)
			if err != nil {
				return err
			}
			vals, err := xmp.Find(d)
			if err != nil && bytes.Contains(d, []byte(xmp.Property)) {
				return label.Corrupt(name, c.Offset, "_PMX chunk: %v", err)
			}
			for _, v := range vals {
				f.found = append(f.found, label.NewFound(label.CarrierXMP, "_PMX chunk (XMP)", c.Offset, []byte(v.Text)))
				f.pmx[i] = d
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !hasFmt {
		return nil, label.Corrupt(name, -1, "no fmt chunk")
	}
	if !hasData {
		return nil, label.Corrupt(name, -1, "no data chunk")
	}
	return f, nil
}
