package wav

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/xmp"
	gowav "github.com/go-audio/wav"
)

var (
	label1 = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "a1b2c3",
		ContentPropagator: "001191110108MA01KP2T5U10000", PropagateID: "a1b2c3"}
	label2 = label.Label{Label: "2", ContentProducer: "Example Co", ProduceID: "id-2", ReservedCode1: "sig"}
)

// ---- building WAV files by hand ----

func chunk(id string, data []byte) []byte { return riff.AppendChunk(nil, id, data) }

func wavFile(chunks ...[]byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint32(b[4:8], uint32(len(b)-8))
	return b
}

func le16(v int) []byte       { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
func le32(v int) []byte       { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// fmtChunk is a WAVEFORMAT with format tag tag; ext adds the
// WAVE_FORMAT_EXTENSIBLE fields.
func fmtChunk(tag, channels, rate, bits int, ext []byte) []byte {
	align := channels * bits / 8
	d := cat(le16(tag), le16(channels), le32(rate), le32(rate*align), le16(align), le16(bits))
	if ext != nil {
		d = cat(d, le16(len(ext)), ext)
	}
	return chunk("fmt ", d)
}

// extensible24 is the cbSize extension of 24-bit PCM: valid bits, channel
// mask and KSDATAFORMAT_SUBTYPE_PCM.
var extensible24 = cat(le16(24), le32(3),
	[]byte{1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71})

// samples returns n frames of a deterministic signal, bytes bytes per
// sample, channels channels.
func samples(n, channels, bytes int, float bool) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		for c := 0; c < channels; c++ {
			v := math.Sin(float64(i*(c+1)) / 7)
			if float {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v*0.5)))
				continue
			}
			x := int64(v * float64(int64(1)<<(8*bytes-2)))
			for k := 0; k < bytes; k++ {
				b = append(b, byte(x>>(8*k)))
			}
		}
	}
	return b
}

var (
	infoList = chunk("LIST", cat([]byte("INFO"), chunk("INAM", []byte("A title\x00")), chunk("IART", []byte("Artist\x00"))))
	bext     = chunk("bext", append([]byte("description"), make([]byte, 602-11)...))
	oddChunk = chunk("odd ", []byte("12345"))
	cue      = chunk("cue ", cat(le32(1), le32(1), le32(0), []byte("data"), le32(0), le32(0), le32(7)))
)

// testFiles are WAV files without a label, built by hand.
func testFiles() []struct {
	name string
	data []byte
} {
	return []struct {
		name string
		data []byte
	}{
		{"pcm16 with LIST bext and odd chunk", wavFile(fmtChunk(1, 2, 44100, 16, nil), infoList, bext,
			chunk("data", samples(400, 2, 2, false)), oddChunk, cue)},
		{"pcm24 extensible odd data", wavFile(fmtChunk(0xfffe, 1, 48000, 24, extensible24),
			chunk("data", samples(301, 1, 3, false)), oddChunk)},
		{"float32 with fact", wavFile(fmtChunk(3, 2, 22050, 32, []byte{}), chunk("fact", le32(250)),
			chunk("data", samples(250, 2, 4, true)), infoList)},
		{"odd chunk before data", wavFile(fmtChunk(1, 1, 8000, 16, nil), oddChunk, bext,
			chunk("data", samples(100, 1, 2, false)))},
	}
}

// withSize returns b with its RIFF size set to len(b)-8.
func withSize(b []byte) []byte {
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(b[4:8], uint32(len(b)-8))
	return b
}

// ---- tests ----

func TestWriteUnlabeled(t *testing.T) {
	for _, tc := range testFiles() {
		t.Run(tc.name, func(t *testing.T) {
			out := labeltest.Write(t, Format{}, tc.data, label1)
			// Exactly the input, then the AIGC chunk, with the RIFF size
			// fixed: every chunk byte-identical and in order.
			want := withSize(append(append([]byte(nil), tc.data...), chunk("AIGC", label1.JSON())...))
			if !bytes.Equal(out, want) {
				t.Fatalf("output differs from input + AIGC chunk")
			}
			labeltest.RequireOne(t, Format{}, out, label1, label.CarrierRIFFChunk)
			sameAudio(t, tc.data, out)
			// Re-labeling replaces: same bytes as labeling once with label2.
			again := labeltest.Write(t, Format{}, out, label2)
			if !bytes.Equal(again, labeltest.Write(t, Format{}, tc.data, label2)) {
				t.Errorf("re-label differs from labeling the original")
			}
			labeltest.RequireOne(t, Format{}, again, label2, label.CarrierRIFFChunk)
		})
	}
}

