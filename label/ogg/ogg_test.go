package ogg

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/vorbis"
)

var testLabel = label.Label{
	Label:             "1",
	ContentProducer:   "001191110108MA01KP2T5U10000",
	ProduceID:         "ogg-test-0001",
	ContentPropagator: "001191110108MA01KP2T5U10000",
	PropagateID:       "ogg-test-0001",
}

var otherLabel = label.Label{Label: "2", ContentProducer: "someone else", ProduceID: "old"}

// allPages parses every page of b, checking each CRC.
func allPages(t *testing.T, b []byte) []*page {
	t.Helper()
	var out []*page
	for off := 0; off < len(b); {
		p, err := readPage(bytes.NewReader(b[off:]), int64(off), nil)
		if err != nil {
			t.Fatalf("page at %d: %v", off, err)
		}
		out = append(out, p)
		off += len(p.raw)
	}
	return out
}

// checkSequence checks that every stream's pages are numbered without gaps.
func checkSequence(t *testing.T, pages []*page) {
	t.Helper()
	next := map[uint32]uint32{}
	for _, p := range pages {
		if n, ok := next[p.serial]; ok && p.seq != n {
			t.Errorf("stream %08x: page at %d has sequence number %d, want %d", p.serial, p.offset, p.seq, n)
		}
		next[p.serial] = p.seq + 1
	}
}

// mediaPages returns the pages after the scanned header region.
func mediaPages(t *testing.T, b []byte) []*page {
	t.Helper()
	s, err := scanHeaders(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return allPages(t, b[s.end:])
}

func TestToolFiles(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	big := testLabel
	big.ReservedCode1 = strings.Repeat("S", 70000) // needs a second page
	sine := []string{"-f", "lavfi", "-i", "sine=frequency=440:duration=2"}
	for _, tc := range []struct {
		name    string
		args    []string
		ext     string
		nLabels int
		l       label.Label
		moved   bool // header page count changes
	}{
		{"vorbis", append(sine, "-c:a", "libvorbis", "-metadata", "title=Song"), "ogg", 0, testLabel, false},
		{"opus", append(sine, "-c:a", "libopus", "-metadata", "title=Song"), "opus", 0, testLabel, false},
		{"vorbis labeled by ffmpeg", append(sine, "-c:a", "libvorbis", "-metadata", "AIGC="+otherLabel.String()), "ogg", 1, testLabel, false},
		{"opus labeled by ffmpeg", append(sine, "-c:a", "libopus", "-metadata", "AIGC="+otherLabel.String()), "opus", 1, testLabel, false},
		{"flac in ogg", append(sine, "-c:a", "flac", "-metadata", "title=Song"), "oga", 0, testLabel, false},
		{"vorbis big label", append(sine, "-c:a", "libvorbis", "-metadata", "title=Song"), "ogg", 0, big, true},
		{"opus big label", append(sine, "-c:a", "libopus", "-metadata", "title=Song"), "opus", 0, big, true},
		{"opus big comment shrinks", append(sine, "-c:a", "libopus", "-metadata", "comment="+strings.Repeat("c", 70000)), "opus", 0, testLabel, false},
		{"theora and vorbis", []string{"-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
			"-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libtheora", "-c:a", "libvorbis",
			"-metadata", "AIGC=" + otherLabel.String()}, "ogv", 2, testLabel, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in."+tc.ext)
			labeltest.RunTool(t, "ffmpeg", append(append([]string{"-v", "error"}, tc.args...), "-y", in)...)
			a := labeltest.ReadFile(t, in)
			found, err := Format{}.Read(bytes.NewReader(a))
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != tc.nLabels {
				t.Fatalf("input has %d labels, want %d", len(found), tc.nLabels)
			}
			for _, f := range found {
				if f.Label != otherLabel || f.Carrier != label.CarrierVorbisComment {
					t.Errorf("read %+v", f)
				}
			}
			out := filepath.Join(dir, "out."+tc.ext)
			labeltest.WriteFile(t, Format{}, in, out, tc.l)
			b := labeltest.ReadFile(t, out)
			labeltest.RequireOne(t, Format{}, b, tc.l, label.CarrierVorbisComment)
			checkSequence(t, allPages(t, b))
			// The media pages carry the same data; when the header page
			// count is kept they are byte for byte the same.
			ma, mb := mediaPages(t, a), mediaPages(t, b)
			if len(ma) != len(mb) {
				t.Fatalf("%d media pages became %d", len(ma), len(mb))
			}
			sa, _ := scanHeaders(bytes.NewReader(a))
			sb, _ := scanHeaders(bytes.NewReader(b))
			if same := bytes.Equal(a[sa.end:], b[sb.end:]); same == tc.moved {
				t.Errorf("media bytes unchanged: %v, want %v", same, !tc.moved)
			}
			for i := range ma {
				if !bytes.Equal(ma[i].body, mb[i].body) || ma[i].granule != mb[i].granule || ma[i].flags != mb[i].flags {
					t.Fatalf("media page %d differs", i)
				}
			}
			if m1, m2 := labeltest.FrameMD5(t, in), labeltest.FrameMD5(t, out); m1 != m2 {
				t.Errorf("decoded media differs")
			}
			tags := labeltest.RunTool(t, "ffprobe", "-v", "error", "-show_entries", "stream_tags=AIGC", "-of", "default=nw=1:nk=1", out)
			if strings.TrimSpace(tags) != tc.l.String() {
				t.Errorf("ffprobe AIGC tags = %.200q", tags)
			}
			if strings.Contains(strings.Join(tc.args, " "), "title=Song") {
				title := labeltest.RunTool(t, "ffprobe", "-v", "error", "-show_entries", "stream_tags=title", "-of", "default=nw=1:nk=1", out)
				if strings.TrimSpace(title) != "Song" {
					t.Errorf("title tag = %q, want Song", title)
				}
			}
			again := filepath.Join(dir, "again."+tc.ext)
			labeltest.WriteFile(t, Format{}, out, again, otherLabel)
			labeltest.RequireOne(t, Format{}, labeltest.ReadFile(t, again), otherLabel, label.CarrierVorbisComment)
			if m1, m3 := labeltest.FrameMD5(t, in), labeltest.FrameMD5(t, again); m1 != m3 {
				t.Errorf("decoded media differs after relabel")
			}
		})
	}
}

