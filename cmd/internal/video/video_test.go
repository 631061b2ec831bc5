package video

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/visible"
)

// plate is the test's own renderer: an opaque dark plate, 6 % of the
// shortest side high and three times as wide, with a white bar inside, at
// the bottom-right corner with a margin of half its height.
func plate(w, h int) (visible.Overlay, error) {
	ph := int(math.Ceil(0.06 * float64(min(w, h))))
	pw := 3 * ph
	m := image.NewNRGBA(image.Rect(0, 0, pw, ph))
	for y := range ph {
		for x := range pw {
			c := color.NRGBA{24, 24, 24, 255}
			if x >= ph/4 && x < pw-ph/4 && y >= ph/4 && y < ph-ph/4 {
				c = color.NRGBA{255, 255, 255, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return visible.Overlay{Image: m, At: image.Pt(w-pw-ph/2, h-ph-ph/2)}, nil
}

// plateRect is where plate puts the overlay in a w×h picture.
func plateRect(w, h int) image.Rectangle {
	ov, _ := plate(w, h)
	return ov.Bounds()
}

// fastOpts keep the tests quick; the defaults are exercised by the benchmark.
var fastOpts = Options{Preset: "veryfast", Threads: 2}

// clip makes a test input with ffmpeg from lavfi sources.
func clip(t *testing.T, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	full := append([]string{"-v", "error", "-y"}, args...)
	full = append(full, out)
	if b, err := exec.Command("ffmpeg", full...).CombinedOutput(); err != nil {
		t.Fatalf("making %s: %v\n%s", name, err, b)
	}
	return out
}

// standard is a 320×240 25 fps H.264 clip of secs seconds with AAC audio.
func standard(t *testing.T, name string, secs int) string {
	d := strconv.Itoa(secs)
	args := []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=" + d,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + d,
		"-metadata", "title=aigcmark test", "-metadata:s:v:0", "language=eng"}
	args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-c:a", "aac", "-b:a", "96k")
	return clip(t, name, args...)
}

// lumaFrames decodes every frame of path as the viewer sees it
// (autorotated) to 8-bit 4:4:4 Y'CbCr, through the filter vf if not empty,
// and returns the luma planes with their size.
func lumaFrames(t *testing.T, path, vf string) ([][]byte, int, int) {
	t.Helper()
	info, err := ffmpeg.Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	v := info.FirstOf("video")
	w, h := v.Width, v.Height
	if r := int(math.Abs(v.Rotation)); r == 90 || r == 270 {
		w, h = h, w
	}
	args := []string{"-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough"}
	if vf != "" {
		args = append(args, "-vf", vf)
	}
	out, err := exec.Command("ffmpeg", append(args, "-f", "rawvideo", "-pix_fmt", "yuv444p", "-")...).Output()
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	n := w * h
	if len(out)%(3*n) != 0 {
		t.Fatalf("%s: %d bytes of frames of %dx%d", path, len(out), w, h)
	}
	var frames [][]byte
	for len(out) > 0 {
		frames = append(frames, out[:n])
		out = out[3*n:]
	}
	return frames, w, h
}

// regionStats compares two luma frames: the mean absolute difference inside
// r and the PSNR outside it.
func regionStats(a, b []byte, w, h int, r image.Rectangle) (meanIn, psnrOut float64) {
	var sumIn, nIn, sse, nOut float64
	for y := range h {
		for x := range w {
			d := float64(a[y*w+x]) - float64(b[y*w+x])
			if (image.Point{x, y}).In(r) {
				sumIn += math.Abs(d)
				nIn++
			} else {
				sse += d * d
				nOut++
			}
		}
	}
	if sse == 0 {
		return sumIn / nIn, math.Inf(1)
	}
	return sumIn / nIn, 10 * math.Log10(255*255/(sse/nOut))
}

// diffBox is the bounding box of the pixels that differ by more than 60.
func diffBox(a, b []byte, w, h int) image.Rectangle {
	var r image.Rectangle
	for y := range h {
		for x := range w {
			d := int(a[y*w+x]) - int(b[y*w+x])
			if d > 60 || d < -60 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func probeFacts(t *testing.T, path string) (video, audio map[string]string) {
	t.Helper()
	get := func(sel string) map[string]string {
		out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", sel, "-show_entries",
			"stream=codec_name,pix_fmt,sample_aspect_ratio,r_frame_rate,avg_frame_rate,color_range,color_space,color_primaries,color_transfer,start_time,nb_frames,bit_rate,sample_rate,channels,time_base:stream_side_data=rotation:stream_tags=language:format_tags=title",
			"-of", "default=noprint_wrappers=1", path).Output()
		if err != nil {
			t.Fatalf("ffprobe %s: %v", path, err)
		}
		m := map[string]string{}
		for _, line := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				m[k] = v
			}
		}
		return m
	}
	return get("v:0"), get("a:0")
}

// ptsList is the presentation timestamps of a stream's frames, in seconds as ffprobe prints them.
func ptsList(t *testing.T, path, sel string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", sel, "-show_entries", "packet=pts_time,dts_time,duration_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func framePTS(t *testing.T, path string) []float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var ts []float64
	for _, f := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f, ","), 64)
		if err != nil {
			t.Fatalf("pts %q: %v", f, err)
		}
		ts = append(ts, v)
	}
	return ts
}

