package digest_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/all"
	"github.com/aigcmark/aigcmark/label/digest"
)

var (
	first = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "img-0001",
		ReservedCode1: "aigcmark1.ed25519.0011223344556677.AAAA"}
	second = label.Label{Label: "3", ContentProducer: "another-producer", ProduceID: "a much longer produce id that moves things around 0123456789",
		ContentPropagator: "platform", PropagateID: "p-42", ReservedCode2: "opaque"}
)

func sum(t *testing.T, format string, b []byte) [digest.Size]byte {
	t.Helper()
	s, err := digest.Sum(format, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Sum(%s): %v", format, err)
	}
	return s
}

func write(t *testing.T, f label.Format, b []byte, l label.Label) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := f.Write(&out, bytes.NewReader(b), l); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return out.Bytes()
}

// payloadByte returns the offset of a byte of b that belongs to the media
// payload, found independently of package digest.
func payloadByte(t *testing.T, format string, b []byte) int {
	t.Helper()
	riffChunk := func(ids ...string) int {
		for p := 12; p+8 <= len(b); {
			id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
			for _, want := range ids {
				if id == want && n > 4 {
					return p + 8 + n/2
				}
			}
			p += 8 + n + n&1
		}
		return -1
	}
	switch format {
	case "jpeg": // in the entropy-coded data, just before EOI
		for i := len(b) - 3; i > 0; i-- {
			if b[i] != 0xFF && b[i] != 0xFE && b[i-1] != 0xFF {
				return i
			}
		}
	case "png":
		return bytes.Index(b, []byte("IDAT")) + 4 + 2
	case "webp":
		return riffChunk("VP8 ", "VP8L", "ANMF")
	case "wav":
		return riffChunk("data")
	case "gif": // a global colour table entry
		if b[10]&0x80 != 0 {
			return 13 + 1
		}
	case "mp4":
		i := bytes.Index(b, []byte("mdat"))
		if i < 0 {
			break
		}
		n := int(binary.BigEndian.Uint32(b[i-4:]))
		return i + n/2
	case "mp3", "flac", "ogg": // well inside the audio
		return len(b) - len(b)/4
	case "markdown":
		return len(b) - 2
	}
	t.Fatalf("no payload byte found in %s input", format)
	return -1
}

// flip changes the byte at i, and repairs a PNG chunk CRC so that the
// file stays valid.
func flip(format string, b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0x02
	if format == "png" {
		p := bytes.Index(c, []byte("IDAT"))
		n := int(binary.BigEndian.Uint32(c[p-4:]))
		binary.BigEndian.PutUint32(c[p+4+n:], crc32.ChecksumIEEE(c[p:p+4+n]))
	}
	return c
}

func TestFixtures(t *testing.T) {
	for _, p := range fixtures.All("") {
		rel, _ := filepath.Rel(fixtures.Dir(), p)
		if strings.HasPrefix(rel, "bad"+string(filepath.Separator)) {
			continue
		}
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			in, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			f, err := all.Sniff(bytes.NewReader(in), p)
			if err != nil {
				t.Fatal(err)
			}
			name := f.Name()
			d0 := sum(t, name, in)
			once := write(t, f, in, first)
			if bytes.Equal(once, in) {
				t.Fatal("writing a label left the file unchanged; the test would prove nothing")
			}
			if d1 := sum(t, name, once); d1 != d0 {
				t.Errorf("labelling changed the digest: %x -> %x", d0, d1)
			}
			twice := write(t, f, once, second)
			if d2 := sum(t, name, twice); d2 != d0 {
				t.Errorf("relabelling changed the digest: %x -> %x", d0, d2)
			}
			i := payloadByte(t, name, in)
			changed := flip(name, in, i)
			dc, err := digest.Sum(name, bytes.NewReader(changed))
			if err != nil {
				t.Fatalf("changing payload byte %d: %v", i, err)
			}
			if dc == d0 {
				t.Errorf("changing payload byte %d left the digest unchanged", i)
			}
			// And the change survives labelling.
			if dl := sum(t, name, write(t, f, changed, first)); dl != dc {
				t.Errorf("labelling the changed file changed its digest")
			}
		})
	}
}

func TestBadFixtures(t *testing.T) {
	formats := map[string]string{".png": "png", ".wav": "wav", ".jpg": "jpeg", ".mp4": "mp4", ".flac": "flac"}
	bad := fixtures.All("bad")
	if len(bad) == 0 {
		t.Fatal("no bad fixtures")
	}
	for _, p := range bad {
		name := formats[filepath.Ext(p)]
		if name == "" {
			t.Fatalf("%s: no format for this extension", p)
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			in, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = digest.Sum(name, bytes.NewReader(in))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, label.ErrCorrupt) && !errors.Is(err, label.ErrUnsupported) {
				t.Errorf("error is not a FormatError: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "digest: "+name+": ") {
				t.Errorf("error %q lacks its prefix", err)
			}
		})
	}
}

// TestTruncated cuts every fixture short: each cut gives an error or a
// digest, never a panic, and a cut never gives the digest of the whole
// file.
func TestTruncated(t *testing.T) {
	for _, p := range fixtures.All("") {
		in, _ := os.ReadFile(p)
		f, err := all.Sniff(bytes.NewReader(in), p)
		if err != nil {
			continue
		}
		full, err := digest.Sum(f.Name(), bytes.NewReader(in))
		if err != nil {
			continue
		}
		// Cuts within the first half, where every fixture has payload (a
		// cut through a trailing metadata chunk may rightly keep the digest).
		for _, n := range []int{0, 1, 7, 13, 100, len(in) / 3, len(in) / 2} {
			if n >= len(in) {
				continue
			}
			d, err := digest.Sum(f.Name(), bytes.NewReader(in[:n]))
			if err == nil && d == full {
				t.Errorf("%s cut to %d bytes has the digest of the whole file", p, n)
			}
		}
	}
}

func TestDomainSeparation(t *testing.T) {
	// The same body in two formats whose digest is a single part.
	if digest.Domain("png") == digest.Domain("jpeg") {
		t.Fatal("domains collide")
	}
	md := []byte("hello\n")
	a := sum(t, "markdown", md)
	if a == sum(t, "markdown", []byte("hello\r\n")) {
		t.Error("line endings are normalised")
	}
	if _, err := digest.Sum("tiff", bytes.NewReader(md)); !errors.Is(err, digest.ErrNoDigest) {
		t.Errorf("unknown format: %v", err)
	}
}

func FuzzSum(f *testing.F) {
	for _, p := range fixtures.All("") {
		if in, err := os.ReadFile(p); err == nil && len(in) < 24<<10 {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fm, err := all.Detect(in[:min(len(in), label.SniffLen)], "x.md")
		for _, name := range digest.Formats {
			d, serr := digest.Sum(name, bytes.NewReader(in))
			if err != nil || fm.Name() != name || serr != nil {
				continue
			}
			// Labelling must not change the digest of a file both accept.
			var out bytes.Buffer
			if fm.Write(&out, bytes.NewReader(in), first) != nil {
				continue
			}
			d2, err2 := digest.Sum(name, bytes.NewReader(out.Bytes()))
			if err2 != nil {
				t.Fatalf("%s: labelled output has no digest: %v", name, err2)
			}
			if d2 != d {
				t.Fatalf("%s: labelling changed the digest", name)
			}
		}
	})
}
