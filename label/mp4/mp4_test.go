package mp4

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

func TestSniff(t *testing.T) {
	ftyp := func(brand string) []byte { return mkbox("ftyp", []byte(brand), u32(0), []byte(brand)) }
	tests := []struct {
		name string
		head []byte
		want bool
	}{
		{"isom", ftyp("isom"), true},
		{"qt", ftyp("qt  "), true},
		{"M4A", ftyp("M4A "), true},
		{"3gp", ftyp("3gp4"), true},
		{"heic image", ftyp("heic"), false},
		{"avif image", ftyp("avif"), false},
		{"old QuickTime moov", mkbox("moov", make([]byte, 100)), true},
		{"old QuickTime mdat", mkbox("mdat", make([]byte, 100)), true},
		{"old QuickTime wide", mkbox("wide"), true},
		{"free too small", append(u32(4), "free"...), false},
		{"ftyp too small", append(u32(8), "ftypisom"...), false},
		{"short", []byte("\x00\x00"), false},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), false},
		{"riff", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), false},
		{"random box", mkbox("abcd", make([]byte, 8)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Format{}).Sniff(tt.head); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWriteFFmpeg labels files made by ffmpeg and checks the result with
// ffprobe, ffmpeg's decoder and a byte comparison of the media data.
func TestWriteFFmpeg(t *testing.T) {
	tests := []struct {
		file   string
		before int               // labels in the input
		tags   map[string]string // other format tags ffprobe must still show
		where  string            // the label's place in the output
	}{
		{file: "plain.mp4", where: "moov/meta"}, // ffmpeg's udta/meta is an mdir (encoder tag)
		{file: "faststart.mp4", where: "moov/meta"},
		{file: "plain.mov", where: "moov/udta/meta"},
		{file: "faststart.mov", where: "moov/udta/meta"},
		{file: "plain.m4a", where: "moov/meta"},
		{file: "faststart.m4a", where: "moov/meta"},
		{file: "title.mp4", tags: map[string]string{"title": "Hello MP4"}, where: "moov/meta"},
		{file: "title.mov", tags: map[string]string{"title": "Hello MOV"}, where: "moov/udta/meta"},
		{file: "itunes.m4a", tags: map[string]string{"title": "Song", "artist": "Singer", "album": "Record"}, where: "moov/meta"},
		{file: "mdta-title.mp4", tags: map[string]string{"title": "Keyed"}, where: "moov/udta/meta"},
		{file: "labeled.mp4", before: 1, tags: map[string]string{"title": "Labeled"}, where: "moov/udta/meta"},
		{file: "labeled-faststart.mov", before: 1, where: "moov/udta/meta"},
		{file: "labeled.m4a", before: 1, where: "moov/udta/meta"},
		{file: "moovsize.mp4", where: "moov/meta"},
		{file: "frag.mp4", where: "moov/meta"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := media(t, tt.file)
			if got := readFile(t, in); len(got) != tt.before {
				t.Fatalf("input has %d labels, want %d: %+v", len(got), tt.before, got)
			}
			out := writeFile(t, in, testLabel)
			found := readFile(t, out)
			labeltest.WantOne(t, found, testLabel, label.CarrierMP4Keys)
			if !strings.HasPrefix(found[0].Where, tt.where+" ") {
				t.Errorf("label in %s, want %s", found[0].Where, tt.where)
			}
			checkOutput(t, in, out, testLabel, tt.tags)

			// Relabeling the output replaces the label in place.
			again := writeFile(t, out, otherLabel)
			labeltest.WantOne(t, readFile(t, again), otherLabel, label.CarrierMP4Keys)
			checkOutput(t, in, again, otherLabel, tt.tags)
		})
	}
}

// checkOutput checks out, written from in with l, against tools we did not
// write.
func checkOutput(t *testing.T, in, out string, l label.Label, tags map[string]string) {
	t.Helper()
	probed := ffprobeTags(t, out)
	if got := probed["AIGC"]; got != string(l.JSON()) {
		t.Errorf("ffprobe AIGC = %q, want %s", got, l.JSON())
	}
	for k, v := range tags {
		if got := probed[k]; got != v {
			t.Errorf("ffprobe %s = %q, want %q", k, got, v)
		}
	}
	if a, b := frameMD5(t, in), frameMD5(t, out); a != b {
		t.Errorf("decoded frames differ\nbefore:\n%s\nafter:\n%s", a, b)
	}
	if a, b := mdatDigests(t, in), mdatDigests(t, out); len(a) == 0 || strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("mdat payloads differ: %v vs %v", a, b)
	}
	// Only moov (and a free box right after it) may change: every other
	// top-level box keeps its bytes.
	checkBoxesKept(t, in, out)
	if _, err := exec.LookPath("exiftool"); err == nil {
		got := strings.TrimSpace(labeltest.Exiftool(t, "-s3", "-Keys:AIGC", out))
		if got != string(l.JSON()) {
			t.Errorf("exiftool Keys:AIGC = %q, want %s", got, l.JSON())
		}
	}
}

