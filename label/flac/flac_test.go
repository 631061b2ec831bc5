package flac

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"os"
	"os/exec"
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
	ProduceID:         "flac-test-0001",
	ContentPropagator: "001191110108MA01KP2T5U10000",
	PropagateID:       "flac-test-0001",
}

// ffmpegFLAC encodes a second of a sine tone to FLAC with ffmpeg.
func ffmpegFLAC(t *testing.T, dir string, extra ...string) string {
	p := filepath.Join(dir, "in.flac")
	args := append([]string{"-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
		"-c:a", "flac", "-metadata", "title=Song"}, extra...)
	labeltest.RunTool(t, "ffmpeg", append(args, "-y", p)...)
	return p
}

func tinyPNG(t *testing.T, dir string) string {
	p := filepath.Join(dir, "cover.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) ([]label.Found, *stream) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found, err := (Format{}).Read(f)
	if err != nil {
		t.Fatalf("Read(%s): %v", p, err)
	}
	s, err := scan(f)
	if err != nil {
		t.Fatal(err)
	}
	return found, s
}

// TestWriteWithTools labels FLAC files made by ffmpeg and metaflac and checks
// the result with metaflac, flac, ffmpeg and ffprobe.
func TestWriteWithTools(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	fixtures.NeedTool(t, "metaflac")
	other := label.Label{Label: "2", ContentProducer: "someone else", ProduceID: "old"}
	for _, tc := range []struct {
		name     string
		prepare  func(t *testing.T, dir string) string
		nLabels  int  // labels in the input
		inPlace  bool // audio frames keep their offset
		comments []string
	}{
		{"ffmpeg with padding", func(t *testing.T, dir string) string {
			return ffmpegFLAC(t, dir)
		}, 0, true, []string{"title=Song"}},
		{"no comment no padding", func(t *testing.T, dir string) string {
			p := ffmpegFLAC(t, dir)
			labeltest.RunTool(t, "metaflac", "--remove", "--block-type=VORBIS_COMMENT,PADDING", "--dont-use-padding", p)
			return p
		}, 0, false, nil},
		{"metaflac tags padding seektable picture", func(t *testing.T, dir string) string {
			p := ffmpegFLAC(t, dir)
			labeltest.RunTool(t, "metaflac", "--remove", "--block-type=PADDING", "--dont-use-padding", p)
			labeltest.RunTool(t, "metaflac", "--set-tag=ARTIST=Ünïcode", "--add-seekpoint=0.5s",
				"--import-picture-from="+tinyPNG(t, dir), "--add-padding=300", p)
			return p
		}, 0, true, []string{"title=Song", "ARTIST=Ünïcode"}},
		{"labeled by metaflac twice", func(t *testing.T, dir string) string {
			p := ffmpegFLAC(t, dir)
			labeltest.RunTool(t, "metaflac", "--set-tag=AIGC="+other.String(), "--set-tag=aigc="+other.String(), p)
			return p
		}, 2, true, []string{"title=Song"}},
		{"labeled by ffmpeg", func(t *testing.T, dir string) string {
			return ffmpegFLAC(t, dir, "-metadata", "AIGC="+other.String())
		}, 1, true, []string{"title=Song"}},
		{"labeled no padding shrinks", func(t *testing.T, dir string) string {
			long := other
			long.ReservedCode1 = strings.Repeat("x", 500)
			p := ffmpegFLAC(t, dir, "-metadata", "AIGC="+long.String())
			labeltest.RunTool(t, "metaflac", "--remove", "--block-type=PADDING", "--dont-use-padding", p)
			return p
		}, 1, false, []string{"title=Song"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := tc.prepare(t, dir)
			found, sIn := readFile(t, in)
			if len(found) != tc.nLabels {
				t.Fatalf("input has %d labels, want %d: %+v", len(found), tc.nLabels, found)
			}
			for _, f := range found {
				if f.Label.Label != "2" || f.Label.ProduceID != "old" || len(f.Problems) != 0 {
					t.Errorf("read label %+v problems %v", f.Label, f.Problems)
				}
			}
			out := filepath.Join(dir, "out.flac")
			labeltest.WriteFile(t, Format{}, in, out, testLabel)

			// Our reader: exactly one label, ours.
			found, sOut := readFile(t, out)
			labeltest.WantOne(t, found, testLabel, label.CarrierVorbisComment)
			// The audio frames are byte for byte the same, at the same
			// offset when padding absorbed the change.
			a, b := labeltest.ReadFile(t, in), labeltest.ReadFile(t, out)
			if !bytes.Equal(a[sIn.audio:], b[sOut.audio:]) {
				t.Fatal("audio frames differ")
			}
			if tc.inPlace != (sIn.audio == sOut.audio) {
				t.Errorf("audio moved from %d to %d (in place wanted: %v)", sIn.audio, sOut.audio, tc.inPlace)
			}
			// Blocks other than VORBIS_COMMENT and PADDING are unchanged and in order.
			if x, y := otherBlocks(a, sIn), otherBlocks(b, sOut); !equalBlocks(x, y) {
				t.Errorf("other blocks changed: %d before, %d after", len(x), len(y))
			}

			// metaflac sees the label and the other comments.
			list := labeltest.RunTool(t, "metaflac", "--list", "--block-type=VORBIS_COMMENT", out)
			if strings.Count(list, "AIGC=") != 1 || !strings.Contains(list, "AIGC="+testLabel.String()) {
				t.Errorf("metaflac --list:\n%s", list)
			}
			for _, c := range tc.comments {
				if !strings.Contains(list, c) {
					t.Errorf("metaflac --list lost %q:\n%s", c, list)
				}
			}
			if m1, m2 := labeltest.RunTool(t, "metaflac", "--show-md5sum", in), labeltest.RunTool(t, "metaflac", "--show-md5sum", out); m1 != m2 {
				t.Errorf("MD5 changed: %s -> %s", m1, m2)
			}
			if _, err := exec.LookPath("flac"); err == nil {
				labeltest.RunTool(t, "flac", "-t", "-s", out)
			}
			if m1, m2 := labeltest.AudioMD5(t, in), labeltest.AudioMD5(t, out); m1 != m2 {
				t.Errorf("decoded audio differs: %s vs %s", m1, m2)
			}
			tags := labeltest.RunTool(t, "ffprobe", "-v", "error", "-show_entries", "format_tags=AIGC", "-of", "default=nw=1:nk=1", out)
			if strings.TrimSpace(tags) != testLabel.String() {
				t.Errorf("ffprobe AIGC tag = %q", tags)
			}

			// Relabeling our own output leaves one label.
			again := filepath.Join(dir, "again.flac")
			labeltest.WriteFile(t, Format{}, out, again, other)
			found, _ = readFile(t, again)
			labeltest.WantOne(t, found, other, label.CarrierVorbisComment)
		})
	}
}

// otherBlocks returns the type byte and body of every block other than
// VORBIS_COMMENT and PADDING.
func otherBlocks(file []byte, s *stream) [][]byte {
	var out [][]byte
	for _, b := range s.blocks {
		if b.typ == typeVorbisComment || b.typ == typePadding {
			continue
		}
		out = append(out, append([]byte{b.typ}, file[b.offset+4:b.offset+4+b.length]...))
	}
	return out
}

func equalBlocks(x, y [][]byte) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !bytes.Equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

// synth builds a FLAC file from blocks (type, body) and a tail of audio.
func synth(blocks [][]byte, audio []byte) []byte {
	b := []byte("fLaC")
	for i, blk := range blocks {
		t, body := blk[0], blk[1:]
		if i == len(blocks)-1 {
			t |= 0x80
		}
		b = append(b, t, byte(len(body)>>16), byte(len(body)>>8), byte(len(body)))
		b = append(b, body...)
	}
	return append(b, audio...)
}

func blk(t byte, body []byte) []byte { return append([]byte{t}, body...) }

var (
	streamInfo = blk(typeStreamInfo, make([]byte, 34))
	frame      = []byte{0xff, 0xf8, 0x69, 0x08, 0x00, 0x00}
)

func TestSynthetic(t *testing.T) {
	comment := vorbis.New()
	comment.Entries = append(comment.Entries, []byte("TITLE=x"))
	labeled := comment.WithLabel(label.Label{Label: "3"}.JSON())
	for _, tc := range []struct {
		name    string
		in      []byte
		nLabels int
		inPlace bool
	}{
		{"streaminfo only, empty stream", synth([][]byte{streamInfo}, nil), 0, false},
		{"streaminfo only", synth([][]byte{streamInfo}, frame), 0, false},
		{"comment", synth([][]byte{streamInfo, blk(typeVorbisComment, comment.Bytes())}, frame), 0, false},
		{"padding resized to zero", synth([][]byte{streamInfo, blk(typeVorbisComment, comment.Bytes()),
			blk(typePadding, make([]byte, len(testLabel.JSON())+9))}, frame), 0, true},
		{"padding exactly consumed", synth([][]byte{streamInfo, blk(typeVorbisComment, comment.Bytes()),
			blk(typePadding, make([]byte, len(testLabel.JSON())+5))}, frame), 0, true},
		{"two comment blocks", synth([][]byte{streamInfo, blk(typeVorbisComment, labeled.Bytes()),
			blk(typeApplication, []byte("abcdxyz")), blk(typeVorbisComment, labeled.Bytes()),
			blk(typePadding, make([]byte, 1000))}, frame), 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found, err := Format{}.Read(bytes.NewReader(tc.in))
			if err != nil || len(found) != tc.nLabels {
				t.Fatalf("Read = %d labels, %v", len(found), err)
			}
			out := labeltest.WriteRead(t, Format{}, tc.in, testLabel, label.CarrierVorbisComment)
			sIn, _ := scan(bytes.NewReader(tc.in))
			sOut, _ := scan(bytes.NewReader(out))
			if !bytes.Equal(tc.in[sIn.audio:], out[sOut.audio:]) {
				t.Error("audio differs")
			}
			if tc.inPlace && sIn.audio != sOut.audio {
				t.Errorf("audio moved from %d to %d", sIn.audio, sOut.audio)
			}
			if !sOut.blocks[len(sOut.blocks)-1].last {
				t.Error("last-block flag missing")
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	good := synth([][]byte{streamInfo, blk(typeVorbisComment, vorbis.New().Bytes())}, frame)
	hugeCount := vorbis.New().Bytes()
	binary.LittleEndian.PutUint32(hugeCount[len(hugeCount)-4:], 1<<31)
	hugeCount = append(hugeCount, make([]byte, 10)...)
	for _, tc := range []struct {
		name, want string
		in         []byte
	}{
		{"empty", "truncated", nil},
		{"not flac", "not \"fLaC\"", []byte("RIFF....")},
		{"no blocks", "header is truncated", []byte("fLaC")},
		{"streaminfo missing", "not STREAMINFO", synth([][]byte{blk(typeVorbisComment, vorbis.New().Bytes())}, frame)},
		{"streaminfo short", "not 34", synth([][]byte{blk(typeStreamInfo, make([]byte, 20))}, frame)},
		{"block past EOF", "claims 16777215 bytes, 2 remain", append(append([]byte("fLaC\x00\x00\x00\x22"), make([]byte, 34)...), 0x81, 0xff, 0xff, 0xff, 1, 2)},
		{"invalid type", "type 127", synth([][]byte{streamInfo, blk(typeInvalid, nil)}, frame)},
		{"comment count huge", "comment count 2147483648", synth([][]byte{streamInfo, blk(typeVorbisComment, hugeCount)}, frame)},
		{"no frame sync", "no frame sync", synth([][]byte{streamInfo}, []byte("garbage"))},
		{"one byte of audio", "truncated", synth([][]byte{streamInfo}, []byte{0xff})},
		{"last flag never set", "block 2 header is truncated", good[:len(good)-len(frame)]},
		{"second streaminfo", "second STREAMINFO", synth([][]byte{streamInfo, streamInfo}, frame)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "last flag never set" {
				tc.in = append([]byte{}, tc.in...)
				tc.in[42] &^= 0x80
			}
			labeltest.Corrupt(t, Format{}, tc.in, tc.want)
		})
	}
}

// TestFixtures labels the committed sample FLAC files.
func TestFixtures(t *testing.T) {
	labeltest.Fixtures(t, Format{}, "flac", testLabel, label.CarrierVorbisComment, nil)
}

func TestSniff(t *testing.T) {
	if !(Format{}).Sniff([]byte("fLaC\x00\x00\x00\x22")) || (Format{}).Sniff([]byte("OggS")) || (Format{}).Sniff(nil) {
		t.Fatal("Sniff")
	}
}

// TestLabeledFixtures reads the committed files labeled by other tools and
// relabels them to exactly one label.
func TestLabeledFixtures(t *testing.T) {
	labeltest.LabeledFixtures(t, Format{}, testLabel, label.CarrierVorbisComment, nil, ".flac")
}

// TestBadFixtures reads the committed corrupt files.
func TestBadFixtures(t *testing.T) {
	labeltest.BadFixtures(t, Format{}, ".flac")
}
