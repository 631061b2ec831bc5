package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/all"
	"github.com/aigcmark/aigcmark/label/digest"
	"github.com/aigcmark/aigcmark/label/sign"
)

// label --sign-key fills ReservedCode1 with a signature that verifies, with
// the public key keygen --sign wrote, against the output's own content.
func TestLabelSigned(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "producer")
	if code, _, stderr := runCLI(t, "keygen", "--sign", "--out", prefix); code != exitOK {
		t.Fatalf("keygen --sign: %s", stderr)
	}
	if st, err := os.Stat(prefix + ".key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key %v %v", st, err)
	}
	if code, _, _ := runCLI(t, "keygen", "--sign", "--out", prefix); code != exitFailed {
		t.Fatalf("keygen --sign over an existing key: exit %d", code)
	}
	out := filepath.Join(dir, "out")
	inputs := []string{fixtures.Path("jpeg/plain.jpg"), fixtures.Path("wav/pcm16.wav"), fixtures.Path("markdown/plain.md")}
	code, stdout, stderr := runCLI(t, append([]string{"label", "--producer", producer, "--sign-key", prefix + ".key", "--out", out}, inputs...)...)
	if code != exitOK || strings.Count(stdout, "signed ReservedCode1") != len(inputs) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	keys, err := sign.LoadPublicKeys(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		p := filepath.Join(out, filepath.Base(in))
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		format, err := all.Sniff(f, p)
		if err != nil {
			t.Fatal(err)
		}
		found, err := format.Read(f)
		if err != nil || len(found) != 1 {
			t.Fatalf("%s: %v %d labels", p, err, len(found))
		}
		f.Seek(0, 0)
		d, err := digest.SumFormat(format, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		l := found[0].Label
		if !strings.HasPrefix(l.ReservedCode1, "aigcmark1.ed25519.") {
			t.Errorf("%s: ReservedCode1 %q", p, l.ReservedCode1)
		}
		c := sign.Content{Container: format.Name(), Digest: d}
		if r := sign.Verify(keys, sign.Producer, l, c); r.Status != sign.Valid {
			t.Errorf("%s: %+v", p, r)
		}
		// Another file's content, or an edited field, does not verify.
		c.Digest[0] ^= 1
		if r := sign.Verify(keys, sign.Producer, l, c); r.Status != sign.Invalid {
			t.Errorf("%s with other content: %+v", p, r)
		}
		l.ProduceID += "x"
		c.Digest[0] ^= 1
		if r := sign.Verify(keys, sign.Producer, l, c); r.Status != sign.Invalid {
			t.Errorf("%s with an edited ProduceID: %+v", p, r)
		}
	}
}
