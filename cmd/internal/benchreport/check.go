//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aigcmark/aigcmark/label"
)

// A benchmark of wrong outputs is worthless: every output a measured run
// writes is checked here, with aigcmark inspect and with tools we did not
// write (ffprobe, ffmpeg, Go's JPEG decoder, a byte comparison), and any
// difference fails the whole run.

// inspected is the part of one `aigcmark inspect --json` line checked here.
type inspected struct {
	Path   string `json:"path"`
	Labels []struct {
		Carrier string      `json:"carrier"`
		AIGC    label.Label `json:"aigc"`
		Raw     string      `json:"raw"`
	} `json:"labels"`
	Error *string `json:"error"`
}

// inspect runs `aigcmark inspect --json` on paths and returns the one label
// each must carry.
func inspect(ctx context.Context, bin string, paths []string) ([]label.Label, error) {
	out, err := output(ctx, bin, append([]string{"inspect", "--json"}, paths...)...)
	if err != nil {
		return nil, err
	}
	var labels []label.Label
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r inspected
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("inspect --json printed %q: %w", sc.Text(), err)
		}
		if r.Error != nil {
			return nil, fmt.Errorf("inspect %s: %s", r.Path, *r.Error)
		}
		if len(r.Labels) != 1 {
			return nil, fmt.Errorf("inspect %s: %d labels, want exactly 1", r.Path, len(r.Labels))
		}
		labels = append(labels, r.Labels[0].AIGC)
	}
	if len(labels) != len(paths) {
		return nil, fmt.Errorf("inspect --json reported %d files of %d", len(labels), len(paths))
	}
	return labels, nil
}

// checkLabel checks what inspect found against what was asked for: want's
// producer always, and the whole label when exact is set.
func checkLabel(path string, got, want label.Label, exact bool) error {
	if exact && got != want {
		return fmt.Errorf("%s: label %s, want %s", path, got, want)
	}
	if got.Label != want.Label || got.ContentProducer != want.ContentProducer || got.ProduceID == "" {
		return fmt.Errorf("%s: label %s does not carry Label %q, ContentProducer %q and a ProduceID", path, got, want.Label, want.ContentProducer)
	}
	return nil
}

// sample returns about k indices of [0, n), spread over it, first and last included.
func sample(n, k int) []int {
	idx := make([]int, 0, k)
	if n <= k {
		for i := range n {
			idx = append(idx, i)
		}
		return idx
	}
	for i := range k {
		idx = append(idx, i*(n-1)/(k-1))
	}
	return idx
}

// checkCopies checks that outDir holds a file of the same name for every
// input and returns the output paths. sameSize asks for byte-identical sizes (cp).
func checkCopies(ins []string, outDir string, sameSize bool) ([]string, error) {
	outs := make([]string, len(ins))
	for i, in := range ins {
		outs[i] = filepath.Join(outDir, filepath.Base(in))
		ost, err := os.Stat(outs[i])
		if err != nil {
			return nil, fmt.Errorf("output missing: %w", err)
		}
		if sameSize {
			ist, err := os.Stat(in)
			if err != nil {
				return nil, err
			}
			if ist.Size() != ost.Size() {
				return nil, fmt.Errorf("%s: %d bytes, the input has %d", outs[i], ost.Size(), ist.Size())
			}
		}
	}
	return outs, nil
}

// checkSmall checks a labeled small batch: every file is there, a sample
// carries exactly one label (want, exactly when exact) and decodes to the
// same pixels as its input.
func checkSmall(ctx context.Context, bin string, ins []string, outDir string, want label.Label, exact bool) error {
	outs, err := checkCopies(ins, outDir, false)
	if err != nil {
		return err
	}
	idx := sample(len(outs), 20)
	var picked []string
	for _, i := range idx {
		picked = append(picked, outs[i])
	}
	labels, err := inspect(ctx, bin, picked)
	if err != nil {
		return err
	}
	for j, l := range labels {
		if err := checkLabel(picked[j], l, want, exact); err != nil {
			return err
		}
	}
	for _, i := range idx[:min(3, len(idx))] {
		if err := samePixels(ins[i], outs[i]); err != nil {
			return err
		}
	}
	return nil
}

