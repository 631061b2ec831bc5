package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aigcmark/aigcmark/label"
)

// topBox is one top-level box of the file.
type topBox struct {
	typ  string
	off  int64 // offset of the header
	size int64 // whole box, header included (resolved for size 0)
	hdr  int64 // header length: 8 or 16
	// For a uuid box carrying XMP: the packet and its offset in the file.
	xmp    []byte
	xmpOff int64
}

func (b topBox) end() int64 { return b.off + b.size }

// typeName quotes a four-character box type for messages.
func typeName(t string) string {
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] > 0x7e {
			if len(t) == 4 {
				return fmt.Sprintf("%q (0x%08x)", t, binary.BigEndian.Uint32([]byte(t)))
			}
			return strconv.Quote(t)
		}
	}
	return "'" + t + "'"
}

// readHeader reads the box header at off in a file of size fsize and
// checks the size it claims against what remains.
func readHeader(r io.ReadSeeker, off, fsize int64) (topBox, error) {
	var h [16]byte
	b := topBox{off: off}
	if fsize-off < 8 {
		return b, label.Truncated(name, off, fmt.Sprintf("box header (%d bytes left at the end of the file)", fsize-off))
	}
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return b, err
	}
	if _, err := io.ReadFull(r, h[:8]); err != nil {
		return b, readErr(off, "box header", err)
	}
	b.typ = string(h[4:8])
	size := uint64(binary.BigEndian.Uint32(h[:4]))
	b.hdr = 8
	switch size {
	case 0:
		size = uint64(fsize - off)
	case 1:
		if fsize-off < 16 {
			return b, label.Truncated(name, off, "64-bit header of box "+typeName(b.typ))
		}
		if _, err := io.ReadFull(r, h[8:16]); err != nil {
			return b, readErr(off, "box header", err)
		}
		size = binary.BigEndian.Uint64(h[8:16])
		b.hdr = 16
	}
	if size < uint64(b.hdr) {
		return b, label.Corrupt(name, off, "box %s claims %d bytes, less than its %d-byte header", typeName(b.typ), size, b.hdr)
	}
	if size > uint64(fsize-off) {
		return b, label.Corrupt(name, off, "box %s claims %d bytes, only %d remain in the file", typeName(b.typ), size, fsize-off)
	}
	b.size = int64(size)
	return b, nil
}

// readErr turns a read error inside a structure into a FormatError.
func readErr(off int64, what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return label.Truncated(name, off, what)
	}
	return err
}

// box is a box of moov (or of another small top-level box) held in memory.
// An untouched box is written back from raw; a dirty one is rebuilt from
// prefix, kids and suffix (containers) or data (leaves).
type box struct {
	typ    string
	off    int64  // file offset, -1 for a new box
	raw    []byte // the whole box as read, header included; nil for new boxes
	hdr    int    // header length in raw
	parent *box

	container bool
	prefix    []byte // container payload before the first child (meta version and flags)
	kids      []*box
	suffix    []byte // container payload after the last child (QuickTime zero terminator)

	data  []byte // leaf payload, set when the leaf is new or changed
	dirty bool
}

// payload returns the box's payload as read.
func (b *box) payload() []byte {
	if b.raw == nil || (b.dirty && !b.container) {
		return b.data
	}
	return b.raw[b.hdr:]
}

// path returns "moov/udta/meta" for the box.
func (b *box) path() string {
	var parts []string
	for x := b; x != nil; x = x.parent {
		t := x.typ
		if x.parent != nil && x.parent.typ == "ilst" {
			t = itemName(t)
		}
		parts = append(parts, t)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// itemName spells an ilst item type: a printable four-character code as is,
// a key index as "#n".
func itemName(t string) string {
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] > 0x7e {
			if t[i] == 0xa9 && i == 0 { // ©nam and friends
				continue
			}
			return "#" + strconv.FormatUint(uint64(binary.BigEndian.Uint32([]byte(t))), 10)
		}
	}
	if t[0] == 0xa9 {
		return "\u00a9" + t[1:]
	}
	return t
}

// child returns the first child of type t.
func (b *box) child(t string) *box {
	for _, k := range b.kids {
		if k.typ == t {
			return k
		}
	}
	return nil
}

// touch marks b and its ancestors for rebuilding.
func (b *box) touch() {
	for x := b; x != nil; x = x.parent {
		x.dirty = true
	}
}

// setData replaces the payload of a leaf box.
func (b *box) setData(p []byte) {
	b.data = p
	b.touch()
}

// remove drops child k from b.
func (b *box) remove(k *box) {
	for i, x := range b.kids {
		if x == k {
			b.kids = append(b.kids[:i:i], b.kids[i+1:]...)
			b.touch()
			return
		}
	}
}

// add appends child k to b, or inserts it before the child before when
// that is not nil.
func (b *box) add(k *box, before *box) {
	k.parent = b
	i := len(b.kids)
	for j, x := range b.kids {
		if x == before {
			i = j
			break
		}
	}
	b.kids = append(b.kids[:i:i], append([]*box{k}, b.kids[i:]...)...)
	b.touch()
}

// newLeaf returns a new leaf box.
func newLeaf(typ string, data []byte) *box {
	return &box{typ: typ, off: -1, data: data, dirty: true}
}

// newContainer returns a new container box with the given children.
func newContainer(typ string, prefix []byte, kids ...*box) *box {
	b := &box{typ: typ, off: -1, container: true, prefix: prefix, dirty: true}
	for _, k := range kids {
		k.parent = b
		b.kids = append(b.kids, k)
	}
	return b
}

