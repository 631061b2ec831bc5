package ogg

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/aigcmark/aigcmark/label/vorbis"
)

// codec is a stream mapping whose headers carry a Vorbis comment.
type codec struct {
	name  string
	ident string // prefix of the first packet
	// headers returns the number of header packets from the first packet.
	headers func(first []byte) (int, error)
	// comment reports whether header packet i (i ≥ 1) is the comment
	// header and, if it is, where the comment structure starts in it.
	comment func(i int, pkt []byte) (start int, ok bool, err error)
	// build returns the comment packet pkt (whose structure started at
	// start and was n bytes long) with the structure c.
	build func(pkt []byte, start, n int, c *vorbis.Comment) ([]byte, error)
	// zeroGranule: every header page has granule position 0 (RFC 7845
	// section 5), even one on which no packet ends.
	zeroGranule bool
}

var codecs = []*codec{
	{
		name: "Vorbis", ident: "\x01vorbis",
		headers: fixed(3),
		comment: nth(1, "\x03vorbis"),
		build: func(pkt []byte, start, n int, c *vorbis.Comment) ([]byte, error) {
			out := c.Append(append([]byte{}, pkt[:start]...))
			rest := pkt[start+n:]
			if len(rest) == 0 {
				rest = []byte{1} // the framing bit
			}
			return append(out, rest...), nil
		},
	},
	{
		name: "Opus", ident: "OpusHead",
		headers:     fixed(2),
		comment:     nth(1, "OpusTags"),
		build:       keepRest,
		zeroGranule: true,
	},
	{
		name: "Theora", ident: "\x80theora",
		headers: fixed(3),
		comment: nth(1, "\x81theora"),
		build:   keepRest,
	},
	{
		// FLAC in Ogg (https://xiph.org/flac/ogg_mapping.html): the first
		// packet is 0x7F "FLAC", version, the number of header packets
		// that follow, "fLaC" and STREAMINFO; each header packet after it
		// is one metadata block.
		name: "FLAC", ident: "\x7fFLAC",
		headers: func(first []byte) (int, error) {
			if len(first) < 13 || string(first[9:13]) != "fLaC" {
				return 0, fmt.Errorf("FLAC identification packet is malformed")
			}
			n := int(binary.BigEndian.Uint16(first[7:]))
			if n == 0 {
				return 0, errUnknownCount
			}
			return 1 + n, nil
		},
		comment: func(i int, pkt []byte) (int, bool, error) {
			if len(pkt) < 4 {
				return 0, false, fmt.Errorf("FLAC header packet %d is %d bytes long", i, len(pkt))
			}
			return 4, pkt[0]&0x7f == 4, nil
		},
		build: func(pkt []byte, start, n int, c *vorbis.Comment) ([]byte, error) {
			body := append(c.Append(nil), pkt[start+n:]...)
			if len(body) >= 1<<24 {
				return nil, fmt.Errorf("VORBIS_COMMENT block of %d bytes is over the 24-bit limit", len(body))
			}
			out := []byte{pkt[0], byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
			return append(out, body...), nil
		},
	},
}

var errUnknownCount = fmt.Errorf("FLAC stream does not give its number of header packets")

func fixed(n int) func([]byte) (int, error) { return func([]byte) (int, error) { return n, nil } }

// nth says the comment header is packet i and starts with prefix.
func nth(i int, prefix string) func(int, []byte) (int, bool, error) {
	return func(j int, pkt []byte) (int, bool, error) {
		if j != i {
			return 0, false, nil
		}
		if !bytes.HasPrefix(pkt, []byte(prefix)) {
			return 0, false, fmt.Errorf("header packet %d does not start with %q", i, prefix)
		}
		return len(prefix), true, nil
	}
}

func keepRest(pkt []byte, start, n int, c *vorbis.Comment) ([]byte, error) {
	out := c.Append(append([]byte{}, pkt[:start]...))
	return append(out, pkt[start+n:]...), nil
}

func findCodec(first []byte) *codec {
	for _, c := range codecs {
		if bytes.HasPrefix(first, []byte(c.ident)) {
			return c
		}
	}
	return nil
}
