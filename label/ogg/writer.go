package ogg

import (
	"bufio"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/vorbis"
)

// rewrite is the new header pages of one stream.
type rewrite struct {
	st    *lstream
	old   map[int]bool // indices of the header pages they replace
	pages [][]byte
	delta uint32 // change in the page count, added to later sequence numbers
}

// Write copies src to dst with l as the only AIGC entry: it goes into the
// comment header of the first Vorbis, Opus, Theora or FLAC stream, and AIGC
// entries in the other streams' comment headers are dropped.
func (Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	s, err := scanHeaders(src)
	if err != nil {
		return err
	}
	var rws []*rewrite
	primary := true
	for _, st := range s.streams {
		if st.ignored {
			continue
		}
		if !primary && (st.comment == nil || len(st.comment.Labels()) == 0) {
			continue
		}
		if st.comment == nil {
			return label.Unsupported(name, s.pages[st.pages[0]].offset,
				"%s stream %08x has no comment header to hold the label", st.codec.name, st.serial)
		}
		c := st.comment.WithoutLabels()
		if primary {
			c = st.comment.WithLabel(l.JSON())
		}
		primary = false
		rw, err := s.paginate(st, c)
		if err != nil {
			return err
		}
		rws = append(rws, rw)
	}
	if primary {
		return label.Unsupported(name, 0, "no Vorbis, Opus, Theora or FLAC stream to hold the label")
	}

	// The header region: pages replaced, the others copied.
	bySerial := map[uint32]*rewrite{}
	for _, rw := range rws {
		bySerial[rw.st.serial] = rw
	}
	for i, p := range s.pages {
		rw := bySerial[p.serial]
		if rw != nil && i > rw.st.lastPage && rw.delta != 0 {
			// A media page of a renumbered stream among the headers of
			// another stream.
			if _, err := src.Seek(p.offset, io.SeekStart); err != nil {
				return err
			}
			pg, err := readPage(src, p.offset, nil)
			if err != nil {
				return err
			}
			renumber(pg.raw, pg.seq+rw.delta)
			if _, err := dst.Write(pg.raw); err != nil {
				return err
			}
			continue
		}
		if rw == nil || !rw.old[i] {
			if err := copyRange(dst, src, p.offset, p.size); err != nil {
				return err
			}
			continue
		}
		if i != rw.st.lastPage {
			continue
		}
		for _, np := range rw.pages {
			if _, err := dst.Write(np); err != nil {
				return err
			}
		}
	}

	// The rest: copied as it is unless page numbers must move.
	deltas := map[uint32]uint32{}
	for _, rw := range rws {
		if rw.delta != 0 && s.pages[rw.st.lastPage].flags&flagEOS == 0 {
			deltas[rw.st.serial] = rw.delta
		}
	}
	if len(deltas) == 0 {
		return copyRange(dst, src, s.end, s.size-s.end)
	}
	return renumberRest(dst, src, s.end, s.size, deltas)
}

// paginate lays out the header packets of st after the first, with the
// comment structure c, over new pages. It uses as many pages as the old
// layout when they can hold them, so that later pages keep their numbers.
func (s *scan) paginate(st *lstream, c *vorbis.Comment) (*rewrite, error) {
	first := s.pages[st.pages[0]]
	if !st.bosAlone {
		return nil, label.Unsupported(name, first.offset, "BOS page of stream %08x holds more than the identification header", st.serial)
	}
	last := s.pages[st.lastPage]
	if st.tail {
		return nil, label.Unsupported(name, last.offset, "last header page of stream %08x also holds media data", st.serial)
	}
	rw := &rewrite{st: st, old: map[int]bool{}}
	for _, i := range st.pages[1:] {
		rw.old[i] = true
	}
	comment, err := st.codec.build(st.packets[st.commentIdx], st.commentStart, st.commentLen, c)
	if err != nil {
		return nil, label.Unsupported(name, s.pages[st.pktPage[st.commentIdx]].offset, "%v", err)
	}
	packets := append([][]byte{}, st.packets[1:]...)
	packets[st.commentIdx-1] = comment

	var lacing, body []byte
	for _, p := range packets {
		n := len(p)
		for ; n >= 255; n -= 255 {
			lacing = append(lacing, 255)
		}
		lacing = append(lacing, byte(n))
		body = append(body, p...)
	}
	want := len(st.pages) - 1
	npages := (len(lacing) + maxSegs - 1) / maxSegs
	if want >= npages && want <= len(lacing) {
		npages = want
	}
	seq := s.pages[st.pages[1]].seq
	cont := false
	for i := range npages {
		// Fill pages up, leaving a segment for each page still to come.
		k := min(maxSegs, len(lacing)-(npages-i-1))
		pl := lacing[:k]
		lacing = lacing[k:]
		n, ends := 0, false
		for _, v := range pl {
			n += int(v)
			ends = ends || v < 255
		}
		var flags byte
		if cont {
			flags |= flagContinued
		}
		granule := ^uint64(0) // no packet ends on this page
		if ends || st.codec.zeroGranule {
			granule = last.granule
		}
		if i == npages-1 {
			flags |= last.flags & flagEOS
		}
		rw.pages = append(rw.pages, buildPage(flags, granule, st.serial, seq+uint32(i), pl, body[:n]))
		body = body[n:]
		cont = pl[len(pl)-1] == 255
	}
	rw.delta = uint32(npages - want)
	return rw, nil
}

// renumberRest copies src from off to size, adding deltas[serial] to the
// sequence number of every page of the streams in deltas (until their EOS
// page) and recomputing those pages' CRCs. The pages are read through a
// buffer: they have to be parsed one by one anyway.
func renumberRest(dst io.Writer, src io.ReadSeeker, off, size int64, deltas map[uint32]uint32) error {
	if _, err := src.Seek(off, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(src, 1<<16)
	buf := make([]byte, maxPageLen)
	for len(deltas) > 0 {
		p, err := readPage(br, off, buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if d, ok := deltas[p.serial]; ok {
			renumber(p.raw, p.seq+d)
			if p.flags&flagEOS != 0 {
				delete(deltas, p.serial)
			}
		}
		if _, err := dst.Write(p.raw); err != nil {
			return err
		}
		off += int64(len(p.raw))
	}
	// No stream left to renumber: the rest goes unchanged.
	if _, err := io.Copy(dst, br); err != nil {
		return err
	}
	return nil
}

// copyRange copies n bytes of src starting at off to dst, straight from src
// so that *os.File to *os.File copies use copy_file_range.
func copyRange(dst io.Writer, src io.ReadSeeker, off, n int64) error {
	if _, err := src.Seek(off, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.CopyN(dst, src, n); err != nil {
		if err == io.EOF {
			return label.Truncated(name, off, "file")
		}
		return err
	}
	return nil
}
