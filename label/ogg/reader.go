package ogg

import (
	"errors"
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/vorbis"
)

// maxHeaderPages bounds the pages scanned before every stream's headers are
// complete.
const maxHeaderPages = 1 << 16

// pageInfo is what the scan keeps of a page.
type pageInfo struct {
	offset  int64
	size    int64
	flags   byte
	granule uint64
	serial  uint32
	seq     uint32
}

// lstream is a logical stream that begins the file.
type lstream struct {
	serial  uint32
	codec   *codec // nil when not recognised: such streams are skipped
	ignored bool
	headers int // number of header packets, once known
	pages   []int

	packets   [][]byte // complete header packets
	pktPage   []int    // index of the page on which each packet started
	partial   []byte
	inPacket  bool
	startPage int

	done         bool
	lastPage     int  // index of the page where the last header packet ends
	tail         bool // that page holds segments after the last header packet
	bosAlone     bool // the BOS page holds exactly the first packet
	comment      *vorbis.Comment
	commentIdx   int // header packet index of the comment
	commentStart int // where the structure starts in that packet
	commentLen   int
}

// scan is the header region of a file.
type scan struct {
	size    int64
	pages   []pageInfo
	streams []*lstream
	end     int64 // offset after the last page scanned
}

// Read returns the labels in the comment headers of the streams that begin
// the file.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	s, err := scanHeaders(r)
	if err != nil {
		return nil, err
	}
	var out []label.Found
	for _, st := range s.streams {
		if st.comment == nil {
			continue
		}
		where := fmt.Sprintf("%s comment header (stream %08x)", st.codec.name, st.serial)
		out = append(out, st.comment.Found(where, s.pages[st.pktPage[st.commentIdx]].offset)...)
	}
	return out, nil
}

// scanHeaders reads pages from the start until every recognised stream
// that begins the file has delivered its header packets.
func scanHeaders(r io.ReadSeeker) (*scan, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	s := &scan{size: size}
	byID := map[uint32]*lstream{}
	var buf []byte
	var total int64 // bytes of header packets held
	pos := int64(0)
	seenData := false
	for {
		if s.complete() && seenData {
			break
		}
		if len(s.pages) == maxHeaderPages {
			return nil, label.Unsupported(name, pos, "stream headers not complete after %d pages", maxHeaderPages)
		}
		p, err := readPage(r, pos, buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		buf = p.raw[:0]
		if p.flags&flagBOS != 0 && seenData {
			// A new link of a chained file: only the first is read.
			break
		}
		idx := len(s.pages)
		s.pages = append(s.pages, pageInfo{offset: pos, size: int64(len(p.raw)), flags: p.flags,
			granule: p.granule, serial: p.serial, seq: p.seq})
		pos += int64(len(p.raw))
		s.end = pos
		st := byID[p.serial]
		if p.flags&flagBOS != 0 {
			if st != nil {
				return nil, label.Corrupt(name, p.offset, "second BOS page for stream %08x", p.serial)
			}
			st = &lstream{serial: p.serial}
			byID[p.serial] = st
			s.streams = append(s.streams, st)
		} else {
			seenData = true
			if st == nil {
				return nil, label.Corrupt(name, p.offset, "page of stream %08x, which has no BOS page", p.serial)
			}
		}
		if st.ignored || st.done {
			continue
		}
		st.pages = append(st.pages, idx)
		if err := st.feed(p, idx, &total); err != nil {
			return nil, err
		}
	}
	for _, st := range s.streams {
		if !st.ignored && !st.done {
			return nil, label.Truncated(name, s.end, fmt.Sprintf("headers of stream %08x", st.serial))
		}
	}
	return s, nil
}

// complete reports whether every stream seen so far is done or ignored.
func (s *scan) complete() bool {
	for _, st := range s.streams {
		if !st.ignored && !st.done {
			return false
		}
	}
	return len(s.streams) > 0
}

// feed adds the segments of page p (index idx) to the stream's packets.
func (st *lstream) feed(p *page, idx int, total *int64) error {
	if p.flags&flagContinued != 0 && !st.inPacket {
		return label.Corrupt(name, p.offset, "page of stream %08x continues a packet that did not start", st.serial)
	}
	if p.flags&flagContinued == 0 && st.inPacket {
		return label.Corrupt(name, p.offset, "packet of stream %08x is cut off by a page that does not continue it", st.serial)
	}
	body := p.body
	for i, v := range p.lacing {
		if st.done {
			st.tail = true
			return nil
		}
		if !st.inPacket {
			st.inPacket, st.startPage, st.partial = true, idx, nil
		}
		*total += int64(v)
		if *total > label.MaxMetadata {
			return label.Unsupported(name, p.offset, "header packets are over %d bytes", label.MaxMetadata)
		}
		st.partial = append(st.partial, body[:v]...)
		body = body[v:]
		if v == 255 {
			continue
		}
		st.inPacket = false
		if err := st.packet(st.partial, p, idx, i == len(p.lacing)-1); err != nil {
			return err
		}
		if st.ignored {
			return nil
		}
	}
	return nil
}

// packet takes in a complete header packet, which ended on page p (index
// idx); last says whether it ended with the page.
func (st *lstream) packet(pkt []byte, p *page, idx int, last bool) error {
	n := len(st.packets)
	st.packets = append(st.packets, pkt)
	st.pktPage = append(st.pktPage, st.startPage)
	if n == 0 {
		st.bosAlone = p.flags&flagBOS != 0 && last && st.startPage == idx
		st.codec = findCodec(pkt)
		if st.codec == nil {
			st.ignored, st.packets = true, nil
			return nil
		}
		h, err := st.codec.headers(pkt)
		if errors.Is(err, errUnknownCount) {
			return label.Unsupported(name, p.offset, "%v", err)
		}
		if err != nil {
			return label.Corrupt(name, p.offset, "stream %08x: %v", st.serial, err)
		}
		st.headers = h
	} else if st.comment == nil {
		start, ok, err := st.codec.comment(n, pkt)
		if err != nil {
			return label.Corrupt(name, p.offset, "%s stream %08x: %v", st.codec.name, st.serial, err)
		}
		if ok {
			c, used, err := vorbis.Parse(pkt[start:])
			if err != nil {
				var ve *vorbis.Error
				if errors.As(err, &ve) {
					return label.Corrupt(name, p.offset, "%s comment header of stream %08x: %s (packet byte %d)",
						st.codec.name, st.serial, ve.Msg, start+ve.Offset)
				}
				return err
			}
			st.comment, st.commentIdx, st.commentStart, st.commentLen = c, n, start, used
		}
	}
	if len(st.packets) == st.headers {
		st.done, st.lastPage = true, idx
	}
	return nil
}