// sameAudio checks that a and b decode to the same samples, with go-audio
// and with ffmpeg, and that ffprobe sees the stream.
func sameAudio(t *testing.T, a, b []byte) {
	t.Helper()
	if pa, err := goaudioPCM(a); err == nil {
		pb, err := goaudioPCM(b)
		if err != nil {
			t.Errorf("go-audio decodes the input but not the output: %v", err)
		} else if pa != pb {
			t.Errorf("go-audio samples differ")
		}
	} else {
		t.Logf("go-audio cannot decode the input (%v); skipped", err)
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil && os.Getenv(fixtures.RequireToolsEnv) == "" {
		return
	}
	fixtures.NeedTool(t, "ffmpeg")
	pb := labeltest.WriteTemp(t, "b.wav", b)
	ma, mb := labeltest.AudioMD5(t, labeltest.WriteTemp(t, "a.wav", a)), labeltest.AudioMD5(t, pb)
	if ma != mb {
		t.Errorf("ffmpeg md5: input %q, output %q", ma, mb)
	}
	pr := labeltest.RunTool(t, "ffprobe", "-v", "error", "-show_entries", "stream=codec_type,sample_rate,channels",
		"-of", "compact", pb)
	if !strings.Contains(pr, "codec_type=audio") {
		t.Errorf("ffprobe:\n%s", pr)
	}
}

func goaudioPCM(b []byte) (string, error) {
	d := gowav.NewDecoder(bytes.NewReader(b))
	buf, err := d.FullPCMBuffer()
	if err != nil {
		return "", err
	}
	if len(buf.Data) == 0 {
		return "", errors.New("no samples")
	}
	h := sha256.New()
	for _, v := range buf.Data {
		binary.Write(h, binary.LittleEndian, int64(v))
	}
	return string(h.Sum(nil)), nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// xmpPacket is a _PMX packet with another property and the label in
// attribute form.
func xmpPacket(l label.Label) []byte {
	return []byte(`<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" TC260:AIGC="` + xmp.EscapeText(string(l.JSON())) + `">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Song</rdf:li></rdf:Alt></dc:title>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`)
}

func TestCarriers(t *testing.T) {
	fmtc := fmtChunk(1, 1, 8000, 16, nil)
	data := chunk("data", samples(50, 1, 2, false))
	inam := chunk("INAM", []byte("A title\x00"))
	iart := chunk("IART", []byte("Artist\x00"))
	infoWith := func(l label.Label) []byte {
		return chunk("LIST", cat([]byte("INFO"), inam, chunk("AIGC", append(l.JSON(), 0)), iart))
	}
	pmx := xmpPacket(label2)
	dropped, err := xmp.Drop(pmx)
	must(t, err)
	aigc1 := chunk("AIGC", label1.JSON())
	for _, tc := range []struct {
		name     string
		in       []byte
		carriers []string
		labels   []label.Label
		want     []byte // the output of Write(in, label1)
	}{
		{name: "AIGC chunk before data", in: wavFile(fmtc, chunk("AIGC", label2.JSON()), data),
			carriers: []string{label.CarrierRIFFChunk}, labels: []label.Label{label2},
			want: wavFile(fmtc, aigc1, data)},
		{name: "AIGC chunk with NULs and wrapped", in: wavFile(fmtc, data, chunk("AIGC", append(label2.WrappedJSON(), 0, 0, 0))),
			carriers: []string{label.CarrierRIFFChunk}, labels: []label.Label{label2},
			want: wavFile(fmtc, data, aigc1)},
		{name: "LIST/INFO/AIGC", in: wavFile(fmtc, infoWith(label2), data),
			carriers: []string{label.CarrierRIFFInfo}, labels: []label.Label{label2},
			want: wavFile(fmtc, chunk("LIST", cat([]byte("INFO"), inam, iart)), data, aigc1)},
		{name: "LIST/INFO holding only AIGC", in: wavFile(fmtc, data, chunk("LIST", cat([]byte("INFO"), chunk("AIGC", label2.JSON())))),
			carriers: []string{label.CarrierRIFFInfo}, labels: []label.Label{label2},
			want: wavFile(fmtc, data, aigc1)},
		{name: "_PMX XMP", in: wavFile(fmtc, data, chunk("_PMX", pmx)),
			carriers: []string{label.CarrierXMP}, labels: []label.Label{label2},
			want: wavFile(fmtc, data, chunk("_PMX", dropped), aigc1)},
		{name: "all three and a second AIGC chunk",
			in:       wavFile(fmtc, chunk("AIGC", label2.JSON()), infoWith(label2), data, chunk("_PMX", pmx), chunk("AIGC", label1.JSON())),
			carriers: []string{label.CarrierRIFFChunk, label.CarrierRIFFInfo, label.CarrierXMP, label.CarrierRIFFChunk},
			labels:   []label.Label{label2, label2, label2, label1},
			want:     wavFile(fmtc, aigc1, chunk("LIST", cat([]byte("INFO"), inam, iart)), data, chunk("_PMX", dropped))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := (Format{}).Read(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != len(tc.carriers) {
				t.Fatalf("found %+v", fs)
			}
			for i, f := range fs {
				if f.Carrier != tc.carriers[i] || f.Label != tc.labels[i] {
					t.Errorf("label %d: %s %+v, want %s %+v", i, f.Carrier, f.Label, tc.carriers[i], tc.labels[i])
				}
			}
			out := labeltest.Write(t, Format{}, tc.in, label1)
			if !bytes.Equal(out, tc.want) {
				t.Errorf("Write:\n got %q\nwant %q", out, tc.want)
			}
			labeltest.RequireOne(t, Format{}, out, label1, label.CarrierRIFFChunk)
			sameAudio(t, tc.in, out)
		})
	}
}

// TestExiftoolReadsPMX checks with exiftool that the _PMX packet we keep is
// still XMP, with its other property and without the label.
func TestExiftoolReadsPMX(t *testing.T) {
	fixtures.NeedTool(t, "exiftool")
	in := wavFile(fmtChunk(1, 1, 8000, 16, nil), chunk("data", samples(50, 1, 2, false)), chunk("_PMX", xmpPacket(label2)))
	for _, tc := range []struct {
		file string
		data []byte
		want []string
		not  []string
	}{
		{"in.wav", in, []string{"Song", `"Label":"2"`}, nil},
		{"out.wav", labeltest.Write(t, Format{}, in, label1), []string{"Song"}, []string{"AIGC"}},
	} {
		out := labeltest.Exiftool(t, "-XMP:all", "-XMP-TC260:AIGC", "-j", labeltest.WriteTemp(t, tc.file, tc.data))
		s := strings.ReplaceAll(out, `\"`, `"`)
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: exiftool output lacks %q:\n%s", tc.file, w, out)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(s, w) {
				t.Errorf("%s: exiftool output has %q:\n%s", tc.file, w, out)
			}
		}
	}
}

