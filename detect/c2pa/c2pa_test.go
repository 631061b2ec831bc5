package c2pa

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
)

// checkSample checks the manifests of sampleStore as Find or Parse report
// them.
func checkSample(t *testing.T, ms []Manifest) {
	t.Helper()
	if len(ms) != 2 {
		t.Fatalf("got %d manifests, want 2: %+v", len(ms), ms)
	}
	gen, ed := ms[0], ms[1]
	if gen.Label != firstLabel || ed.Label != activeLabel {
		t.Errorf("labels %q, %q", gen.Label, ed.Label)
	}
	if gen.Active || !ed.Active {
		t.Errorf("active: %v, %v; want the last manifest active", gen.Active, ed.Active)
	}
	for _, m := range ms {
		if m.Validated {
			t.Errorf("%s: Validated is true", m.Label)
		}
		if !m.Signed {
			t.Errorf("%s: signature box not seen", m.Label)
		}
		if len(m.Problems) > 0 {
			t.Errorf("%s: problems %q", m.Label, m.Problems)
		}
	}
	// Claim v1.
	if gen.Claim != "c2pa.claim" || gen.ClaimGenerator != "ChatGPT c2pa-rs/0.31.3" ||
		!reflect.DeepEqual(gen.GeneratorInfo, []Software{{"ChatGPT", "0.31.3"}}) ||
		gen.Format != "image/png" || gen.Title != "image.png" || !strings.HasSuffix(gen.InstanceID, "0001") {
		t.Errorf("claim v1 read as %+v", gen)
	}
	wantAssertions := []string{"c2pa.actions", "c2pa.hash.data", "stds.schema-org.CreativeWork"}
	if !reflect.DeepEqual(gen.Assertions, wantAssertions) {
		t.Errorf("assertions %q, want %q", gen.Assertions, wantAssertions)
	}
	uri := "self#jumbf=/c2pa/" + firstLabel + "/c2pa.assertions/c2pa.actions"
	wantActions := []Action{
		{Action: "c2pa.created", DigitalSourceType: iptcTrained, SoftwareAgent: Software{Name: "DALL·E"},
			When: "2024-05-01T10:00:00Z", Assertion: "c2pa.actions", URI: uri, Index: 0},
		{Action: "c2pa.converted", Assertion: "c2pa.actions", URI: uri, Index: 1},
	}
	if !reflect.DeepEqual(gen.Actions, wantActions) {
		t.Errorf("actions\n got %+v\nwant %+v", gen.Actions, wantActions)
	}
	wantTypes := []SourceType{{Value: iptcTrained, Field: "actions[0].digitalSourceType", Assertion: "c2pa.actions", URI: uri}}
	if !reflect.DeepEqual(gen.SourceTypes, wantTypes) {
		t.Errorf("source types\n got %+v\nwant %+v", gen.SourceTypes, wantTypes)
	}
	// Claim v2.
	if ed.Claim != "c2pa.claim.v2" || ed.ClaimGenerator != "" || !reflect.DeepEqual(ed.GeneratorInfo, []Software{{"Photo Editor", "26.1"}}) {
		t.Errorf("claim v2 read as %+v", ed)
	}
	if len(ed.Actions) != 2 || ed.Actions[1].Action != "c2pa.edited" || ed.Actions[1].DigitalSourceType != iptcComposite ||
		ed.Actions[1].SoftwareAgent != (Software{"Photo Editor", "26.1"}) || ed.Actions[1].Assertion != "c2pa.actions.v2__1" {
		t.Errorf("v2 actions %+v", ed.Actions)
	}
	if len(ed.SourceTypes) != 2 || ed.SourceTypes[1].Field != "Iptc4xmpExt:DigitalSourceType" || ed.SourceTypes[1].Assertion != "c2pa.metadata" {
		t.Errorf("v2 source types %+v", ed.SourceTypes)
	}
	if ed.Assertions[0] != "c2pa.thumbnail.claim.jpeg" {
		t.Errorf("v2 assertions %q", ed.Assertions)
	}
}

func TestParse(t *testing.T) {
	ms, err := Parse(sampleStore())
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, ms)
	if ms[0].Source != SourceJUMBF || ms[0].Offset != -1 {
		t.Errorf("source %q offset %d", ms[0].Source, ms[0].Offset)
	}
}

