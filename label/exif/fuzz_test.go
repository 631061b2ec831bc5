package exif

import (
	"encoding/binary"
	"testing"
)

// FuzzLabels checks that no block makes Labels or BlankLabels panic, and
// that a block BlankLabels changed holds no label afterwards.
func FuzzLabels(f *testing.F) {
	f.Add(buildTIFF(binary.LittleEndian, []byte("ASCII\x00\x00\x00"+string(testLabel.WrappedJSON()))))
	f.Add(buildTIFF(binary.BigEndian, unicodeValue(binary.BigEndian, string(testLabel.JSON()), true)))
	f.Add(buildTIFF(binary.LittleEndian, []byte("ab")))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08"))
	f.Fuzz(func(t *testing.T, block []byte) {
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
