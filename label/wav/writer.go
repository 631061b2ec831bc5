package wav

import (
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Write streams the WAV file src to dst with l in a top-level AIGC chunk
// holding the bare JSON, and every other label src had removed, so that the
// output carries exactly one:
//   - an existing AIGC chunk is replaced in its place, and any further AIGC
//     chunks are left out;
//   - an AIGC item is left out of its LIST/INFO chunk, the other items kept
//     byte for byte (a list left empty is left out);
//   - TC260:AIGC is dropped from a _PMX XMP packet, the packet otherwise kept.
//
// Every other chunk is copied byte for byte with its pad byte, the data
// chunk with io.CopyN straight from src. The RIFF size (for RF64, the ds64
// RIFF size) is updated. A corrupt src gives a *label.FormatError.
func (Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	f, err := scan(src)
	if err != nil {
		return err
	}
	var out []riff.Out
	placed := false
	for i, c := range f.chunks {
		switch {
		case c.ID == idAIGC:
			if !placed {
				out = append(out, riff.New(idAIGC, l.JSON()))
				placed = true
			}
		case f.lists[i].Type != "":
			list := f.lists[i]
			var keep []riff.Sub
			for _, s := range list.Subs {
				if s.ID != idAIGC {
					keep = append(keep, s)
				}
			}
			list.Subs = keep
			if len(keep) > 0 || len(list.Tail) > 0 {
				out = append(out, riff.New(idLIST, list.Bytes()))
			}
		case f.pmx[i] != nil:
			p, err := xmp.Drop(f.pmx[i])
			if err != nil {
				return label.Corrupt(name, c.Offset, "_PMX chunk: %v", err)
			}
			out = append(out, riff.New(idPMX, p))
		default:
			out = append(out, riff.Copy(c))
		}
	}
	if !placed {
		// A new AIGC chunk goes at the end, after the data chunk, rather
		// than before it: the audio data keeps its offset, so nothing of a
		// possibly multi-GiB file moves and only the RIFF size changes.
		// Readers that follow the chunk structure (ffmpeg, libsndfile,
		// exiftool) skip it, as they skip a LIST/INFO chunk after data; a
		// naive reader that plays to the end of the file would hear its few
		// hundred bytes as a click, the price of not moving the samples.
		out = append(out, riff.New(idAIGC, l.JSON()))
	}
	return f.rd.Rewrite(dst, out)
}
