package mp4

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Read returns every AIGC label in the file: keys/ilst items in
// moov/udta/meta and moov/meta, keyless ilst items, and TC260:AIGC in XMP
// (top-level or moov/udta uuid boxes, moov/udta/XMP_). It reads the box
// headers and moov, never the media data. A file without labels gives no
// error and no labels.
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	f, err := scan(r)
	if err != nil {
		return nil, err
	}
	return f.found, nil
}

// file is what scan learns of a file.
type file struct {
	size  int64
	boxes []topBox
	moov  int  // index of moov in boxes
	tree  *box // moov, parsed
	metas []*metaInfo
	xmps  []*box // moov/udta uuid (XMP) and XMP_ boxes
	found []label.Found
}

// scan walks the top-level boxes, loads moov and finds the labels.
func scan(r io.ReadSeeker) (*file, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	f := &file{size: size, moov: -1}
	for off := int64(0); off < size; {
		if size-off < 8 {
			// Fewer than 8 zero bytes at the end are padding some
			// writers leave; they are copied as they are.
			if _, err := r.Seek(off, io.SeekStart); err != nil {
				return nil, err
			}
			tail, err := label.ReadAtMost(r, size-off, 8)
			if err != nil {
				return nil, readErr(off, "end of the file", err)
			}
			if allZero(tail) {
				f.boxes = append(f.boxes, topBox{off: off, size: size - off})
				break
			}
		}
		b, err := readHeader(r, off, size)
		if err != nil {
			return nil, err
		}
		switch b.typ {
		case "moov":
			if f.moov >= 0 {
				return nil, label.Corrupt(name, b.off, "second moov box (the first is at offset %d)", f.boxes[f.moov].off)
			}
			f.moov = len(f.boxes)
		case "uuid":
			if err := f.loadUUID(r, &b); err != nil {
				return nil, err
			}
		}
		f.boxes = append(f.boxes, b)
		off = b.end()
	}
	if f.moov < 0 {
		return nil, label.Corrupt(name, -1, "no moov box in %d top-level boxes", len(f.boxes))
	}
	m := f.boxes[f.moov]
	if m.size > label.MaxMetadata {
		return nil, label.Unsupported(name, m.off, "moov box of %d bytes is larger than the %d-byte metadata limit", m.size, label.MaxMetadata)
	}
	if _, err := r.Seek(m.off, io.SeekStart); err != nil {
		return nil, err
	}
	buf, err := label.ReadAtMost(r, m.size, label.MaxMetadata)
	if err != nil {
		return nil, readErr(m.off, "moov box", err)
	}
	if m.hdr == 8 && binary.BigEndian.Uint32(buf) == 0 {
		// A moov running to the end of the file: give it its size.
		binary.BigEndian.PutUint32(buf, uint32(len(buf)))
	}
	if f.tree, err = parseBox(buf, m.off); err != nil {
		return nil, err
	}
	if err := f.findMoov(); err != nil {
		return nil, err
	}
	return f, nil
}

// loadUUID reads the extended type of a top-level uuid box and, when it is
// XMP's, loads the packet and records its labels.
func (f *file) loadUUID(r io.ReadSeeker, b *topBox) error {
	if b.size-b.hdr < 16 {
		return nil
	}
	var u [16]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return readErr(b.off, "uuid box", err)
	}
	if u != XMPUUID {
		return nil
	}
	n := b.size - b.hdr - 16
	if n > label.MaxMetadata {
		return label.Unsupported(name, b.off, "XMP uuid box of %d bytes is larger than the %d-byte metadata limit", n, label.MaxMetadata)
	}
	p, err := label.ReadAtMost(r, n, label.MaxMetadata)
	if err != nil {
		return readErr(b.off, "XMP uuid box", err)
	}
	b.xmp, b.xmpOff = p, b.off+b.hdr+16
	vals, _ := xmp.Find(p)
	for _, v := range vals {
		f.found = append(f.found, label.NewFound(label.CarrierXMP, "uuid XMP box", b.off, []byte(v.Text)))
	}
	return nil
}

// findMoov finds the metadata boxes of moov and the labels they hold.
// Track-level metas (trak/meta, trak/udta/meta) are read too, so that a
// label there is found and, on Write, removed.
func (f *file) findMoov() error {
	for _, k := range f.tree.kids {
		switch k.typ {
		case "meta":
			if err := f.addMeta(k); err != nil {
				return err
			}
		case "trak":
			for _, m := range k.kids {
				if m.typ == "udta" {
					m = m.child("meta")
				}
				if m == nil || m.typ != "meta" {
					continue
				}
				if err := f.addMeta(m); err != nil {
					return err
				}
			}
		case "udta":
			for _, u := range k.kids {
				switch u.typ {
				case "meta":
					if err := f.addMeta(u); err != nil {
						return err
					}
				case "uuid", "XMP_":
					if p := xmpPacket(u); p != nil {
						f.xmps = append(f.xmps, u)
						vals, _ := xmp.Find(p)
						for _, v := range vals {
							f.found = append(f.found, label.NewFound(label.CarrierXMP, u.path(), u.off, []byte(v.Text)))
						}
					}
				}
			}
		}
	}
	return nil
}