// TestFFmpegFiles labels WAV files ffmpeg wrote (with a LIST/INFO chunk
// and, for pcm_u8, an odd-sized data chunk).
func TestFFmpegFiles(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	for _, codec := range []string{"pcm_s16le", "pcm_s24le", "pcm_f32le", "pcm_u8"} {
		t.Run(codec, func(t *testing.T) {
			p := filepath.Join(dir, codec+".wav")
			labeltest.RunTool(t, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.0501",
				"-metadata", "title=Title", "-c:a", codec, p)
			in := labeltest.ReadFile(t, p)
			got := labeltest.WriteRead(t, Format{}, in, label1, label.CarrierRIFFChunk)
			if want := withSize(append(append([]byte(nil), in...), chunk("AIGC", label1.JSON())...)); !bytes.Equal(got, want) {
				t.Errorf("output differs from input + AIGC chunk")
			}
			sameAudio(t, in, got)
		})
	}
}

func TestBadInput(t *testing.T) {
	good := testFiles()[0].data
	fmtc := fmtChunk(1, 1, 8000, 16, nil)
	for _, tc := range []struct {
		name string
		in   []byte
		err  string
	}{
		{"data claims 4 GiB", wavFile(fmtc, []byte("data\xf0\xff\xff\xff\x00\x00")), `chunk "data" claims 4294967280 bytes, 2 remain (at offset 36)`},
		{"truncated header", good[:11], "RIFF header is truncated"},
		{"truncated chunk", good[:100], "RIFF header claims"},
		{"no fmt", wavFile(chunk("data", []byte("ab"))), "no fmt chunk"},
		{"no data", wavFile(fmtc), "no data chunk"},
		{"short fmt", wavFile(chunk("fmt ", []byte("ab")), chunk("data", nil)), "fmt chunk of 2 bytes is too small"},
		{"not WAVE", append(append([]byte(nil), good[:8]...), append([]byte("AVI "), good[12:]...)...), `form type is "AVI "`},
		{"bad LIST/INFO", wavFile(fmtc, chunk("data", nil), chunk("LIST", []byte("INFOINAM\xff\x00\x00\x00"))), `LIST/INFO item "INAM" claims 255 bytes`},
		{"bad _PMX", wavFile(fmtc, chunk("data", nil), chunk("_PMX", []byte("<x:xmpmeta><TC260:AIGC>{}</x:xmpmeta"))), "_PMX chunk: xmp: malformed"},
		{"empty", nil, "RIFF header is truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labeltest.Corrupt(t, Format{}, tc.in, tc.err)
		})
	}
}

