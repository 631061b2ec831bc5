package c2pa

import (
	"math"
	"math/big"
	"strconv"

	"github.com/aigcmark/aigcmark/label"
)

// CBOR decoding limits. An item nested deeper, or a store whose CBOR holds
// more items in all, is refused rather than decoded.
const (
	maxCBORDepth = 64
	maxCBORItems = 1 << 20
)

// Simple is a CBOR simple value other than false, true, null and undefined.
type Simple uint8

// cborDecoder decodes one CBOR data item (RFC 8949) into Go values:
//
//	unsigned and negative integers  int64 (uint64 above 2^63-1, *big.Int below -2^63)
//	byte strings                    []byte (a copy)
//	text strings                    string
//	arrays                          []any
//	maps                            map[string]any: text keys as they are, integer
//	                                keys as decimal text; other keys are refused
//	tags                            the tagged item (the tag number is dropped)
//	false, true                     bool
//	null, undefined                 nil
//	floats (16, 32, 64 bits)        float64
//	other simple values             Simple
//
// Indefinite-length strings, arrays and maps are decoded. Every length is
// checked against the bytes that remain before anything is allocated, and
// items share the budget *items.
type cborDecoder struct {
	b     []byte
	off   int
	items *int
}

// decodeCBOR decodes the single CBOR item b holds; bytes after it are an
// error. items is the item budget shared by the caller's decodes.
func decodeCBOR(b []byte, items *int) (any, error) {
	if items == nil {
		n := maxCBORItems
		items = &n
	}
	d := &cborDecoder{b: b, items: items}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.off != len(b) {
		return nil, d.corrupt(d.off, "%d bytes follow the data item", len(b)-d.off)
	}
	return v, nil
}

func (d *cborDecoder) corrupt(off int, msg string, args ...any) error {
	return label.Corrupt("cbor", int64(off), msg, args...)
}

func (d *cborDecoder) truncated(off int, what string) error {
	return label.Truncated("cbor", int64(off), what)
}

const breakByte = 0xFF

// head reads an initial byte and its argument. indef reports additional
// information 31 (indefinite length, or break for major type 7).
func (d *cborDecoder) head() (major byte, info byte, arg uint64, indef bool, err error) {
	at := d.off
	if at >= len(d.b) {
		return 0, 0, 0, false, d.truncated(at, "data item")
	}
	ib := d.b[at]
	d.off++
	major, info = ib>>5, ib&0x1F
	var n int
	switch {
	case info < 24:
		return major, info, uint64(info), false, nil
	case info == 24:
		n = 1
	case info == 25:
		n = 2
	case info == 26:
		n = 4
	case info == 27:
		n = 8
	case info == 31:
		if major == 0 || major == 1 || major == 6 {
			return 0, 0, 0, false, d.corrupt(at, "major type %d cannot have an indefinite length", major)
		}
		return major, info, 0, true, nil
	default:
		return 0, 0, 0, false, d.corrupt(at, "reserved additional information %d", info)
	}
	if len(d.b)-d.off < n {
		return 0, 0, 0, false, d.truncated(at, "data item head")
	}
	for _, c := range d.b[d.off : d.off+n] {
		arg = arg<<8 | uint64(c)
	}
	d.off += n
	return major, info, arg, false, nil
}

// rest returns how many bytes remain.
func (d *cborDecoder) rest() uint64 { return uint64(len(d.b) - d.off) }

