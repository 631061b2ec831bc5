package mp4

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Write copies src to dst with l as the file's one label.
//
// The label goes where ffmpeg puts it with use_metadata_tags: moov/udta/meta
// with handler mdta, key "AIGC" in keys and a UTF-8 data box in the
// matching ilst item. An existing AIGC item is rewritten in place; other
// keys and items keep their indexes (a new key is appended to keys). Every
// other label is removed: AIGC items elsewhere, keyless AIGC items, and
// TC260:AIGC in XMP (dropped inside moov; blanked with spaces in top-level
// uuid boxes so that nothing after them moves).
//
// Only moov is rebuilt. When it precedes the media and changes size, a
// free or skip box right after it absorbs the change when it can;
// otherwise every absolute offset past moov is moved: stco (converted to
// co64 when an entry would no longer fit 32 bits), co64 and saio chunk
// offsets, tfhd base data offsets and tfra entries. Files whose offsets
// cannot be moved safely (a file-level meta, which may hold item offsets;
// a sidx before moov) give an Unsupported error rather than a broken file.
func (Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	f, err := scan(src)
	if err != nil {
		return err
	}
	if err := f.edit(l.JSON()); err != nil {
		return err
	}
	p, err := f.plan()
	if err != nil {
		return err
	}
	return f.stream(dst, src, p)
}

// edit changes the moov tree so that it holds value as its one label.
func (f *file) edit(value []byte) error {
	for _, x := range f.xmps {
		pkt := xmpPacket(x)
		vals, ferr := xmp.Find(pkt)
		if len(vals) == 0 {
			continue
		}
		if ferr != nil {
			return label.Corrupt(name, x.off, "cannot remove the label from the malformed XMP in %s: %v", x.path(), ferr)
		}
		d, err := xmp.Drop(pkt)
		if err != nil {
			return label.Corrupt(name, x.off, "cannot remove the label from the XMP in %s: %v", x.path(), err)
		}
		head := x.payload()[:len(x.payload())-len(pkt)]
		x.setData(append(append([]byte(nil), head...), d...))
	}

	target, key := f.target()
	placed := false
	for _, m := range f.metas {
		items, err := m.labelItems()
		if err != nil {
			return err
		}
		for _, it := range items {
			if m == target && it.carrier == label.CarrierMP4Keys && it.key == key && !placed {
				d := newLeaf("data", dataPayload(value))
				d.parent = it.b
				it.b.kids = []*box{d}
				it.b.prefix, it.b.suffix = nil, nil
				it.b.touch()
				placed = true
				continue
			}
			m.ilst.remove(it.b)
		}
	}
	if !placed {
		var t [4]byte
		binary.BigEndian.PutUint32(t[:], key)
		target.ilst.add(newContainer(string(t[:]), nil, newLeaf("data", dataPayload(value))), nil)
	}
	return nil
}

// dataPayload is the payload of a UTF-8 data box holding v.
func dataPayload(v []byte) []byte {
	return append([]byte{0, 0, 0, 1, 0, 0, 0, 0}, v...)
}

