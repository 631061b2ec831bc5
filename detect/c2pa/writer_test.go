package c2pa

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/riff"
)

// This file builds C2PA samples for the tests: a small CBOR encoder, a
// JUMBF box writer, a manifest store shaped like those generative AI
// services write, and the four containers around it. Nothing is signed:
// the signature box holds a placeholder, as the reader never checks it.

// omap is a CBOR map written in the order given.
type omap []kv

type kv struct {
	k string
	v any
}

// tagged is a CBOR tag around a value.
type tagged struct {
	n uint64
	v any
}

func cborHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major<<5|byte(n))
	case n <= math.MaxUint8:
		return append(b, major<<5|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, major<<5|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, major<<5|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, major<<5|27), n)
}

func appendCBOR(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, 0xF6)
	case bool:
		if v {
			return append(b, 0xF5)
		}
		return append(b, 0xF4)
	case int:
		return appendCBOR(b, int64(v))
	case int64:
		if v < 0 {
			return cborHead(b, 1, uint64(-1-v))
		}
		return cborHead(b, 0, uint64(v))
	case uint64:
		return cborHead(b, 0, v)
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 0xFB), math.Float64bits(v))
	case string:
		return append(cborHead(b, 3, uint64(len(v))), v...)
	case []byte:
		return append(cborHead(b, 2, uint64(len(v))), v...)
	case []any:
		b = cborHead(b, 4, uint64(len(v)))
		for _, e := range v {
			b = appendCBOR(b, e)
		}
		return b
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = cborHead(b, 5, uint64(len(v)))
		for _, k := range keys {
			b = appendCBOR(appendCBOR(b, k), v[k])
		}
		return b
	case omap:
		b = cborHead(b, 5, uint64(len(v)))
		for _, e := range v {
			b = appendCBOR(appendCBOR(b, e.k), e.v)
		}
		return b
	case tagged:
		return appendCBOR(cborHead(b, 6, v.n), v.v)
	}
	panic("appendCBOR: unsupported type")
}

func cborOf(v any) []byte { return appendCBOR(nil, v) }

// jbox returns a box of type typ holding the concatenated payloads.
func jbox(typ string, payload ...[]byte) []byte {
	p := bytes.Join(payload, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(p)))
	return append(append(b, typ...), p...)
}

// jumd returns a description box: requestable, with a label.
func jumd(t uuid, label string) []byte {
	p := append(t[:], toggleRequestable|toggleLabel)
	return jbox("jumd", append(append(p, label...), 0))
}

func jumb(t uuid, label string, content ...[]byte) []byte {
	return jbox("jumb", append([][]byte{jumd(t, label)}, content...)...)
}

func cborAssertion(label string, v any) []byte {
	return jumb(typeCBOR, label, jbox("cbor", cborOf(v)))
}

func jsonAssertion(label, text string) []byte {
	return jumb(typeJSON, label, jbox("json", []byte(text)))
}

