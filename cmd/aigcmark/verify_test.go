package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/all"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/visible"
)

// verifyLine is the part of a `verify --json` line the tests read.
type verifyLine struct {
	Path   string
	Format *string
	Digest *string
	Labels []struct {
		AIGC       label.Label
		Holds      bool
		Why        *string
		Signatures []struct {
			Field, Party, Status string
			KeyID                *string `json:"key_id"`
		}
	}
	Watermark *struct {
		Found        bool
		Payload      *string
		MatchesLabel *bool `json:"matches_label"`
	}
	Traces []struct {
		Kind, Source, Strength string
	}
	Verdict *struct {
		Label, Notice string
		Reasons       []string
	}
	Error *string
}

func verifyJSON(t *testing.T, args ...string) (int, []verifyLine) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"verify", "--json"}, args...)...)
	var out []verifyLine
	for _, s := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if s == "" {
			continue
		}
		var l verifyLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("verify --json line %q: %v\n%s", s, err, stderr)
		}
		out = append(out, l)
	}
	return code, out
}

func (l verifyLine) sig(field string) string {
	if len(l.Labels) == 0 {
		return "no label"
	}
	for _, s := range l.Labels[0].Signatures {
		if s.Field == field {
			return s.Status
		}
	}
	return "missing"
}

func (l verifyLine) hasTrace(kind string) bool {
	for _, t := range l.Traces {
		if t.Kind == kind {
			return true
		}
	}
	return false
}

func signKeys(t *testing.T, dir, name string) (private, public string) {
	t.Helper()
	prefix := filepath.Join(dir, name)
	if code, _, stderr := runCLI(t, "keygen", "--sign", "--out", prefix); code != exitOK {
		t.Fatalf("keygen --sign: %s", stderr)
	}
	return prefix + ".key", prefix + ".pub"
}