// samePixels decodes two JPEGs and compares their samples.
func samePixels(a, b string) error {
	ma, err := decodeJPEG(a)
	if err != nil {
		return err
	}
	mb, err := decodeJPEG(b)
	if err != nil {
		return err
	}
	ya, ok1 := ma.(*image.YCbCr)
	yb, ok2 := mb.(*image.YCbCr)
	if !ok1 || !ok2 {
		return fmt.Errorf("%s: decodes as %T, its input as %T", b, mb, ma)
	}
	if ya.Rect != yb.Rect || !bytes.Equal(ya.Y, yb.Y) || !bytes.Equal(ya.Cb, yb.Cb) || !bytes.Equal(ya.Cr, yb.Cr) {
		return fmt.Errorf("%s: decodes to other pixels than its input %s", b, a)
	}
	return nil
}

func decodeJPEG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := jpeg.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// box is one top-level MP4 box.
type box struct {
	Type       string
	Off, Size  int64 // whole box
	HeaderSize int64
}

// topBoxes walks the top-level boxes of an MP4 file.
func topBoxes(path string) ([]box, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var boxes []box
	var h [16]byte
	for off := int64(0); off < st.Size(); {
		if _, err := f.ReadAt(h[:8], off); err != nil {
			return nil, fmt.Errorf("%s: box header at %d: %w", path, off, err)
		}
		b := box{Type: string(h[4:8]), Off: off, Size: int64(binary.BigEndian.Uint32(h[:4])), HeaderSize: 8}
		switch b.Size {
		case 0:
			b.Size = st.Size() - off
		case 1:
			if _, err := f.ReadAt(h[8:16], off+8); err != nil {
				return nil, fmt.Errorf("%s: box size at %d: %w", path, off, err)
			}
			b.Size, b.HeaderSize = int64(binary.BigEndian.Uint64(h[8:16])), 16
		}
		if b.Size < b.HeaderSize || b.Size > st.Size()-off {
			return nil, fmt.Errorf("%s: box %q at %d claims %d bytes, %d remain", path, b.Type, off, b.Size, st.Size()-off)
		}
		boxes = append(boxes, b)
		off += b.Size
	}
	return boxes, nil
}

func boxTypes(bs []box) []string {
	var ts []string
	for _, b := range bs {
		ts = append(ts, b.Type)
	}
	return ts
}

func withoutFree(bs []box) []box {
	var out []box
	for _, b := range bs {
		if b.Type != "free" && b.Type != "skip" {
			out = append(out, b)
		}
	}
	return out
}

func findBox(bs []box, typ string) (box, bool) {
	for _, b := range bs {
		if b.Type == typ {
			return b, true
		}
	}
	return box{}, false
}

