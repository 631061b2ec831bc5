package faceswap

import (
	"context"
	"encoding/binary"
	"image"
	"testing"

	pigo "github.com/esimov/pigo/core"
)

// FuzzParseCascade checks that any byte string is either refused with
// ErrCascade or gives a cascade that runs over a picture without panicking.
func FuzzParseCascade(f *testing.F) {
	f.Add(facefinder)
	f.Add(facefinder[:64])
	small := make([]byte, 16+(4*2-4)+4*2+4)
	binary.LittleEndian.PutUint32(small[8:], 1)
	binary.LittleEndian.PutUint32(small[12:], 1)
	f.Add(small)
	pix := make([]uint8, 48*48)
	for i := range pix {
		pix[i] = uint8(i * 7)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseCascade(b)
		if err != nil {
			return
		}
		p.RunCascade(pigo.CascadeParams{MinSize: 20, MaxSize: 48, ShiftFactor: 0.2, ScaleFactor: 1.2,
			ImageParams: pigo.ImageParams{Pixels: pix, Rows: 48, Cols: 48, Dim: 48}}, 0)
	})
}

// FuzzFrame checks that frames of any size, origin and content are
// analysed or refused with a clear error, never a panic.
func FuzzFrame(f *testing.F) {
	f.Add(uint16(0), uint16(0), int16(0), int16(0), []byte{})
	f.Add(uint16(1), uint16(1), int16(-3), int16(7), []byte{9})
	f.Add(uint16(130), uint16(90), int16(5), int16(-5), []byte("face"))
	d, err := New(Options{MaxPixels: 200 * 200, MinFace: 24})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, w, h uint16, x0, y0 int16, data []byte) {
		w, h = w%400, h%400
		r := image.Rect(int(x0), int(y0), int(x0)+int(w), int(y0)+int(h))
		if int(w)*int(h) > 400*400 {
			return
		}
		img := image.NewGray(r)
		for i := range img.Pix {
			if len(data) > 0 {
				img.Pix[i] = data[i%len(data)] + uint8(i/len(data))
			}
		}
		res, err := d.AnalyzeImage(context.Background(), img)
		if err != nil {
			return
		}
		if res.Verdict == "" || res.Score < 0 || res.Score > 1 {
			t.Fatalf("result %+v", res)
		}
	})
}