// checkBoxesKept compares the top-level boxes other than moov, free and
// skip, byte for byte, except for the absolute offsets in moof and mfra.
func checkBoxesKept(t *testing.T, in, out string) {
	t.Helper()
	a, b := walk(t, in), walk(t, out)
	da, _ := os.ReadFile(in)
	db, _ := os.ReadFile(out)
	keep := func(bs [][3]int64, data []byte) [][]byte {
		var out [][]byte
		for _, x := range bs {
			b := data[x[1] : x[1]+x[2]]
			switch string(b[4:8]) {
			case "moov", "free", "skip", "moof", "mfra":
				continue
			case "uuid":
				if bytes.Equal(b[8:24], XMPUUID[:]) {
					// A labeled XMP packet is blanked in place: only
					// its size must stay.
					b = b[:8]
				}
			}
			out = append(out, b)
		}
		return out
	}
	ka, kb := keep(a, da), keep(b, db)
	if len(ka) != len(kb) {
		t.Fatalf("%d kept boxes became %d", len(ka), len(kb))
	}
	for i := range ka {
		if !bytes.Equal(ka[i], kb[i]) {
			t.Errorf("top-level box %d (%q) changed", i, ka[i][4:8])
		}
	}
}

// TestReadFFmpegLabel reads the label as ffmpeg writes it.
func TestReadFFmpegLabel(t *testing.T) {
	for _, f := range []string{"labeled.mp4", "labeled-faststart.mov", "labeled.m4a"} {
		t.Run(f, func(t *testing.T) {
			found := readFile(t, media(t, f))
			if len(found) != 1 {
				t.Fatalf("found %d labels, want 1", len(found))
			}
			g := found[0]
			if g.Carrier != label.CarrierMP4Keys || g.Raw != ffmpegLabel || g.Label.ProduceID != "old" ||
				g.Where != `moov/udta/meta (keys "AIGC")` || len(g.Problems) != 0 {
				t.Errorf("found %+v", g)
			}
		})
	}
}

// TestExiftoolXMP reads XMP written by exiftool (a top-level uuid box in
// MP4 and M4A, moov/udta/XMP_ in MOV) and moves the label to keys/ilst.
func TestExiftoolXMP(t *testing.T) {
	fixtures.NeedTool(t, "exiftool")
	for _, f := range []string{"plain.mp4", "plain.mov", "faststart.m4a", "labeled.mp4"} {
		t.Run(f, func(t *testing.T) {
			in := labeltest.WriteTemp(t, f, labeltest.ReadFile(t, media(t, f)))
			labeltest.Exiftool(t, "-q", "-overwrite_original", "-XMP-TC260:AIGC="+string(otherLabel.JSON()), in)
			found := readFile(t, in)
			var xmps int
			for _, g := range found {
				if g.Carrier == label.CarrierXMP {
					xmps++
					if g.Label != otherLabel {
						t.Errorf("XMP label = %s", g.Raw)
					}
				}
			}
			if xmps != 1 {
				t.Fatalf("found %d XMP labels, want 1: %+v", xmps, found)
			}
			out := writeFile(t, in, testLabel)
			labeltest.WantOne(t, readFile(t, out), testLabel, label.CarrierMP4Keys)
			got := strings.TrimSpace(labeltest.Exiftool(t, "-s3", "-XMP-TC260:AIGC", out))
			if got != "" {
				t.Errorf("exiftool still reads XMP-TC260:AIGC = %q", got)
			}
			checkOutput(t, in, out, testLabel, nil)
		})
	}
}