// containers returns the sample store embedded in each container, with
// the offset of its carrier.
func containers(t *testing.T) []struct {
	name, source string
	file         []byte
	off          int64
} {
	jpg := readFixture(t, "jpeg/plain.jpg")
	png := readFixture(t, "png/palette.png")
	mp4 := readFixture(t, "mp4/faststart.mp4")
	wav := readFixture(t, "wav/pcm16.wav")
	store := sampleStore()
	segs := app11(store, 1, 300)
	if len(segs) < 3 {
		t.Fatalf("store split into %d APP11 segments, want at least 3", len(segs))
	}
	reversed := make([][]byte, len(segs))
	for i, s := range segs {
		reversed[len(segs)-1-i] = s
	}
	// One JPEG segment holds the whole store; another JUMBF box (not C2PA)
	// precedes it and must be passed over.
	other := jumb(c2paType("xxxx"), "other", jbox("json", []byte("{}")))
	return []struct {
		name, source string
		file         []byte
		off          int64
	}{
		{"jpeg split", SourceJPEG, inJPEG(jpg, segs), 2},
		{"jpeg reversed", SourceJPEG, inJPEG(jpg, reversed), 2},
		{"jpeg single after other JUMBF", SourceJPEG, inJPEG(jpg, append(app11(other, 7, 1000), app11(store, 2, 65000)...)), 2 + int64(len(app11(other, 7, 1000)[0]))},
		{"png", SourcePNG, inPNG(png, store), 33},
		{"mp4", SourceBMFF, append(append([]byte{}, mp4...), bmffBox("manifest", store)...), int64(len(mp4))},
		{"wav", SourceRIFF, inWAV(wav, store), int64(len(wav))},
		{"bare store", SourceJUMBF, store, 0},
	}
}

func TestFind(t *testing.T) {
	for _, c := range containers(t) {
		t.Run(c.name, func(t *testing.T) {
			ms, err := Find(bytes.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			checkSample(t, ms)
			for _, m := range ms {
				if m.Source != c.source || m.Offset != c.off || m.Where == "" {
					t.Errorf("found in %q at %d (%s), want %q at %d", m.Source, m.Offset, m.Where, c.source, c.off)
				}
			}
		})
	}
}

// TestFindMP4Merkle checks that a C2PA uuid box of another purpose is
// passed over and a manifest box after it still found.
func TestFindMP4Merkle(t *testing.T) {
	mp4 := readFixture(t, "mp4/faststart.mp4")
	f := append(append(append([]byte{}, mp4...), bmffBox("merkle", []byte{1, 2, 3})...), bmffBox("manifest", generatedStore())...)
	ms, err := Find(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Actions[0].DigitalSourceType != iptcTrained || !Generative(ms[0].Actions[0].DigitalSourceType) {
		t.Fatalf("got %+v", ms)
	}
}

// TestFixturesHaveNone checks that no fixture reports a manifest, and that
// files of the containers Find reads give no error unless damaged.
func TestFixturesHaveNone(t *testing.T) {
	all := fixtures.All("")
	if len(all) < 10 {
		t.Fatalf("only %d fixtures", len(all))
	}
	for _, p := range all {
		rel, _ := filepath.Rel(fixtures.Dir(), p)
		t.Run(rel, func(t *testing.T) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ms, err := Find(f)
			if len(ms) > 0 {
				t.Fatalf("found %d manifests", len(ms))
			}
			switch ext := filepath.Ext(p); {
			case err == nil:
			case errors.Is(err, label.ErrUnknownFormat) && !known[ext]:
			case strings.HasPrefix(rel, "bad"+string(filepath.Separator)) && (errors.Is(err, label.ErrCorrupt) || errors.Is(err, label.ErrUnsupported) || errors.Is(err, label.ErrUnknownFormat)):
			default:
				t.Fatalf("error %v", err)
			}
		})
	}
}

var known = map[string]bool{".jpg": true, ".png": true, ".mp4": true, ".mov": true, ".m4a": true, ".wav": true, ".webp": true}

func TestGenerative(t *testing.T) {
	for uri, want := range map[string]bool{
		iptcTrained:   true,
		iptcComposite: true,
		"https://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic": true,
		"http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia":    true,
		"http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture":      false,
		"http://example.com/trainedAlgorithmicMedia":                         false,
		"": false,
	} {
		if got := Generative(uri); got != want {
			t.Errorf("Generative(%q) = %v", uri, got)
		}
	}
}

// TestCorrupt checks that damaged stores and carriers give typed errors
// naming the problem, and damaged assertions give Problems.
func TestCorrupt(t *testing.T) {
	store := sampleStore()
	jpg := readFixture(t, "jpeg/plain.jpg")
	png := readFixture(t, "png/palette.png")
	mp4 := readFixture(t, "mp4/faststart.mp4")
	segs := app11(store, 1, 300)
	badLBox := append([]byte{}, store...)
	binary.BigEndian.PutUint32(badLBox, uint32(len(store)+10))
	noNUL := jbox("jumb", jbox("jumd", append(typeStore[:], toggleLabel, 'c', '2')))
	badPNG := inPNG(png, store)
	badPNG[33+8+20] ^= 0xFF
	tests := []struct {
		name        string
		file        []byte
		unsupported bool
		msg         string
	}{
		{"truncated store", store[:len(store)-5], false, "claims"},
		{"box larger than store", badLBox, false, "claims"},
		{"tiny header", []byte{0, 0, 0, 4, 'j', 'u', 'm', 'b'}, false, "less than its 8-byte header"},
		{"no description", jbox("jumb", jbox("cbor", []byte{0})), false, "does not start with a description box"},
		{"label without NUL", noNUL, false, "not NUL-terminated"},
		{"not a store", jumb(c2paType("c2ma"), "x"), true, "not a C2PA manifest store"},
		{"empty store", jumb(typeStore, "c2pa"), false, "holds no manifest"},
		{"jpeg missing segment", inJPEG(jpg, append(segs[:1:1], segs[2:]...)), false, "lacks APP11 segment 2"},
		{"jpeg repeated segment", inJPEG(jpg, append(segs[:2:2], segs[1:]...)), false, "two APP11 segments with sequence number 2"},
		{"jpeg short", inJPEG(jpg, segs[:len(segs)-1]), false, "its APP11 segments hold"},
		{"png bad CRC", badPNG, false, "CRC"},
		{"mp4 purpose without NUL", append(append([]byte{}, mp4...), jbox("uuid", bmffUUID[:], []byte{0, 0, 0, 0, 'm', 'a'})...), false, "not NUL-terminated"},
		{"mp4 store truncated", append(append([]byte{}, mp4...), bmffBox("manifest", store[:40])...), false, "claims"},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			ms, err := Find(bytes.NewReader(c.file))
			if err == nil {
				t.Fatalf("no error; manifests %+v", ms)
			}
			var fe *label.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T, not a *label.FormatError", err, err)
			}
			if c.unsupported != errors.Is(err, label.ErrUnsupported) || c.unsupported == errors.Is(err, label.ErrCorrupt) {
				t.Errorf("error %v: unsupported %v, corrupt %v", err, errors.Is(err, label.ErrUnsupported), errors.Is(err, label.ErrCorrupt))
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
		})
	}
}

