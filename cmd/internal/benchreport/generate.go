//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// The small-file batch: JPEGs of about jpegTarget bytes each, the size of a
// typical generated picture after compression.
const (
	jpegWidth   = 1024
	jpegHeight  = 768
	jpegQuality = 90
	jpegTarget  = 100_000 // bytes; the mean must land within ±10 %
)

// inputs are the generated files the cases measure.
type inputs struct {
	SmallDir   string
	SmallFiles []string
	SmallBytes int64

	MP4Fast  string // moov before mdat: every chunk offset moves when the label grows moov
	MP4Last  string // the same streams, moov after mdat
	MP4Clip  string // how the MP4 was made, for the report
	WAV      string
	WAVFrame string // sample format, for the report
}

// generateSmall writes n textured JPEGs of about jpegTarget bytes into dir,
// each a little different (phase and grain seed), and returns their paths
// and total size.
func generateSmall(ctx context.Context, dir string, n int) ([]string, int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	amp, err := calibrateGrain()
	if err != nil {
		return nil, 0, err
	}
	paths := make([]string, n)
	sizes := make([]int64, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for i := range next {
				buf.Reset()
				if err := jpeg.Encode(&buf, texture(i, amp), &jpeg.Options{Quality: jpegQuality}); err != nil {
					errs[i] = err
					continue
				}
				paths[i] = filepath.Join(dir, fmt.Sprintf("img-%05d.jpg", i))
				sizes[i] = int64(buf.Len())
				errs[i] = os.WriteFile(paths[i], buf.Bytes(), 0o644)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	var total int64
	for i := range n {
		if errs[i] != nil {
			return nil, 0, fmt.Errorf("writing JPEG %d: %w", i, errs[i])
		}
		total += sizes[i]
	}
	mean := float64(total) / float64(n)
	if mean < 0.9*jpegTarget || mean > 1.1*jpegTarget {
		return nil, 0, fmt.Errorf("generated JPEGs average %.0f bytes, want %d ± 10 %%", mean, jpegTarget)
	}
	return paths, total, nil
}

// calibrateGrain finds the grain amplitude at which the first image encodes
// to about jpegTarget bytes, so the batch has the intended size whatever
// the encoder version.
func calibrateGrain() (float64, error) {
	size := func(amp float64) int {
		var buf bytes.Buffer
		_ = jpeg.Encode(&buf, texture(0, amp), &jpeg.Options{Quality: jpegQuality})
		return buf.Len()
	}
	lo, hi := 0.0, 128.0
	if s := size(lo); s > jpegTarget {
		return 0, fmt.Errorf("a grainless %dx%d JPEG is already %d bytes, over the %d target", jpegWidth, jpegHeight, s, jpegTarget)
	}
	if s := size(hi); s < jpegTarget {
		return 0, fmt.Errorf("the grainiest %dx%d JPEG is only %d bytes, under the %d target", jpegWidth, jpegHeight, s, jpegTarget)
	}
	for range 12 {
		mid := (lo + hi) / 2
		if size(mid) < jpegTarget {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2, nil
}

// texture draws picture seed: smooth colour waves whose phases depend on
// the seed, plus a grain of amplitude amp from a cheap hash.
func texture(seed int, amp float64) *image.YCbCr {
	return textureSized(seed, amp, jpegWidth, jpegHeight)
}

// textureSized is texture at width×height.
func textureSized(seed int, amp float64, jpegWidth, jpegHeight int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, jpegWidth, jpegHeight), image.YCbCrSubsampleRatio420)
	ph := float64(seed) * 0.61803398875
	colWave := make([]float64, jpegWidth)
	for x := range colWave {
		colWave[x] = 50*math.Sin(float64(x)*0.011+ph) + 20*math.Sin(float64(x)*0.047+2*ph)
	}
	rowWave := make([]float64, jpegHeight)
	for y := range rowWave {
		rowWave[y] = 40*math.Sin(float64(y)*0.017+3*ph) + 15*math.Cos(float64(y)*0.053+ph)
	}
	state := uint32(seed)*2654435761 + 1
	grain := func() float64 {
		// xorshift32: cheap, and a different stream per seed.
		state ^= state << 13
		state ^= state >> 17
		state ^= state << 5
		return (float64(state&0xff) - 127.5) / 127.5 * amp
	}
	for y := range jpegHeight {
		row := m.Y[y*m.YStride:]
		for x := range jpegWidth {
			row[x] = clamp8(128 + colWave[x] + rowWave[y] + grain())
		}
	}
	cw, ch := (jpegWidth+1)/2, (jpegHeight+1)/2
	for y := range ch {
		for x := range cw {
			i := y*m.CStride + x
			m.Cb[i] = clamp8(128 + 0.6*colWave[2*x] - 0.4*rowWave[2*y] + grain()/4)
			m.Cr[i] = clamp8(128 - 0.5*colWave[2*x] + 0.6*rowWave[2*y] + grain()/4)
		}
	}
	return m
}

func clamp8(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// generateMP4 makes a real, playable H.264 + AAC MP4 of about size bytes
// twice: fast with moov before mdat (as ffmpeg's +faststart writes it) and
// last with moov at the end. A 10 s grainy 1080p clip is encoded at the
// bitrate of a high-quality download (12 Mbit/s) and then looped with
// stream copy up to the size, so the large file costs little CPU to make
// and its moov has as many samples and chunk offsets as a real film of that
// size (a lossless clip would reach 2 GiB in seconds of media, leaving moov
// tiny and the offset patching trivially cheap). It returns a description.
func generateMP4(ctx context.Context, dir string, size int64, fast, last string) (string, error) {
	clip := filepath.Join(dir, "clip.mp4")
	defer os.Remove(clip)
	const clipSec = 10
	const video = "testsrc2=size=1920x1080:rate=25,noise=alls=12:allf=t+u"
	err := ffmpeg(ctx, "-f", "lavfi", "-i", video,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(clipSec), "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "12M", "-maxrate", "12M", "-bufsize", "24M",
		"-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", clip)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(clip)
	if err != nil {
		return "", err
	}
	rate := float64(st.Size()) / clipSec // bytes per second of media
	dur := float64(size) / rate
	err = ffmpeg(ctx, "-stream_loop", "-1", "-i", clip, "-map", "0", "-c", "copy",
		"-t", strconv.FormatFloat(dur, 'f', 3, 64), "-movflags", "+faststart", fast)
	if err != nil {
		return "", err
	}
	if err := ffmpeg(ctx, "-i", fast, "-map", "0", "-c", "copy", last); err != nil {
		return "", err
	}
	desc := fmt.Sprintf("H.264 1080p25 (x264 of testsrc2 with grain, %.1f Mbit/s in all, a keyframe every second) + AAC 48 kHz stereo, "+
		"a %d s clip stream-copied in a loop to %s of media", rate*8/1e6, clipSec, time.Duration(dur*float64(time.Second)).Round(time.Second))
	return desc, nil
}

// ffmpeg runs ffmpeg quietly with args and returns its stderr on failure.
func ffmpeg(ctx context.Context, args ...string) error {
	_, err := output(ctx, "ffmpeg", append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, args...)...)
	return err
}

// WAV layout of the large audio file.
const (
	wavRate     = 48000
	wavChannels = 2
	wavBits     = 16
)

// generateWAV streams a 16-bit stereo 48 kHz PCM WAV of about size bytes to
// path: the canonical 44-byte header, then a pseudo-random signal, written
// in 1 MiB blocks and never held in memory whole.
func generateWAV(path string, size int64) (err error) {
	const frame = wavChannels * wavBits / 8
	data := (size - 44) / frame * frame
	if data <= 0 || data+36 > math.MaxUint32 {
		return fmt.Errorf("a WAV of %d bytes cannot be made", size)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	hdr := make([]byte, 0, 44)
	hdr = append(hdr, "RIFF"...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(36+data))
	hdr = append(hdr, "WAVEfmt "...)
	hdr = binary.LittleEndian.AppendUint32(hdr, 16)
	hdr = binary.LittleEndian.AppendUint16(hdr, 1) // PCM
	hdr = binary.LittleEndian.AppendUint16(hdr, wavChannels)
	hdr = binary.LittleEndian.AppendUint32(hdr, wavRate)
	hdr = binary.LittleEndian.AppendUint32(hdr, wavRate*frame)
	hdr = binary.LittleEndian.AppendUint16(hdr, frame)
	hdr = binary.LittleEndian.AppendUint16(hdr, wavBits)
	hdr = append(hdr, "data"...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(data))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	block := make([]byte, 1<<20)
	x := uint64(0x9E3779B97F4A7C15)
	for left := data; left > 0; {
		for i := 0; i < len(block); i += 8 {
			// xorshift64, each word four quiet-ish samples (about -12 dBFS).
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			binary.LittleEndian.PutUint64(block[i:], x&0x1fff1fff1fff1fff)
		}
		n := min(left, int64(len(block)))
		if _, err := w.Write(block[:n]); err != nil {
			return err
		}
		left -= n
	}
	return w.Flush()
}

// imageQuality is the JPEG quality of the 1080p pictures.
const imageQuality = 85

// generateImages writes n 1920×1080 JPEGs into dir and returns their paths
// and total size.
func generateImages(ctx context.Context, dir string, n int) ([]string, int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	var paths []string
	var total int64
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		buf.Reset()
		if err := jpeg.Encode(&buf, textureSized(i, 6, 1920, 1080), &jpeg.Options{Quality: imageQuality}); err != nil {
			return nil, 0, err
		}
		p := filepath.Join(dir, fmt.Sprintf("pic-%04d.jpg", i))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return nil, 0, err
		}
		paths = append(paths, p)
		total += int64(buf.Len())
	}
	return paths, total, nil
}