// The whole chain: a provider labels and signs, a platform verifies
// (case 1) and propagates with its own signature, a second verification
// shows both parties' elements valid; then the tampering a platform must
// catch.
func TestVerifyChainAndTampering(t *testing.T) {
	dir := t.TempDir()
	prodKey, prodPub := signKeys(t, dir, "provider")
	platKey, platPub := signKeys(t, dir, "platform")
	wmKey := newKey(t, dir, "wm.key")
	const platform = "001191110108MA01KP2T5U20000"

	// The provider labels a picture and a sound.
	gen := filepath.Join(dir, "generated")
	inputs := []string{fixtures.Path("jpeg/exif-icc-xmp.jpg"), fixtures.Path("wav/pcm16.wav")}
	if code, stdout, stderr := runCLI(t, append([]string{"label", "--producer", producer, "--sign-key", prodKey, "--wm-key", wmKey, "--out", gen}, inputs...)...); code != exitOK {
		t.Fatalf("label: exit %d\n%s%s", code, stdout, stderr)
	}
	jpg, wav := filepath.Join(gen, "exif-icc-xmp.jpg"), filepath.Join(gen, "pcm16.wav")

	// The platform verifies: case 1, producer signature valid.
	code, ls := verifyJSON(t, "--trust", prodPub, "--wm-key", wmKey, jpg, wav)
	if code != exitOK || len(ls) != 2 {
		t.Fatalf("verify exit %d, %d lines", code, len(ls))
	}
	for _, l := range ls {
		if l.Verdict == nil || l.Verdict.Label != "1" || l.Verdict.Notice != "AI生成" || l.sig("ReservedCode1") != "valid" || l.sig("ReservedCode2") != "not-signed" {
			t.Fatalf("%s: %+v", l.Path, l)
		}
	}
	if w := ls[0].Watermark; w == nil || !w.Found || w.MatchesLabel == nil || !*w.MatchesLabel {
		t.Errorf("the watermark is not tied to the label: %+v", w)
	}
	if !ls[0].hasTrace("explicit-label") || !ls[1].hasTrace("explicit-label") {
		t.Errorf("explicit labels not found: %+v / %+v", ls[0].Traces, ls[1].Traces)
	}
	if ls[1].Watermark != nil {
		t.Errorf("a watermark result for audio: %+v", ls[1].Watermark)
	}
	// Without the producer's key the signature is unknown, not invalid.
	if _, ls := verifyJSON(t, jpg); ls[0].sig("ReservedCode1") != "unknown-key" || ls[0].Verdict.Label != "1" {
		t.Errorf("no --trust: %+v", ls[0])
	}

	// The platform propagates and signs ReservedCode2.
	pub := filepath.Join(dir, "published")
	report := filepath.Join(dir, "propagate.jsonl")
	code, stdout, stderr := runCLI(t, "propagate", "--propagator", platform, "--sign-key", platKey, "--trust", prodPub,
		"--report", report, "--out", pub, jpg, wav)
	if code != exitOK || strings.Count(stdout, "signed ReservedCode2") != 2 {
		t.Fatalf("propagate: exit %d\n%s%s", code, stdout, stderr)
	}
	b, _ := os.ReadFile(report)
	var pl propagateLine
	if err := json.Unmarshal(bytes.SplitN(b, []byte("\n"), 2)[0], &pl); err != nil || pl.Verdict == nil || *pl.Verdict != "1" || pl.PropagateID == nil {
		t.Fatalf("report %s: %v", b, err)
	}
	pjpg, pwav := filepath.Join(pub, "exif-icc-xmp.jpg"), filepath.Join(pub, "pcm16.wav")
	_, ls = verifyJSON(t, "--trust", prodPub, "--trust", platPub, pjpg, pwav)
	for i, l := range ls {
		a := l.Labels[0].AIGC
		if l.Verdict.Label != "1" || l.sig("ReservedCode1") != "valid" || l.sig("ReservedCode2") != "valid" ||
			a.ContentPropagator != platform || a.ContentProducer != producer || a.PropagateID != *pl.PropagateID && i == 0 {
			t.Fatalf("after propagation %s: %+v", l.Path, l)
		}
	}

	// Tampering. Each case is a copy of the published file.
	tampered := func(tag, name string, edit func([]byte) []byte) string {
		src := filepath.Join(pub, name)
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, tag+"-"+name)
		if err := os.WriteFile(p, edit(b), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// One pixel: a byte of the JPEG's entropy-coded data.
	pixel := tampered("pixel", "exif-icc-xmp.jpg", func(b []byte) []byte {
		sos := bytes.Index(b, []byte{0xFF, 0xDA})
		i := sos + 40
		for b[i] == 0xFF || b[i]^0x10 == 0xFF {
			i++
		}
		b[i] ^= 0x10
		return b
	})
	// One sample: a byte of the WAV's data chunk.
	sample := tampered("sample", "pcm16.wav", func(b []byte) []byte {
		i := bytes.Index(b, []byte("data")) + 8 + 1000
		b[i] ^= 0x01
		return b
	})
	// One label field: the ProduceID, same length, in every copy.
	field := tampered("field", "exif-icc-xmp.jpg", func(b []byte) []byte {
		id := []byte(ls[0].Labels[0].AIGC.ProduceID)
		forged := bytes.Repeat([]byte("f"), len(id))
		return bytes.ReplaceAll(b, id, forged)
	})
	// The label moved onto other content (with our writer, as a forger
	// with any XMP tool could).
	moved := filepath.Join(dir, "moved.jpg")
	moveLabel(t, pjpg, fixtures.Path("jpeg/plain.jpg"), moved)

	_, ls = verifyJSON(t, "--trust", prodPub, "--trust", platPub, pixel, sample, field, moved)
	for _, tt := range []struct {
		l            verifyLine
		rc1, rc2, in string
	}{
		{ls[0], "invalid", "invalid", "content"},
		{ls[1], "invalid", "invalid", "content"},
		// The platform signs the producer's ReservedCode1, not the
		// ProduceID it covers: the producer's signature fails.
		{ls[2], "invalid", "valid", "ProduceID changed"},
		{ls[3], "invalid", "invalid", "content"},
	} {
		l := tt.l
		if l.Error != nil || l.sig("ReservedCode1") != tt.rc1 || l.sig("ReservedCode2") != tt.rc2 {
			t.Errorf("%s: signatures %s/%s, want %s/%s (%+v)", l.Path, l.sig("ReservedCode1"), l.sig("ReservedCode2"), tt.rc1, tt.rc2, l)
			continue
		}
		if l.Labels[0].Holds || l.Verdict.Label == "1" || l.Verdict.Label == "none" {
			t.Errorf("%s: a tampered label counts: holds %v, verdict %+v", l.Path, l.Labels[0].Holds, l.Verdict)
		}
		if !strings.Contains(*l.Labels[0].Why, tt.in) {
			t.Errorf("%s: the reason %q does not say the %s changed", l.Path, *l.Labels[0].Why, tt.in)
		}
	}

	// Metadata stripped by a tool we did not write: never case 1; the
	// watermark and the explicit label make it case 3.
	exiftool := fixtures.NeedTool(t, "exiftool")
	stripped := filepath.Join(dir, "stripped.jpg")
	if out, err := exec.Command(exiftool, "-q", "-all=", "-o", stripped, pjpg).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	_, ls = verifyJSON(t, "--trust", prodPub, "--wm-key", wmKey, stripped)
	if l := ls[0]; len(l.Labels) != 0 || l.Verdict.Label != "3" || l.Verdict.Notice != "疑似AI生成" || !l.hasTrace("watermark") || !l.hasTrace("explicit-label") {
		t.Errorf("stripped: %+v", l)
	}
	// ... and case 2 when the uploader declares it.
	if _, ls = verifyJSON(t, "--declared-ai", stripped); ls[0].Verdict.Label != "2" || ls[0].Verdict.Notice != "可能为AI生成" {
		t.Errorf("stripped and declared: %+v", ls[0].Verdict)
	}
}

// moveLabel writes the label of from onto the content of onto, as a
// forger would.
func moveLabel(t *testing.T, from, onto, out string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	format, err := all.Sniff(f, from)
	if err != nil {
		t.Fatal(err)
	}
	found, err := format.Read(f)
	if err != nil || len(found) != 1 {
		t.Fatalf("%s: %v, %d labels", from, err, len(found))
	}
	labeltest.WriteFile(t, format, onto, out, found[0].Label)
}

// Labels in the forms vendors write — wrapped JSON, names instead of
// codes, an opaque ReservedCode1 — verify without a false "invalid", as do
// the labeled fixtures other tools wrote.
func TestVerifyVendorLabels(t *testing.T) {
	exiftool := fixtures.NeedTool(t, "exiftool")
	dir := t.TempDir()
	_, pub := signKeys(t, dir, "someone")
	vendor := filepath.Join(dir, "vendor.jpg")
	value := `{"AIGC":{"Label":"1","ContentProducer":"ExampleAI Ltd.","ProduceID":"img-20250901-0001","ReservedCode1":"MEUCIQDxSM2signatureOpaque0123456789abcdefABCDEF","ContentPropagator":"ExampleAI Ltd.","PropagateID":"img-20250901-0001","ReservedCode2":""}}`
	out, err := exec.Command(exiftool, "-config", filepath.Join(repoRoot(t), "docs", "exiftool-tc260.config"),
		"-q", "-XMP-TC260:AIGC="+value, "-o", vendor, fixtures.Path("jpeg/plain.jpg")).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	code, ls := verifyJSON(t, append([]string{"--trust", pub, vendor}, fixtures.All("labeled")...)...)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, l := range ls {
		if l.Error != nil || l.Verdict.Label != "1" || len(l.Labels) == 0 {
			t.Errorf("%s: %+v", l.Path, l)
			continue
		}
		for _, lb := range l.Labels {
			for _, s := range lb.Signatures {
				if s.Status == "invalid" || s.Status == "valid" {
					t.Errorf("%s: %s %s", l.Path, s.Field, s.Status)
				}
			}
		}
	}
	if ls[0].sig("ReservedCode1") != "foreign-format" || !ls[0].Labels[0].Holds {
		t.Errorf("opaque ReservedCode1: %+v", ls[0])
	}
}

// A corrupt file is an error for that file only; the others are checked.
func TestVerifyBadInput(t *testing.T) {
	bad := fixtures.All("bad")
	code, ls := verifyJSON(t, append([]string{fixtures.Path("png/palette.png")}, bad...)...)
	if code != exitFailed || len(ls) != len(bad)+1 {
		t.Fatalf("exit %d, %d lines for %d inputs", code, len(ls), len(bad)+1)
	}
	if ls[0].Error != nil || ls[0].Verdict == nil || ls[0].Verdict.Label != "none" {
		t.Errorf("good file: %+v", ls[0])
	}
	for _, l := range ls[1:] {
		if l.Error == nil || l.Verdict != nil {
			t.Errorf("%s: no error: %+v", l.Path, l)
		}
	}
	if code, _, stderr := runCLI(t, "verify", "--trust", filepath.Join(t.TempDir(), "none.pub"), fixtures.Path("png/palette.png")); code != exitUsage || !strings.Contains(stderr, "--trust") {
		t.Errorf("missing trust file: exit %d %s", code, stderr)
	}
}

// propagate: case 2 and 3 files get a label of their own with Label set
// to the case and the notice drawn; case none is copied unchanged.
func TestPropagateCases(t *testing.T) {
	dir := t.TempDir()
	const platform = "001191110108MA01KP2T5U20000"
	// A picture with our explicit label but no metadata: case 3.
	gen := filepath.Join(dir, "gen")
	if code, _, stderr := runCLI(t, "label", "--producer", producer, "--out", gen, fixtures.Path("jpeg/exif-icc-xmp.jpg")); code != exitOK {
		t.Fatal(stderr)
	}
	exiftool := fixtures.NeedTool(t, "exiftool")
	suspect := filepath.Join(dir, "in", "suspect.jpg")
	os.MkdirAll(filepath.Dir(suspect), 0o755)
	if out, err := exec.Command(exiftool, "-q", "-XMP:all=", "-o", suspect, filepath.Join(gen, "exif-icc-xmp.jpg")).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	plain := filepath.Join(dir, "in", "plain.png")
	b, _ := os.ReadFile(fixtures.Path("png/gray16.png"))
	os.WriteFile(plain, b, 0o644)

	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "propagate", "--propagator", platform, "--notice", "--out", out, filepath.Join(dir, "in"))
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "plain.png")); !bytes.Equal(got, b) {
		t.Error("a case-none file was not copied unchanged")
	}
	_, ls := verifyJSON(t, filepath.Join(out, "suspect.jpg"))
	l := ls[0]
	if len(l.Labels) != 1 || l.Labels[0].AIGC.Label != "3" || l.Labels[0].AIGC.ContentPropagator != platform || l.Labels[0].AIGC.ContentProducer != "" {
		t.Fatalf("case 3 label: %+v", l.Labels)
	}
	// The platform's own label says suspected: the verdict carries it.
	if l.Verdict.Label != "3" {
		t.Errorf("verdict %+v", l.Verdict)
	}
	// The notice was drawn at the top left, measured from the pixels: in
	// the top-left quarter of the output a label sits at the top left, in
	// the input's none.
	for _, tt := range []struct {
		path string
		want bool
	}{{suspect, false}, {filepath.Join(out, "suspect.jpg"), true}} {
		img := decodeJPEG(t, tt.path)
		r := img.Bounds()
		q := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(r.Min.X, r.Min.Y, r.Min.X+r.Dx()/2, r.Min.Y+r.Dy()/2))
		f, ok := visible.Locate(q)
		if ok != tt.want || ok && f.Position != visible.TopLeft {
			t.Errorf("%s: top-left quarter: found %v %+v, want %v", tt.path, ok, f, tt.want)
		}
	}
}