func TestSniff(t *testing.T) {
	labeltest.Sniff(t, Format{}, map[string]bool{
		"RIFF\x00\x00\x00\x00WAVEfmt ": true,
		"RF64\xff\xff\xff\xffWAVEds64": true,
		"BW64\xff\xff\xff\xffWAVE":     true,
		"RIFF\x00\x00\x00\x00WEBPVP8 ": false,
		"RIFF\x00\x00\x00\x00WAV":      false,
		"":                             false,
	})
}

func TestRF64(t *testing.T) {
	pcm := samples(101, 1, 2, false)
	b := []byte("RF64\xff\xff\xff\xffWAVE")
	b = riff.AppendChunk(b, "ds64", make([]byte, 28))
	b = append(b, fmtChunk(1, 1, 8000, 16, nil)...)
	b = append(b, "data\xff\xff\xff\xff"...)
	b = append(b, pcm...)
	binary.LittleEndian.PutUint64(b[20:28], uint64(len(b)-8))
	binary.LittleEndian.PutUint64(b[28:36], uint64(len(pcm)))
	binary.LittleEndian.PutUint64(b[36:44], 101)

	out := labeltest.WriteRead(t, Format{}, b, label1, label.CarrierRIFFChunk)
	want := append(append([]byte(nil), b...), chunk("AIGC", label1.JSON())...)
	binary.LittleEndian.PutUint64(want[20:28], uint64(len(want)-8))
	if !bytes.Equal(out, want) {
		t.Fatalf("RF64 output differs")
	}
	sameAudio(t, b, out)
}

// bigHead returns the header of a 48 kHz stereo 16-bit WAV of size bytes:
// the RIFF header, fmt and the data chunk's header, its samples to follow.
func bigHead(size int) []byte {
	head := wavFile(fmtChunk(1, 2, 48000, 16, nil))
	head = append(head, "data"...)
	head = binary.LittleEndian.AppendUint32(head, uint32(size-len(head)-4))
	binary.LittleEndian.PutUint32(head[4:8], uint32(size-8))
	return head
}