// mp4Layout describes an MP4 input for the report: where moov sits, its size
// and how many chunk offsets (stco/co64 entries) a writer must patch when
// moov, ahead of mdat, grows.
func mp4Layout(path string, wantMoovFirst bool) (string, error) {
	bs, err := topBoxes(path)
	if err != nil {
		return "", err
	}
	moov, ok1 := findBox(bs, "moov")
	mdat, ok2 := findBox(bs, "mdat")
	if !ok1 || !ok2 {
		return "", fmt.Errorf("%s: top-level boxes %v, want moov and mdat", path, boxTypes(bs))
	}
	if first := moov.Off < mdat.Off; first != wantMoovFirst {
		return "", fmt.Errorf("%s: top-level boxes %v: moov first is %v, want %v", path, boxTypes(bs), first, wantMoovFirst)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	body, err := label.ReadAtMost(io.NewSectionReader(f, moov.Off+moov.HeaderSize, moov.Size-moov.HeaderSize), moov.Size-moov.HeaderSize, 256<<20)
	if err != nil {
		return "", fmt.Errorf("%s: reading moov: %w", path, err)
	}
	counts := map[string]int{}
	countOffsets(body, counts)
	where := "after mdat"
	if wantMoovFirst {
		where = "before mdat"
	}
	return fmt.Sprintf("boxes %s; moov %s, %s, %d stco + %d co64 chunk offsets", strings.Join(boxTypes(bs), " "),
		where, humanBytes(moov.Size), counts["stco"], counts["co64"]), nil
}

// countOffsets adds the entry counts of the stco and co64 boxes found in
// the container boxes of body.
func countOffsets(body []byte, counts map[string]int) {
	for len(body) >= 8 {
		size := int(binary.BigEndian.Uint32(body))
		typ := string(body[4:8])
		if size < 8 || size > len(body) {
			return
		}
		switch typ {
		case "trak", "mdia", "minf", "stbl":
			countOffsets(body[8:size], counts)
		case "stco", "co64":
			if size >= 16 {
				counts[typ] += int(binary.BigEndian.Uint32(body[12:16]))
			}
		}
		body = body[size:]
	}
}

// checkMP4 checks a labeled MP4 against its input: the same top-level
// boxes in the same order (free space aside), mdat byte for byte, a size
// within 4 KiB, one
// label that inspect and ffprobe both read, and the last second of every
// stream decoding to the same frames (which fails if a chunk offset was
// left unpatched).
func checkMP4(ctx context.Context, bin, in, out string, want label.Label, tailIn string) error {
	ib, err := topBoxes(in)
	if err != nil {
		return err
	}
	ob, err := topBoxes(out)
	if err != nil {
		return err
	}
	// A writer may use free space (free, skip) for the label.
	if !slices.Equal(boxTypes(withoutFree(ib)), boxTypes(withoutFree(ob))) {
		return fmt.Errorf("%s: top-level boxes %v, the input has %v", out, boxTypes(ob), boxTypes(ib))
	}
	if d := fileSize(out) - fileSize(in); d <= -4096 || d >= 4096 {
		return fmt.Errorf("%s: %d bytes, the input has %d: the label should add under 4 KiB", out, fileSize(out), fileSize(in))
	}
	im, _ := findBox(ib, "mdat")
	om, _ := findBox(ob, "mdat")
	if im.Size != om.Size {
		return fmt.Errorf("%s: mdat of %d bytes, the input's has %d", out, om.Size, im.Size)
	}
	if err := sameBytes(in, im.Off, out, om.Off, im.Size); err != nil {
		return err
	}
	labels, err := inspect(ctx, bin, []string{out})
	if err != nil {
		return err
	}
	if err := checkLabel(out, labels[0], want, false); err != nil {
		return err
	}
	probe, err := output(ctx, "ffprobe", "-v", "error", "-show_entries", "format_tags=AIGC", "-of", "json", out)
	if err != nil {
		return err
	}
	var p struct {
		Format struct {
			Tags map[string]string `json:"tags"`
		} `json:"format"`
	}
	if err := json.Unmarshal(probe, &p); err != nil {
		return fmt.Errorf("ffprobe %s: %w", out, err)
	}
	tag, ok := p.Format.Tags["AIGC"]
	if !ok {
		return fmt.Errorf("%s: ffprobe finds no AIGC tag (format tags %v)", out, p.Format.Tags)
	}
	fromProbe, _, _, err := label.Parse([]byte(tag))
	if err != nil || fromProbe != labels[0] {
		return fmt.Errorf("%s: ffprobe reads AIGC=%q, inspect reads %s (%v)", out, tag, labels[0], err)
	}
	tail, err := tailFrames(ctx, out)
	if err != nil {
		return err
	}
	if tail != tailIn {
		return fmt.Errorf("%s: the last second decodes differently from the input's", out)
	}
	return nil
}

// tailFrames decodes the last second of every stream of an MP4 and returns
// the per-frame MD5s ffmpeg prints; a decoding error fails.
func tailFrames(ctx context.Context, path string) (string, error) {
	out, err := output(ctx, "ffmpeg", "-nostdin", "-v", "error", "-xerror", "-sseof", "-1", "-i", path, "-map", "0", "-f", "framemd5", "-")
	if err != nil {
		return "", err
	}
	var frames []string
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			frames = append(frames, line)
		}
	}
	if len(frames) == 0 {
		return "", fmt.Errorf("%s: no frames decoded at the end", path)
	}
	return strings.Join(frames, "\n"), nil
}

// chunk is one RIFF chunk: its header offset, id and payload size.
type chunk struct {
	ID   string
	Off  int64
	Size int64
}