// target picks the meta box that will hold the label and the index of the
// AIGC key in it, creating what is missing.
//
// In order of preference (udta/meta before moov/meta, never a track's): an
// mdta meta that already has an AIGC key; an mdta meta, to which the key is
// appended (ffmpeg reads keys only when a handler is mdta); a new meta in
// moov/udta, as ffmpeg writes it.
//
// When moov/udta already holds a meta with another handler (mdir: the
// iTunes tags such as ©nam that ffmpeg writes by default, if only the
// encoder), that meta is left alone: turning it into an mdta meta would
// hide its tags from iTunes-style readers, and ffmpeg ignores keys outside
// an mdta meta. The label then goes into a new meta in moov, the place
// Apple's QuickTime format gives mdta metadata, written as Apple writes it
// (no version and flags: exiftool reads a moov/meta only in that form,
// ffmpeg reads both). ffprobe and exiftool then show the iTunes tags and
// the AIGC key. A second meta inside udta would work with both tools too,
// but ISO 14496-12 allows one meta per level, and moov/meta is that level's.
func (f *file) target() (*metaInfo, uint32) {
	pick := func(ok func(*metaInfo) bool) *metaInfo {
		for _, udta := range []bool{true, false} {
			for _, m := range f.metas {
				if !m.track && (m.b.parent.typ == "udta") == udta && ok(m) {
					return m
				}
			}
		}
		return nil
	}
	keyOf := func(m *metaInfo) uint32 {
		for i, n := range m.names {
			if isKey(n) {
				return uint32(i + 1)
			}
		}
		return 0
	}
	if m := pick(func(m *metaInfo) bool { return m.hdlr == "mdta" && keyOf(m) != 0 }); m != nil {
		m.needIlst()
		return m, keyOf(m)
	}
	m := pick(func(m *metaInfo) bool { return m.hdlr == "mdta" })
	if m == nil {
		m = f.newMeta()
	}
	m.needIlst()
	return m, m.addKey(Key)
}

// newMeta adds an empty mdta meta box to moov/udta, or to moov when
// moov/udta already has a meta.
func (f *file) newMeta() *metaInfo {
	hdlr := newLeaf("hdlr", []byte{
		0, 0, 0, 0, // version, flags
		0, 0, 0, 0, // pre-defined
		'm', 'd', 't', 'a',
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // reserved
		0, // empty name
	})
	keys := newLeaf("keys", []byte{0, 0, 0, 0, 0, 0, 0, 0})
	udta := f.tree.child("udta")
	var meta *box
	if udta != nil && udta.child("meta") != nil {
		meta = newContainer("meta", nil, hdlr, keys)
		f.tree.add(meta, nil)
	} else {
		meta = newContainer("meta", []byte{0, 0, 0, 0}, hdlr, keys)
		if udta == nil {
			udta = newContainer("udta", nil)
			f.tree.add(udta, nil)
		}
		udta.add(meta, nil)
	}
	m := &metaInfo{b: meta, hdlr: "mdta", keys: keys, end: 8}
	f.metas = append(f.metas, m)
	return m
}

// needIlst gives m an ilst box if it has none.
func (m *metaInfo) needIlst() {
	if m.ilst == nil {
		m.ilst = newContainer("ilst", nil)
		m.b.add(m.ilst, nil)
	}
}

// addKey appends a key in namespace mdta to m's keys (creating the box
// before ilst when missing) and returns its index.
func (m *metaInfo) addKey(k string) uint32 {
	if m.keys == nil {
		m.keys = newLeaf("keys", []byte{0, 0, 0, 0, 0, 0, 0, 0})
		m.end = 8
		m.b.add(m.keys, m.ilst)
	}
	p := m.keys.payload()
	e := binary.BigEndian.AppendUint32(nil, uint32(8+len(k)))
	e = append(append(e, "mdta"...), k...)
	np := make([]byte, 0, len(p)+len(e))
	np = append(np, p[:m.end]...)
	np = append(np, e...)
	np = append(np, p[m.end:]...)
	m.names = append(m.names, k)
	binary.BigEndian.PutUint32(np[4:], uint32(len(m.names)))
	m.end += len(e)
	m.keys.setData(np)
	return uint32(len(m.names))
}

// plan is how the file's layout changes.
type plan struct {
	moov []byte
	// free is the new size of a free or skip box right after moov that
	// absorbs moov's change of size (0 drops it), or -1.
	free int64
	// Offsets in [start, end) pointed into the old moov (and absorbed free
	// box); offsets from end on move by delta.
	start, end, delta int64
}

// mapOff returns where the byte at old offset o is in the output.
func (p *plan) mapOff(o uint64, what string, at int64) (uint64, error) {
	switch {
	case o < uint64(p.start):
		return o, nil
	case o < uint64(p.end):
		return 0, label.Unsupported(name, at, "%s %d points into moov, which is rewritten", what, o)
	case p.delta < 0:
		return o - uint64(-p.delta), nil
	}
	return o + uint64(p.delta), nil
}

