package main

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/video"
	"github.com/aigcmark/aigcmark/watermark"
	"github.com/aigcmark/aigcmark/watermark/pixel"
)

// videoAttack is one re-encoding of BENCH.md's video suite, as ffmpeg
// arguments between the input and the output (libx264 preset medium
// unless it says otherwise).
type videoAttack struct {
	ID, Name string
	Args     func(r *rand.Rand, dur float64) []string
	// Target is the share of 2 s segments that must be exact (0: none);
	// MinBitAcc a mean bit accuracy that must be reached (0: none).
	Target, MinBitAcc float64
}

func x264(crf int, vf ...string) []string {
	a := []string{}
	if len(vf) > 0 {
		a = append(a, "-vf", strings.Join(vf, ","))
	}
	return append(a, "-c:v", "libx264", "-preset", "medium", "-crf", strconv.Itoa(crf), "-pix_fmt", "yuv420p")
}

var videoAttacks = []videoAttack{
	{"V1", "H.264 CRF 18", func(*rand.Rand, float64) []string { return x264(18) }, 1, 0},
	{"V1", "H.264 CRF 23", func(*rand.Rand, float64) []string { return x264(23) }, 1, 0},
	{"V1", "H.264 CRF 28", func(*rand.Rand, float64) []string { return x264(28) }, 0.99, 0},
	{"V1", "H.264 CRF 35", func(*rand.Rand, float64) []string { return x264(35) }, 0, 0.95},
	{"V2", "H.265 CRF 28", func(*rand.Rand, float64) []string {
		return []string{"-c:v", "libx265", "-preset", "medium", "-crf", "28", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error"}
	}, 0, 0},
	{"V4", "H.264 CRF 23 + crop 0.71 + brightness ×0.5", func(r *rand.Rand, _ float64) []string {
		return x264(23, fmt.Sprintf("crop=iw*0.71:ih*0.71:iw*%.3f:ih*%.3f", 0.29*r.Float64(), 0.29*r.Float64()), "lutyuv=y=val*0.5")
	}, 0, 0},
	{"V5", "1080p → 720p + CRF 23", func(*rand.Rand, float64) []string { return x264(23, "scale=1280:720") }, 0.95, 0},
	{"V5", "1080p → 480p + CRF 23", func(*rand.Rand, float64) []string { return x264(23, "scale=854:480") }, 0, 0},
	{"V3", "crop 0.9 + CRF 23", func(r *rand.Rand, _ float64) []string {
		return x264(23, fmt.Sprintf("crop=iw*0.9:ih*0.9:iw*%.3f:ih*%.3f", 0.1*r.Float64(), 0.1*r.Float64()))
	}, 0.95, 0},
	{"V6", "30 → 24 fps + CRF 23", func(*rand.Rand, float64) []string { return x264(23, "fps=24") }, 0, 0},
	{"V7", "drop 20 % of frames + CRF 23", func(*rand.Rand, float64) []string {
		return append(x264(23, "select='not(eq(mod(n\\,5)\\,4))'", "setpts=N/FRAME_RATE/TB"), "-fps_mode", "vfr")
	}, 0, 0},
	{"V8", "cut: 2 s from a random frame + CRF 23", func(r *rand.Rand, dur float64) []string {
		return append([]string{"-ss", fmt.Sprintf("%.3f", r.Float64()*(dur-2)), "-t", "2"}, x264(23)...)
	}, 0, 0},
}

type videoRow struct {
	Attack          videoAttack
	Segments, Exact int
	Wrong           int
	BitAcc          float64 // mean over segments
	Found, Clips    int     // whole-video verdicts
}

type videoReport struct {
	Clips       []string
	Rows        []videoRow
	Plain, Ours time.Duration // re-encode and watermark-only labeling, summed over clips
	PSNR        []float64
	Seconds     float64
}

// benchVideo makes clips from photographs (a slow zoom and pan, 1080p 30
// fps), marks them, attacks them with ffmpeg and reads each 2 s segment.
func benchVideo(ctx context.Context, o options, key watermark.Key, work string, nclips int, seconds float64) (*videoReport, error) {
	rep := &videoReport{Seconds: seconds}
	rows := make([]videoRow, len(videoAttacks))
	for i, a := range videoAttacks {
		rows[i].Attack = a
	}
	r := rand.New(rand.NewPCG(o.Seed, 99))
	picks := []int{0, 14, 22, 9, 18}
	for c := 0; c < nclips && c < len(picks); c++ {
		ph := photos[picks[c]]
		clip := filepath.Join(work, fmt.Sprintf("clip%d.mp4", c))
		logf("video: clip %d from %s", c, filepath.Base(ph.Path))
		if err := ff(ctx, "-framerate", "30", "-loop", "1", "-t", fmt.Sprint(seconds), "-i", ph.Path,
			"-vf", "scale=2400:-2,zoompan=z='1+0.002*on':x='iw/2-(iw/zoom/2)+on*1.5':y='ih/2-(ih/zoom/2)':d=1:s=1920x1080:fps=30,format=yuv420p",
			"-c:v", "libx264", "-preset", "veryfast", "-crf", "14", clip); err != nil {
			return nil, err
		}
		rep.Clips = append(rep.Clips, filepath.Base(ph.Path))
		var payload watermark.Payload
		for i := range payload {
			payload[i] = byte(r.Uint32())
		}
		plain := filepath.Join(work, fmt.Sprintf("plain%d.mp4", c))
		t0 := time.Now()
		if err := ff(ctx, "-i", clip, "-c:v", "libx264", "-preset", "medium", "-crf", strconv.Itoa(video.DefaultCRF), "-pix_fmt", "yuv420p", plain); err != nil {
			return nil, err
		}
		rep.Plain += time.Since(t0)
		marked := filepath.Join(work, fmt.Sprintf("marked%d.mp4", c))
		t0 = time.Now()
		if _, err := video.Label(ctx, clip, marked, nil, video.Options{Watermark: video.PixelWatermark(key, payload, pixel.Options{})}); err != nil {
			return nil, fmt.Errorf("marking clip %d: %w", c, err)
		}
		rep.Ours += time.Since(t0)
		for i := range rows {
			row := &rows[i]
			att := filepath.Join(work, fmt.Sprintf("att%d-%d.mp4", c, i))
			args := append([]string{"-i", marked, "-an"}, row.Attack.Args(r, seconds)...)
			if err := ff(ctx, append(args, att)...); err != nil {
				return nil, fmt.Errorf("%s %s on clip %d: %w", row.Attack.ID, row.Attack.Name, c, err)
			}
			d, err := video.DetectVideo(ctx, att, key, video.DetectOptions{})
			os.Remove(att)
			if err != nil && d.Segments == nil {
				return nil, fmt.Errorf("detecting %s on clip %d: %w", row.Attack.Name, c, err)
			}
			row.Clips++
			if d.Found && d.Payload == payload {
				row.Found++
			}
			for _, s := range d.Segments {
				row.Segments++
				if s.Result.Found {
					if s.Result.Payload == payload {
						row.Exact++
					} else {
						row.Wrong++
					}
				}
				diff := 0
				for k := range payload {
					diff += bits.OnesCount8(payload[k] ^ s.Candidate[k])
				}
				row.BitAcc += 1 - float64(diff)/64
			}
			logf("  %s %s: %d/%d segments exact so far", row.Attack.ID, row.Attack.Name, row.Exact, row.Segments)
		}
		os.Remove(clip)
		os.Remove(plain)
		os.Remove(marked)
	}
	for i := range rows {
		if rows[i].Segments > 0 {
			rows[i].BitAcc /= float64(rows[i].Segments)
		}
	}
	rep.Rows = rows
	return rep, nil
}

func ff(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-v", "error", "-nostdin", "-y"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (v *videoReport) markdown(p func(string, ...any)) {
	p("\n### Video (V1–V8)\n\n")
	p("%d clips of %.0f s at 1920×1080, 30 fps, made from the photographs %s by a slow zoom and pan (ffmpeg zoompan, x264 CRF 14), "+
		"each marked with its own payload (cmd/internal/video, watermark only, libx264 medium CRF %d), then re-encoded by each attack with ffmpeg (libx264 preset medium unless said) and read with no side information, 2 s segment by segment.\n\n",
		len(v.Clips), v.Seconds, strings.Join(v.Clips, ", "), video.DefaultCRF)
	p("| id | attack | segments exact | wrong | mean bit-acc | whole clips found | target | |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range v.Rows {
		rate := 0.0
		if r.Segments > 0 {
			rate = float64(r.Exact) / float64(r.Segments)
		}
		target, verdict := "—", "INFO"
		switch {
		case r.Attack.Target > 0:
			target = fmt.Sprintf("≥ %.0f %% of segments exact", 100*r.Attack.Target)
			verdict = passMiss(rate >= r.Attack.Target)
		case r.Attack.MinBitAcc > 0:
			target = fmt.Sprintf("bit-acc ≥ %.2f", r.Attack.MinBitAcc)
			verdict = passMiss(r.BitAcc >= r.Attack.MinBitAcc)
		}
		p("| %s | %s | %d/%d (%.0f %%) | %d | %.3f | %d/%d | %s | %s |\n", r.Attack.ID, r.Attack.Name, r.Exact, r.Segments, 100*rate,
			r.Wrong, r.BitAcc, r.Found, r.Clips, target, verdict)
	}
	over := v.Ours.Seconds()/v.Plain.Seconds() - 1
	p("\nEmbedding overhead over a plain re-encode of the same clips with the same settings (libx264 medium CRF %d), summed over the clips: "+
		"%.1f s against %.1f s, %+.1f %% (target ≤ 25 %%: %s). Both ran in turn on a shared machine.\n", video.DefaultCRF,
		v.Ours.Seconds(), v.Plain.Seconds(), 100*over, passMiss(over <= 0.25))
}