const (
	iptcTrained   = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
	iptcComposite = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
	firstLabel    = "urn:uuid:5e8e2f3a-1c2b-4d5e-9f00-0a1b2c3d4e5f"
	activeLabel   = "urn:c2pa:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)

// signature is a placeholder COSE_Sign1 (tag 18) with an empty signature.
func signature() []byte {
	return jumb(typeSignature, "c2pa.signature", jbox("cbor", cborOf(tagged{18, []any{[]byte{0xA1, 0x01, 0x26}, map[string]any{}, nil, []byte{}}})))
}

// generatedManifest is a claims-v1 manifest in the shape an image
// generator writes: c2pa.created with the trainedAlgorithmicMedia source
// type, a hard binding and a schema.org CreativeWork naming the company.
func generatedManifest() []byte {
	actions := map[string]any{"actions": []any{
		omap{{"action", "c2pa.created"}, {"digitalSourceType", iptcTrained}, {"softwareAgent", "DALL·E"}, {"when", "2024-05-01T10:00:00Z"}},
		omap{{"action", "c2pa.converted"}, {"parameters", map[string]any{"description": "PNG to JPEG"}}},
	}}
	hash := map[string]any{
		"exclusions": []any{map[string]any{"start": 2, "length": 1000}},
		"name":       "jumbf manifest", "alg": "sha256", "hash": bytes.Repeat([]byte{0xAB}, 32), "pad": []byte{0, 0},
	}
	claim := omap{
		{"claim_generator", "ChatGPT c2pa-rs/0.31.3"},
		{"claim_generator_info", []any{map[string]any{"name": "ChatGPT", "version": "0.31.3"}}},
		{"signature", "self#jumbf=c2pa.signature"},
		{"assertions", []any{map[string]any{"url": "self#jumbf=c2pa.assertions/c2pa.actions", "hash": []byte{1, 2, 3}}}},
		{"dc:format", "image/png"},
		{"instanceID", "xmp:iid:6b7c0a9d-0000-4000-8000-000000000001"},
		{"dc:title", "image.png"},
		{"alg", "sha256"},
	}
	return jumb(typeManifest, firstLabel,
		jumb(typeAssertions, "c2pa.assertions",
			cborAssertion("c2pa.actions", actions),
			cborAssertion("c2pa.hash.data", hash),
			jsonAssertion("stds.schema-org.CreativeWork", `{"@context":"https://schema.org","@type":"CreativeWork","author":[{"@type":"Organization","name":"OpenAI"}]}`),
		),
		jumb(typeClaim, "c2pa.claim", jbox("cbor", cborOf(claim))),
		signature(),
	)
}

// editedManifest is a claims-v2 manifest of an edit, with a thumbnail
// (embedded file), a second actions assertion instance and an IPTC
// metadata assertion carrying a source type outside any action.
func editedManifest() []byte {
	actions := map[string]any{"actions": []any{
		omap{{"action", "c2pa.opened"}, {"parameters", map[string]any{"ingredients": []any{}}}},
		omap{{"action", "c2pa.edited"}, {"digitalSourceType", iptcComposite},
			{"softwareAgent", map[string]any{"name": "Photo Editor", "version": "26.1"}}},
	}}
	claim := omap{
		{"instanceID", "xmp:iid:6b7c0a9d-0000-4000-8000-000000000002"},
		{"claim_generator_info", map[string]any{"name": "Photo Editor", "version": "26.1", "operating_system": "Linux"}},
		{"signature", "self#jumbf=/c2pa/" + activeLabel + "/c2pa.signature"},
		{"created_assertions", []any{}},
		{"alg", "sha256"},
	}
	thumb := jumb(typeEmbedded, "c2pa.thumbnail.claim.jpeg",
		jbox("bfdb", append([]byte{0}, "image/jpeg\x00"...)), jbox("bidb", []byte{0xFF, 0xD8, 0xFF, 0xD9}))
	return jumb(typeManifest, activeLabel,
		jumb(typeAssertions, "c2pa.assertions",
			thumb,
			cborAssertion("c2pa.actions.v2__1", actions),
			cborAssertion("c2pa.metadata", map[string]any{
				"@context":                      map[string]any{"Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"},
				"Iptc4xmpExt:DigitalSourceType": iptcComposite,
			}),
		),
		jumb(typeClaim, "c2pa.claim.v2", jbox("cbor", cborOf(claim))),
		signature(),
	)
}

// sampleStore is a manifest store of two manifests: generated, then edited
// (the active one).
func sampleStore() []byte {
	return jumb(typeStore, "c2pa", generatedManifest(), editedManifest())
}

// generatedStore holds the generated manifest alone.
func generatedStore() []byte { return jumb(typeStore, "c2pa", generatedManifest()) }

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures.Path(rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// app11 splits the JUMBF box b into APP11 segments of at most piece bytes
// of box payload each, with box instance number en.
func app11(b []byte, en uint16, piece int) [][]byte {
	hdr, rest := b[:8], b[8:]
	var segs [][]byte
	for seq := uint32(1); len(rest) > 0; seq++ {
		n := min(piece, len(rest))
		p := []byte("JP")
		p = binary.BigEndian.AppendUint16(p, en)
		p = binary.BigEndian.AppendUint32(p, seq)
		p = append(append(p, hdr...), rest[:n]...)
		rest = rest[n:]
		seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xEB}, uint16(len(p)+2))
		segs = append(segs, append(seg, p...))
	}
	return segs
}

// inJPEG puts the segments right after SOI of jpg.
func inJPEG(jpg []byte, segs [][]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// inPNG puts a caBX chunk after IHDR.
func inPNG(png []byte, store []byte) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte{}, png[:afterIHDR]...)
	out = append(out, pngChunk("caBX", store)...)
	return append(out, png[afterIHDR:]...)
}

// bmffBox returns a C2PA uuid box with the given purpose.
func bmffBox(purpose string, store []byte) []byte {
	p := append(bmffUUID[:], 0, 0, 0, 0)
	p = append(append(p, purpose...), 0)
	if purpose == "manifest" {
		p = binary.BigEndian.AppendUint64(p, 0)
	}
	return jbox("uuid", p, store)
}

// inWAV appends a C2PA chunk and updates the RIFF size.
func inWAV(wav []byte, store []byte) []byte {
	out := riff.AppendChunk(append([]byte{}, wav...), "C2PA", store)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}
