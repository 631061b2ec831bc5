package mp4

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// testLabel is the label the tests write.
var testLabel = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000",
	ProduceID: "mp4-test-001", ContentPropagator: "001191110108MA01KP2T5U20000", PropagateID: "p-1"}

// otherLabel is a second label, for relabeling.
var otherLabel = label.Label{Label: "2", ContentProducer: "其他", ProduceID: `quote"d`}

var (
	mediaOnce sync.Once
	mediaDir  string
	mediaErr  error
)

// source arguments for ffmpeg: 2 s of test pattern and sine.
var avSource = []string{"-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-f", "lavfi", "-i", "sine",
	"-t", "2", "-c:v", "libx264", "-c:a", "aac"}
var audioSource = []string{"-f", "lavfi", "-i", "sine", "-t", "2", "-c:a", "aac"}

// media returns the path of a sample made by ffmpeg, built once per test
// binary. Names: "plain.mp4", "faststart.mp4", "plain.mov",
// "faststart.mov", "plain.m4a", "faststart.m4a", "title.mp4" (iTunes ©nam),
// "title.mov" (QuickTime ©nam), "itunes.m4a" (title, artist, album),
// "mdta-title.mp4" (use_metadata_tags title), "labeled.mp4",
// "labeled-faststart.mov", "labeled.m4a" (ffmpeg's AIGC key),
// "moovsize.mp4" (moov followed by free space), "frag.mp4" (fragmented).
func media(t testing.TB, name string) string {
	t.Helper()
	fixtures.NeedTool(t, "ffmpeg")
	mediaOnce.Do(func() { mediaDir, mediaErr = makeMedia() })
	if mediaErr != nil {
		t.Fatal(mediaErr)
	}
	return filepath.Join(mediaDir, name)
}

// ffmpegLabel is the value the ffmpeg-labeled samples carry.
const ffmpegLabel = `{"Label":"1","ContentProducer":"ffmpeg","ProduceID":"old","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}`

func makeMedia() (string, error) {
	dir, err := os.MkdirTemp("", "aigcmark-mp4-")
	if err != nil {
		return "", err
	}
	ff := func(out string, args ...string) error {
		a := append([]string{"-v", "error", "-y", "-nostdin"}, args...)
		a = append(a, filepath.Join(dir, out))
		var e bytes.Buffer
		cmd := exec.Command("ffmpeg", a...)
		cmd.Stderr = &e
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("ffmpeg %s: %v\n%s", strings.Join(a, " "), err, e.String())
		}
		return nil
	}
	in := func(n string) string { return filepath.Join(dir, n) }
	steps := []func() error{
		func() error { return ff("plain.mp4", avSource...) },
		func() error { return ff("faststart.mp4", append(avSource, "-movflags", "+faststart")...) },
		func() error { return ff("plain.mov", avSource...) },
		func() error { return ff("faststart.mov", append(avSource, "-movflags", "+faststart")...) },
		func() error { return ff("plain.m4a", audioSource...) },
		func() error { return ff("faststart.m4a", append(audioSource, "-movflags", "+faststart")...) },
		func() error {
			return ff("title.mp4", "-i", in("plain.mp4"), "-c", "copy", "-metadata", "title=Hello MP4")
		},
		func() error {
			return ff("title.mov", "-i", in("plain.mov"), "-c", "copy", "-metadata", "title=Hello MOV")
		},
		func() error {
			return ff("itunes.m4a", "-i", in("plain.m4a"), "-c", "copy", "-metadata", "title=Song",
				"-metadata", "artist=Singer", "-metadata", "album=Record", "-movflags", "+faststart")
		},
		func() error {
			return ff("mdta-title.mp4", "-i", in("plain.mp4"), "-c", "copy", "-metadata", "title=Keyed",
				"-movflags", "use_metadata_tags+faststart")
		},
		func() error {
			return ff("labeled.mp4", "-i", in("plain.mp4"), "-c", "copy", "-metadata", "AIGC="+ffmpegLabel,
				"-metadata", "title=Labeled", "-movflags", "use_metadata_tags")
		},
		func() error {
			return ff("labeled-faststart.mov", "-i", in("plain.mov"), "-c", "copy", "-metadata", "AIGC="+ffmpegLabel,
				"-movflags", "use_metadata_tags+faststart")
		},
		func() error {
			return ff("labeled.m4a", "-i", in("plain.m4a"), "-c", "copy", "-metadata", "AIGC="+ffmpegLabel,
				"-movflags", "use_metadata_tags")
		},
		func() error { return ff("moovsize.mp4", "-i", in("plain.mp4"), "-c", "copy", "-moov_size", "8000") },
		func() error {
			return ff("frag.mp4", "-i", in("plain.mp4"), "-c", "copy", "-movflags", "frag_keyframe+empty_moov",
				"-frag_duration", "500000")
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mediaDir != "" {
		os.RemoveAll(mediaDir)
	}
	os.Exit(code)
}

// writeFile labels in into a new file in dir and returns its path.
func writeFile(t testing.TB, in string, l label.Label) string {
	t.Helper()
	src, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(t.TempDir(), "out"+filepath.Ext(in))
	dst, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := (Format{}).Write(dst, src, l); err != nil {
		t.Fatalf("Write %s: %v\n%s", filepath.Base(in), err, dump(t, in))
	}
	return out
}

// readFile reads the labels of a file.
func readFile(t testing.TB, path string) []label.Found {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found, err := Format{}.Read(f)
	if err != nil {
		t.Fatalf("Read %s: %v\n%s", filepath.Base(path), err, dump(t, path))
	}
	return found
}

// ffprobeTag returns a format tag as ffprobe shows it.
func ffprobeTag(t testing.TB, path, tag string) string {
	t.Helper()
	return ffprobeTags(t, path)[tag]
}

// ffprobeTags returns the format tags ffprobe shows.
func ffprobeTags(t testing.TB, path string) map[string]string {
	t.Helper()
	out := labeltest.RunTool(t, "ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "default=nw=1", path)
	tags := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "TAG:"), "="); ok {
			if _, dup := tags[k]; dup {
				t.Errorf("ffprobe shows tag %s twice", k)
			}
			tags[k] = v
		}
	}
	return tags
}

