package mp3

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

var testLabel = label.Label{
	Label:             "1",
	ContentProducer:   "001191110108MA01KP2T5U10000",
	ProduceID:         "0192f0c6a4b27c3e9d5a1b2c3d4e5f60",
	ContentPropagator: "平台",
	PropagateID:       "p-1",
}

// asciiLabel is written as ISO-8859-1.
var asciiLabel = label.Label{Label: "1", ContentProducer: "producer", ProduceID: "id-1"}

var oldLabel = label.Label{Label: "2", ContentProducer: "old", ProduceID: "old-id"}

// audio returns n silent MPEG-1 layer III frames (128 kbit/s, 44.1 kHz).
func audio(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		f := make([]byte, 417)
		copy(f, []byte{0xFF, 0xFB, 0x90, 0x64})
		b = append(b, f...)
	}
	return b
}

// id3 returns a tag header and body.
func id3(ver, flags byte, body []byte) []byte {
	h := []byte{'I', 'D', '3', ver, 0, flags, 0, 0, 0, 0}
	putSyncsafe(h[6:], int64(len(body)))
	return append(h, body...)
}

// fr returns a frame of the given version.
func fr(ver byte, id string, flags uint16, data []byte) []byte {
	switch ver {
	case 2:
		n := len(data)
		return append([]byte{id[0], id[1], id[2], byte(n >> 16), byte(n >> 8), byte(n)}, data...)
	case 3:
		h := append([]byte(id), 0, 0, 0, 0, byte(flags>>8), byte(flags))
		binary.BigEndian.PutUint32(h[4:], uint32(len(data)))
		return append(h, data...)
	}
	h := append([]byte(id), 0, 0, 0, 0, byte(flags>>8), byte(flags))
	putSyncsafe(h[4:8], int64(len(data)))
	return append(h, data...)
}

// str encodes s in encoding enc, with a terminator when term is set.
func str(enc byte, s string, term bool) []byte {
	var b []byte
	switch enc {
	case encLatin1, encUTF8:
		b = []byte(s)
		if term {
			b = append(b, 0)
		}
	case encUTF16, encUTF16BE:
		if enc == encUTF16 {
			b = []byte{0xFF, 0xFE}
		}
		for _, u := range utf16.Encode([]rune(s)) {
			if enc == encUTF16 {
				b = binary.LittleEndian.AppendUint16(b, u)
			} else {
				b = binary.BigEndian.AppendUint16(b, u)
			}
		}
		if term {
			b = append(b, 0, 0)
		}
	}
	return b
}

func txxxData(enc byte, desc, value string) []byte {
	return append(append([]byte{enc}, str(enc, desc, true)...), str(enc, value, false)...)
}

func text(enc byte, s string) []byte { return append([]byte{enc}, str(enc, s, false)...) }

// apic is picture data with bytes that need unsynchronisation.
var apic = append([]byte("\x00image/jpeg\x00\x03\x00"), 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0xFF, 0x00, 0xFF, 0xFF, 0xFB)