// synthOpus builds a small Opus-like stream: OpusHead, OpusTags with c,
// and two "audio" pages.
func synthOpus(c *vorbis.Comment) []byte {
	head := []byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")
	tags := c.Append([]byte("OpusTags"))
	var b []byte
	b = append(b, buildPage(flagBOS, 0, 7, 0, lace(len(head)), head)...)
	b = append(b, buildPage(0, 0, 7, 1, lace(len(tags)), tags)...)
	b = append(b, buildPage(0, 960, 7, 2, []byte{3}, []byte{1, 2, 3})...)
	b = append(b, buildPage(flagEOS, 1920, 7, 3, []byte{3}, []byte{4, 5, 6})...)
	return b
}

func lace(n int) []byte {
	var l []byte
	for ; n >= 255; n -= 255 {
		l = append(l, 255)
	}
	return append(l, byte(n))
}

func TestSynthetic(t *testing.T) {
	c := vorbis.New()
	c.Entries = append(c.Entries, []byte("TITLE=x"), append([]byte("aigc="), otherLabel.JSON()...))
	in := synthOpus(c)
	found, err := Format{}.Read(bytes.NewReader(in))
	if err != nil || len(found) != 1 || found[0].Label != otherLabel || found[0].Offset != 47 {
		t.Fatalf("Read = %+v, %v", found, err)
	}
	out := labeltest.WriteRead(t, Format{}, in, testLabel, label.CarrierVorbisComment)
	pages := allPages(t, out)
	if len(pages) != 4 || !bytes.Equal(in[len(in)-2*30:], out[len(out)-2*30:]) {
		t.Fatal("media pages changed")
	}
	if !strings.Contains(string(pages[1].body), "TITLE=x") {
		t.Fatal("other comment lost")
	}
}

