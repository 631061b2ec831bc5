package audio_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aigcmark/aigcmark/cmd/internal/audio"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/visible/cue"
)

func ExampleLabel() {
	dir, _ := os.MkdirTemp("", "audio-example")
	defer os.RemoveAll(dir)
	// Three seconds of 16 kHz mono 16-bit silence.
	fmtData := []byte{1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0}
	in := []byte("RIFF\x00\x00\x00\x00WAVE")
	in = riff.AppendChunk(in, "fmt ", fmtData)
	in = riff.AppendChunk(in, "data", make([]byte, 3*16000*2))
	binary.LittleEndian.PutUint32(in[4:], uint32(len(in)-8))
	inPath, outPath := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	os.WriteFile(inPath, in, 0o644)

	res, err := audio.Label(context.Background(), inPath, outPath,
		audio.Options{Places: []cue.Place{cue.Start, cue.End}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Engine, res.Codec, res.InFrames, "→", res.OutFrames, "frames")
	for _, c := range res.Cues {
		fmt.Println("placed at", c.Place, c.At, "for", c.Length)
	}
	found, _ := audio.Inspect(context.Background(), outPath)
	for _, g := range found {
		fmt.Println("found", g)
	}
	// Output:
	// wav pcm_s16le 48000 → 115200 frames
	// placed at start 0s for 2.1s
	// placed at end 5.1s for 2.1s
	// found 0.502s short(95ms) long(295ms) short(95ms) short(95ms)
	// found 5.602s short(95ms) long(295ms) short(95ms) short(95ms)
}