func decodeJPEG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// repoRoot is the module root, where docs/ lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatal("no go.mod above " + wd)
	return ""
}

// The documented keys of a `verify --json` line, every one always present.
func TestVerifyJSONKeys(t *testing.T) {
	_, stdout, _ := runCLI(t, "verify", "--json", fixtures.Path("labeled/exiftool.jpg"), fixtures.Path("bad/truncated.jpg"))
	want := []string{"path", "format", "kind", "digest", "labels", "problems", "watermark", "explicit", "faceswap", "traces", "c2pa", "verdict", "error"}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), stdout)
	}
	for _, s := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range want {
			if _, ok := m[k]; !ok {
				t.Errorf("no %q in %s", k, s)
			}
		}
		if len(m) != len(want) {
			t.Errorf("%d keys, want %d: %s", len(m), len(want), s)
		}
	}
	var l struct {
		Labels []map[string]json.RawMessage
	}
	json.Unmarshal([]byte(lines[0]), &l)
	for _, k := range []string{"carrier", "location", "offset", "form", "aigc", "raw", "holds", "why", "signatures"} {
		if _, ok := l.Labels[0][k]; !ok {
			t.Errorf("labels[0] has no %q", k)
		}
	}
}

// label writes the IPTC digital source type beside the XMP label unless
// --iptc=false; verify reports it as a strong trace.
func TestLabelWritesIPTCSourceType(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		flag string
		want bool
	}{{"--iptc", true}, {"--iptc=false", false}} {
		out := filepath.Join(dir, tt.flag)
		if code, _, stderr := runCLI(t, "label", "--producer", producer, tt.flag, "--out", out, fixtures.Path("png/palette.png")); code != exitOK {
			t.Fatal(stderr)
		}
		_, ls := verifyJSON(t, filepath.Join(out, "palette.png"))
		got := false
		for _, tr := range ls[0].Traces {
			if tr.Kind == "metadata" && strings.Contains(tr.Source, "DigitalSourceType") && tr.Strength == "strong" {
				got = true
			}
		}
		if got != tt.want {
			t.Errorf("%s: DigitalSourceType trace %v, want %v: %+v", tt.flag, got, tt.want, ls[0].Traces)
		}
	}
}