var (
	md5Mu    sync.Mutex
	md5Cache = map[string]string{}
)

// frameMD5 returns ffmpeg's per-frame checksums of every stream (cached
// per file, size and time).
func frameMD5(t testing.TB, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprint(path, st.Size(), st.ModTime().UnixNano())
	md5Mu.Lock()
	s, ok := md5Cache[key]
	md5Mu.Unlock()
	if ok {
		return s
	}
	s = labeltest.FrameMD5(t, path)
	md5Mu.Lock()
	md5Cache[key] = s
	md5Mu.Unlock()
	return s
}

// walk lists the top-level boxes of a file as type@offset+size, by a
// reading independent of the package's.
func walk(t testing.TB, path string) [][3]int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][3]int64
	for off := int64(0); off+8 <= int64(len(data)); {
		size := int64(binary.BigEndian.Uint32(data[off:]))
		if size == 1 {
			size = int64(binary.BigEndian.Uint64(data[off+8:]))
		} else if size == 0 {
			size = int64(len(data)) - off
		}
		out = append(out, [3]int64{int64(binary.BigEndian.Uint32(data[off+4:])), off, size})
		if size < 8 {
			break
		}
		off += size
	}
	return out
}

// mdatDigests returns the SHA-256 of every mdat box's payload.
func mdatDigests(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	for _, b := range walk(t, path) {
		if b[0] != 0x6d646174 { // mdat
			continue
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, b[1]+8, b[2]-8)); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%x", h.Sum(nil)))
	}
	return out
}

// dump returns the box tree of a file, for failure messages.
func dump(t testing.TB, path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var b strings.Builder
	size, _ := label.Size(f)
	for off := int64(0); off < size; {
		h, err := readHeader(f, off, size)
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			break
		}
		fmt.Fprintf(&b, "%s @%d size %d\n", typeName(h.typ), h.off, h.size)
		if h.typ == "moov" && h.size < 1<<20 {
			buf := make([]byte, h.size)
			f.ReadAt(buf, h.off)
			tree, err := parseBox(buf, h.off)
			if err != nil {
				fmt.Fprintf(&b, "  error: %v\n", err)
			} else {
				dumpBox(&b, tree, 1)
			}
		}
		off = h.end()
	}
	return b.String()
}

func dumpBox(b *strings.Builder, x *box, depth int) {
	for _, k := range x.kids {
		fmt.Fprintf(b, "%s%s @%d size %d", strings.Repeat("  ", depth), itemName(k.typ), k.off, k.size())
		switch k.typ {
		case "hdlr", "keys", "data", "name", "mean":
			p := k.payload()
			fmt.Fprintf(b, " %q", p[:min(len(p), 80)])
		}
		b.WriteByte('\n')
		dumpBox(b, k, depth+1)
	}
}

// Build helpers for hand-made boxes.

func mkbox(typ string, parts ...[]byte) []byte {
	n := 8
	for _, p := range parts {
		n += len(p)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(n))
	out = append(out, typ...)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func dataBox(typ uint32, v []byte) []byte { return mkbox("data", u32(typ), u32(0), v) }

// editMoov returns the file at path with its moov replaced by what fn
// makes of the parsed tree. The sample must have moov last, so that no
// offset moves.
func editMoov(t testing.TB, path string, fn func(moov *box)) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	boxes := walk(t, path)
	last := boxes[len(boxes)-1]
	if last[0] != 0x6d6f6f76 {
		t.Fatalf("%s: moov is not last", path)
	}
	tree, err := parseBox(bytes.Clone(data[last[1]:]), last[1])
	if err != nil {
		t.Fatal(err)
	}
	fn(tree)
	tree.touch()
	return append(data[:last[1]:last[1]], tree.bytes()...)
}

// rawBox parses hand-made box bytes into a box to add to a tree.
func rawBox(t testing.TB, b []byte) *box {
	t.Helper()
	x, err := parseBox(b, -1)
	if err != nil {
		t.Fatal(err)
	}
	return x
}
