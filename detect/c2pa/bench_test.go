package c2pa

import (
	"bytes"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	store := sampleStore()
	b.SetBytes(int64(len(store)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(store); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindJPEG(b *testing.B) {
	f := inJPEG(readFixture(b, "jpeg/plain.jpg"), app11(sampleStore(), 1, 65000))
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Find(bytes.NewReader(f)); err != nil {
			b.Fatal(err)
		}
	}
}