// audioMD5 is the MD5 of the audio packets' bytes.
func audioMD5(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:a", "-c", "copy", "-f", "md5", "-").Output()
	if err != nil {
		t.Fatalf("audio md5 of %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

// checkLabeled checks the output against the input frame by frame: the
// overlay rectangle at the viewer's bottom-right differs strongly in every
// frame before until (seconds; +Inf for all), not at all after it, and the
// rest of the picture is within the codec's round trip (PSNR ≥ 35 dB).
// inFilter, if set, converts the input's frames before they are compared.
func checkLabeled(t *testing.T, in, out string, until float64, inFilter string) {
	t.Helper()
	inF, w, h := lumaFrames(t, in, inFilter)
	outF, ow, oh := lumaFrames(t, out, "")
	if ow != w || oh != h || len(outF) != len(inF) {
		t.Fatalf("output has %d frames of %dx%d, input %d of %dx%d", len(outF), ow, oh, len(inF), w, h)
	}
	ts := framePTS(t, out)
	if len(ts) != len(outF) {
		t.Fatalf("%d timestamps for %d frames", len(ts), len(outF))
	}
	want := plateRect(w, h)
	if box := diffBox(inF[0], outF[0], w, h); !box.In(want) || box.Dx() < want.Dx()/2 || box.Dy() < want.Dy()/2 {
		t.Errorf("first frame: the changed pixels span %v, the plate is at %v in %dx%d", box, want, w, h)
	}
	if want.Dy() < int(math.Ceil(0.05*float64(min(w, h)))) {
		t.Errorf("plate %v is under 5 %% of the shortest side", want)
	}
	start := ts[0]
	for i := range outF {
		mean, psnr := regionStats(inF[i], outF[i], w, h, want)
		if psnr < 35 {
			t.Errorf("frame %d (%.3f s): PSNR outside the label %.1f dB, want ≥ 35", i, ts[i], psnr)
		}
		if ts[i]-start < until {
			if mean < 40 {
				t.Errorf("frame %d (%.3f s): label region differs by %.1f on average; no label?", i, ts[i], mean)
			}
		} else if mean > 6 {
			t.Errorf("frame %d (%.3f s): label region differs by %.1f after the explicit duration", i, ts[i], mean)
		}
	}
}

func TestLabelEveryFrame(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	in := standard(t, "in.mp4", 4)
	out := filepath.Join(t.TempDir(), "out.mp4")
	var calls, lastTotal int64
	opts := fastOpts
	opts.Progress = func(n, total int64) { calls, lastTotal = n, total }
	res, err := Label(context.Background(), in, out, plate, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 100 || res.Labeled != 100 || calls != 100 || lastTotal != 100 {
		t.Errorf("result %+v, progress %d of %d; want 100 frames all labeled", res, calls, lastTotal)
	}
	checkLabeled(t, in, out, math.Inf(1), "")
	iv, ia := probeFacts(t, in)
	ov, oa := probeFacts(t, out)
	for _, k := range []string{"r_frame_rate", "avg_frame_rate", "sample_aspect_ratio", "start_time", "nb_frames", "pix_fmt", "time_base", "TAG:language", "TAG:title"} {
		if iv[k] != ov[k] {
			t.Errorf("video %s: %q, input %q", k, ov[k], iv[k])
		}
	}
	if ov["codec_name"] != "h264" {
		t.Errorf("video codec %q", ov["codec_name"])
	}
	for _, k := range []string{"codec_name", "bit_rate", "sample_rate", "channels", "start_time", "nb_frames"} {
		if ia[k] != oa[k] {
			t.Errorf("audio %s: %q, input %q", k, oa[k], ia[k])
		}
	}
	if a, b := audioMD5(t, in), audioMD5(t, out); a != b {
		t.Errorf("audio packets changed: %s, input %s", b, a)
	}
	if a, b := ptsList(t, in, "a:0"), ptsList(t, out, "a:0"); a != b {
		t.Errorf("audio packet timestamps changed")
	}
}

func TestExplicitDuration(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	in := standard(t, "in.mp4", 4)
	out := filepath.Join(t.TempDir(), "out.mp4")
	opts := fastOpts
	opts.ExplicitDuration = 2 * time.Second
	res, err := Label(context.Background(), in, out, plate, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 100 || res.Labeled != 50 {
		t.Errorf("result %+v, want 100 frames, the first 50 labeled", res)
	}
	checkLabeled(t, in, out, 2, "")
}

func TestOptionsRefused(t *testing.T) {
	for _, o := range []Options{
		{ExplicitDuration: 1500 * time.Millisecond},
		{ExplicitDuration: -time.Second},
		{CRF: 52},
		{CRF: -1},
		{Preset: "warp"},
	} {
		err := o.check()
		if err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	o := Options{ExplicitDuration: 1500 * time.Millisecond}
	if err := o.check(); err == nil || !strings.Contains(err.Error(), "2s") {
		t.Errorf("error %v does not name the 2 s minimum", err)
	}
	o = Options{}
	if err := o.check(); err != nil || o.CRF != 20 || o.Preset != "medium" {
		t.Errorf("zero options: %+v, %v", o, err)
	}
}

// TestCarriedOver checks what the output keeps of the input's stream
// description, for inputs that stray from the defaults.
func TestCarriedOver(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	src := func(rate string) []string {
		return []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=" + rate + ":duration=2",
			"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2"}
	}
	for _, tc := range []struct {
		name string
		file string
		args []string
		keys []string
	}{
		{"ntsc rate, anamorphic", "in.mp4", append(src("30000/1001"), "-vf", "setsar=4/3", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"),
			[]string{"r_frame_rate", "avg_frame_rate", "sample_aspect_ratio", "nb_frames", "time_base"}},
		{"full range bt709", "in.mp4", append(src("25"), "-pix_fmt", "yuvj420p", "-color_range", "pc", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"),
			[]string{"color_range", "color_space", "color_primaries", "color_transfer", "pix_fmt"}},
		{"limited range bt601", "in.mp4", append(src("25"), "-color_range", "tv", "-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"),
			[]string{"color_range", "color_space", "color_primaries", "color_transfer", "pix_fmt"}},
		{"10-bit 4:2:2", "in.mp4", append(src("25"), "-pix_fmt", "yuv422p10le", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"),
			[]string{"pix_fmt", "nb_frames"}},
		{"late video start", "in.mp4", append(src("25"), "-vf", "setpts=PTS+0.2/TB", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"),
			[]string{"start_time", "nb_frames"}},
		{"variable frame rate", "in.mp4", append(src("25"), "-vf", "settb=1/1000,setpts=N*40+13*mod(N\\,3)", "-fps_mode", "vfr", "-enc_time_base:v", "1/1000",
			"-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-video_track_timescale", "90000"),
			[]string{"nb_frames", "time_base"}},
		{"QuickTime with PCM", "in.mov", append(src("24"), "-c:v", "libx264", "-preset", "veryfast", "-c:a", "pcm_s16le"),
			[]string{"nb_frames", "r_frame_rate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := clip(t, tc.file, tc.args...)
			out := filepath.Join(t.TempDir(), "out"+filepath.Ext(tc.file))
			if _, err := Label(context.Background(), in, out, plate, fastOpts); err != nil {
				t.Fatal(err)
			}
			iv, ia := probeFacts(t, in)
			ov, oa := probeFacts(t, out)
			for _, k := range tc.keys {
				if iv[k] != ov[k] {
					t.Errorf("video %s: %q, input %q", k, ov[k], iv[k])
				}
			}
			if ia["codec_name"] != oa["codec_name"] || ia["bit_rate"] != oa["bit_rate"] {
				t.Errorf("audio %s at %s, input %s at %s", oa["codec_name"], oa["bit_rate"], ia["codec_name"], ia["bit_rate"])
			}
			if a, b := audioMD5(t, in), audioMD5(t, out); a != b {
				t.Errorf("audio packets changed")
			}
			// Every frame keeps its presentation time (decode times may
			// differ: the encoder chooses its own frame reordering).
			if x, y := framePTS(t, in), framePTS(t, out); fmt.Sprint(x) != fmt.Sprint(y) {
				t.Errorf("frame times changed:\n out %v\n in  %v", y, x)
			}
			if filepath.Ext(tc.file) == ".mov" {
				info, err := ffmpeg.Probe(context.Background(), out)
				if err != nil {
					t.Fatal(err)
				}
				if info.Tags["major_brand"] != "qt  " {
					t.Errorf("MOV input gave major brand %q", info.Tags["major_brand"])
				}
			}
			checkLabeled(t, in, out, math.Inf(1), "")
		})
	}
}

// TestConverted labels videos whose pixel format does not cross the pipe
// as decoded: the decoder converts it to the nearest format libx264 takes.
func TestConverted(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	src := []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"}
	for _, tc := range []struct {
		name, pixFmt, inFilter string
		args                   []string
		probe                  map[string]string
	}{
		{"RGB PNG", "yuv444p", "scale=out_color_matrix=bt709:out_range=tv", []string{"-c:v", "png"},
			map[string]string{"color_space": "bt709", "color_range": "tv"}},
		// ProRes says "tv"; x264 signals limited range only beside a
		// colour description, which this input lacks, and unsignalled
		// H.264 is limited range.
		{"ProRes 4444 with alpha", "yuv444p10le", "", []string{"-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"},
			map[string]string{"color_range": "unknown"}},
		{"Motion JPEG", "yuvj420p", "", []string{"-c:v", "mjpeg"},
			map[string]string{"color_range": "pc", "color_space": "bt470bg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := clip(t, "in.mov", append(src, tc.args...)...)
			out := filepath.Join(t.TempDir(), "out.mov")
			if _, err := Label(context.Background(), in, out, plate, fastOpts); err != nil {
				t.Fatal(err)
			}
			ov, _ := probeFacts(t, out)
			if ov["pix_fmt"] != tc.pixFmt {
				t.Errorf("pixel format %s, want %s", ov["pix_fmt"], tc.pixFmt)
			}
			for k, v := range tc.probe {
				if ov[k] != v {
					t.Errorf("%s %q, want %q", k, ov[k], v)
				}
			}
			checkLabeled(t, in, out, math.Inf(1), tc.inFilter)
		})
	}
}

// TestRotation labels videos whose frames are stored turned: the output has
// the same display matrix and the label sits at the bottom-right corner of
// the picture the viewer sees.
func TestRotation(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	base := standard(t, "base.mp4", 2)
	for _, rot := range []string{"90", "-90", "180"} {
		t.Run(rot, func(t *testing.T) {
			in := clip(t, "in.mp4", "-i", base, "-c", "copy", "-metadata:s:v:0", "rotate="+rot)
			iv, _ := probeFacts(t, in)
			if iv["rotation"] == "" {
				t.Fatalf("the test input has no rotation: %v", iv)
			}
			out := filepath.Join(t.TempDir(), "out.mp4")
			res, err := Label(context.Background(), in, out, plate, fastOpts)
			if err != nil {
				t.Fatal(err)
			}
			ov, _ := probeFacts(t, out)
			if ov["rotation"] != iv["rotation"] {
				t.Errorf("rotation %q, input %q", ov["rotation"], iv["rotation"])
			}
			if rot != "180" && (res.Width != 240 || res.Height != 320) {
				t.Errorf("viewer size %dx%d, want 240x320", res.Width, res.Height)
			}
			checkLabeled(t, in, out, math.Inf(1), "")
		})
	}
}

func TestUnsupportedContainer(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	in := clip(t, "in.mkv", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", "-c:v", "libx264", "-preset", "ultrafast")
	out := filepath.Join(t.TempDir(), "out.mkv")
	_, err := Label(context.Background(), in, out, plate, fastOpts)
	if !errors.Is(err, label.ErrUnsupported) || !strings.Contains(err.Error(), "matroska") {
		t.Fatalf("error %v, want unsupported matroska", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output left behind: %v", err)
	}
}

func TestCorruptInput(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	good := standard(t, "good.mp4", 2)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// Garbage over the middle of the media data: the container opens, the
	// video does not decode.
	smashed := bytes.Clone(b)
	at := bytes.Index(smashed, []byte("mdat"))
	for i := at + 2000; i < len(smashed)*3/4; i++ {
		smashed[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"not a video", "this is not a video at all", "Invalid data"},
		{"truncated", string(b[:len(b)/2]), "ffprobe"},
		{"smashed", string(smashed), "ffmpeg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".mp4")
			if err := os.WriteFile(in, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out-"+filepath.Base(in))
			_, err := Label(context.Background(), in, out, plate, fastOpts)
			var fe *ffmpeg.Error
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) || fe.Stderr == "" {
				t.Fatalf("error %v, want ffmpeg's own message mentioning %q", err, tc.want)
			}
			t.Log(err)
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output left behind: %v", err)
			}
		})
	}
}

func TestMissingFFmpeg(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.mp4")
	if err := os.WriteFile(in, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	out := filepath.Join(t.TempDir(), "out.mp4")
	_, err := Label(context.Background(), in, out, plate, Options{})
	if !errors.Is(err, ffmpeg.ErrNotInstalled) {
		t.Fatalf("error %v, want ErrNotInstalled", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output left behind: %v", err)
	}
}

// TestCancel cancels a run after a few frames: Label returns promptly with
// the context's error, both ffmpeg processes are gone and no output is left.
func TestCancel(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	in := clip(t, "long.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=30", "-c:v", "libx264", "-preset", "ultrafast")
	out := filepath.Join(t.TempDir(), "out.mp4")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := fastOpts
	opts.Progress = func(n, _ int64) {
		if n == 10 {
			cancel()
		}
	}
	start := time.Now()
	_, err := Label(ctx, in, out, plate, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if kids := ffmpegChildren(t); len(kids) > 0 {
		t.Errorf("ffmpeg processes left running: %v", kids)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output left behind: %v", err)
	}
}

// ffmpegChildren lists this process's ffmpeg children, from /proc.
func ffmpegChildren(t *testing.T) []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []string
	me := strconv.Itoa(os.Getpid())
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == me && bytes.Contains(b[:i], []byte("(ffmpeg")) {
			kids = append(kids, s)
		}
	}
	return kids
}

// TestEncoderFails writes where ffmpeg cannot: the error is the encoder's
// own, and the decoder does not hang.
func TestEncoderFails(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	out := filepath.Join(t.TempDir(), "missing", "out.mp4")
	_, err := Label(context.Background(), fixtures.Path("mp4/faststart.mp4"), out, plate, fastOpts)
	var fe *ffmpeg.Error
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "No such file or directory") {
		t.Fatalf("error %v, want ffmpeg's message about the missing folder", err)
	}
}

func TestRefusesToOverwriteInput(t *testing.T) {
	in := fixtures.Path("mp4/faststart.mp4")
	for _, out := range []string{in, filepath.Join(filepath.Dir(in), ".", filepath.Base(in))} {
		if _, err := Label(context.Background(), in, out, plate, Options{}); err == nil || !strings.Contains(err.Error(), "overwrite the input") {
			t.Errorf("Label(%s, %s): %v", in, out, err)
		}
	}
	if _, err := os.Stat(in); err != nil {
		t.Fatal(err)
	}
}

// TestRendererError passes the renderer's error on.
func TestRendererError(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	out := filepath.Join(t.TempDir(), "out.mp4")
	boom := errors.New("no such glyph")
	_, err := Label(context.Background(), fixtures.Path("mp4/faststart.mp4"), out,
		func(w, h int) (visible.Overlay, error) { return visible.Overlay{}, boom }, fastOpts)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "128×96") {
		t.Fatalf("error %v, want the renderer's, naming the size", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output left behind: %v", err)
	}
}

func TestPlan(t *testing.T) {
	mp4 := "mov,mp4,m4a,3gp,3g2,mj2"
	stream := func(mod func(*ffmpeg.Stream)) *ffmpeg.Info {
		s := ffmpeg.Stream{CodecType: "video", Width: 320, Height: 240, PixFmt: "yuv420p", TimeBase: "1/12800"}
		mod(&s)
		return &ffmpeg.Info{FormatName: mp4, Streams: []ffmpeg.Stream{s}}
	}
	for _, tc := range []struct {
		name   string
		info   *ffmpeg.Info
		unsupp bool
	}{
		{"matroska", &ffmpeg.Info{FormatName: "matroska,webm"}, true},
		{"no video", &ffmpeg.Info{FormatName: mp4, Streams: []ffmpeg.Stream{{CodecType: "audio"}}}, false},
		{"cover art only", stream(func(s *ffmpeg.Stream) { s.AttachedPic = true }), false},
		{"45°", stream(func(s *ffmpeg.Stream) { s.Rotation = 45 }), true},
		{"mirrored", stream(func(s *ffmpeg.Stream) { s.DisplayMatrix = &[9]int32{-1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30} }), true},
		{"huge", stream(func(s *ffmpeg.Stream) { s.Width, s.Height = 20000, 20000 }), true},
		{"no pixel format", stream(func(s *ffmpeg.Stream) { s.PixFmt = "" }), false},
	} {
		_, err := plan("in.mp4", tc.info, Options{})
		if err == nil || errors.Is(err, label.ErrUnsupported) != tc.unsupp {
			t.Errorf("%s: error %v (unsupported %v)", tc.name, err, tc.unsupp)
		}
	}
	// A rotation without a matrix gets the matrix ffmpeg writes for it.
	for rot, want := range map[float64][9]int32{
		90:  {0, -1 << 16, 0, 1 << 16, 0, 0, 0, 0, 1 << 30},
		-90: {0, 1 << 16, 0, -1 << 16, 0, 0, 0, 0, 1 << 30},
		180: {-1 << 16, 0, 0, 0, -1 << 16, 0, 0, 0, 1 << 30},
	} {
		j, err := plan("in.mp4", stream(func(s *ffmpeg.Stream) { s.Rotation = rot }), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if j.matrix == nil || *j.matrix != want {
			t.Errorf("rotation %v: matrix %v, want %v", rot, j.matrix, want)
		}
	}
	j, err := plan("clip.MOV", stream(func(*ffmpeg.Stream) {}), Options{})
	if err != nil || j.muxer != "mov" || j.matrix != nil {
		t.Errorf("clip.MOV: %+v, %v", j, err)
	}
}
