package labeltest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// sourceTypes returns every IPTC digital source type exiftool reads in the
// file p (duplicates included), and its warnings.
func sourceTypes(t testing.TB, p string) (types []string, warnings string) {
	t.Helper()
	for _, line := range strings.Split(Exiftool(t, "-a", "-s", "-XMP-iptcExt:DigitalSourceType", "-Warning", p), "\n") {
		name, value, ok := strings.Cut(line, ":")
		switch name = strings.TrimSpace(name); {
		case !ok:
		case name == "DigitalSourceType":
			types = append(types, strings.TrimSpace(value))
		case name == "Warning":
			warnings += line + "\n"
		}
	}
	return types, warnings
}

// SourceType checks, with exiftool as the oracle, the IPTC digital source
// type (Iptc4xmpExt:DigitalSourceType) that f, a format whose label lives
// in XMP, writes beside the label. in must carry neither; name is a file
// name with the format's extension. It checks that
//
//   - labeling in with "1" writes trainedAlgorithmicMedia once, beside the
//     label, and Read reports the label alone; with
//     xmp.Options.NoSourceType, and for labels "2" and "3", there is none;
//   - relabeling that output keeps exactly one source type, and
//     relabeling it with the same label changes no byte;
//   - XMP properties exiftool wrote into in survive labeling, and a source
//     type exiftool wrote is kept as it was (digitalCapture included),
//     never replaced or doubled.
func SourceType(t *testing.T, f xmp.Configurable, in []byte, name string) {
	t.Helper()
	fixtures.NeedTool(t, "exiftool")
	l1 := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "iptc-1"}.WithPropagationDefaults()
	l2 := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "iptc-2"}.WithPropagationDefaults()
	want := func(t *testing.T, b []byte, l label.Label, types ...string) {
		t.Helper()
		RequireOne(t, f, b, l, label.CarrierXMP)
		p := WriteTemp(t, name, b)
		got, warn := sourceTypes(t, p)
		if warn != "" || strings.Join(got, "\n") != strings.Join(types, "\n") {
			t.Errorf("exiftool reads DigitalSourceType %q, want %q\n%s", got, types, warn)
		}
		if aigc := strings.TrimSpace(Exiftool(t, "-s3", "-XMP-TC260:AIGC", p)); aigc != string(l.JSON()) {
			t.Errorf("exiftool reads TC260:AIGC %q, want %s", aigc, l.JSON())
		}
	}

	t.Run("default", func(t *testing.T) {
		out := Write(t, f, in, l1)
		want(t, out, l1, xmp.TrainedAlgorithmicMedia)
		again := Write(t, f, out, l2)
		want(t, again, l2, xmp.TrainedAlgorithmicMedia)
		if same := Write(t, f, again, l2); !bytes.Equal(same, again) {
			t.Errorf("relabeling with the same label changed the file (%d bytes, was %d)", len(same), len(again))
		}
	})
	t.Run("off", func(t *testing.T) {
		off := f.WithXMP(xmp.Options{NoSourceType: true})
		out := Write(t, off, in, l1)
		want(t, out, l1)
		// Turning it off never removes one: relabeling the default
		// output keeps its source type.
		want(t, Write(t, off, Write(t, f, in, l1), l2), l2, xmp.TrainedAlgorithmicMedia)
	})
	t.Run("suspected", func(t *testing.T) {
		for _, code := range []string{"2", "3"} {
			l := l1
			l.Label = code
			want(t, Write(t, f, in, l), l)
		}
	})
	t.Run("other XMP kept", func(t *testing.T) {
		p := WriteTemp(t, name, in)
		Exiftool(t, "-q", "-overwrite_original", "-XMP-dc:Creator=Jane Doe", "-XMP-photoshop:City=Hangzhou", p)
		out := Write(t, f, ReadFile(t, p), l1)
		want(t, out, l1, xmp.TrainedAlgorithmicMedia)
		got := Exiftool(t, "-s3", "-XMP-dc:Creator", "-XMP-photoshop:City", WriteTemp(t, name, out))
		if got != "Jane Doe\nHangzhou\n" {
			t.Errorf("exiftool reads dc:Creator, photoshop:City %q after labeling", got)
		}
	})
	for _, existing := range []string{xmp.SourceTypeScheme + "digitalCapture", xmp.SourceTypeScheme + "compositeWithTrainedAlgorithmicMedia"} {
		t.Run("existing "+strings.TrimPrefix(existing, xmp.SourceTypeScheme), func(t *testing.T) {
			p := WriteTemp(t, name, in)
			Exiftool(t, "-q", "-overwrite_original", "-XMP-iptcExt:DigitalSourceType="+existing, p)
			out := Write(t, f, ReadFile(t, p), l1)
			want(t, out, l1, existing)
			want(t, Write(t, f, out, l2), l2, existing)
		})
	}
}
