package traces

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"os"
	"testing"
	"unicode/utf16"

	"github.com/aigcmark/aigcmark/fixtures"
)

// fixture returns the bytes of a committed sample.
func fixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures.Path(rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngChunk returns a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func tEXt(key, val string) []byte { return pngChunk("tEXt", []byte(key+"\x00"+val)) }

func iTXt(key, val string, compress bool) []byte {
	v := []byte(val)
	flag := byte(0)
	if compress {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(v)
		w.Close()
		v, flag = z.Bytes(), 1
	}
	d := append([]byte(key+"\x00"), flag, 0)
	d = append(d, "en\x00\x00"...)
	return pngChunk("iTXt", append(d, v...))
}

// withPNG returns a copy of the PNG png with chunks inserted after IHDR.
func withPNG(png []byte, chunks ...[]byte) []byte {
	const at = 8 + 25
	out := append([]byte(nil), png[:at]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, png[at:]...)
}

// withJPEG returns a copy of the JPEG jpg with segments (marker, payload)
// inserted after SOI.
func withJPEG(jpg []byte, marker byte, payload []byte) []byte {
	out := append([]byte(nil), jpg[:2]...)
	out = append(out, 0xFF, marker)
	out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// withWebP returns a copy of the WebP file with a chunk appended.
func withWebP(webp []byte, id string, data []byte) []byte {
	out := append([]byte(nil), webp...)
	out = append(out, id...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
	out = append(out, data...)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// withGIFXMP returns a copy of the GIF with an XMP application extension
// before the trailer.
func withGIFXMP(gif []byte, packet string) []byte {
	out := append([]byte(nil), gif[:len(gif)-1]...)
	out = append(out, 0x21, 0xFF, 11)
	out = append(out, "XMP DataXMP"...)
	out = append(out, packet...)
	out = append(out, 1)
	for i := 0xFF; i >= 0; i-- {
		out = append(out, byte(i))
	}
	return append(out, 0, 0x3B)
}

// withMP4XMP returns a copy of the MP4 with a top-level XMP uuid box
// appended.
func withMP4XMP(mp4 []byte, packet string) []byte {
	out := append([]byte(nil), mp4...)
	out = binary.BigEndian.AppendUint32(out, uint32(8+16+len(packet)))
	out = append(out, "uuid"...)
	out = append(out, xmpUUID...)
	return append(out, packet...)
}

// ifdEntry is one TIFF entry for tiffBlock.
type ifdEntry struct {
	tag   uint16
	typ   uint16
	value []byte
}

func ascii(tag uint16, s string) ifdEntry { return ifdEntry{tag, 2, append([]byte(s), 0)} }

// unicodeComment returns a UserComment value with the UNICODE code and
// UTF-16 big-endian text, as piexif writes it for A1111.
func unicodeComment(s string) ifdEntry {
	v := []byte("UNICODE\x00")
	for _, u := range utf16.Encode([]rune(s)) {
		v = binary.BigEndian.AppendUint16(v, u)
	}
	return ifdEntry{0x9286, 7, v}
}

// tiffBlock builds a little-endian TIFF structure with IFD0 entries and,
// when exif is not empty, an Exif sub-IFD.
func tiffBlock(ifd0, exif []ifdEntry) []byte {
	order := binary.LittleEndian
	if len(exif) > 0 {
		ifd0 = append(ifd0, ifdEntry{tag: tagExifIFD, typ: 4})
	}
	// Layout: header, IFD0, Exif IFD, then values.
	ifdLen := func(n int) int { return 2 + 12*n + 4 }
	ifd0Off := 8
	exifOff := ifd0Off + ifdLen(len(ifd0))
	valOff := exifOff
	if len(exif) > 0 {
		valOff += ifdLen(len(exif))
	}
	b := make([]byte, valOff)
	copy(b, "II*\x00")
	order.PutUint32(b[4:], uint32(ifd0Off))
	var vals []byte
	write := func(at int, es []ifdEntry) {
		order.PutUint16(b[at:], uint16(len(es)))
		for i, e := range es {
			p := at + 2 + 12*i
			order.PutUint16(b[p:], e.tag)
			if e.tag == tagExifIFD {
				order.PutUint16(b[p+2:], 4)
				order.PutUint32(b[p+4:], 1)
				order.PutUint32(b[p+8:], uint32(exifOff))
				continue
			}
			order.PutUint16(b[p+2:], e.typ)
			order.PutUint32(b[p+4:], uint32(len(e.value)))
			if len(e.value) <= 4 {
				copy(b[p+8:], e.value)
				continue
			}
			order.PutUint32(b[p+8:], uint32(valOff+len(vals)))
			vals = append(vals, e.value...)
			if len(vals)%2 == 1 {
				vals = append(vals, 0)
			}
		}
	}
	write(ifd0Off, ifd0)
	if len(exif) > 0 {
		write(exifOff, exif)
	}
	return append(b, vals...)
}

// xmpPacket wraps rdf:Description content in a packet.
func xmpPacket(desc string) string {
	return "<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n" +
		`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		desc + `</rdf:RDF></x:xmpmeta>` + "\n<?xpacket end=\"w\"?>"
}

const nsDecl = ` xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"` +
	` xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"` +
	` xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"`
