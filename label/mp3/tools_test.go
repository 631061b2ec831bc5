package mp3

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// ffmpegMP3 makes a one-second MP3 with libmp3lame; args go before the
// output name.
func ffmpegMP3(t *testing.T, dir, file string, args ...string) string {
	t.Helper()
	p := filepath.Join(dir, file)
	a := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=1"}
	a = append(append(a, args...), "-c:a", "libmp3lame", "-b:a", "64k", p)
	labeltest.RunTool(t, "ffmpeg", a...)
	return p
}

// formatTags returns the container tags ffprobe reads.
func formatTags(t *testing.T, p string) map[string]string {
	t.Helper()
	out := labeltest.RunTool(t, "ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", p)
	var v struct {
		Format struct {
			Tags map[string]string `json:"tags"`
		} `json:"format"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	return v.Format.Tags
}

// exiftoolAIGC returns the TXXX AIGC values exiftool reads.
func exiftoolAIGC(t *testing.T, p string) []string {
	t.Helper()
	out := labeltest.RunTool(t, "exiftool", "-a", "-s3", "-ID3:UserDefinedText", p)
	var vals []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if v, ok := strings.CutPrefix(line, "(AIGC) "); ok {
			vals = append(vals, v)
		}
	}
	return vals
}

func TestFFmpegFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ffmpeg, ffprobe and exiftool many times")
	}
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	pic := filepath.Join(dir, "pic.jpg")
	labeltest.RunTool(t, "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", pic)
	meta := []string{"-metadata", "title=A title", "-metadata", "artist=Artist", "-metadata", "comment=A comment", "-metadata", "album=专辑"}
	withPic := func(ver string) []string {
		return append([]string{"-i", pic, "-map", "0", "-map", "1", "-c:v", "mjpeg", "-id3v2_version", ver}, meta...)
	}
	tests := []struct {
		name    string
		args    []string
		labeled bool
		ver     byte
	}{
		{"no tag", []string{"-write_id3v2", "0"}, false, 4},
		{"id3v2.3", withPic("3"), false, 3},
		{"id3v2.4", withPic("4"), false, 4},
		{"labeled id3v2.3", append(withPic("3"), "-metadata", "AIGC="+string(oldLabel.JSON())), true, 3},
		{"labeled id3v2.4", []string{"-id3v2_version", "4", "-metadata", "AIGC=" + string(testLabel.JSON())}, true, 4},
		{"with id3v1", append([]string{"-write_id3v1", "1", "-id3v2_version", "3"}, meta...), false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := ffmpegMP3(t, dir, strings.ReplaceAll(tt.name, " ", "-")+".mp3", tt.args...)
			inBytes, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			fs := labeltest.Read(t, Format{}, inBytes)
			if tt.labeled != (len(fs) == 1) || len(fs) > 1 {
				t.Fatalf("Read of ffmpeg's file found %+v", fs)
			}
			if tt.labeled && fs[0].Label != oldLabel && fs[0].Label != testLabel {
				t.Fatalf("Read of ffmpeg's label = %+v", fs[0])
			}
			before := formatTags(t, in)
			md5 := labeltest.AudioMD5(t, in)
			for _, l := range []label.Label{testLabel, asciiLabel} {
				outBytes := labeltest.WriteRead(t, Format{}, inBytes, l, label.CarrierID3)
				checkKept(t, inBytes, outBytes)
				if outBytes[3] != tt.ver {
					t.Fatalf("ID3v2.%d, want 2.%d", outBytes[3], tt.ver)
				}
				out := filepath.Join(dir, "out-"+filepath.Base(in))
				if err := os.WriteFile(out, outBytes, 0o644); err != nil {
					t.Fatal(err)
				}
				after := formatTags(t, out)
				if after["AIGC"] != string(l.JSON()) {
					t.Fatalf("ffprobe reads AIGC=%q, want %s", after["AIGC"], l.JSON())
				}
				for k, v := range before {
					if k != "AIGC" && after[k] != v {
						t.Fatalf("ffprobe reads %s=%q after, %q before", k, after[k], v)
					}
				}
				if got := labeltest.AudioMD5(t, out); got != md5 {
					t.Fatalf("decoded audio changed: %s -> %s", md5, got)
				}
				if got := exiftoolAIGC(t, out); len(got) != 1 || got[0] != string(l.JSON()) {
					t.Fatalf("exiftool reads %q, want %s", got, l.JSON())
				}
			}
		})
	}
}

// TestToolsReadBothVersions checks that ffprobe and exiftool read a new tag of
// either version (Write creates 2.4; hand-built 2.3 here).
func TestToolsReadBothVersions(t *testing.T) {
	fixtures.NeedTool(t, "ffprobe")
	dir := t.TempDir()
	for _, ver := range []byte{3, 4} {
		for _, l := range []label.Label{testLabel, asciiLabel} {
			b := cat(id3(ver, 0, cat(txxx(ver, false, l.JSON()), pad(100))), audio(20))
			p := filepath.Join(dir, "v.mp3")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if got := formatTags(t, p)["AIGC"]; got != string(l.JSON()) {
				t.Fatalf("v2.%d: ffprobe reads %q", ver, got)
			}
			if got := exiftoolAIGC(t, p); len(got) != 1 || got[0] != string(l.JSON()) {
				t.Fatalf("v2.%d: exiftool reads %q", ver, got)
			}
		}
	}
}

// TestFixtures relabels the committed samples: plain ones, ones other
// tools labeled (which must be read) and deliberately bad ones (which must
// be refused).
func TestFixtures(t *testing.T) {
	labeltest.Fixtures(t, Format{}, "mp3", testLabel, label.CarrierID3, checkKept)
	labeltest.LabeledFixtures(t, Format{}, testLabel, label.CarrierID3, checkKept, ".mp3")
	labeltest.BadFixtures(t, Format{}, ".mp3")
}
