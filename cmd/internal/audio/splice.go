package audio

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/aigcmark/aigcmark/label/visible/cue"
	"github.com/aigcmark/aigcmark/label/wav"
)

// pcm describes raw interleaved little-endian samples: a WAV data chunk or
// an ffmpeg pipe.
type pcm struct {
	sample   wav.SampleFormat
	channels int
	rate     int
}

func (p pcm) frameBytes() int { return p.sample.Bytes * p.channels }

func (p pcm) duration(frames int64) time.Duration {
	return time.Duration(float64(frames) / float64(p.rate) * float64(time.Second))
}

// copyChunk is the size of the buffer content is copied through.
const copyChunk = 256 << 10

// splitSearch is how far either side of the midpoint an inserted middle
// cue may move to cut at a quiet moment.
const splitSearch = time.Second

// splicer streams frames from src to dst, inserting or mixing a block.
type splicer struct {
	ctx   context.Context
	dst   io.Writer
	src   io.Reader
	p     pcm
	block []float32
	mode  cue.Mode
	buf   []byte
	in    int64 // frames read
	out   int64 // frames written
	eof   bool
	cues  []Placed
}

// plan returns the number of frames splice writes for total input frames.
func plan(total int64, blockFrames int, places []cue.Place, mode cue.Mode) int64 {
	if mode == cue.Mix {
		return total
	}
	return total + int64(len(places))*int64(blockFrames)
}

