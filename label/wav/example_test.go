package wav_test

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/wav"
)

func Example() {
	// A one-second 8 kHz mono 16-bit WAV of silence.
	fmtData := make([]byte, 16)
	binary.LittleEndian.PutUint16(fmtData[0:], 1)     // PCM
	binary.LittleEndian.PutUint16(fmtData[2:], 1)     // channels
	binary.LittleEndian.PutUint32(fmtData[4:], 8000)  // sample rate
	binary.LittleEndian.PutUint32(fmtData[8:], 16000) // byte rate
	binary.LittleEndian.PutUint16(fmtData[12:], 2)    // block align
	binary.LittleEndian.PutUint16(fmtData[14:], 16)   // bits per sample
	in := []byte("RIFF\x00\x00\x00\x00WAVE")
	in = riff.AppendChunk(in, "fmt ", fmtData)
	in = riff.AppendChunk(in, "data", make([]byte, 16000))
	binary.LittleEndian.PutUint32(in[4:], uint32(len(in)-8))

	l := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "0001"}
	var out bytes.Buffer
	if err := (wav.Format{}).Write(&out, bytes.NewReader(in), l); err != nil {
		fmt.Println(err)
		return
	}
	found, err := (wav.Format{}).Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range found {
		fmt.Println(f.Carrier, f.Where, f.Offset, f.Raw)
	}
	// Output:
	// riff-chunk AIGC chunk 16044 {"Label":"1","ContentProducer":"001191110108MA01KP2T5U10000","ProduceID":"0001","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}
}