// unsync applies unsynchronisation.
func unsync(b []byte) []byte {
	var out []byte
	for i, c := range b {
		out = append(out, c)
		if c == 0xFF && (i+1 == len(b) || b[i+1] >= 0xE0 || b[i+1] == 0) {
			out = append(out, 0)
		}
	}
	return out
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func pad(n int) []byte { return make([]byte, n) }

// layout returns the tags' versions, every frame other than the AIGC ones
// (header included; for a tag unsynchronised as a whole, decoded) and the
// bytes after the tags.
func layout(t *testing.T, b []byte) (vers []byte, frames [][]byte, rest []byte) {
	t.Helper()
	f, err := open(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range f.tags {
		vers = append(vers, tg.ver)
		err := tg.frames(func(x frame) error {
			if _, ok, _ := tg.aigc(x); ok {
				return nil
			}
			raw := make([]byte, x.hdr+x.n)
			if err := tg.readAt(raw, x.off); err != nil {
				return err
			}
			frames = append(frames, raw)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return vers, frames, b[f.audio:]
}

// checkKept checks that out has in's tag versions, other frames and audio.
func checkKept(t *testing.T, in, out []byte) {
	t.Helper()
	vi, fi, ai := layout(t, in)
	vo, fo, ao := layout(t, out)
	if len(vi) > 0 && !bytes.Equal(vi, vo) {
		t.Fatalf("tag versions %v became %v", vi, vo)
	}
	if len(fi) != len(fo) {
		t.Fatalf("%d other frames before, %d after", len(fi), len(fo))
	}
	for i := range fi {
		if !bytes.Equal(fi[i], fo[i]) {
			t.Fatalf("frame %q changed:\n% x\n% x", fi[i][:4], fi[i], fo[i])
		}
	}
	if !bytes.Equal(ai, ao) {
		t.Fatal("audio bytes changed")
	}
}

func TestHandBuilt(t *testing.T) {
	bare := string(oldLabel.JSON())
	title3 := fr(3, "TIT2", 0, text(encLatin1, "Title"))
	title4 := fr(4, "TIT2", 0, text(encUTF8, "标题"))
	pic3 := fr(3, "APIC", 0, apic)
	pic4 := fr(4, "APIC", 0, apic)
	aigc3 := fr(3, "TXXX", 0, txxxData(encLatin1, "AIGC", bare))
	aigc4 := fr(4, "TXXX", 0, txxxData(encUTF8, "AIGC", bare))
	other := fr(3, "TXXX", 0, txxxData(encLatin1, "other", "value"))
	comp3 := deflate(txxxData(encLatin1, "AIGC", bare))
	comp4 := deflate(txxxData(encUTF8, "AIGC", bare))
	long := fr(4, "APIC", 0, append(apic, pad(300)...)) // 327 bytes: syncsafe and plain sizes differ
	itunes := append([]byte{}, long...)
	binary.BigEndian.PutUint32(itunes[4:], uint32(len(long)-10))
	ext4 := []byte{0, 0, 0, 12, 1, 0x20, 5, 0x01, 0x02, 0x03, 0x04, 0x05} // CRC flag
	ext3 := []byte{0, 0, 0, 10, 0x80, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78}
	v1 := append([]byte("TAG"), pad(125)...)
	ape := append([]byte("APETAGEX"), pad(24)...)
	tests := []struct {
		name    string
		in      []byte
		n       int  // labels Read finds
		same    bool // Write keeps the file size (padding reused)
		wantVer byte
	}{
		{"2.3 latin1", cat(id3(3, 0, cat(title3, aigc3, pic3, pad(600))), audio(3)), 1, true, 3},
		{"2.3 utf16", cat(id3(3, 0, cat(fr(3, "TXXX", 0, txxxData(encUTF16, "AIGC", bare)), title3, pad(600))), audio(3)), 1, true, 3},
		{"2.3 lowercase description", cat(id3(3, 0, cat(fr(3, "TXXX", 0, txxxData(encLatin1, "aigc", bare)), pad(9))), audio(3)), 1, false, 3},
		{"2.3 other TXXX", cat(id3(3, 0, cat(other, title3)), audio(3)), 0, false, 3},
		{"2.3 compressed", cat(id3(3, 0, cat(title3, fr(3, "TXXX", 0x0080, cat([]byte{0, 0, 0, byte(len(bare) + 6)}, comp3)))), audio(3)), 1, false, 3},
		{"2.3 grouped", cat(id3(3, 0, cat(fr(3, "TXXX", 0x0020, cat([]byte{7}, txxxData(encLatin1, "AIGC", bare))), title3)), audio(3)), 1, false, 3},
		{"2.3 encrypted", cat(id3(3, 0, cat(fr(3, "TXXX", 0x0040, cat([]byte{0x80}, txxxData(encLatin1, "AIGC", bare))), title3)), audio(3)), 0, false, 3},
		{"2.3 unsynchronised tag", cat(id3(3, flagUnsync, unsync(cat(title3, pic3, aigc3, pad(400)))), audio(3)), 1, true, 3},
		{"2.3 extended header", cat(id3(3, flagExtended, cat(ext3, aigc3, title3, pad(700))), audio(3)), 1, true, 3},
		{"2.4 utf8", cat(id3(4, 0, cat(title4, aigc4, pic4, pad(700))), audio(3)), 1, true, 4},
		{"2.4 utf16be", cat(id3(4, 0, cat(title4, fr(4, "TXXX", 0, txxxData(encUTF16BE, "AIGC", bare)))), audio(3)), 1, false, 4},
		{"2.4 two strings", cat(id3(4, 0, cat(fr(4, "TXXX", 0, txxxData(encUTF8, "AIGC", bare+"\x00second")), title4)), audio(3)), 1, false, 4},
		{"2.4 footer", append(cat(id3(4, flagFooter, cat(title4, aigc4)), []byte("3DI\x04\x00\x10\x00\x00\x00\x00")), audio(3)...), 1, false, 4},
		{"2.4 extended header", cat(id3(4, flagExtended, cat(ext4, title4, aigc4, pad(700))), audio(3)), 1, true, 4},
		{"2.4 frame flags", cat(id3(4, 0, cat(title4, fr(4, "TXXX", f4Compressed|f4DataLength|f4Unsync|f4Grouped<<0, cat([]byte{9, 0, 0, 0, byte(len(bare) + 6)}, unsync(comp4))))), audio(3)), 1, false, 4},
		{"2.4 unsynchronised tag", cat(id3(4, flagUnsync, cat(title4, fr(4, "APIC", f4Unsync, unsync(apic)), aigc4, pad(800))), audio(3)), 1, true, 4},
		{"2.4 iTunes sizes", cat(id3(4, 0, cat(itunes, title4, aigc4)), audio(3)), 1, false, 4},
		{"2.4 syncsafe long", cat(id3(4, 0, cat(long, title4, aigc4)), audio(3)), 1, false, 4},
		{"two AIGC frames", cat(id3(4, 0, cat(aigc4, title4, aigc4)), audio(3)), 2, false, 4},
		{"two tags", cat(id3(3, 0, title3), id3(4, 0, cat(title4, aigc4, pad(50))), audio(3)), 1, false, 3},
		{"ID3v1 and APE", cat(id3(3, 0, cat(aigc3, title3)), audio(3), ape, v1), 1, false, 3},
		{"no tag", audio(5), 0, false, 4},
		{"no audio", id3(3, 0, cat(aigc3, pad(10))), 1, false, 3},
		{"zeros after tag", cat(id3(3, 0, cat(aigc3)), pad(100), audio(2)), 1, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := labeltest.Read(t, Format{}, tt.in)
			if len(fs) != tt.n {
				t.Fatalf("Read found %d labels, want %d: %+v", len(fs), tt.n, fs)
			}
			for _, f := range fs {
				if f.Label != oldLabel || f.Carrier != label.CarrierID3 || !strings.Contains(f.Where, "TXXX frame") || f.Offset < 10 {
					t.Fatalf("found %+v", f)
				}
			}
			for _, l := range []label.Label{testLabel, asciiLabel} {
				out := labeltest.WriteRead(t, Format{}, tt.in, l, label.CarrierID3)
				checkKept(t, tt.in, out)
				if out[3] != tt.wantVer {
					t.Fatalf("tag version %d, want %d", out[3], tt.wantVer)
				}
				if tt.same && len(out) != len(tt.in) {
					t.Fatalf("size %d, want %d (padding reused)", len(out), len(tt.in))
				}
				if out[5]&flagExtended != 0 || (out[3] == 3 && out[5]&flagUnsync != 0) {
					t.Fatalf("tag flags %08b", out[5])
				}
				// A second write is stable.
				again := labeltest.Write(t, Format{}, out, l)
				if !bytes.Equal(again, out) {
					t.Fatal("relabeling with the same label changed the file")
				}
			}
		})
	}
}

// TestEncoding checks the text encoding Write picks.
func TestEncoding(t *testing.T) {
	for _, tt := range []struct {
		ver byte
		l   label.Label
		enc byte
	}{{3, asciiLabel, encLatin1}, {3, testLabel, encUTF16}, {4, asciiLabel, encLatin1}, {4, testLabel, encUTF8}} {
		in := cat(id3(tt.ver, 0, fr(tt.ver, "TIT2", 0, text(0, "x"))), audio(1))
		out := labeltest.Write(t, Format{}, in, tt.l)
		i := bytes.Index(out, []byte("TXXX"))
		if i < 0 || out[i+10] != tt.enc {
			t.Fatalf("v2.%d %s: encoding %d, want %d", tt.ver, tt.l.ContentProducer, out[i+10], tt.enc)
		}
	}
}

func TestID3v22(t *testing.T) {
	in := cat(id3(2, 0, cat(fr(2, "TT2", 0, text(0, "t")), fr(2, "TXX", 0, txxxData(encLatin1, "AIGC", string(oldLabel.JSON()))))), audio(2))
	fs := labeltest.Read(t, Format{}, in)
	if len(fs) != 1 || fs[0].Label != oldLabel || fs[0].Where != `ID3v2.2 TXX frame "AIGC"` {
		t.Fatalf("Read = %+v", fs)
	}
	err := Format{}.Write(&bytes.Buffer{}, bytes.NewReader(in), testLabel)
	if !errors.Is(err, label.ErrUnsupported) || !strings.Contains(err.Error(), "ID3v2.2") {
		t.Fatalf("Write error %v, want Unsupported", err)
	}
}

func TestBadInput(t *testing.T) {
	aigc := fr(3, "TXXX", 0, txxxData(encLatin1, "AIGC", string(oldLabel.JSON())))
	good := cat(id3(3, 0, aigc), audio(2))
	mod := func(b []byte, f func(b []byte)) []byte {
		b = append([]byte(nil), b...)
		f(b)
		return b
	}
	tests := []struct {
		name, in, contains string
		unsupported        bool
	}{
		{"random", "\x12\x34random bytes that are not audio at all", "not an MP3", false},
		{"empty", "", "not an MP3", false},
		{"short header", "ID3\x03\x00", "not an MP3", false},
		{"tag size past EOF", string(mod(good, func(b []byte) { putSyncsafe(b[6:10], 1<<20) })), "claims 1048586 bytes", false},
		{"tag size not syncsafe", string(mod(good, func(b []byte) { b[9] = 0x80 })), "syncsafe", false},
		{"frame size past tag end", string(mod(good, func(b []byte) { binary.BigEndian.PutUint32(b[14:], 1000) })), "claims 1000 bytes", false},
		{"frame size 4 GiB", string(mod(good, func(b []byte) { binary.BigEndian.PutUint32(b[14:], 0xFFFFFFFF) })), "claims 4294967295 bytes", false},
		{"bad frame id", string(mod(good, func(b []byte) { b[10] = 'x' })), "invalid id", false},
		{"truncated tag", string(good[:30]), "remain in the file", false},
		{"no audio frame", string(cat(id3(3, 0, aigc), []byte("garbage garbage garbage"))), "no MPEG audio", false},
		{"extended header too long", string(cat(id3(3, flagExtended, cat([]byte{0, 0, 1, 0}, aigc)), audio(1))), "extended header claims", false},
		{"bad encoding", string(cat(id3(3, 0, fr(3, "TXXX", 0, []byte("\x07AIGC\x00{}"))), audio(1))), "text encoding", false},
		{"bad zlib", string(cat(id3(3, 0, fr(3, "TXXX", 0x0080, []byte("\x00\x00\x00\x10garbage"))), audio(1))), "compressed", false},
		{"flags without room", string(cat(id3(4, 0, fr(4, "TXXX", f4DataLength, []byte{1})), audio(1))), "too few", false},
		{"version 5", string(mod(good, func(b []byte) { b[3] = 5 })), "ID3v2.5", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rerr := Format{}.Read(strings.NewReader(tt.in))
			werr := Format{}.Write(&bytes.Buffer{}, strings.NewReader(tt.in), testLabel)
			for _, err := range []error{rerr, werr} {
				var fe *label.FormatError
				if !errors.As(err, &fe) || fe.Unsupported != tt.unsupported {
					t.Fatalf("error %v is not the right FormatError", err)
				}
				if !strings.HasPrefix(err.Error(), "mp3: ") || !strings.Contains(err.Error(), tt.contains) {
					t.Fatalf("error %q does not mention %q", err, tt.contains)
				}
			}
		})
	}
}

func TestSniff(t *testing.T) {
	a := audio(2)
	for _, tt := range []struct {
		name string
		head []byte
		want bool
	}{
		{"id3v2.3", id3(3, 0, nil), true},
		{"id3v2.4", id3(4, 0, nil), true},
		{"id3v2.2", id3(2, 0, nil), true},
		{"id3v2.5", id3(5, 0, nil), false},
		{"two frames", a, true},
		{"one short frame", a[:100], true},
		{"no second frame", append(append([]byte{}, a[:417]...), "not a frame"...), false},
		{"bad bitrate", []byte{0xFF, 0xFB, 0xF0, 0x00}, false},
		{"free format", []byte{0xFF, 0xFB, 0x00, 0x00}, false},
		{"reserved layer", []byte{0xFF, 0xF9, 0x90, 0x00}, false},
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0}, false},
		{"text", []byte("hello"), false},
		{"empty", nil, false},
	} {
		if got := (Format{}).Sniff(tt.head); got != tt.want {
			t.Errorf("%s: Sniff = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFrameLength(t *testing.T) {
	for _, tt := range []struct {
		h    []byte
		want int
	}{
		{[]byte{0xFF, 0xFB, 0x90, 0x00}, 417}, // MPEG-1 L3 128k 44.1k
		{[]byte{0xFF, 0xFB, 0x92, 0x00}, 418}, // padded
		{[]byte{0xFF, 0xF3, 0x84, 0x00}, 192}, // MPEG-2 L3 64k 24 kHz: 72*64000/24000
		{[]byte{0xFF, 0xFD, 0x90, 0x00}, 522}, // MPEG-1 L2 160k 44.1 kHz: 144*160000/44100
		{[]byte{0xFF, 0xFF, 0x90, 0x00}, 312}, // MPEG-1 L1 288k 44.1 kHz: (12*288000/44100)*4
		{[]byte{0xFF, 0xE3, 0x80, 0x00}, 417}, // MPEG-2.5 L3 64k 11.025 kHz: 72*64000/11025
	} {
		h, ok := parseFrameHeader(tt.h)
		if !ok || h.length != tt.want {
			t.Errorf("% x: length %d (ok %v), want %d", tt.h, h.length, ok, tt.want)
		}
	}
}