func (d *cborDecoder) value(depth int) (any, error) {
	at := d.off
	if depth > maxCBORDepth {
		return nil, label.Unsupported("cbor", int64(at), "items nested more than %d deep", maxCBORDepth)
	}
	if *d.items <= 0 {
		return nil, label.Unsupported("cbor", int64(at), "more than %d data items", maxCBORItems)
	}
	*d.items--
	major, info, arg, indef, err := d.head()
	if err != nil {
		return nil, err
	}
	switch major {
	case 0:
		if arg > math.MaxInt64 {
			return arg, nil
		}
		return int64(arg), nil
	case 1:
		if arg > math.MaxInt64 {
			n := new(big.Int).SetUint64(arg)
			return n.Neg(n.Add(n, big.NewInt(1))), nil
		}
		return -1 - int64(arg), nil
	case 2, 3:
		p, err := d.str(at, major, arg, indef)
		if err != nil {
			return nil, err
		}
		if major == 3 {
			return string(p), nil
		}
		return p, nil
	case 4:
		return d.array(at, arg, indef, depth)
	case 5:
		return d.mapping(at, arg, indef, depth)
	case 6:
		return d.value(depth + 1) // the tag is skipped through
	}
	// Major type 7.
	switch {
	case indef:
		return nil, d.corrupt(at, "break outside an indefinite-length item")
	case info == 20:
		return false, nil
	case info == 21:
		return true, nil
	case info == 22, info == 23:
		return nil, nil
	case info < 24:
		return Simple(info), nil
	case info == 24:
		if arg < 32 {
			return nil, d.corrupt(at, "simple value %d in two bytes", arg)
		}
		return Simple(arg), nil
	case info == 25:
		return half(uint16(arg)), nil
	case info == 26:
		return float64(math.Float32frombits(uint32(arg))), nil
	}
	return math.Float64frombits(arg), nil
}

// str reads a byte or text string's content.
func (d *cborDecoder) str(at int, major byte, n uint64, indef bool) ([]byte, error) {
	if !indef {
		if n > d.rest() {
			return nil, d.corrupt(at, "string claims %d bytes, %d remain", n, d.rest())
		}
		p := make([]byte, n)
		copy(p, d.b[d.off:])
		d.off += int(n)
		return p, nil
	}
	var out []byte
	for {
		if d.off < len(d.b) && d.b[d.off] == breakByte {
			d.off++
			if out == nil {
				out = []byte{}
			}
			return out, nil
		}
		c := d.off
		m, _, cn, cindef, err := d.head()
		if err != nil {
			return nil, err
		}
		if m != major || cindef {
			return nil, d.corrupt(c, "indefinite-length string holds a chunk of major type %d", m)
		}
		if cn > d.rest() {
			return nil, d.corrupt(c, "string chunk claims %d bytes, %d remain", cn, d.rest())
		}
		out = append(out, d.b[d.off:d.off+int(cn)]...)
		d.off += int(cn)
	}
}

func (d *cborDecoder) atBreak() bool {
	if d.off < len(d.b) && d.b[d.off] == breakByte {
		d.off++
		return true
	}
	return false
}

func (d *cborDecoder) array(at int, n uint64, indef bool, depth int) (any, error) {
	if !indef && n > d.rest() { // every item takes at least one byte
		return nil, d.corrupt(at, "array claims %d items, %d bytes remain", n, d.rest())
	}
	out := make([]any, 0, min(n, 1024))
	for i := uint64(0); indef || i < n; i++ {
		if indef && d.atBreak() {
			break
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *cborDecoder) mapping(at int, n uint64, indef bool, depth int) (any, error) {
	if !indef && n > d.rest()/2 { // every pair takes at least two bytes
		return nil, d.corrupt(at, "map claims %d pairs, %d bytes remain", n, d.rest())
	}
	out := make(map[string]any, min(n, 64))
	for i := uint64(0); indef || i < n; i++ {
		if indef && d.atBreak() {
			break
		}
		kat := d.off
		k, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		var key string
		switch k := k.(type) {
		case string:
			key = k
		case int64:
			key = strconv.FormatInt(k, 10)
		case uint64:
			key = strconv.FormatUint(k, 10)
		default:
			return nil, label.Unsupported("cbor", int64(kat), "map key of type %T", k)
		}
		if _, dup := out[key]; dup {
			return nil, d.corrupt(kat, "duplicate map key %q", key)
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}

// half converts an IEEE 754 half-precision float.
func half(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, mant := int(h>>10&0x1F), float64(h&0x3FF)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24)
	case 31:
		if mant == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(mant+1024, exp-25)
}
