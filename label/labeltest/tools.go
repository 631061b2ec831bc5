package labeltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
)

// run runs the external program name (skipping the test, through
// fixtures.NeedTool, when it is not installed) and returns its standard
// output and standard error. A failure is fatal and shows the error output.
func run(t testing.TB, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(fixtures.NeedTool(t, name), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

// RunTool runs the external program name with args and returns its
// standard output. The test is skipped when the program is not installed
// (fixtures.NeedTool); a failure is fatal and shows what the program wrote
// on standard error. The tests run ffmpeg with "-v error", and ffmpeg
// reports some damage without failing, so anything ffmpeg writes on
// standard error fails the test too.
func RunTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, errs := run(t, name, args...)
	if name == "ffmpeg" && errs != "" {
		t.Errorf("ffmpeg %s complained:\n%s", strings.Join(args, " "), errs)
	}
	return out
}

// Exiftool runs exiftool with the configuration that names the TC260 XMP
// namespace (fixtures.ExiftoolConfig) and args, and returns its standard
// output and standard error together, since exiftool reports warnings and
// errors on both. A failure is fatal.
func Exiftool(t testing.TB, args ...string) string {
	t.Helper()
	et := fixtures.NeedTool(t, "exiftool")
	out, err := exec.Command(et, append([]string{"-config", fixtures.ExiftoolConfig()}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ExiftoolTags returns every tag exiftool reads in the file p, as
// "group:name" → value, without the file system's and exiftool's own.
func ExiftoolTags(t testing.TB, p string) map[string]string {
	t.Helper()
	var m []map[string]any
	if err := json.Unmarshal([]byte(Exiftool(t, "-j", "-G1", "-a", "-s", "-b", p)), &m); err != nil || len(m) != 1 {
		t.Fatalf("exiftool -j: %v", err)
	}
	out := map[string]string{}
	for k, v := range m[0] {
		switch strings.SplitN(k, ":", 2)[0] {
		case "System", "ExifTool", "File", "SourceFile", "Composite":
			continue
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}

// decode runs ffmpeg to decode the file p into the muxer format (md5 or
// framemd5) and returns what it writes. Anything on standard error, where
// ffmpeg run with "-v error" reports decoding errors, fails the test.
func decode(t testing.TB, p, streams, format string) string {
	t.Helper()
	out, errs := run(t, "ffmpeg", "-nostdin", "-v", "error", "-i", p, "-map", streams, "-f", format, "-")
	if errs != "" {
		t.Errorf("ffmpeg decoding %s complained:\n%s", p, errs)
	}
	return out
}

// AudioMD5 returns the MD5 of the decoded audio of the file p, as ffmpeg's
// md5 muxer writes it ("MD5=…").
func AudioMD5(t testing.TB, p string) string {
	t.Helper()
	s := strings.TrimSpace(decode(t, p, "0:a", "md5"))
	if !strings.HasPrefix(s, "MD5=") {
		t.Fatalf("ffmpeg -f md5 %s wrote %q", p, s)
	}
	return s
}

// FrameMD5 returns ffmpeg's framemd5 of every stream of the file p: a
// header describing the streams, then one checksum a decoded frame. It
// fails the test when no frame was decoded.
func FrameMD5(t testing.TB, p string) string {
	t.Helper()
	s := decode(t, p, "0", "framemd5")
	for _, line := range strings.Split(s, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			return s
		}
	}
	t.Fatalf("ffmpeg decoded no frame of %s:\n%s", p, s)
	return ""
}

// EXIFUserComment tests a label another tool left in the EXIF UserComment,
// where it is a secondary carrier. exiftool writes a wrapped label
// (ProduceID "exif-1") and Make "TestCam" into a copy of the fixture rel
// (the test is skipped if it is missing); Read must find exactly that
// label, in the EXIF carrier and wrapped form. Writing a new label must
// give exactly it, in carrier, and exiftool must then read Make but no
// label, and no warning, in the EXIF. It returns the file exiftool wrote
// and the output, for the package's own checks.
func EXIFUserComment(t *testing.T, f label.Format, rel, carrier string) (in, out []byte) {
	t.Helper()
	fixtures.NeedTool(t, "exiftool")
	src, err := os.ReadFile(fixtures.Path(rel))
	if err != nil {
		t.Skip(err)
	}
	p := WriteTemp(t, "in"+filepath.Ext(rel), src)
	old := `{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U10000","ProduceID":"exif-1","ReservedCode1":"","ContentPropagator":"001191110108MA01KP2T5U10000","PropagateID":"exif-1","ReservedCode2":""}}`
	Exiftool(t, "-q", "-overwrite_original", "-EXIF:UserComment="+old, "-EXIF:Make=TestCam", p)
	in = ReadFile(t, p)
	found := Read(t, f, in)
	if len(found) != 1 || found[0].Carrier != label.CarrierEXIF || found[0].Label.ProduceID != "exif-1" || !found[0].Wrapped {
		t.Fatalf("Read = %+v", found)
	}
	l := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "new-1"}.WithPropagationDefaults()
	out = WriteRead(t, f, in, l, carrier)
	b := Exiftool(t, "-s3", "-warning", "-EXIF:Make", "-EXIF:UserComment", WriteTemp(t, "out"+filepath.Ext(rel), out))
	if !strings.HasPrefix(b, "TestCam\n") || strings.Contains(b, "AIGC") || strings.Contains(b, "Warning") {
		t.Fatalf("exiftool after Write:\n%s", b)
	}
	return in, out
}
