package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	htmlpkg "html"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/detect/faceswap"
	"github.com/aigcmark/aigcmark/fixtures"
)

// runFaceswapCLI runs `aigcmark faceswap args…` through the command as
// main.go wires commands, and returns the exit code and outputs.
func runFaceswapCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	app := &cli.App{
		Name: "aigcmark", Writer: &o, ErrWriter: &e,
		Commands:       []*cli.Command{faceswapCommand()},
		OnUsageError:   func(_ *cli.Context, err error, _ bool) error { return usageError{err} },
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	err := app.RunContext(context.Background(), append([]string{"aigcmark", "faceswap"}, args...))
	if err != nil && !errors.As(err, new(silentError)) {
		fmt.Fprintln(&e, "aigcmark:", err)
	}
	return exitCode(err), o.String(), e.String()
}

// faceswapLines decodes the JSON lines of `faceswap --json`, by path.
func faceswapLines(t *testing.T, out string) map[string]faceswapReport {
	t.Helper()
	got := map[string]faceswapReport{}
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var r faceswapReport
		if err := dec.Decode(&r); err == io.EOF {
			return got
		} else if err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		got[filepath.Base(r.Path)] = r
	}
}

// loadPortrait decodes one of detect/faceswap's test portraits.
func loadPortrait(t *testing.T, name string) *image.RGBA {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "detect", "faceswap", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

// usableFace returns the box of the single usable face in img.
func usableFace(t *testing.T, img image.Image) faceswap.Box {
	t.Helper()
	d, err := faceswap.New(faceswap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.AnalyzeImage(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Faces {
		if f.Usable {
			return f.Box
		}
	}
	t.Fatalf("no usable face in %+v", r.Faces)
	return faceswap.Box{}
}

// pasteFace draws the elliptical face of donor (box from) into dst at box
// to, nearest-neighbour scaled with a hard edge: a crude swap with a
// visible boundary.
func pasteFace(dst, donor *image.RGBA, to image.Rectangle, from faceswap.Box) {
	w, h := to.Dx(), to.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx := (float64(x) - float64(w)/2) / (0.4 * float64(w))
			dy := (float64(y) - float64(h)/2) / (0.5 * float64(h))
			if dx*dx+dy*dy > 1 {
				continue
			}
			sx := from.X + x*from.W/w
			sy := from.Y + y*from.H/h
			if image.Pt(to.Min.X+x, to.Min.Y+y).In(dst.Rect) {
				dst.SetRGBA(to.Min.X+x, to.Min.Y+y, donor.RGBAAt(sx, sy))
			}
		}
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pngHeader is a PNG signature and an IHDR chunk claiming w×h, no data.
func pngHeader(w, h uint32) []byte {
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr[:]...)
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d")
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

func TestFaceswapPictures(t *testing.T) {
	dir := t.TempDir()
	host, donor := loadPortrait(t, "astronaut.jpg"), loadPortrait(t, "hopper.jpg")
	hb, db := usableFace(t, host), usableFace(t, donor)
	swap := image.NewRGBA(host.Rect)
	copy(swap.Pix, host.Pix)
	pasteFace(swap, donor, hb.Rect(), db)
	writePNG(t, filepath.Join(dir, "swap.png"), swap)
	writePNG(t, filepath.Join(dir, "real.png"), host)
	// A picture with no face at all.
	sky := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range sky.Pix {
		sky.Pix[i] = uint8(100 + i%7)
	}
	writePNG(t, filepath.Join(dir, "noface.png"), sky)
	bad := map[string][]byte{
		"corrupt.jpg": append([]byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10}, bytes.Repeat([]byte{0x55}, 300)...),
		"zero.png":    pngHeader(0, 0),
		"huge.png":    pngHeader(100000, 100000),
		"notes.txt":   []byte("a plain text file, neither a picture nor a video\n"),
	}
	for name, b := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inputs := []string{filepath.Join(dir, "real.png"), filepath.Join(dir, "swap.png"), filepath.Join(dir, "noface.png"),
		filepath.Join("..", "..", "detect", "faceswap", "testdata", "hopper.jpg"), filepath.Join(dir, "missing.jpg")}
	for name := range bad {
		inputs = append(inputs, filepath.Join(dir, name))
	}

	code, out, errOut := runFaceswapCLI(t, append([]string{"--json", "--jobs", "2"}, inputs...)...)
	if code != exitFailed {
		t.Errorf("exit %d, want %d (some inputs fail); stderr %s", code, exitFailed, errOut)
	}
	got := faceswapLines(t, out)
	if len(got) != len(inputs) {
		t.Fatalf("%d reports for %d inputs:\n%s", len(got), len(inputs), out)
	}
	// Whether a real portrait is flagged is the detector's calibration
	// (detect/faceswap tests it); here each is analysed with every cue.
	for _, name := range []string{"real.png", "hopper.jpg"} {
		r := got[name]
		if r.Error != nil || r.Verdict == nil || *r.Kind != "image" || r.Width != 512 || len(r.Faces) == 0 ||
			!r.Faces[0].Usable || len(r.Faces[0].Cues) != len(faceswap.ImageCues) || len(r.Frames) != 0 {
			t.Errorf("%s: %+v, want a verdict and a usable face with %d cues", name, r, len(faceswap.ImageCues))
		}
	}
	// Whether this crude paste crosses the operating point is calibration
	// too (the evaluation flags 53-65 % of crude swaps there); it must
	// score well above its original with every cue measured.
	if r := got["swap.png"]; r.Error != nil || *r.Verdict == faceswap.Inconclusive || *r.Score < *got["real.png"].Score+0.2 {
		t.Errorf("swap.png: %+v; want a score well above the original (%v)", r, *got["real.png"].Score)
	}
	if r := got["noface.png"]; r.Error != nil || *r.Verdict != faceswap.Inconclusive || len(r.Faces) != 0 {
		t.Errorf("noface.png: %+v, want inconclusive", r)
	}
	notMedia := "not a picture (JPEG, PNG, WebP, GIF) or a video ffmpeg can read: ffprobe: exit status 1: "
	if _, err := exec.LookPath("ffprobe"); err != nil {
		notMedia = "ffprobe: not installed"
	}
	for name, want := range map[string]string{
		"corrupt.jpg": "jpeg",
		"zero.png":    "non-positive dimension",
		"huge.png":    "over the limit",
		"notes.txt":   notMedia,
		"missing.jpg": "no such file",
	} {
		r := got[name]
		if r.Error == nil || !strings.Contains(*r.Error, want) || r.Verdict != nil || r.Score != nil {
			msg := "<nil>"
			if r.Error != nil {
				msg = *r.Error
			}
			t.Errorf("%s: error %q, verdict %v; want an error mentioning %q", name, msg, r.Verdict, want)
		}
	}

	// The human-readable form: one line per input, face lines under it,
	// errors on stderr and a summary.
	code, out, errOut = runFaceswapCLI(t, filepath.Join(dir, "swap.png"), filepath.Join(dir, "corrupt.jpg"))
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if !regexp.MustCompile(`(?m)^.*swap\.png: image: (likely_manipulated|no_evidence), score 0\.\d{3}: highest face score .*\n  face 1 at \(\d+, \d+\), \d+×\d+ px: score 0\.\d{3}; strongest cue \w+ [01]\.\d{3}: .+$`).MatchString(out) {
		t.Errorf("output:\n%s", out)
	}
	if !strings.Contains(errOut, "corrupt.jpg: ") || !regexp.MustCompile(`analysed 2 input\(s\): [01] likely manipulated, [01] no evidence, 0 inconclusive, 1 failed`).MatchString(errOut) {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestFaceswapUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--fps", "0", "x.jpg"}, {"--fps", "fast", "x.jpg"}, {"--min-face", "0", "x.jpg"}, {"--jobs", "0", "x.jpg"}} {
		if code, _, errOut := runFaceswapCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d; %s", args, code, exitUsage, errOut)
		}
	}
}

func TestParseFPS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"2", 2, true}, {"all", 0, true}, {" ALL ", 0, true}, {"0.5", 0.5, true}, {"1000", 1000, true},
		{"0", 0, false}, {"-1", 0, false}, {"1001", 0, false}, {"NaN", 0, false}, {"inf", 0, false},
		{"", 0, false}, {"2fps", 0, false}, {"1e400", 0, false},
	} {
		got, err := parseFPS(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseFPS(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseFPS(f *testing.F) {
	for _, s := range []string{"2", "all", "0.5", "1e3", "-0", "NaN", "0x1p-2", " 25 ", "Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseFPS(s)
		if err != nil {
			if v != 0 || !strings.Contains(err.Error(), "--fps") {
				t.Fatalf("parseFPS(%q) = %v, %v", s, v, err)
			}
			return
		}
		if math.IsNaN(v) || v < 0 || v > maxFPS || (v == 0 && !strings.EqualFold(strings.TrimSpace(s), "all")) {
			t.Fatalf("parseFPS(%q) = %v", s, v)
		}
	})
}

// Clip geometry: 3 s at 25 fps, 448×448 frames cut from the 512×512
// astronaut portrait by a slow pan and zoom.
const (
	clipSide   = 448
	clipFrames = 75
	clipRate   = 25
)

// panZoom returns the square of the source shown in frame i: its top-left
// corner and side.
func panZoom(i int) (x0, y0, side float64) {
	u := float64(i) / (clipFrames - 1)
	side = 480 - 60*u
	cx, cy := 246+20*u, 250+12*u
	return cx - side/2, cy - side/2, side
}

// clipFrame resamples the square (x0, y0, side) of src bilinearly to a
// clipSide² frame.
func clipFrame(src *image.RGBA, x0, y0, side float64) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, clipSide, clipSide))
	k := side / clipSide
	for y := 0; y < clipSide; y++ {
		sy := y0 + (float64(y)+0.5)*k - 0.5
		j := int(math.Floor(sy))
		fy := sy - float64(j)
		for x := 0; x < clipSide; x++ {
			sx := x0 + (float64(x)+0.5)*k - 0.5
			i := int(math.Floor(sx))
			fx := sx - float64(i)
			p00, p10 := src.PixOffset(i, j), src.PixOffset(i+1, j)
			p01, p11 := src.PixOffset(i, j+1), src.PixOffset(i+1, j+1)
			o := out.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				v := (1-fx)*(1-fy)*float64(src.Pix[p00+c]) + fx*(1-fy)*float64(src.Pix[p10+c]) +
					(1-fx)*fy*float64(src.Pix[p01+c]) + fx*fy*float64(src.Pix[p11+c])
				out.Pix[o+c] = uint8(math.Round(v))
			}
			out.Pix[o+3] = 255
		}
	}
	return out
}