// riffChunks walks a RIFF/WAVE file's top-level chunks and checks the RIFF
// size field against the file size.
func riffChunks(path string) ([]chunk, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var h [12]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("%s: RIFF header: %w", path, err)
	}
	if string(h[:4]) != "RIFF" || string(h[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%s: not RIFF/WAVE", path)
	}
	if size := int64(binary.LittleEndian.Uint32(h[4:8])); size != st.Size()-8 {
		return nil, fmt.Errorf("%s: RIFF size field says %d, the file has %d after it", path, size, st.Size()-8)
	}
	var cs []chunk
	for off := int64(12); off < st.Size(); {
		if _, err := f.ReadAt(h[:8], off); err != nil {
			return nil, fmt.Errorf("%s: chunk header at %d: %w", path, off, err)
		}
		c := chunk{ID: string(h[:4]), Off: off, Size: int64(binary.LittleEndian.Uint32(h[4:8]))}
		next := off + 8 + c.Size + c.Size%2
		if next > st.Size() {
			return nil, fmt.Errorf("%s: chunk %q at %d claims %d bytes, %d remain", path, c.ID, off, c.Size, st.Size()-off-8)
		}
		cs = append(cs, c)
		off = next
	}
	return cs, nil
}

// checkWAV checks that a labeled WAV is its input plus one AIGC chunk: the
// same chunks with the same bytes, the RIFF size updated, and one label.
func checkWAV(ctx context.Context, bin, in, out string, want label.Label) error {
	ic, err := riffChunks(in)
	if err != nil {
		return err
	}
	oc, err := riffChunks(out)
	if err != nil {
		return err
	}
	var kept []chunk
	var added int64
	for _, c := range oc {
		if c.ID == "AIGC" {
			added += 8 + c.Size + c.Size%2
			continue
		}
		kept = append(kept, c)
	}
	if len(kept) != len(ic) || len(oc)-len(kept) != 1 {
		return fmt.Errorf("%s: chunks %v, want the input's %v plus one AIGC chunk", out, chunkIDs(oc), chunkIDs(ic))
	}
	for i, c := range kept {
		if c.ID != ic[i].ID || c.Size != ic[i].Size {
			return fmt.Errorf("%s: chunk %d is %q of %d bytes, the input's is %q of %d", out, i, c.ID, c.Size, ic[i].ID, ic[i].Size)
		}
		if err := sameBytes(in, ic[i].Off, out, c.Off, 8+c.Size); err != nil {
			return err
		}
	}
	if d := fileSize(out) - fileSize(in); d != added {
		return fmt.Errorf("%s: %d bytes larger than the input, the AIGC chunk takes %d", out, d, added)
	}
	labels, err := inspect(ctx, bin, []string{out})
	if err != nil {
		return err
	}
	return checkLabel(out, labels[0], want, false)
}

func chunkIDs(cs []chunk) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

// sameBytes compares n bytes of file a at aOff with file b at bOff.
func sameBytes(a string, aOff int64, b string, bOff int64, n int64) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	ra := io.NewSectionReader(fa, aOff, n)
	rb := io.NewSectionReader(fb, bOff, n)
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for done := int64(0); done < n; {
		k := int(min(n-done, int64(len(ba))))
		if _, err := io.ReadFull(ra, ba[:k]); err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		if _, err := io.ReadFull(rb, bb[:k]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("%s: %w", b, err)
		}
		if !bytes.Equal(ba[:k], bb[:k]) {
			for i := range k {
				if ba[i] != bb[i] {
					return fmt.Errorf("%s differs from its input at offset %d (input offset %d)", b, bOff+done+int64(i), aOff+done+int64(i))
				}
			}
		}
		done += int64(k)
	}
	return nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

// checkExplicitImages checks the outputs of the explicit-label case: every
// input has an output, and a sample carries one metadata label and an
// explicit label that inspect measures at the bottom-right, at least 5 %
// of the shortest side.
func checkExplicitImages(ctx context.Context, bin string, ins []string, outDir string) error {
	outs, err := checkCopies(ins, outDir, false)
	if err != nil {
		return err
	}
	var pick []string
	for _, i := range sample(len(outs), 5) {
		pick = append(pick, outs[i])
	}
	out, err := output(ctx, bin, append([]string{"inspect", "--json"}, pick...)...)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			Path     string            `json:"path"`
			Labels   []json.RawMessage `json:"labels"`
			Explicit *struct {
				Found      bool     `json:"found"`
				Position   *string  `json:"position"`
				TextHeight *float64 `json:"text_height"`
			} `json:"explicit"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("inspect --json: %w", err)
		}
		e := r.Explicit
		if len(r.Labels) != 1 || e == nil || !e.Found || *e.Position != "bottom-right" || *e.TextHeight < 0.05 {
			return fmt.Errorf("%s: %d labels, explicit label %+v", r.Path, len(r.Labels), e)
		}
	}
	return nil
}