// A C2PA store that cannot be read is a warning in the report; the labels
// and the verdict still stand.
func TestVerifyUnreadableC2PA(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "label", "--producer", producer, "--explicit", "none", "--audit-log", filepath.Join(dir, "a"), "--recipient", "r", "--out", dir, fixtures.Path("jpeg/plain.jpg")); code != exitOK {
		t.Fatal(stderr)
	}
	p := filepath.Join(dir, "plain.jpg")
	b, _ := os.ReadFile(p)
	// An APP11 JUMBF packet whose box claims far more than it holds.
	seg := []byte{0xFF, 0xEB, 0x00, 0x1A, 'J', 'P', 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x7F, 0xFF, 0xFF, 0xFF, 'j', 'u', 'm', 'b', 0, 0, 0, 9, 'j', 'u', 'm', 'd'}
	out := append(append(append([]byte{}, b[:2]...), seg...), b[2:]...)
	os.WriteFile(p, out, 0o644)
	code, ls := verifyJSON(t, p)
	if code != exitOK || ls[0].Error != nil || ls[0].Verdict == nil || ls[0].Verdict.Label != "1" {
		t.Fatalf("exit %d: %+v", code, ls[0])
	}
	_, stdout, _ := runCLI(t, "verify", "--json", p)
	if !strings.Contains(stdout, "unreadable-metadata") || !bytes.Contains([]byte(stdout), []byte("C2PA")) {
		t.Errorf("no warning about the C2PA store:\n%s", stdout)
	}
}

// The checks that read a picture's pixels share one decoding.
func TestPictureDecodedOnce(t *testing.T) {
	pic := newPictureFile(fixtures.Path("jpeg/exif-icc-xmp.jpg"), 1<<24)
	a, err := pic.decode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pic.decode(context.Background())
	if a == nil || a != b {
		t.Error("a second decode made a second picture")
	}
}