// encodeClip pipes frames to ffmpeg's libx264 at a near-lossless quality.
func encodeClip(t *testing.T, path string, frame func(i int) *image.RGBA) {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba",
		"-s", fmt.Sprintf("%dx%d", clipSide, clipSide), "-r", fmt.Sprint(clipRate), "-i", "-",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "10", "-pix_fmt", "yuv420p", path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < clipFrames; i++ {
		if _, err := in.Write(frame(i).Pix); err != nil {
			t.Fatalf("writing frame %d: %v: %s", i, err, stderr.Bytes())
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, stderr.Bytes())
	}
}

func ffmpegTest(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-v", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// faceswapClips makes, in dir, the real pan/zoom clip re-encoded at three
// bitrates (real-4M.mp4, real-1M.mp4, real-300k.mp4) and the same clip
// with hopper's face pasted onto every frame (swap-4M.mp4).
func faceswapClips(t *testing.T, dir string) {
	t.Helper()
	fixtures.NeedTool(t, "ffmpeg")
	host, donor := loadPortrait(t, "astronaut.jpg"), loadPortrait(t, "hopper.jpg")
	hb, db := usableFace(t, host), usableFace(t, donor)
	real := filepath.Join(dir, "real-master.mp4")
	encodeClip(t, real, func(i int) *image.RGBA {
		x0, y0, side := panZoom(i)
		return clipFrame(host, x0, y0, side)
	})
	swapMaster := filepath.Join(dir, "swap-master.mp4")
	encodeClip(t, swapMaster, func(i int) *image.RGBA {
		x0, y0, side := panZoom(i)
		f := clipFrame(host, x0, y0, side)
		// Paste frame by frame where the host face is now, rounded to
		// whole pixels as a frame-wise swap tool would.
		k := clipSide / side
		to := image.Rect(int(math.Round((float64(hb.X)-x0)*k)), int(math.Round((float64(hb.Y)-y0)*k)),
			int(math.Round((float64(hb.X+hb.W)-x0)*k)), int(math.Round((float64(hb.Y+hb.H)-y0)*k)))
		pasteFace(f, donor, to, db)
		return f
	})
	for _, rate := range []string{"4M", "1M", "300k"} {
		ffmpegTest(t, "-i", real, "-c:v", "libx264", "-preset", "veryfast", "-b:v", rate, "-pix_fmt", "yuv420p", filepath.Join(dir, "real-"+rate+".mp4"))
	}
	ffmpegTest(t, "-i", swapMaster, "-c:v", "libx264", "-preset", "veryfast", "-b:v", "4M", "-pix_fmt", "yuv420p", filepath.Join(dir, "swap-4M.mp4"))
}

func TestFaceswapVideo(t *testing.T) {
	dir := t.TempDir()
	faceswapClips(t, dir)
	in := func(name string) string { return filepath.Join(dir, name) }

	t.Run("bitrate does not move the score", func(t *testing.T) {
		code, out, errOut := runFaceswapCLI(t, "--json", "--jobs", "2", in("real-4M.mp4"), in("real-1M.mp4"), in("real-300k.mp4"), in("swap-4M.mp4"))
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		got := faceswapLines(t, out)
		var lo, hi float64 = 2, -1
		for _, name := range []string{"real-4M.mp4", "real-1M.mp4", "real-300k.mp4"} {
			r := got[name]
			if r.Error != nil || *r.Kind != "video" || *r.Verdict == faceswap.Inconclusive || len(r.Tracks) == 0 {
				t.Fatalf("%s: %+v", name, r)
			}
			// 3 s at 2 frames per second: the first frame of each half second.
			if len(r.Frames) != 6 || r.Frames[1].T < 0.5 || r.Frames[1].T > 0.54 || *r.SampledFPS != "2" {
				t.Errorf("%s: frames %+v", name, r.Frames)
			}
			lo, hi = math.Min(lo, *r.Score), math.Max(hi, *r.Score)
			t.Logf("%s: %s %.3f", name, *r.Verdict, *r.Score)
		}
		if hi-lo > 0.1 {
			t.Errorf("the same clip at 4M, 1M and 300k bit/s scores from %.3f to %.3f: more than 0.1 apart", lo, hi)
		}
		sw := got["swap-4M.mp4"]
		t.Logf("swap-4M.mp4: %s %.3f", *sw.Verdict, *sw.Score)
		if sw.Error != nil || *sw.Score <= *got["real-4M.mp4"].Score {
			t.Errorf("the swapped clip scores %.3f, the real one %.3f: want the swap higher", *sw.Score, *got["real-4M.mp4"].Score)
		}
	})

	t.Run("bad videos fail alone", func(t *testing.T) {
		data, err := os.ReadFile(in("real-1M.mp4"))
		if err != nil {
			t.Fatal(err)
		}
		// moov first, so that the cut leaves a readable header and a
		// truncated stream.
		ffmpegTest(t, "-i", in("real-1M.mp4"), "-c", "copy", "-movflags", "+faststart", in("fast.mp4"))
		if data, err = os.ReadFile(in("fast.mp4")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(in("truncated.mp4"), data[:len(data)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		ffmpegTest(t, "-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", in("audio.m4a"))
		code, out, _ := runFaceswapCLI(t, "--json", "--fps", "all", in("truncated.mp4"), in("audio.m4a"), in("real-1M.mp4"))
		if code != exitFailed {
			t.Errorf("exit %d, want %d", code, exitFailed)
		}
		got := faceswapLines(t, out)
		if r := got["real-1M.mp4"]; r.Error != nil || len(r.Frames) != clipFrames || *r.SampledFPS != "all" {
			t.Errorf("real-1M.mp4 with --fps all: %d frames, error %v", len(r.Frames), r.Error)
		}
		for name, want := range map[string]string{"truncated.mp4": "ffmpeg: exit status 1: ", "audio.m4a": "no video stream"} {
			if r := got[name]; r.Error == nil || !strings.Contains(*r.Error, want) {
				t.Errorf("%s: error %v, want it to say %q", name, r.Error, want)
			}
		}
		code, out, _ = runFaceswapCLI(t, "--json", "--max-pixels", "100000", in("real-1M.mp4"))
		if r := faceswapLines(t, out)["real-1M.mp4"]; code != exitFailed || r.Error == nil || !strings.Contains(*r.Error, "448×448 pixels are over the limit of 100000") {
			t.Errorf("over the pixel limit: exit %d, %v", code, r.Error)
		}
	})

	t.Run("evidence for verify", func(t *testing.T) {
		r := faceswapEvidence(context.Background(), in("swap-4M.mp4"), faceswapOptions{FPS: "2", MinFace: faceswap.DefaultMinFace, MaxPixels: faceswap.DefaultMaxPixels})
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if r.Error != nil || r.Path != "" || r.Verdict == nil || len(r.Frames) != 6 || !strings.Contains(string(b), `"verdict":`) {
			t.Errorf("evidence: %s", b)
		}
		r = faceswapEvidence(context.Background(), in("swap-4M.mp4"), faceswapOptions{FPS: "zero"})
		if r.Error == nil || !strings.Contains(*r.Error, "--fps") {
			t.Errorf("bad options: %+v", r)
		}
	})

	t.Run("report renders", func(t *testing.T) {
		testReportRenders(t, dir, in("swap-4M.mp4"))
	})
}

// testReportRenders writes the report of a swapped clip and of a picture,
// checks their HTML and has Chromium draw the video's.
func testReportRenders(t *testing.T, dir, clip string) {
	pic := filepath.Join("..", "..", "detect", "faceswap", "testdata", "astronaut.jpg")
	out := filepath.Join(dir, "reports")
	code, stdout, errOut := runFaceswapCLI(t, "--json", "--report", out, clip, pic)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := faceswapLines(t, stdout)
	vr, pr := got[filepath.Base(clip)], got["astronaut.jpg"]
	if vr.Report == nil || pr.Report == nil || filepath.Dir(*vr.Report) != out {
		t.Fatalf("reports: %v %v", vr.Report, pr.Report)
	}
	for _, tc := range []struct {
		r       faceswapReport
		minKeys int
	}{{vr, 2}, {pr, 1}} {
		b, err := os.ReadFile(*tc.r.Report)
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		name := filepath.Base(*tc.r.Report)
		// The verdict and what it can mean.
		if !strings.Contains(html, `<section class="verdict`) || !strings.Contains(html, string(*tc.r.Verdict)) ||
			!strings.Contains(html, "not proof") && !strings.Contains(html, "does NOT show") && !strings.Contains(html, "is not evidence") {
			t.Errorf("%s: no verdict section or meaning", name)
		}
		// One embedded picture per key frame, and nothing fetched from
		// elsewhere, no script.
		srcs := regexp.MustCompile(`<img src="([^"]*)"`).FindAllStringSubmatch(html, -1)
		if len(srcs) < tc.minKeys || len(srcs) != strings.Count(html, "<img") {
			t.Errorf("%s: %d key frames of %d <img>, want at least %d", name, len(srcs), strings.Count(html, "<img"), tc.minKeys)
		}
		for _, m := range srcs {
			data, ok := strings.CutPrefix(htmlpkg.UnescapeString(m[1]), "data:image/jpeg;base64,")
			b, err := base64.StdEncoding.DecodeString(data)
			if !ok || err != nil {
				t.Fatalf("%s: key frame source %.60q… (%v)", name, m[1], err)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width < 200 || cfg.Height < 200 {
				t.Errorf("%s: key frame %d×%d (%v)", name, cfg.Width, cfg.Height, err)
			}
		}
		if regexp.MustCompile(`(?i)<script|(src|href)="(https?:|//)|url\(`).MatchString(html) {
			t.Errorf("%s: refers to external resources or runs a script", name)
		}
		// The cue table: a row per cue of each track and analysed face.
		rows := 0
		for _, tr := range tc.r.Tracks {
			rows += len(tr.Cues)
		}
		for _, f := range tc.r.Faces {
			rows += len(f.Cues)
		}
		if n := strings.Count(html, `<tr class="cue-row">`); n != rows || rows == 0 {
			t.Errorf("%s: %d cue rows, want %d", name, n, rows)
		}
		// The timeline: a point per frame with a usable face, and the
		// operating point.
		if *tc.r.Kind == "video" {
			scored := 0
			for _, f := range tc.r.Frames {
				if f.Score != nil {
					scored++
				}
			}
			if !strings.Contains(html, `<svg id="timeline"`) || strings.Count(html, "<circle ") != scored || !strings.Contains(html, `class="threshold"`) {
				t.Errorf("%s: timeline missing or with %d points for %d scored frames", name, strings.Count(html, "<circle "), scored)
			}
		}
	}

	chromium := fixtures.NeedTool(t, "chromium")
	shot := filepath.Join(dir, "report.png")
	abs, err := filepath.Abs(*vr.Report)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "chromium-profile"), "--screenshot="+shot,
		"--window-size=1200,3000", "file://"+abs)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, b)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkScreenshot(img, *vr.Verdict) {
		t.Error(p)
	}
	// The same checks find nothing on a blank page.
	blank := image.NewRGBA(img.Bounds())
	draw.Draw(blank, blank.Rect, image.White, image.Point{}, draw.Src)
	if p := checkScreenshot(blank, *vr.Verdict); len(p) < 4 {
		t.Errorf("a blank screenshot passes the checks: %v", p)
	}
}

// checkScreenshot looks in Chromium's screenshot of a report for what the
// page draws: the verdict banner in its colour near the top with text in
// it, the timeline's blue line, the key frames' photographic colours, and
// a cue table (its header colour) with text in its rows.
func checkScreenshot(img image.Image, v faceswap.Verdict) []string {
	var bad []string
	b := img.Bounds()
	if b.Dx() < 1000 || b.Dy() < 2500 {
		return []string{fmt.Sprintf("screenshot of %v", b)}
	}
	rgb := func(x, y int) [3]uint8 {
		r, g, bl, _ := img.At(x, y).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
	}
	near := func(c [3]uint8, want color.RGBA) bool {
		d := func(a, b uint8) int { return int(math.Abs(float64(a) - float64(b))) }
		return d(c[0], want.R) <= 6 && d(c[1], want.G) <= 6 && d(c[2], want.B) <= 6
	}
	banner := map[faceswap.Verdict]color.RGBA{
		faceswap.LikelyManipulated: {0xb7, 0x1c, 0x1c, 0xff},
		faceswap.NoEvidence:        {0x37, 0x47, 0x4f, 0xff},
		faceswap.Inconclusive:      {0x8d, 0x6e, 0x00, 0xff},
	}[v]
	// Rows of the page: how many pixels of each colour of interest.
	colours := map[[3]uint8]bool{}
	var bannerRows, headerRows []int
	blue := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		nb, nh := 0, 0
		for x := b.Min.X; x < b.Max.X; x++ {
			c := rgb(x, y)
			colours[c] = true
			switch {
			case near(c, banner):
				nb++
			case near(c, color.RGBA{0xdf, 0xe6, 0xee, 0xff}):
				nh++
			case near(c, color.RGBA{0x15, 0x65, 0xc0, 0xff}):
				blue++
			}
		}
		if nb > b.Dx()/2 {
			bannerRows = append(bannerRows, y)
		}
		if nh > b.Dx()/2 {
			headerRows = append(headerRows, y)
		}
	}
	if len(bannerRows) < 30 || bannerRows[0] > 300 {
		bad = append(bad, fmt.Sprintf("verdict banner: %d rows of its colour, first at %v", len(bannerRows), bannerRows))
	} else if !mixed(img, image.Rect(b.Min.X+40, bannerRows[0], b.Min.X+600, bannerRows[len(bannerRows)-1])) {
		bad = append(bad, "the verdict banner has no text drawn in it")
	}
	if blue < 300 {
		bad = append(bad, fmt.Sprintf("timeline: %d pixels of the score line's blue", blue))
	}
	if len(colours) < 5000 {
		bad = append(bad, fmt.Sprintf("only %d colours: the key frames were not drawn", len(colours)))
	}
	if len(headerRows) < 10 {
		bad = append(bad, fmt.Sprintf("cue table: %d rows of the header colour", len(headerRows)))
	} else if y := headerRows[len(headerRows)-1]; !mixed(img, image.Rect(b.Min.X+40, y+2, b.Min.X+900, min(y+80, b.Max.Y))) {
		bad = append(bad, fmt.Sprintf("nothing drawn in the cue table's rows below y=%d", y))
	}
	return bad
}

// mixed reports whether the region holds many shades (text, a chart)
// rather than one flat colour.
func mixed(img image.Image, r image.Rectangle) bool {
	seen := map[uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[cr>>8<<16|cg>>8<<8|cb>>8] = true
		}
	}
	return len(seen) >= 20
}