// TestHandMade reads and relabels variants ffmpeg does not write.
func TestHandMade(t *testing.T) {
	xmpPacket := []byte(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" TC260:AIGC="{&quot;Label&quot;:&quot;3&quot;}"><dc:format>video/mp4</dc:format></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`)
	old := []byte(`{"Label":"3"}`)
	utf16 := []byte{0xFE, 0xFF}
	for _, r := range string(old) {
		utf16 = append(utf16, 0, byte(r))
	}
	addToUdta := func(kids ...[]byte) func(t testing.TB, moov *box) {
		return func(t testing.TB, moov *box) {
			udta := moov.child("udta")
			if udta == nil {
				udta = newContainer("udta", nil)
				moov.add(udta, nil)
			}
			for _, k := range kids {
				udta.add(rawBox(t, k), nil)
			}
		}
	}
	addToIlst := func(items ...[]byte) func(t testing.TB, moov *box) {
		return func(t testing.TB, moov *box) {
			ilst := moov.child("udta").child("meta").child("ilst")
			for _, it := range items {
				ilst.add(rawBox(t, it), nil)
			}
		}
	}
	hdlr := func(h string) []byte { return mkbox("hdlr", u32(0), u32(0), []byte(h), make([]byte, 13)) }
	keys := func(names ...string) []byte {
		p := append(u32(0), u32(uint32(len(names)))...)
		for _, n := range names {
			p = append(p, mkbox("mdta", []byte(n))...)
		}
		return mkbox("keys", p)
	}
	tests := []struct {
		name    string
		base    string
		edit    func(t testing.TB, moov *box)
		tail    []byte // appended after moov
		carrier string
		where   string
		tags    map[string]string
	}{
		{name: "uuid XMP in udta", base: "plain.mp4", carrier: label.CarrierXMP, where: "moov/udta/uuid",
			edit: addToUdta(mkbox("uuid", XMPUUID[:], xmpPacket))},
		{name: "XMP_ in udta", base: "plain.mov", carrier: label.CarrierXMP, where: "moov/udta/XMP_",
			edit: addToUdta(mkbox("XMP_", xmpPacket))},
		{name: "top-level uuid XMP", base: "plain.mp4", carrier: label.CarrierXMP, where: "uuid XMP box",
			tail: mkbox("uuid", XMPUUID[:], xmpPacket)},
		{name: "---- item", base: "title.mp4", carrier: label.CarrierMP4Ilst, where: "moov/udta/meta/ilst/----",
			tags: map[string]string{"title": "Hello MP4"},
			edit: addToIlst(mkbox("----", mkbox("mean", u32(0), []byte("com.apple.iTunes")),
				mkbox("name", u32(0), []byte("AIGC")), dataBox(1, old)))},
		{name: "AIGC item", base: "title.mp4", carrier: label.CarrierMP4Ilst, where: "moov/udta/meta/ilst/AIGC",
			tags: map[string]string{"title": "Hello MP4"},
			edit: addToIlst(mkbox("AIGC", dataBox(1, old)))},
		{name: "QuickTime meta without version", base: "plain.mov", carrier: label.CarrierMP4Keys, where: "moov/meta",
			edit: func(t testing.TB, moov *box) {
				moov.add(rawBox(t, mkbox("meta", hdlr("mdta"), keys("com.apple.quicktime.make", "AIGC"),
					mkbox("ilst", mkbox("\x00\x00\x00\x01", dataBox(1, []byte("Apple"))),
						mkbox("\x00\x00\x00\x02", dataBox(1, old))))), nil)
			}},
		{name: "track-level meta", base: "plain.mp4", carrier: label.CarrierMP4Keys, where: "moov/trak/udta/meta",
			edit: func(t testing.TB, moov *box) {
				moov.child("trak").add(rawBox(t, mkbox("udta", mkbox("meta", u32(0), hdlr("mdta"), keys("AIGC"),
					mkbox("ilst", mkbox("\x00\x00\x00\x01", dataBox(1, old)))))), nil)
			}},
		{name: "UTF-16 data and QuickTime terminator", base: "plain.mov", carrier: label.CarrierMP4Keys, where: "moov/udta/meta",
			edit: func(t testing.TB, moov *box) {
				udta := rawBox(t, mkbox("udta", mkbox("meta", u32(0), hdlr("mdta"), keys("AIGC"),
					mkbox("ilst", mkbox("\x00\x00\x00\x01", dataBox(2, utf16)))), u32(0)))
				moov.add(udta, nil)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := media(t, tt.base)
			var data []byte
			if tt.edit != nil {
				data = editMoov(t, base, func(m *box) { tt.edit(t, m) })
			} else {
				data, _ = os.ReadFile(base)
			}
			data = append(data, tt.tail...)
			in := labeltest.WriteTemp(t, "in"+filepath.Ext(base), data)
			found := readFile(t, in)
			if len(found) != 1 {
				t.Fatalf("found %d labels, want 1: %+v\n%s", len(found), found, dump(t, in))
			}
			g := found[0]
			if g.Carrier != tt.carrier || !strings.HasPrefix(g.Where, tt.where) || g.Raw != string(old) || g.Label.Label != "3" {
				t.Errorf("found %+v", g)
			}
			out := writeFile(t, in, testLabel)
			labeltest.WantOne(t, readFile(t, out), testLabel, label.CarrierMP4Keys)
			checkOutput(t, in, out, testLabel, tt.tags)
			if tt.tail != nil {
				// The top-level XMP keeps its size; the property is blanked.
				if a, b := walk(t, in), walk(t, out); a[len(a)-1][2] != b[len(b)-1][2] {
					t.Errorf("uuid box changed size")
				}
			}
		})
	}
}

// TestFragmentOffsets checks that moving moov in a fragmented file moves
// the tfhd base data offsets and tfra entries.
func TestFragmentOffsets(t *testing.T) {
	in := media(t, "frag.mp4")
	out := writeFile(t, in, testLabel)
	read := func(p string) (*file, []byte) {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		s, err := scan(f)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(p)
		return s, data
	}
	a, da := read(in)
	b, db := read(out)
	delta := b.boxes[b.moov].size - a.boxes[a.moov].size
	if delta == 0 {
		t.Fatal("moov did not change size")
	}
	var moofs int
	for i, x := range a.boxes {
		y := b.boxes[i]
		if x.typ != y.typ || y.off != x.off+delta && i > a.moov {
			t.Fatalf("box %d: %s@%d became %s@%d", i, x.typ, x.off, y.typ, y.off)
		}
		if x.typ != "moof" {
			continue
		}
		moofs++
		ta, _ := parseBox(da[x.off:x.end()], x.off)
		tb, _ := parseBox(db[y.off:y.end()], y.off)
		ha, hb := ta.child("traf").child("tfhd").payload(), tb.child("traf").child("tfhd").payload()
		if ha[3]&1 == 0 {
			t.Fatal("ffmpeg wrote no base data offset; the test needs one")
		}
		if got, want := be64(hb[8:]), be64(ha[8:])+uint64(delta); got != want {
			t.Errorf("tfhd base data offset = %d, want %d", got, want)
		}
	}
	if moofs == 0 {
		t.Fatal("no moof")
	}
	if a.boxes[len(a.boxes)-1].typ != "mfra" {
		t.Fatal("no mfra")
	}
}

func be64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// TestBadInput checks that damaged files give a FormatError naming the
// box, from Read and from Write.
func TestBadInput(t *testing.T) {
	good, err := os.ReadFile(media(t, "faststart.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	tail, err := os.ReadFile(media(t, "plain.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	boxAt := func(data []byte, typ string) int { return bytes.Index(data, []byte(typ)) - 4 }
	set32 := func(data []byte, at int, v uint32) []byte {
		d := bytes.Clone(data)
		copy(d[at:], u32(v))
		return d
	}
	ftyp := mkbox("ftyp", []byte("isom"), u32(0), []byte("isom"))
	tests := []struct {
		name        string
		data        []byte
		want        string // in the message
		unsupported bool
	}{
		{"truncated in mdat", good[:len(good)-100], "'mdat'", false},
		{"truncated in moov", tail[:len(tail)-100], "'moov'", false},
		{"truncated header", append(bytes.Clone(good), 0, 0, 0, 9), "box header", false},
		{"mdat past EOF", set32(good, boxAt(good, "mdat"), uint32(len(good))), "'mdat'", false},
		{"box claims 4 GiB", set32(good, boxAt(good, "mdat"), 0xFFFFFFFF), "claims 4294967295 bytes", false},
		{"64-bit size past EOF", append(append(bytes.Clone(ftyp), u32(1)...), append([]byte("mdat"), 0, 0, 0, 1, 0, 0, 0, 0)...), "'mdat'", false},
		{"shorter than header", set32(good, boxAt(good, "moov"), 4), "less than its 8-byte header", false},
		{"trak overlaps moov end", set32(good, boxAt(good, "trak"), 0x00100000), "'trak'", false},
		{"stco overlaps stbl end", set32(good, boxAt(good, "stco"), 0x00010000), "'stco'", false},
		{"keys count", func() []byte {
			d, _ := os.ReadFile(media(t, "labeled.mp4"))
			return set32(d, boxAt(d, "keys")+12, 1000)
		}(), "keys box", false},
		{"no moov", append(bytes.Clone(ftyp), mkbox("mdat", make([]byte, 100))...), "no moov", false},
		{"two moovs", append(bytes.Clone(good), mkbox("moov")...), "second moov", false},
		{"empty", nil, "no moov", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rerr := Format{}.Read(bytes.NewReader(tt.data))
			werr := Format{}.Write(io.Discard, bytes.NewReader(tt.data), testLabel)
			for _, err := range []error{rerr, werr} {
				var fe *label.FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is not a FormatError", err)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q does not say %q", err, tt.want)
				}
				if errors.Is(err, label.ErrUnsupported) != tt.unsupported {
					t.Errorf("error %q: unsupported = %v", err, !tt.unsupported)
				}
			}
		})
	}
}

