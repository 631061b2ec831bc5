// Package digest computes the content digest that aigcmark's integrity
// fields sign: a SHA-256 hash of a file's media payload with every metadata
// carrier left out, so that writing or replacing the AIGC label (with the
// label/<container> writers, or any tool that only edits metadata) leaves
// the digest unchanged, while any change to pixels, samples or frames
// changes it.
//
// The hash input starts with a domain string naming the scheme version and
// the container, "aigcmark-digest/1 jpeg\n", so that digests of different
// containers never collide. Then come the hashed parts in file order. A
// part that is a byte range of known length is written as one byte holding
// the length of its tag, the tag (a chunk or box type such as "IDAT"), the
// length as a big-endian uint64, and the bytes. JPEG is hashed as its byte
// stream (its markers frame it), and Ogg packets as their own SHA-256 (see
// below).
//
// What is hashed, per container (format names as label.Format.Name gives):
//
//   - jpeg: every marker segment from SOI to EOI, markers and lengths
//     included (SOF, DHT, DQT, DRI, DNL, DAC, EXP, SOS …), and the
//     entropy-coded data after each SOS with its restart markers and
//     stuffed bytes. Left out: APP0–APP15 (JFIF, EXIF, XMP, ICC, Adobe,
//     C2PA …), COM, and anything after EOI.
//   - png: the critical chunks (IHDR, PLTE, IDAT, IEND and any other chunk
//     whose type starts with an upper-case letter), tRNS (it changes the
//     pixels), and the APNG chunks acTL, fcTL and fdAT (the other frames);
//     each as type, length and data, without the CRC (every chunk's CRC
//     is checked).
//     Left out: every other ancillary chunk — tEXt, zTXt, iTXt (XMP),
//     eXIf, iCCP, gAMA, cHRM, sRGB, sBIT, pHYs, bKGD, tIME, caBX (C2PA) … —
//     and anything after IEND. The colour-management chunks are metadata to
//     the tools that strip them, so editing them is not detected.
//   - webp: the chunks VP8, VP8L, ALPH, ANIM and ANMF (frames with their
//     own sub-chunks). Left out: VP8X (its flags change when XMP is
//     added), XMP, EXIF, ICCP and unknown chunks.
//   - gif: the logical screen descriptor, the global colour table, and for
//     each image its descriptor, local colour table, LZW code size and data
//     sub-blocks; graphic control and plain text extensions (they change
//     what is shown); the trailer. Left out: the version ("87a"/"89a", the
//     label writer upgrades it), application extensions (XMP, NETSCAPE loop
//     count) and comment extensions.
//   - mp4 (MP4, MOV, M4A): the payload of every top-level mdat box, in file
//     order. Left out: everything else — moov (the label writer edits its
//     udta and patches stco/co64 offsets), free, uuid, moof, sidx …. The
//     trade-off: edits to the sample tables (timing, track layout, an edit
//     list) are not detected, and remuxing the same samples into another
//     order changes the digest; in exchange no part of moov has to be
//     normalised.
//   - wav (RIFF, RF64, BW64): the "fmt " and "data" chunks. Left out: every
//     other chunk (AIGC, LIST, bext, iXML, id3 …) and bytes after the RIFF
//     size.
//   - mp3: the bytes between the leading ID3v2 tags (and the zero bytes
//     some writers leave after them) and the trailing ID3v1, APE, Lyrics3v2
//     and appended ID3v2.4 tags: the MPEG audio frames, the Xing/Info frame
//     included.
//   - flac: the STREAMINFO data and everything after the last metadata
//     block (the audio frames). Left out: a leading ID3v2 tag, and every
//     other metadata block (VORBIS_COMMENT, PADDING, PICTURE, SEEKTABLE …).
//   - ogg (Vorbis, Opus, Theora, FLAC in Ogg): per logical stream, the
//     identification header packet (for FLAC only its STREAMINFO), the
//     other header packets except the comment header (the Vorbis or Theora
//     setup header), and every packet after the headers. Each packet is
//     hashed as the stream's index (in order of first pages), its length
//     and its own SHA-256, in the order packets complete. Left out: the
//     comment header packet and all page framing (sequence numbers, CRCs,
//     page boundaries, serial numbers, granule positions).
//   - markdown: the bytes after the YAML front matter's closing line, or
//     after the byte order mark when there is no front matter, normalising
//     nothing (line endings and trailing blanks count).
//
// Sum streams the file: it reads each hashed byte once and allocates only
// bounded buffers. Errors are *label.FormatError values wrapped with the
// prefix "digest: ", so errors.Is(err, label.ErrCorrupt) and
// errors.Is(err, label.ErrUnsupported) work.
package digest

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Version is the version of the digest definition in the domain string.
const Version = 1

