package traces

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

// TestExiftoolWritten reads traces that exiftool, not our test helpers,
// wrote into copies of the fixtures: an independent writer of EXIF, XMP
// and PNG text.
func TestExiftoolWritten(t *testing.T) {
	et := fixtures.NeedTool(t, "exiftool")
	dir := t.TempDir()
	const dst = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
	imageArgs := []string{"-XMP-iptcExt:DigitalSourceType=" + dst, "-XMP-xmp:CreatorTool=Adobe Firefly",
		"-EXIF:Software=Midjourney", "-EXIF:UserComment=Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512"}
	imageWants := []want{{"xmp Iptc4xmpExt:DigitalSourceType", "", Strong, "trainedAlgorithmicMedia"},
		{"xmp xmp:CreatorTool", GenFirefly, Strong, "Firefly"}, {"exif Software", GenMJ, Strong, "Midjourney"},
		{"exif UserComment", GenA1111, Strong, "Steps: 20"}}
	for _, tc := range []struct {
		fixture string
		args    []string
		wants   []want
	}{
		{"jpeg/plain.jpg", imageArgs, imageWants},
		{"webp/lossy.webp", imageArgs, imageWants},
		{"png/palette.png", []string{"-PNG:Software=NovelAI", "-XMP-iptcExt:DigitalSourceType=trainedAlgorithmicMedia"},
			[]want{{"png-text Software", GenNovelAI, Strong, "NovelAI"}, {"xmp Iptc4xmpExt:DigitalSourceType", "", Strong, "trainedAlgorithmicMedia"}}},
		{"mp4/faststart.mp4", []string{"-XMP-iptcExt:DigitalSourceType=" + dst},
			[]want{{"xmp Iptc4xmpExt:DigitalSourceType", "", Strong, "trainedAlgorithmicMedia"}}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			p := filepath.Join(dir, filepath.Base(tc.fixture))
			if err := os.WriteFile(p, fixture(t, tc.fixture), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"-q", "-overwrite_original"}, tc.args...)
			if out, err := exec.Command(et, append(args, p)...).CombinedOutput(); err != nil {
				t.Fatalf("exiftool: %v\n%s", err, out)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			check(t, data, tc.wants...)
		})
	}
}