// splice copies the frames of src to dst with block inserted or mixed at
// each place (in time order). total is the number of input frames: exact
// for WAV, an estimate from the container for ffmpeg, used to find the
// middle and to check in advance that mixed cues fit; the end is found
// where src ends. Content frames are copied byte for byte.
func splice(ctx context.Context, dst io.Writer, src io.Reader, p pcm, total int64, block []float32, places []cue.Place, mode cue.Mode) (*splicer, error) {
	s := &splicer{ctx: ctx, dst: dst, src: src, p: p, block: block, mode: mode, buf: make([]byte, copyChunk/p.frameBytes()*p.frameBytes()+p.frameBytes())}
	bl := int64(len(block) / p.channels)
	if mode == cue.Mix {
		need := int64(len(places)) * bl
		if len(places) > 1 && hasPlace(places, cue.Middle) {
			need = 3 * bl // the middle one sits half-way
		}
		if total < need {
			return nil, fmt.Errorf("%w: %v of audio, %v of cues at %v", ErrTooShort, p.duration(total), p.duration(need), places)
		}
	}
	for _, pl := range places {
		var err error
		switch {
		case pl == cue.Start && mode == cue.Insert:
			err = s.insert(pl)
		case pl == cue.Start:
			err = s.mix(pl)
		case pl == cue.Middle && mode == cue.Insert:
			err = s.insertMiddle(total)
		case pl == cue.Middle:
			if _, err = s.copyFrames(max((total-bl)/2-s.in, 0)); err == nil {
				err = s.mix(pl)
			}
		case pl == cue.End && mode == cue.Insert:
			if _, err = s.copyFrames(math.MaxInt64); err == nil {
				err = s.insert(pl)
			}
		case pl == cue.End:
			err = s.mixEnd()
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := s.copyFrames(math.MaxInt64); err != nil {
		return nil, err
	}
	return s, nil
}

func hasPlace(ps []cue.Place, p cue.Place) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// read reads up to n whole frames into b (grown as needed) and returns them.
func (s *splicer) read(b []byte, n int64) ([]byte, error) {
	fb := int64(s.p.frameBytes())
	want := n * fb
	if int64(cap(b)) < want {
		b = make([]byte, want)
	}
	b = b[:want]
	got, err := io.ReadFull(s.src, b)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		s.eof, err = true, nil
	}
	if err != nil {
		return nil, err
	}
	whole := int64(got) / fb * fb // a partial frame at the very end is dropped
	s.in += whole / fb
	return b[:whole], s.ctx.Err()
}

// copyFrames copies up to n frames and returns how many it copied.
func (s *splicer) copyFrames(n int64) (int64, error) {
	var done int64
	chunk := int64(len(s.buf) / s.p.frameBytes())
	for done < n && !s.eof {
		b, err := s.read(s.buf, min(chunk, n-done))
		if err != nil {
			return done, err
		}
		if err := s.write(b); err != nil {
			return done, err
		}
		done += int64(len(b) / s.p.frameBytes())
	}
	return done, nil
}

func (s *splicer) write(b []byte) error {
	_, err := s.dst.Write(b)
	s.out += int64(len(b) / s.p.frameBytes())
	return err
}

func (s *splicer) encode(f []float32) []byte {
	b := make([]byte, len(f)*s.p.sample.Bytes)
	s.p.sample.Encode(b, f)
	return b
}

func (s *splicer) decode(b []byte) []float32 {
	f := make([]float32, len(b)/s.p.sample.Bytes)
	s.p.sample.Decode(f, b)
	return f
}

func (s *splicer) place(pl cue.Place) {
	s.cues = append(s.cues, Placed{Place: pl, At: s.p.duration(s.out), Length: s.p.duration(int64(len(s.block) / s.p.channels))})
}

// insert writes the block here.
func (s *splicer) insert(pl cue.Place) error {
	s.place(pl)
	return s.write(s.encode(s.block))
}

// mix reads the block's length of content and writes it with the block
// mixed over it.
func (s *splicer) mix(pl cue.Place) error {
	bl := int64(len(s.block) / s.p.channels)
	b, err := s.read(nil, bl)
	if err != nil {
		return err
	}
	if int64(len(b)/s.p.frameBytes()) < bl {
		return fmt.Errorf("%w: the audio ended %v into the %s cue", ErrTooShort, s.p.duration(int64(len(b)/s.p.frameBytes())), pl)
	}
	s.place(pl)
	return s.write(s.encode(cue.MixOver(s.decode(b), s.block, s.p.channels, s.p.rate)))
}

// insertMiddle inserts the block at the quietest moment within a second of
// the middle of total frames.
func (s *splicer) insertMiddle(total int64) error {
	w := int64(cue.Frames(splitSearch, s.p.rate))
	from := max(total/2-w, s.in)
	if _, err := s.copyFrames(from - s.in); err != nil {
		return err
	}
	b, err := s.read(nil, max(total/2+w-s.in, 1))
	if err != nil {
		return err
	}
	split := cue.SplitPoint(s.decode(b), s.p.channels, s.p.rate) * s.p.frameBytes()
	if err := s.write(b[:split]); err != nil {
		return err
	}
	if err := s.insert(cue.Middle); err != nil {
		return err
	}
	return s.write(b[split:])
}

// mixEnd copies the rest of the content, holding back the block's length
// of frames, and writes those with the block mixed over them when the
// content ends.
func (s *splicer) mixEnd() error {
	bl := int64(len(s.block) / s.p.channels)
	fb := int64(s.p.frameBytes())
	keep := bl * fb
	chunk := max(bl, int64(copyChunk)/fb) // so each move below is no larger than a read
	buf := make([]byte, chunk*fb)
	held := make([]byte, 0, keep+chunk*fb)
	for !s.eof {
		b, err := s.read(buf, chunk)
		if err != nil {
			return err
		}
		held = append(held, b...)
		if cut := int64(len(held)) - keep; cut > 0 {
			if err := s.write(held[:cut]); err != nil {
				return err
			}
			held = held[:copy(held, held[cut:])]
		}
	}
	if int64(len(held)/s.p.frameBytes()) < bl {
		return fmt.Errorf("%w: %v of audio left for the end cue of %v", ErrTooShort, s.p.duration(int64(len(held)/s.p.frameBytes())), s.p.duration(bl))
	}
	s.place(cue.End)
	return s.write(s.encode(cue.MixOver(s.decode(held), s.block, s.p.channels, s.p.rate)))
}