// TestDamagedAssertion checks that bad CBOR in one assertion is a Problem
// and the rest of the manifest is still reported.
func TestDamagedAssertion(t *testing.T) {
	store := jumb(typeStore, "c2pa", jumb(typeManifest, "m",
		jumb(typeAssertions, "c2pa.assertions",
			jumb(typeCBOR, "c2pa.hash.data", jbox("cbor", []byte{0xA2, 0x61})), // truncated map
			cborAssertion("c2pa.actions", map[string]any{"actions": []any{map[string]any{"action": "c2pa.created", "digitalSourceType": iptcTrained}}}),
			jsonAssertion("stds.schema-org.CreativeWork", "{not json"),
		),
		jumb(typeClaim, "c2pa.claim", jbox("cbor", cborOf([]any{1}))),
	))
	ms, err := Parse(store)
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	if len(m.Actions) != 1 || m.Actions[0].DigitalSourceType != iptcTrained {
		t.Errorf("actions %+v", m.Actions)
	}
	want := []string{`assertion "c2pa.hash.data": cbor: `, `assertion "stds.schema-org.CreativeWork": `, `claim "c2pa.claim" is a array`}
	if len(m.Problems) != len(want) {
		t.Fatalf("problems %q", m.Problems)
	}
	for i, w := range want {
		if !strings.HasPrefix(m.Problems[i], w) {
			t.Errorf("problem %q, want prefix %q", m.Problems[i], w)
		}
	}
	if m.Signed {
		t.Error("Signed without a signature box")
	}
}

// TestMutations flips and cuts bytes of every sample container: Find must
// return, never panic.
func TestMutations(t *testing.T) {
	for _, c := range containers(t) {
		f := c.file
		for i := 0; i < len(f); i += 1 + len(f)/500 {
			g := append([]byte{}, f...)
			g[i] ^= 0x5A
			Find(bytes.NewReader(g))
			Find(bytes.NewReader(f[:i]))
		}
	}
}
