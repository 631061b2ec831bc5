package sign_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/digest"
	"github.com/aigcmark/aigcmark/label/png"
	"github.com/aigcmark/aigcmark/label/sign"
)

var base = label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "img-0001"}

func content(t *testing.T, rel string) sign.Content {
	t.Helper()
	f, err := os.Open(fixtures.Path(rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := digest.Sum("png", f)
	if err != nil {
		t.Fatal(err)
	}
	return sign.Content{Container: "png", Digest: d}
}

func setup(t *testing.T) (sign.Scheme, sign.Keyring) {
	t.Helper()
	dir := t.TempDir()
	id, err := sign.GenerateKey(filepath.Join(dir, "k"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "k.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", st.Mode(), err)
	}
	s, err := sign.LoadPrivateKey(filepath.Join(dir, "k.key"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sign.LoadPublicKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := keys[id]; !ok || len(keys) != 1 {
		t.Fatalf("keyring %v lacks %s", keys, id)
	}
	return s, keys
}

func TestSignVerify(t *testing.T) {
	s, keys := setup(t)
	c := content(t, "png/palette.png")
	other := content(t, "png/gray16.png")
	signed, err := sign.SignLabel(s, sign.Producer, base, c)
	if err != nil {
		t.Fatal(err)
	}
	if ps := label.Validate(signed, label.Strict); len(ps) > 0 {
		t.Fatalf("signed label fails strict validation: %v (%s)", ps, signed.ReservedCode1)
	}
	if !strings.HasPrefix(signed.ReservedCode1, "aigcmark1.ed25519.") {
		t.Fatalf("value %q", signed.ReservedCode1)
	}
	if r := sign.Verify(keys, sign.Producer, signed, c); r.Status != sign.Valid {
		t.Fatalf("fresh signature: %v %s", r.Status, r.Reason)
	}
	// The platform signs on top, pinning the producer's signature.
	plat, platKeys := setup(t)
	both := signed
	both.ContentPropagator, both.PropagateID = "platform-x", "p-1"
	both, err = sign.SignLabel(plat, sign.Propagator, both, c)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range keys {
		platKeys[k] = v
	}
	for _, p := range []sign.Party{sign.Producer, sign.Propagator} {
		if r := sign.Verify(platKeys, p, both, c); r.Status != sign.Valid {
			t.Fatalf("%v: %v %s", p, r.Status, r.Reason)
		}
	}
	edit := func(f func(*label.Label)) label.Label { l := both; f(&l); return l }
	tampered := []struct {
		name  string
		party sign.Party
		l     label.Label
		c     sign.Content
		why   string
	}{
		{"Label", sign.Producer, edit(func(l *label.Label) { l.Label = "3" }), c, "signature"},
		{"ContentProducer", sign.Producer, edit(func(l *label.Label) { l.ContentProducer = "someone-else" }), c, "signature"},
		{"ProduceID", sign.Producer, edit(func(l *label.Label) { l.ProduceID += "x" }), c, "signature"},
		{"content", sign.Producer, both, other, "content differs"},
		{"container", sign.Producer, both, sign.Content{Container: "jpeg", Digest: c.Digest}, "container"},
		{"ContentPropagator", sign.Propagator, edit(func(l *label.Label) { l.ContentPropagator = "evil" }), c, "signature"},
		{"PropagateID", sign.Propagator, edit(func(l *label.Label) { l.PropagateID = "p-2" }), c, "signature"},
		{"producer field under propagator", sign.Propagator, edit(func(l *label.Label) { l.ReservedCode1 = "" }), c, "ReservedCode1"},
		{"propagator content", sign.Propagator, both, other, "content differs"},
		{"signature byte", sign.Producer, edit(func(l *label.Label) {
			b := []byte(l.ReservedCode1)
			i := len(b) - 5
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			l.ReservedCode1 = string(b)
		}), c, "signature"},
		{"truncated", sign.Producer, edit(func(l *label.Label) { l.ReservedCode1 = l.ReservedCode1[:40] }), c, "malformed"},
	}
	for _, tc := range tampered {
		t.Run(tc.name, func(t *testing.T) {
			r := sign.Verify(platKeys, tc.party, tc.l, tc.c)
			if r.Status != sign.Invalid {
				t.Fatalf("status %v (%s), want invalid", r.Status, r.Reason)
			}
			if !strings.Contains(r.Reason, tc.why) {
				t.Errorf("reason %q does not mention %q", r.Reason, tc.why)
			}
		})
	}
	// Unknown key: the other party's keyring alone.
	_, stranger := setup(t)
	if r := sign.Verify(stranger, sign.Producer, signed, c); r.Status != sign.UnknownKey {
		t.Errorf("unknown key: %v %s", r.Status, r.Reason)
	}
}

// TestLabelMovedToOtherFile writes a signed label into one PNG, copies it
// into another, and checks it through the real container path.
func TestLabelMovedToOtherFile(t *testing.T) {
	s, keys := setup(t)
	read := func(rel string) []byte {
		b, err := os.ReadFile(fixtures.Path(rel))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := read("png/palette.png"), read("png/gray16.png")
	da, _ := digest.Sum("png", bytes.NewReader(a))
	signed, err := sign.SignLabel(s, sign.Producer, base, sign.Content{Container: "png", Digest: da})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   []byte
		want sign.Status
	}{{a, sign.Valid}, {b, sign.Invalid}} {
		var out bytes.Buffer
		if err := (png.Format{}).Write(&out, bytes.NewReader(tc.in), signed); err != nil {
			t.Fatal(err)
		}
		found, err := png.Format{}.Read(bytes.NewReader(out.Bytes()))
		if err != nil || len(found) != 1 {
			t.Fatalf("read back: %v %v", found, err)
		}
		d, err := digest.Sum("png", bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		r := sign.Verify(keys, sign.Producer, found[0].Label, sign.Content{Container: "png", Digest: d})
		if r.Status != tc.want {
			t.Errorf("status %v (%s), want %v", r.Status, r.Reason, tc.want)
		}
	}
}

func TestForeignAndEmpty(t *testing.T) {
	_, keys := setup(t)
	c := content(t, "png/palette.png")
	for v, want := range map[string]sign.Status{
		"":    sign.NotSigned,
		"abc": sign.ForeignFormat,
		"MEUCIQDxyzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcdefgIgIhAKk=": sign.ForeignFormat,
		"3045022100a1b2c3":                                 sign.ForeignFormat,
		"SM2:ABCDEF0123456789":                             sign.ForeignFormat,
		"aigcmark2.ed25519.x.y.z":                          sign.ForeignFormat,
		"aigcmark1.sm2.0011223344556677.AAAAAAAAAAAA.AAAA": sign.ForeignFormat,
	} {
		l := base
		l.ReservedCode1 = v
		if r := sign.Verify(keys, sign.Producer, l, c); r.Status != want {
			t.Errorf("%q: %v (%s), want %v", v, r.Status, r.Reason, want)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k")
	if _, err := sign.GenerateKey(p); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.GenerateKey(p); err == nil {
		t.Error("GenerateKey overwrote an existing key")
	}
	os.Chmod(p+".key", 0o644)
	if _, err := sign.LoadPrivateKey(p + ".key"); err == nil {
		t.Error("a world-readable private key was accepted")
	}
	if _, err := sign.LoadPublicKeys(p + ".key"); err == nil {
		t.Error("a private key file was taken for public keys")
	}
	empty := t.TempDir()
	if _, err := sign.LoadPublicKeys(empty); err == nil {
		t.Error("an empty directory gave a keyring")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("aigcmark1.ed25519.0011223344556677.AAAAAAAAAAAA.AAAA")
	f.Add("abc")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		l := base
		l.ReservedCode1 = v
		r := sign.Verify(sign.Keyring{}, sign.Producer, l, sign.Content{Container: "png"})
		if r.Status == sign.Valid {
			t.Fatal("valid with no keys")
		}
	})
}