// TestFixtures reads and relabels the committed samples, and the MP4s
// other tools labeled, and reads the corrupt ones.
func TestFixtures(t *testing.T) {
	check := func(t *testing.T, in, out []byte) {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return
		}
		p, q := labeltest.WriteTemp(t, "in.mp4", in), labeltest.WriteTemp(t, "out.mp4", out)
		if a, b := frameMD5(t, p), frameMD5(t, q); a != b {
			t.Errorf("decoded frames differ")
		}
		if got := ffprobeTag(t, q, "AIGC"); got != string(testLabel.JSON()) {
			t.Errorf("ffprobe AIGC = %q", got)
		}
	}
	labeltest.Fixtures(t, Format{}, "mp4", testLabel, label.CarrierMP4Keys, check)
	labeltest.LabeledFixtures(t, Format{}, testLabel, label.CarrierMP4Keys, check, ".mp4")
	labeltest.BadFixtures(t, Format{}, ".mp4")
}

// TestLayout checks how the boxes after moov move.
func TestLayout(t *testing.T) {
	offsetOf := func(boxes [][3]int64, typ string) int64 {
		for _, b := range boxes {
			if string(u32(uint32(b[0]))) == typ {
				return b[1]
			}
		}
		return -1
	}
	t.Run("free box absorbs growth", func(t *testing.T) {
		in := media(t, "moovsize.mp4")
		out := writeFile(t, in, testLabel)
		a, b := walk(t, in), walk(t, out)
		if offsetOf(a, "mdat") != offsetOf(b, "mdat") {
			t.Errorf("mdat moved from %d to %d", offsetOf(a, "mdat"), offsetOf(b, "mdat"))
		}
		if a[2][2] <= b[2][2] || a[1][2]+a[2][2] != b[1][2]+b[2][2] {
			t.Errorf("moov+free %d+%d became %d+%d", a[1][2], a[2][2], b[1][2], b[2][2])
		}
		// Shrinking moov again gives the space back to the free box.
		again := writeFile(t, out, label.Label{Label: "1"})
		c := walk(t, again)
		if offsetOf(c, "mdat") != offsetOf(a, "mdat") || c[2][2] <= b[2][2] {
			t.Errorf("relabel with a shorter label: %v", c)
		}
		if frameMD5(t, in) != frameMD5(t, again) {
			t.Error("decoded frames differ")
		}
	})
	t.Run("faststart moves mdat", func(t *testing.T) {
		in := media(t, "faststart.mp4")
		out := writeFile(t, in, testLabel)
		a, b := walk(t, in), walk(t, out)
		if offsetOf(a, "mdat") == offsetOf(b, "mdat") {
			t.Errorf("mdat did not move")
		}
	})
	t.Run("moov last: only moov changes", func(t *testing.T) {
		in := media(t, "plain.mp4")
		out := writeFile(t, in, testLabel)
		da, _ := os.ReadFile(in)
		db, _ := os.ReadFile(out)
		moov := offsetOf(walk(t, in), "moov")
		if !bytes.Equal(da[:moov], db[:moov]) {
			t.Errorf("bytes before moov changed")
		}
	})
	t.Run("file-level meta refuses to move", func(t *testing.T) {
		data, _ := os.ReadFile(media(t, "faststart.mp4"))
		data = append(data, mkbox("meta", u32(0), mkbox("iloc", make([]byte, 8)))...)
		err := Format{}.Write(io.Discard, bytes.NewReader(data), testLabel)
		if !errors.Is(err, label.ErrUnsupported) || !strings.Contains(err.Error(), "meta") {
			t.Errorf("err = %v, want unsupported file-level meta", err)
		}
	})
}