// size returns the size the box will have when written.
func (b *box) size() int64 {
	if !b.dirty {
		return int64(len(b.raw))
	}
	n := int64(8)
	if b.container {
		n += int64(len(b.prefix) + len(b.suffix))
		for _, k := range b.kids {
			n += k.size()
		}
	} else {
		n += int64(len(b.data))
	}
	if n > 0xFFFFFFFF {
		n += 8 // a 64-bit size
	}
	return n
}

// appendTo appends the box's bytes to out.
func (b *box) appendTo(out []byte) []byte {
	if !b.dirty {
		return append(out, b.raw...)
	}
	n := b.size()
	if n > 0xFFFFFFFF {
		out = binary.BigEndian.AppendUint32(out, 1)
		out = append(out, b.typ...)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	} else {
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		out = append(out, b.typ...)
	}
	if !b.container {
		return append(out, b.data...)
	}
	out = append(out, b.prefix...)
	for _, k := range b.kids {
		out = k.appendTo(out)
	}
	return append(out, b.suffix...)
}

// bytes returns the box's bytes.
func (b *box) bytes() []byte { return b.appendTo(make([]byte, 0, b.size())) }

// parseBox parses buf (a whole box read from file offset off) into a tree:
// the boxes on the paths this package edits are parsed as containers, the
// others are kept as raw leaves.
func parseBox(buf []byte, off int64) (*box, error) {
	b, err := parseHeader(buf, 0, len(buf), off, nil)
	if err != nil {
		return nil, err
	}
	if err := b.parseKids(); err != nil {
		return nil, err
	}
	return b, nil
}

// parseHeader parses the header of the box at buf[at:] that must end by
// end, as a child of parent.
func parseHeader(buf []byte, at, end int, base int64, parent *box) (*box, error) {
	off := base + int64(at)
	where := "the file"
	if parent != nil {
		where = typeName(parent.typ)
	}
	rest := end - at
	if rest < 8 {
		return nil, label.Truncated(name, off, fmt.Sprintf("box header in %s (%d bytes left)", where, rest))
	}
	typ := string(buf[at+4 : at+8])
	size := uint64(binary.BigEndian.Uint32(buf[at:]))
	hdr := 8
	switch size {
	case 0:
		// "To the end of the parent": give it its size, since boxes may
		// be added after it.
		size = uint64(rest)
		if rest <= 0xFFFFFFFF {
			binary.BigEndian.PutUint32(buf[at:], uint32(rest))
		}
	case 1:
		if rest < 16 {
			return nil, label.Truncated(name, off, "64-bit header of box "+typeName(typ))
		}
		size = binary.BigEndian.Uint64(buf[at+8:])
		hdr = 16
	}
	if size < uint64(hdr) {
		return nil, label.Corrupt(name, off, "box %s claims %d bytes, less than its %d-byte header", typeName(typ), size, hdr)
	}
	if size > uint64(rest) {
		return nil, label.Corrupt(name, off, "box %s claims %d bytes, only %d remain in %s", typeName(typ), size, rest, where)
	}
	return &box{typ: typ, off: off, raw: buf[at : at+int(size) : at+int(size)], hdr: hdr, parent: parent}, nil
}

// containerTypes are parsed into children; everything else stays a leaf.
// (meta is handled apart because of its optional version and flags; the
// items of ilst are containers too.)
var containerTypes = map[string]bool{
	"moov": true, "trak": true, "mdia": true, "minf": true, "stbl": true,
	"udta": true, "ilst": true, "meta": true,
	"moof": true, "traf": true, "mfra": true,
}

// maxDepth bounds the nesting of parsed containers.
const maxDepth = 16

// parseKids parses the children of b when b is a container.
func (b *box) parseKids() error {
	isItem := b.parent != nil && b.parent.typ == "ilst"
	if !containerTypes[b.typ] && !isItem {
		return nil
	}
	depth := 0
	for x := b; x != nil; x = x.parent {
		depth++
	}
	if depth > maxDepth {
		return label.Corrupt(name, b.off, "boxes nested more than %d deep at %s", maxDepth, typeName(b.typ))
	}
	b.container = true
	p := b.raw[b.hdr:]
	start := 0
	if b.typ == "meta" {
		start = metaPrefix(p)
	}
	if start > len(p) {
		return label.Truncated(name, b.off, "meta box")
	}
	b.prefix = p[:start]
	at := start
	for at < len(p) {
		if len(p)-at < 8 && allZero(p[at:]) {
			// QuickTime ends some lists with a 32-bit zero.
			b.suffix = p[at:]
			break
		}
		k, err := parseHeader(p, at, len(p), b.off+int64(b.hdr), b)
		if err != nil {
			return err
		}
		if err := k.parseKids(); err != nil {
			return err
		}
		b.kids = append(b.kids, k)
		at += len(k.raw)
	}
	return nil
}

// metaPrefix returns the length of the meta payload before its first child:
// 4 for an ISO meta (a full box whose version and flags are zero), 0 for a
// QuickTime meta, which has none and starts straight with a box such as
// hdlr.
func metaPrefix(p []byte) int {
	if len(p) < 8 {
		return 4
	}
	s := binary.BigEndian.Uint32(p)
	if s < 8 || int64(s) > int64(len(p)) {
		return 4
	}
	switch string(p[4:8]) {
	case "hdlr", "keys", "ilst", "free", "mhdr", "ctry", "lang", "itif", "uuid":
		return 0
	}
	if s != 0 && printable(p[4:8]) {
		return 0 // not a version 0 full box, but a box
	}
	return 4
}

func printable(p []byte) bool {
	for _, c := range p {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func allZero(p []byte) bool {
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}
