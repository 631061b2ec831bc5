package webp

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"github.com/aigcmark/aigcmark/label"
	labelexif "github.com/aigcmark/aigcmark/label/exif"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Write streams the WebP file src to dst with l as TC260:AIGC in the XMP
// chunk.
//
// A simple file becomes extended: a new VP8X chunk goes first, with the XMP
// flag, the alpha flag when a VP8L image says it uses alpha, the ICC and
// EXIF flags when such chunks are present, and the canvas size of the
// image. An extended file gets the XMP flag in its VP8X chunk, its other
// bytes kept. An existing XMP packet is edited with xmp.Set, keeping its
// other properties (a label in any further XMP chunk is dropped); otherwise
// a new XMP chunk goes after the image and EXIF chunks, in the order the
// container specification gives. The packet also gets the digital source
// type format.XMP asks for. A label in the EXIF chunk's UserComment is
// blanked in place (the label moves to XMP). Every other chunk is copied
// byte for byte.
func (format Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	opts := format.XMP
	f, err := scan(src)
	if err != nil {
		return err
	}
	var out []riff.Out
	if f.vp8x == nil {
		d := make([]byte, 10)
		d[0] = flagXMP
		if f.alpha {
			d[0] |= flagAlpha
		}
		for _, c := range f.chunks {
			switch c.ID {
			case idICCP:
				d[0] |= flagICC
			case idEXIF:
				d[0] |= flagEXIF
			}
		}
		putUint24(d[4:7], uint32(f.width-1))
		putUint24(d[7:10], uint32(f.height-1))
		out = append(out, riff.New(idVP8X, d))
	}
	placed := false
	xmpAt := len(out) // where a new XMP chunk goes: after the last chunk the spec orders before it
	for i, c := range f.chunks {
		switch c.ID {
		case idVP8X:
			d := append([]byte(nil), f.vp8x...)
			d[0] |= flagXMP
			out = append(out, riff.New(idVP8X, d))
		case idXMP:
			if placed && !bytes.Contains(f.xmp[i], []byte(xmp.Property)) {
				out = append(out, riff.Copy(c)) // a further packet without a label
				break
			}
			var p []byte
			var err error
			switch {
			case !placed:
				p, err = opts.Set(f.xmp[i], l)
				placed = true
			default:
				p, err = xmp.Drop(f.xmp[i])
			}
			if errors.Is(err, xmp.ErrNoRDF) {
				return label.Unsupported(name, c.Offset, "XMP chunk has no rdf:RDF element to hold the label")
			}
			if err != nil {
				return label.Corrupt(name, c.Offset, "XMP chunk: %v", err)
			}
			out = append(out, riff.New(idXMP, p))
		case idEXIF:
			d, ok := f.exif[i]
			if !ok {
				out = append(out, riff.Copy(c))
				break
			}
			// The label moves to XMP: blank the UserComment in place, so
			// no EXIF offset moves.
			d = append([]byte(nil), d...)
			block, _ := exifBlock(d)
			if _, err := labelexif.BlankLabels(block); err != nil {
				return err
			}
			out = append(out, riff.New(idEXIF, d))
		default:
			out = append(out, riff.Copy(c))
		}
		switch c.ID {
		case idVP8X, idICCP, idANIM, idALPH, idVP8, idVP8L, idANMF, idEXIF:
			xmpAt = len(out)
		}
	}
	if !placed {
		out = slices.Insert(out, xmpAt, riff.New(idXMP, opts.New(l)))
	}
	return f.rd.Rewrite(dst, out)
}