// plan serializes the new moov, decides how the rest of the file follows it
// and patches the chunk offsets in moov.
func (f *file) plan() (*plan, error) {
	old := f.boxes[f.moov]
	tables, err := offsetTables(f.tree)
	if err != nil {
		return nil, err
	}
	var p *plan
	for {
		growth := f.tree.size() - old.size
		p = &plan{free: -1, start: old.off, end: old.end(), delta: growth}
		if growth != 0 && f.moov+1 < len(f.boxes) {
			next := f.boxes[f.moov+1]
			n := next.size - growth
			if (next.typ == "free" || next.typ == "skip") && next.hdr == 8 &&
				(n == 0 || n >= 8 && n <= 0xFFFFFFFF) {
				p.free, p.end, p.delta = n, next.end(), 0
			}
		}
		if p.delta <= 0 {
			break
		}
		// An stco entry that would pass 4 GiB makes its table a co64,
		// which grows moov again: repeat until nothing overflows.
		grew := false
		for i, t := range tables {
			if t.typ == "stco" && stcoOverflows(t, p) {
				tables[i] = toCo64(t)
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	if p.delta != 0 {
		for _, b := range f.boxes {
			switch {
			case b.typ == "meta":
				return nil, label.Unsupported(name, b.off, "file-level meta box may hold item offsets that moving moov would break")
			case b.typ == "sidx" && b.off < p.start:
				return nil, label.Unsupported(name, b.off, "sidx box before moov would point across the rewritten moov")
			}
		}
		for _, t := range tables {
			if err := patchTable(t, p); err != nil {
				return nil, err
			}
		}
	}
	p.moov = f.tree.bytes()
	return p, nil
}

// offsetTables returns the stco, co64 and saio boxes of every track,
// checked against their sizes.
func offsetTables(moov *box) ([]*box, error) {
	var out []*box
	for _, trak := range moov.kids {
		if trak.typ != "trak" {
			continue
		}
		for _, mdia := range trak.kids {
			if mdia.typ != "mdia" {
				continue
			}
			for _, minf := range mdia.kids {
				if minf.typ != "minf" {
					continue
				}
				for _, stbl := range minf.kids {
					if stbl.typ != "stbl" {
						continue
					}
					for _, t := range stbl.kids {
						if t.typ != "stco" && t.typ != "co64" && t.typ != "saio" {
							continue
						}
						if _, _, _, err := tableEntries(t); err != nil {
							return nil, err
						}
						out = append(out, t)
					}
				}
			}
		}
	}
	return out, nil
}

// tableEntries returns the payload of an offset table, where its entries
// start, their count and their width in bytes.
func tableEntries(t *box) (p []byte, at int, n int, err error) {
	p = t.payload()
	if len(p) < 8 {
		return nil, 0, 0, label.Truncated(name, t.off, t.typ+" box")
	}
	width := 4
	at = 4
	switch t.typ {
	case "co64":
		width = 8
	case "saio":
		if p[0] == 1 {
			width = 8
		}
		if binary.BigEndian.Uint32(p)&1 != 0 {
			at += 8
		}
	}
	if len(p) < at+4 {
		return nil, 0, 0, label.Truncated(name, t.off, t.typ+" box")
	}
	count := binary.BigEndian.Uint32(p[at:])
	at += 4
	if int64(count) > int64(len(p)-at)/int64(width) {
		return nil, 0, 0, label.Corrupt(name, t.off, "%s box counts %d entries, it has room for %d", t.typ, count, (len(p)-at)/width)
	}
	return p, at, int(count), nil
}

// stcoOverflows reports whether an stco entry moved by p no longer fits
// 32 bits.
func stcoOverflows(t *box, p *plan) bool {
	b, at, n, _ := tableEntries(t)
	for i := 0; i < n; i++ {
		o := uint64(binary.BigEndian.Uint32(b[at+4*i:]))
		if o >= uint64(p.end) && o+uint64(p.delta) > 0xFFFFFFFF {
			return true
		}
	}
	return false
}

// toCo64 replaces an stco box with a co64 box holding the same offsets.
func toCo64(t *box) *box {
	b, at, n, _ := tableEntries(t)
	d := make([]byte, 8, 8+8*n)
	binary.BigEndian.PutUint32(d[4:], uint32(n))
	for i := 0; i < n; i++ {
		d = binary.BigEndian.AppendUint64(d, uint64(binary.BigEndian.Uint32(b[at+4*i:])))
	}
	c := newLeaf("co64", d)
	c.off = t.off
	parent := t.parent
	for i, k := range parent.kids {
		if k == t {
			parent.kids[i] = c
		}
	}
	c.parent = parent
	c.touch()
	return c
}

// patchTable moves the offsets of an stco, co64 or saio box by p.
func patchTable(t *box, p *plan) error {
	b, at, n, err := tableEntries(t)
	if err != nil {
		return err
	}
	what := "chunk offset in " + t.path()
	for i := 0; i < n; i++ {
		if t.typ == "co64" || t.typ == "saio" && b[0] == 1 {
			e := b[at+8*i:]
			o, err := p.mapOff(binary.BigEndian.Uint64(e), what, t.off)
			if err != nil {
				return err
			}
			binary.BigEndian.PutUint64(e, o)
			continue
		}
		e := b[at+4*i:]
		o, err := p.mapOff(uint64(binary.BigEndian.Uint32(e)), what, t.off)
		if err != nil {
			return err
		}
		if o > 0xFFFFFFFF {
			return label.Unsupported(name, t.off, "offset %d in %s no longer fits 32 bits", o, t.path())
		}
		binary.BigEndian.PutUint32(e, uint32(o))
	}
	return nil
}

// patchFragment moves the absolute offsets in a moof (tfhd base data
// offsets) or mfra (tfra moof offsets) box by p.
func patchFragment(b *box, p *plan) error {
	for _, k := range b.kids {
		switch k.typ {
		case "traf":
			h := k.child("tfhd")
			if h == nil {
				continue
			}
			d := h.payload()
			if len(d) < 8 {
				return label.Truncated(name, h.off, "tfhd box")
			}
			if binary.BigEndian.Uint32(d)&1 == 0 {
				continue // no base data offset: offsets are relative to moof
			}
			if len(d) < 16 {
				return label.Truncated(name, h.off, "tfhd box")
			}
			o, err := p.mapOff(binary.BigEndian.Uint64(d[8:]), "base data offset in tfhd", h.off)
			if err != nil {
				return err
			}
			binary.BigEndian.PutUint64(d[8:], o)
		case "tfra":
			if err := patchTfra(k, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// patchTfra moves the moof offsets of a tfra box.
func patchTfra(t *box, p *plan) error {
	d := t.payload()
	if len(d) < 16 {
		return label.Truncated(name, t.off, "tfra box")
	}
	wide := d[0] == 1
	lens := binary.BigEndian.Uint32(d[8:])
	n := binary.BigEndian.Uint32(d[12:])
	entry := int64(8)
	if wide {
		entry = 16
	}
	entry += int64(lens>>4&3+1) + int64(lens>>2&3+1) + int64(lens&3+1)
	if int64(n) > int64(len(d)-16)/entry {
		return label.Corrupt(name, t.off, "tfra box counts %d entries, it has room for %d", n, int64(len(d)-16)/entry)
	}
	for i := int64(0); i < int64(n); i++ {
		e := d[16+i*entry:]
		if wide {
			o, err := p.mapOff(binary.BigEndian.Uint64(e[8:]), "moof offset in tfra", t.off)
			if err != nil {
				return err
			}
			binary.BigEndian.PutUint64(e[8:], o)
			continue
		}
		o, err := p.mapOff(uint64(binary.BigEndian.Uint32(e[4:])), "moof offset in tfra", t.off)
		if err != nil {
			return err
		}
		if o > 0xFFFFFFFF {
			return label.Unsupported(name, t.off, "moof offset %d in tfra no longer fits 32 bits", o)
		}
		binary.BigEndian.PutUint32(e[4:], uint32(o))
	}
	return nil
}

// stream writes the output: the boxes in their order, moov rebuilt, the
// rest copied from src.
func (f *file) stream(dst io.Writer, src io.ReadSeeker, p *plan) error {
	c := &copier{dst: dst, src: src}
	for i, b := range f.boxes {
		switch {
		case i == f.moov:
			if err := c.write(p.moov); err != nil {
				return err
			}
		case i == f.moov+1 && p.free >= 0:
			if p.free == 0 {
				continue
			}
			h := binary.BigEndian.AppendUint32(nil, uint32(p.free))
			if err := c.write(append(h, b.typ...)); err != nil {
				return err
			}
			keep := min(p.free, b.size) - 8
			if err := c.copy(b.off+8, keep); err != nil {
				return err
			}
			if err := c.write(make([]byte, p.free-8-keep)); err != nil {
				return err
			}
		case b.xmp != nil:
			blank, err := blankXMP(b.xmp, b.off)
			if err != nil {
				return err
			}
			if err := c.copy(b.off, b.xmpOff-b.off); err != nil {
				return err
			}
			if err := c.write(blank); err != nil {
				return err
			}
		case p.delta != 0 && (b.typ == "moof" || b.typ == "mfra"):
			if b.size > label.MaxMetadata {
				return label.Unsupported(name, b.off, "%s box of %d bytes is larger than the %d-byte metadata limit", b.typ, b.size, label.MaxMetadata)
			}
			buf := make([]byte, b.size)
			if _, err := src.Seek(b.off, io.SeekStart); err != nil {
				return err
			}
			if _, err := io.ReadFull(src, buf); err != nil {
				return readErr(b.off, b.typ+" box", err)
			}
			t, err := parseBox(buf, b.off)
			if err != nil {
				return err
			}
			if err := patchFragment(t, p); err != nil {
				return err
			}
			if err := c.write(buf); err != nil {
				return err
			}
		default:
			if err := c.copy(b.off, b.size); err != nil {
				return err
			}
		}
	}
	return c.flush()
}

// blankXMP returns packet with its TC260:AIGC properties overwritten by
// spaces, so that the packet keeps its length.
func blankXMP(packet []byte, off int64) ([]byte, error) {
	vals, err := xmp.Find(packet)
	if len(vals) == 0 {
		return packet, nil
	}
	if err != nil {
		return nil, label.Corrupt(name, off, "cannot remove the label from the malformed XMP in a uuid box: %v", err)
	}
	out := bytes.Clone(packet)
	for _, v := range vals {
		for i := v.Start; i < v.End; i++ {
			out[i] = ' '
		}
	}
	return out, nil
}

// copier writes to dst, copying ranges of src with io.CopyN (so that
// *os.File to *os.File uses copy_file_range) and merging adjacent ranges.
type copier struct {
	dst    io.Writer
	src    io.ReadSeeker
	off, n int64 // pending range of src
}

func (c *copier) copy(off, n int64) error {
	if c.n > 0 && c.off+c.n == off {
		c.n += n
		return nil
	}
	if err := c.flush(); err != nil {
		return err
	}
	c.off, c.n = off, n
	return nil
}

func (c *copier) write(p []byte) error {
	if err := c.flush(); err != nil {
		return err
	}
	_, err := c.dst.Write(p)
	return err
}

func (c *copier) flush() error {
	if c.n == 0 {
		return nil
	}
	if _, err := c.src.Seek(c.off, io.SeekStart); err != nil {
		return err
	}
	_, err := io.CopyN(c.dst, c.src, c.n)
	if err == io.EOF {
		return label.Truncated(name, c.off, "file (it changed while being copied)")
	}
	c.n = 0
	return err
}