// xmpPacket returns the XMP packet of a uuid (XMP) or XMP_ box, or nil.
func xmpPacket(b *box) []byte {
	p := b.payload()
	switch b.typ {
	case "XMP_":
		return p
	case "uuid":
		if len(p) >= 16 && bytes.Equal(p[:16], XMPUUID[:]) {
			return p[16:]
		}
	}
	return nil
}

// metaInfo is a meta box with its handler, keys and item list.
type metaInfo struct {
	b     *box
	track bool     // in a trak: never the target of Write
	hdlr  string   // handler type: "mdta", "mdir", …
	keys  *box     // nil without a keys box
	names []string // key names; item type n refers to names[n-1]
	end   int      // offset in the keys payload after the counted entries
	ilst  *box
}

// labelItem is an ilst item that holds a label.
type labelItem struct {
	b       *box
	carrier string
	key     uint32 // the key index for label.CarrierMP4Keys
}

func (f *file) addMeta(b *box) error {
	m := &metaInfo{b: b}
	for x := b.parent; x != nil; x = x.parent {
		m.track = m.track || x.typ == "trak"
	}
	if h := b.child("hdlr"); h != nil {
		if p := h.payload(); len(p) >= 12 {
			m.hdlr = string(p[8:12])
		}
	}
	if k := b.child("keys"); k != nil {
		if err := m.parseKeys(k); err != nil {
			return err
		}
	}
	m.ilst = b.child("ilst")
	f.metas = append(f.metas, m)
	items, err := m.labelItems()
	if err != nil {
		return err
	}
	for _, it := range items {
		where := it.b.path()
		if it.carrier == label.CarrierMP4Keys {
			where = b.path() + ` (keys "` + m.names[it.key-1] + `")`
		}
		for _, d := range it.b.kids {
			if d.typ != "data" {
				continue
			}
			f.found = append(f.found, label.NewFound(it.carrier, where, d.off, dataValue(d.payload())))
		}
	}
	return nil
}

// parseKeys reads the key names of a keys box: version and flags, an entry
// count, then entries of a 32-bit size, a namespace and the name.
func (m *metaInfo) parseKeys(k *box) error {
	p := k.payload()
	if len(p) < 8 {
		return label.Truncated(name, k.off, "keys box")
	}
	n := binary.BigEndian.Uint32(p[4:])
	if int64(n) > int64(len(p)-8)/8 {
		return label.Corrupt(name, k.off, "keys box counts %d entries in %d bytes", n, len(p))
	}
	at := 8
	for i := uint32(0); i < n; i++ {
		if len(p)-at < 8 {
			return label.Truncated(name, k.off, "keys box entry")
		}
		s := binary.BigEndian.Uint32(p[at:])
		if s < 8 || int64(s) > int64(len(p)-at) {
			return label.Corrupt(name, k.off, "keys box entry %d claims %d bytes, %d remain", i+1, s, len(p)-at)
		}
		m.names = append(m.names, string(p[at+8:at+int(s)]))
		at += int(s)
	}
	m.keys, m.end = k, at
	return nil
}

// isKey reports whether a key or item name is the label's.
func isKey(s string) bool { return strings.EqualFold(strings.TrimRight(s, "\x00"), Key) }

// labelItems returns the ilst items holding a label: items whose type is
// the index of an AIGC key, "----" items named AIGC and items typed AIGC.
func (m *metaInfo) labelItems() ([]labelItem, error) {
	if m.ilst == nil {
		return nil, nil
	}
	var out []labelItem
	for _, it := range m.ilst.kids {
		idx := binary.BigEndian.Uint32([]byte(it.typ))
		switch {
		case m.keys != nil && idx >= 1 && int64(idx) <= int64(len(m.names)) && isKey(m.names[idx-1]):
			out = append(out, labelItem{b: it, carrier: label.CarrierMP4Keys, key: idx})
		case it.typ == "----":
			n := it.child("name")
			if n == nil {
				continue
			}
			p := n.payload()
			if len(p) < 4 {
				return nil, label.Truncated(name, n.off, "name box of a ---- item")
			}
			if isKey(string(p[4:])) {
				out = append(out, labelItem{b: it, carrier: label.CarrierMP4Ilst})
			}
		case isKey(it.typ):
			out = append(out, labelItem{b: it, carrier: label.CarrierMP4Ilst})
		}
	}
	for _, it := range out {
		for _, d := range it.b.kids {
			if d.typ == "data" && len(d.payload()) < 8 {
				return nil, label.Truncated(name, d.off, "data box of "+it.b.path())
			}
		}
	}
	return out, nil
}

// dataValue returns the text of a data box payload: a type indicator, a
// locale and the value, UTF-8 (types 1, 4) or UTF-16 big endian (2, 5).
func dataValue(p []byte) []byte {
	typ := binary.BigEndian.Uint32(p) & 0xFFFFFF
	v := p[8:]
	if typ != 2 && typ != 5 {
		return v
	}
	if len(v) >= 2 && v[0] == 0xFE && v[1] == 0xFF {
		v = v[2:]
	}
	u := make([]uint16, len(v)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(v[2*i:])
	}
	out := make([]byte, 0, len(v))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out
}