func TestBadInput(t *testing.T) {
	good := synthOpus(vorbis.New())
	flip := func(i int) []byte {
		b := append([]byte{}, good...)
		b[i] ^= 0x40
		return b
	}
	huge := vorbis.New().Bytes()
	huge[len(huge)-1] = 0x80 // count 2^31
	hugeCount := synthOpus(vorbis.New())
	{
		tags := append([]byte("OpusTags"), huge...)
		tags = append(tags, make([]byte, 10)...)
		head := good[:47]
		hugeCount = append(append([]byte{}, head...), buildPage(0, 0, 7, 1, lace(len(tags)), tags)...)
	}
	for _, tc := range []struct {
		name, want string
		in         []byte
	}{
		{"empty", "", nil},
		{"not ogg", "capture pattern", []byte("RIFF0000WAVEfmt 0000000000000000000")},
		{"bad CRC in BOS page", "CRC", flip(30)},
		{"bad CRC in comment page", "page CRC is|(at offset 47)", flip(47 + 30)},
		{"truncated header", "page header is truncated (at offset 47)", good[:47+10]},
		{"truncated body", "page body is truncated (at offset 47)", good[:47+29]},
		{"headers missing", "headers of stream 00000007 is truncated", good[:47]},
		{"version 1", "version 1", func() []byte { b := append([]byte{}, good...); b[4] = 1; return b }()},
		{"stray page", "no BOS page", append(append([]byte{}, good[:47]...), buildPage(0, 0, 9, 0, []byte{1}, []byte{1})...)},
		{"comment count huge", "comment count 2147483648", hugeCount},
		{"continued without start", "did not start", append(append([]byte{}, good[:47]...), buildPage(flagContinued, 0, 7, 1, []byte{1}, []byte{1})...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Format{}.Read(bytes.NewReader(tc.in))
			var fe *label.FormatError
			if tc.in == nil {
				if err != nil {
					t.Fatalf("empty file: %v", err)
				}
				return
			}
			if !errors.As(err, &fe) || !containsAll(err.Error(), tc.want) {
				t.Fatalf("Read error = %v, want a FormatError containing %q", err, tc.want)
			}
			if err := (Format{}).Write(io.Discard, bytes.NewReader(tc.in), testLabel); !errors.As(err, &fe) {
				t.Fatalf("Write error = %v", err)
			}
		})
	}
}

// TestFixtures labels the committed sample Ogg files.
func TestFixtures(t *testing.T) {
	labeltest.Fixtures(t, Format{}, "ogg", testLabel, label.CarrierVorbisComment, nil)
}

func TestCRC(t *testing.T) {
	// The Ogg CRC (non-reflected 0x04C11DB7, init 0, no final XOR) of
	// "123456789" is 0x89A1897F (CRC-32/MPEG-2 without init/xorout).
	if got := crc(0, []byte("123456789")); got != 0x89a1897f {
		t.Fatalf("crc = %08x", got)
	}
}

func containsAll(s, want string) bool {
	for _, w := range strings.Split(want, "|") {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// TestLabeledFixtures reads the committed files labeled by other tools and
// relabels them to exactly one label.
func TestLabeledFixtures(t *testing.T) {
	labeltest.LabeledFixtures(t, Format{}, testLabel, label.CarrierVorbisComment, nil, ".ogg")
}

// TestBadFixtures reads the committed corrupt files.
func TestBadFixtures(t *testing.T) {
	labeltest.BadFixtures(t, Format{}, ".ogg")
}
