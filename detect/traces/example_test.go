package traces_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"

	"github.com/aigcmark/aigcmark/detect/traces"
	"github.com/aigcmark/aigcmark/fixtures"
)

func Example() {
	png, err := os.ReadFile(fixtures.Path("png/palette.png"))
	if err != nil {
		panic(err)
	}
	// Add the tEXt chunk that the Stable Diffusion web UI writes, after IHDR.
	text := []byte("parameters\x00a lighthouse\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512")
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(text)))
	chunk = append(append(chunk, "tEXt"...), text...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	file := append(append(append([]byte(nil), png[:33]...), chunk...), png[33:]...)

	ev, err := traces.Read(bytes.NewReader(file))
	if err != nil {
		panic(err)
	}
	for _, e := range ev {
		fmt.Println(e.Source, "|", e.Generator, "|", e.Strength, "|", e.Detail)
	}
	// Output:
	// png-text parameters | Stable Diffusion web UI (AUTOMATIC1111) | strong | Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512
}