// Size is the length of a digest in bytes.
const Size = sha256.Size

// Domain returns the string the hash input starts with for format.
func Domain(format string) string { return fmt.Sprintf("aigcmark-digest/%d %s\n", Version, format) }

// Formats lists the format names Sum accepts.
var Formats = []string{"jpeg", "png", "webp", "gif", "mp4", "wav", "mp3", "flac", "ogg", "markdown"}

// ErrNoDigest matches (errors.Is) the error for a format Sum does not know.
var ErrNoDigest = errors.New("digest: no content digest defined for this format")

// Sum returns the content digest of r, a file in the container named format
// (a label.Format's Name). It reads r from offset 0.
func Sum(format string, r io.ReadSeeker) ([Size]byte, error) {
	var out [Size]byte
	d, err := newHasher(format, r)
	if err != nil {
		return out, fmt.Errorf("digest: %w", err)
	}
	var f func(*hasher) error
	switch format {
	case "jpeg":
		f = sumJPEG
	case "png":
		f = sumPNG
	case "webp":
		f = sumWebP
	case "gif":
		f = sumGIF
	case "mp4":
		f = sumMP4
	case "wav":
		f = sumWAV
	case "mp3":
		f = sumMP3
	case "flac":
		f = sumFLAC
	case "ogg":
		f = sumOgg
	case "markdown":
		f = sumMarkdown
	default:
		return out, fmt.Errorf("%w: %q", ErrNoDigest, format)
	}
	if err := f(d); err != nil {
		return out, fmt.Errorf("digest: %w", err)
	}
	copy(out[:], d.h.Sum(nil))
	return out, nil
}

// SumFormat is Sum for a label.Format.
func SumFormat(f label.Format, r io.ReadSeeker) ([Size]byte, error) { return Sum(f.Name(), r) }

// hasher holds the hash and the file being hashed.
type hasher struct {
	h      hash.Hash
	r      io.ReadSeeker
	format string
	size   int64
}

func newHasher(format string, r io.ReadSeeker) (*hasher, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	d := &hasher{h: sha256.New(), r: r, format: format, size: size}
	io.WriteString(d.h, Domain(format))
	return d, nil
}

// tag writes the framing of a part: tag and length.
func (d *hasher) tag(tag string, n int64) {
	var b [1 + 255 + 8]byte
	b[0] = byte(len(tag))
	k := 1 + copy(b[1:], tag)
	binary.BigEndian.PutUint64(b[k:], uint64(n))
	d.h.Write(b[:k+8])
}

// part hashes the n bytes at off as a part named tag.
func (d *hasher) part(tag string, off, n int64) error {
	if n < 0 || off < 0 || off > d.size || n > d.size-off {
		return label.Corrupt(d.format, off, "%s of %d bytes runs past the end of the file (%d bytes)", tag, n, d.size)
	}
	if _, err := d.r.Seek(off, io.SeekStart); err != nil {
		return err
	}
	d.tag(tag, n)
	if m, err := io.CopyN(d.h, d.r, n); err != nil {
		if err == io.EOF {
			return label.Truncated(d.format, off+m, tag)
		}
		return err
	}
	return nil
}

// partBytes hashes b as a part named tag.
func (d *hasher) partBytes(tag string, b []byte) {
	d.tag(tag, int64(len(b)))
	d.h.Write(b)
}

// readAt reads len(b) bytes at off; a short read is a Truncated error.
func (d *hasher) readAt(off int64, b []byte, what string) error {
	if off < 0 || off > d.size || int64(len(b)) > d.size-off {
		return label.Truncated(d.format, off, what)
	}
	if _, err := d.r.Seek(off, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.ReadFull(d.r, b); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return label.Truncated(d.format, off, what)
		}
		return err
	}
	return nil
}