// TestLargeSparse labels a 300 MiB file and checks that Write streams it:
// the memory allocated stays far below the file size.
func TestLargeSparse(t *testing.T) {
	if testing.Short() {
		t.Skip("large file; skipped with -short")
	}
	const size = 300 << 20
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	head := bigHead(size)
	f, err := os.Create(in)
	must(t, err)
	_, err = f.Write(head)
	must(t, err)
	must(t, f.Truncate(size))
	must(t, f.Close())

	src, err := os.Open(in)
	must(t, err)
	defer src.Close()
	dst, err := os.Create(filepath.Join(dir, "out.wav"))
	must(t, err)
	defer dst.Close()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	must(t, (Format{}).Write(dst, src, label1))
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("Write of a %d MiB file allocated %d KiB", size>>20, alloc>>10)
	if alloc > 4<<20 {
		t.Errorf("Write allocated %d bytes for a %d-byte file", alloc, size)
	}

	st, err := dst.Stat()
	must(t, err)
	if want := int64(size) + riff.Len(int64(len(label1.JSON()))); st.Size() != want {
		t.Fatalf("output is %d bytes, want %d", st.Size(), want)
	}
	_, err = dst.Seek(0, io.SeekStart)
	must(t, err)
	fs, err := (Format{}).Read(dst)
	if err != nil || len(fs) != 1 || fs[0].Label != label1 {
		t.Fatalf("read back %+v, %v", fs, err)
	}
	// The data chunk is unchanged.
	for _, r := range []*os.File{src, dst} {
		_, err := r.Seek(int64(len(head)), io.SeekStart)
		must(t, err)
	}
	ha, hb := sha256.New(), sha256.New()
	_, err = io.CopyN(ha, src, int64(size-len(head)))
	must(t, err)
	_, err = io.CopyN(hb, dst, int64(size-len(head)))
	must(t, err)
	if !bytes.Equal(ha.Sum(nil), hb.Sum(nil)) {
		t.Errorf("data chunk differs")
	}
}

// TestFixtures reads and labels the committed sample files: plain WAVs,
// WAVs other tools labeled (at least one label, exactly one after Write),
// and corrupt ones (an error).
func TestFixtures(t *testing.T) {
	labeltest.Fixtures(t, Format{}, "wav", label1, label.CarrierRIFFChunk, sameAudio)
	// Not labeltest.LabeledFixtures: conflicting.wav carries two labels.
	for _, p := range fixtures.All("labeled") {
		if !strings.HasSuffix(p, ".wav") {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			in := labeltest.ReadFile(t, p)
			if len(labeltest.Read(t, Format{}, in)) == 0 {
				t.Errorf("no label found")
			}
			sameAudio(t, in, labeltest.WriteRead(t, Format{}, in, label1, label.CarrierRIFFChunk))
		})
	}
	labeltest.BadFixtures(t, Format{}, ".wav")
}

// BenchmarkWrite labels a 64 MiB WAV file on disk (file to file, so that
// the data chunk goes through copy_file_range).
func BenchmarkWrite(b *testing.B) {
	size := 64 << 20
	if s := os.Getenv("AIGCMARK_BENCH_MIB"); s != "" {
		var mib int
		if err := json.Unmarshal([]byte(s), &mib); err == nil && mib > 0 {
			size = mib << 20
		}
	}
	dir := b.TempDir()
	in := filepath.Join(dir, "in.wav")
	head := bigHead(size)
	f, err := os.Create(in)
	must(b, err)
	_, err = f.Write(head)
	must(b, err)
	chunk := samples(1<<16, 2, 2, false) // real bytes, not a sparse hole
	for n := len(head); n < size; n += len(chunk) {
		_, err = f.Write(chunk[:min(len(chunk), size-n)])
		must(b, err)
	}
	must(b, f.Close())
	src, err := os.Open(in)
	must(b, err)
	defer src.Close()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		dst, err := os.Create(filepath.Join(dir, "out.wav"))
		must(b, err)
		_, err = src.Seek(0, io.SeekStart)
		must(b, err)
		must(b, (Format{}).Write(dst, src, label1))
		must(b, dst.Close())
	}
}
