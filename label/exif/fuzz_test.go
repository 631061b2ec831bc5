package exif

import (
	"encoding/binary"
	"testing"
)

// FuzzLabels checks that no block makes Labels, BlankLabels or
// Orientation panic, that Orientation is 1..8, and that a block
// BlankLabels changed holds no label afterwards.
func FuzzLabels(f *testing.F) {
	f.Add(buildTIFF(binary.LittleEndian, []byte("ASCII\x00\x00\x00"+string(testLabel.WrappedJSON()))))
	f.Add(buildTIFF(binary.BigEndian, unicodeValue(binary.BigEndian, string(testLabel.JSON()), true)))
	f.Add(buildTIFF(binary.LittleEndian, []byte("ab")))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08"))
	f.Add(orientationBlock(binary.BigEndian, 2, [4]uint32{0x010E, typeASCII, 4, 0}, [4]uint32{TagOrientation, typeShort, 1, 6}))
	f.Fuzz(func(t *testing.T, block []byte) {
		if o := Orientation(block); o < 1 || o > 8 {
			t.Fatalf("Orientation = %d", o)
		}
		found, err := Labels(block, 0, "")
		changed, berr := BlankLabels(block)
		if (err == nil) != (berr == nil) {
			t.Fatalf("Labels error %v, BlankLabels error %v", err, berr)
		}
		if err != nil {
			return
		}
		if changed != (len(found) > 0) {
			t.Fatalf("%d labels, BlankLabels changed=%v", len(found), changed)
		}
		if again, err := Labels(block, 0, ""); err != nil || len(again) != 0 {
			t.Fatalf("after BlankLabels: %d labels, %v", len(again), err)
		}
	})
}
