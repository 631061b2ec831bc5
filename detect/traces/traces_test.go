package traces

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

const a1111Params = "a castle on a hill, golden hour\nNegative prompt: blurry\n" +
	"Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567890, Size: 512x512, " +
	"Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1"

const comfyPromptJSON = `{"3":{"class_type":"KSampler","inputs":{"seed":42,"steps":20,"cfg":8,"sampler_name":"euler","model":["4",0]}},` +
	`"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"sd_xl_base_1.0.safetensors"}},` +
	`"8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}}}`

const comfyWorkflowJSON = `{"last_node_id":9,"nodes":[{"id":3,"type":"KSampler","pos":[863,186]},{"id":4,"type":"CheckpointLoaderSimple"}],"links":[[1,4,0,3,0,"MODEL"]],"version":0.4}`

const mjJob = "a red fox in snow --ar 3:2 --v 6.1 Job ID: 5d9a3f2e-8c1b-4e7a-9f0d-2b6c8e4a1f37"

// want is one expected Evidence.
type want struct {
	source, generator, strength, detail string // detail: a substring
}

func check(t *testing.T, data []byte, wants ...want) {
	t.Helper()
	got, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for _, w := range wants {
		found := false
		for _, e := range got {
			if e.Source == w.source && e.Generator == w.generator && e.Strength == w.strength &&
				strings.Contains(e.Detail, w.detail) && e.Location != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("no evidence %+v; got:\n%s", w, dump(got))
		}
	}
	if len(got) != len(wants) {
		t.Errorf("got %d evidence items, want %d:\n%s", len(got), len(wants), dump(got))
	}
	for _, e := range got {
		if len(e.Detail) > MaxDetail {
			t.Errorf("detail of %d bytes, over %d", len(e.Detail), MaxDetail)
		}
	}
}

func dump(ev []Evidence) string {
	var b strings.Builder
	for _, e := range ev {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	return b.String()
}

func TestGenerators(t *testing.T) {
	png := fixture(t, "png/palette.png")
	jpg := fixture(t, "jpeg/plain.jpg")
	webp := fixture(t, "webp/extended.webp")
	gif := fixture(t, "gif/animated.gif")
	mp4 := fixture(t, "mp4/faststart.mp4")

	dstElement := xmpPacket(`<rdf:Description rdf:about=""` + nsDecl + `><Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType></rdf:Description>`)
	dstAttr := xmpPacket(`<rdf:Description rdf:about=""` + nsDecl + ` Iptc4xmpExt:DigitalSourceType="compositeWithTrainedAlgorithmicMedia"/>`)
	dstResource := xmpPacket(`<rdf:Description rdf:about=""` + nsDecl + `><Iptc4xmpExt:DigitalSourceType rdf:resource="http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"/></rdf:Description>`)
	dstComposite := xmpPacket(`<rdf:Description rdf:about=""` + nsDecl + ` Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic"/>`)
	firefly := xmpPacket(`<rdf:Description rdf:about=""` + nsDecl + ` xmp:CreatorTool="Adobe Firefly"><Iptc4xmpExt:DigitalSourceType>trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType></rdf:Description>`)
	dalle := xmpPacket(`<rdf:Description rdf:about=""` + nsDecl + `><photoshop:Credit>Made with DALL·E</photoshop:Credit></rdf:Description>`)
	mjXMP := xmpPacket(`<rdf:Description rdf:about=""` + nsDecl + `><dc:description><rdf:Alt><rdf:li xml:lang="x-default">` + mjJob + `</rdf:li></rdf:Alt></dc:description>` +
		`<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType></rdf:Description>`)
	iptc := "xmp Iptc4xmpExt:DigitalSourceType"

	for _, tc := range []struct {
		name  string
		data  []byte
		wants []want
	}{
		{"iptc/jpeg element URI", withJPEG(jpg, 0xE1, append(append([]byte(nil), headerXMP...), dstElement...)),
			[]want{{iptc, "", Strong, "trainedAlgorithmicMedia"}}},
		{"iptc/png attribute short", withPNG(png, iTXt("XML:com.adobe.xmp", dstAttr, false)),
			[]want{{iptc, "", Strong, "compositeWithTrainedAlgorithmicMedia"}}},
		{"iptc/webp rdf:resource", withWebP(webp, "XMP ", []byte(dstResource)),
			[]want{{iptc, "", Weak, "algorithmicMedia"}}},
		{"iptc/gif composite", withGIFXMP(gif, dstComposite),
			[]want{{iptc, "", Weak, "compositeSynthetic"}}},
		{"iptc/mp4 uuid", withMP4XMP(mp4, dstElement),
			[]want{{iptc, "", Strong, "trainedAlgorithmicMedia"}}},
		{"iptc/png compressed iTXt", withPNG(png, iTXt("XML:com.adobe.xmp", dstElement, true)),
			[]want{{iptc, "", Strong, "trainedAlgorithmicMedia"}}},

		{"a1111/png parameters", withPNG(png, tEXt("parameters", a1111Params)),
			[]want{{"png-text parameters", GenA1111, Strong, "Steps: 20"}}},
		{"a1111/jpeg UserComment", withJPEG(jpg, 0xE1, append([]byte("Exif\x00\x00"), tiffBlock(nil, []ifdEntry{unicodeComment(a1111Params)})...)),
			[]want{{"exif UserComment", GenA1111, Strong, "Seed: 1234567890"}}},
		{"a1111/webp UserComment", withWebP(webp, "EXIF", tiffBlock(nil, []ifdEntry{unicodeComment(a1111Params)})),
			[]want{{"exif UserComment", GenA1111, Strong, "CFG scale: 7"}}},
		{"forge/png parameters", withPNG(png, tEXt("parameters", strings.Replace(a1111Params, "v1.10.1", "f2.0.1v1.10.1-previous-313", 1))),
			[]want{{"png-text parameters", "Stable Diffusion WebUI Forge", Strong, "Steps: 20"}}},

		{"comfyui/png prompt+workflow", withPNG(png, tEXt("prompt", comfyPromptJSON), tEXt("workflow", comfyWorkflowJSON)),
			[]want{{"png-text prompt", GenComfyUI, Strong, "KSampler"}, {"png-text workflow", GenComfyUI, Strong, "CheckpointLoaderSimple"}}},
		{"comfyui/webp exif Model", withWebP(webp, "EXIF", tiffBlock([]ifdEntry{ascii(0x0110, "prompt:"+comfyPromptJSON), ascii(0x010F, "workflow:"+comfyWorkflowJSON)}, nil)),
			[]want{{"exif Model", GenComfyUI, Strong, "KSampler"}, {"exif Make", GenComfyUI, Strong, "KSampler"}}},

		{"novelai/png", withPNG(png, tEXt("Title", "AI generated image"), tEXt("Software", "NovelAI"),
			tEXt("Source", "NovelAI Diffusion V3 4BDE2A90"),
			tEXt("Comment", `{"prompt":"1girl, smile","steps":28,"height":1216,"width":832,"scale":5.0,"seed":3456789,"sampler":"k_euler_ancestral","uc":"lowres"}`)),
			[]want{{"png-text Software", GenNovelAI, Strong, "NovelAI"}, {"png-text Source", GenNovelAI, Strong, "Diffusion V3"},
				{"png-text Comment", GenNovelAI, Strong, `"steps":28`}}},

		{"invokeai/png metadata", withPNG(png, iTXt("invokeai_metadata", `{"generation_mode":"txt2img","positive_prompt":"a cat","seed":1,"steps":30,"model":{"name":"sdxl"}}`, true)),
			[]want{{"png-text invokeai_metadata", GenInvokeAI, Strong, "txt2img"}}},
		{"invokeai/png legacy", withPNG(png, tEXt("sd-metadata", `{"model":"stable diffusion","image":{"prompt":"a cat"}}`), tEXt("Dream", `"a cat" -s 50 -S 42 -W 512 -H 512`)),
			[]want{{"png-text sd-metadata", GenInvokeAI, Strong, "stable diffusion"}, {"png-text Dream", GenInvokeAI, Strong, "-S 42"}}},

		{"fooocus/png json", withPNG(png, tEXt("fooocus_scheme", "fooocus"),
			tEXt("parameters", `{"Prompt":"a cat","Negative Prompt":"","Styles":"['Fooocus V2']","Performance":"Speed","Resolution":"(1024, 1024)","Base Model":"juggernautXL_v8Rundiffusion.safetensors","Sampler":"dpmpp_2m_sde_gpu","Seed":"123","Version":"Fooocus v2.5.5"}`)),
			[]want{{"png-text fooocus_scheme", GenFooocus, Strong, "fooocus"}, {"png-text parameters", GenFooocus, Strong, "Fooocus v2.5.5"}}},
		{"fooocus/jpeg a1111 scheme", withJPEG(jpg, 0xE1, append([]byte("Exif\x00\x00"), tiffBlock([]ifdEntry{ascii(0x0131, "Fooocus v2.5.5")},
			[]ifdEntry{unicodeComment("a cat\nNegative prompt: \nSteps: 30, Sampler: DPM++ 2M SDE, Seed: 123, CFG scale: 4, Version: Fooocus v2.5.5")})...)),
			[]want{{"exif Software", GenFooocus, Strong, "Fooocus"}, {"exif UserComment", GenFooocus, Strong, "Steps: 30"}}},

		{"midjourney/png", withPNG(png, tEXt("Author", "someuser"), tEXt("Description", mjJob)),
			[]want{{"png-text Description", GenMJ, Strong, "Job ID: 5d9a3f2e"}}},
		{"midjourney/jpeg xmp", withJPEG(jpg, 0xE1, append(append([]byte(nil), headerXMP...), mjXMP...)),
			[]want{{"xmp dc:description", GenMJ, Strong, "Job ID"}, {iptc, "", Strong, "trainedAlgorithmicMedia"}}},
		{"midjourney/webp exif", withWebP(webp, "EXIF", tiffBlock([]ifdEntry{ascii(0x010E, mjJob), ascii(0x013B, "someuser")}, nil)),
			[]want{{"exif ImageDescription", GenMJ, Strong, "Job ID"}}},

		{"dalle/png xmp credit", withPNG(png, iTXt("XML:com.adobe.xmp", dalle, false)),
			[]want{{"xmp photoshop:Credit", GenDALLE, Strong, "DALL·E"}}},
		{"openai/jpeg exif software", withJPEG(jpg, 0xE1, append([]byte("Exif\x00\x00"), tiffBlock([]ifdEntry{ascii(0x0131, "OpenAI DALL-E 3")}, nil)...)),
			[]want{{"exif Software", GenDALLE, Strong, "DALL-E"}}},
		{"firefly/jpeg xmp", withJPEG(jpg, 0xE1, append(append([]byte(nil), headerXMP...), firefly...)),
			[]want{{"xmp xmp:CreatorTool", GenFirefly, Strong, "Adobe Firefly"}, {iptc, "", Strong, "trainedAlgorithmicMedia"}}},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.data, tc.wants...) })
	}
}

// TestNoFalsePositives reads every committed fixture: none carries
// generation metadata, and our own TC260 labels are not traces.
func TestNoFalsePositives(t *testing.T) {
	all := fixtures.All("")
	if len(all) < 30 {
		t.Fatalf("only %d fixtures found", len(all))
	}
	labeled := 0
	for _, p := range all {
		rel, _ := filepath.Rel(fixtures.Dir(), p)
		data := fixture(t, rel)
		got, err := Read(bytes.NewReader(data))
		if len(got) > 0 {
			t.Errorf("%s: false positives:\n%s", rel, dump(got))
		}
		if strings.HasPrefix(filepath.ToSlash(rel), "labeled/") {
			labeled++
		}
		if err != nil && !errors.Is(err, ErrUnknownFormat) && !strings.HasPrefix(filepath.ToSlash(rel), "bad/") {
			t.Errorf("%s: %v", rel, err)
		}
	}
	if labeled < 10 {
		t.Errorf("only %d labeled fixtures read", labeled)
	}
}

// TestNotTraces checks metadata that looks near a trace but is not one.
func TestNotTraces(t *testing.T) {
	jpg := fixture(t, "jpeg/plain.jpg")
	png := fixture(t, "png/palette.png")
	camera := tiffBlock([]ifdEntry{ascii(0x010F, "Canon"), ascii(0x0110, "Canon EOS R5"),
		ascii(0x0131, "Adobe Photoshop 25.0 (Windows)"), ascii(0x013B, "Jane Doe"),
		ascii(0x010E, "Sunset over the harbour")},
		[]ifdEntry{{0x9286, 7, []byte("ASCII\x00\x00\x00Shot on a tripod, 30 s")}})
	photoXMP := xmpPacket(`<rdf:Description rdf:about=""` + nsDecl + ` xmp:CreatorTool="Adobe Photoshop 25.0 (Windows)"` +
		` Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture">` +
		`<TC260:AIGC>{"Label":"1","ContentProducer":"001191320500000000000000000000000","ProduceID":"x"}</TC260:AIGC>` +
		`<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Steps to the beach; seed catalogue</rdf:li></rdf:Alt></dc:description></rdf:Description>`)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"camera exif", withJPEG(jpg, 0xE1, append([]byte("Exif\x00\x00"), camera...))},
		{"photo xmp", withJPEG(jpg, 0xE1, append(append([]byte(nil), headerXMP...), photoXMP...))},
		{"png text", withPNG(png, tEXt("Software", "GIMP 2.10"), tEXt("Comment", `{"steps":3}`),
			tEXt("parameters", "Steps: 3 to success"), tEXt("prompt", `{"a":1}`), tEXt("Description", "Job ID: 42"),
			tEXt("AIGC", `{"Label":"1","ContentProducer":"x"}`))},
		{"a different source type", withPNG(png, iTXt("XML:com.adobe.xmp", xmpPacket(`<rdf:Description rdf:about=""`+nsDecl+
			` Iptc4xmpExt:DigitalSourceType="http://example.com/vocab/trainedAlgorithmicMedia"/>`), false))},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.data) })
	}
}

func TestErrors(t *testing.T) {
	png := fixture(t, "png/palette.png")
	if _, err := Read(bytes.NewReader([]byte("plain text, no media"))); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("text file: %v, want ErrUnknownFormat", err)
	}
	// A chunk that claims more than the file holds: a clear error, and the
	// evidence before it is kept.
	bad := withPNG(png, tEXt("parameters", a1111Params), []byte("\x7f\xff\xff\xfftEXt"))
	got, err := Read(bytes.NewReader(bad))
	var e *Error
	if !errors.As(err, &e) || e.Format != "png" || !strings.Contains(err.Error(), "claims") {
		t.Errorf("err = %v, want a png *Error naming the claimed length", err)
	}
	if len(got) != 1 || got[0].Generator != GenA1111 {
		t.Errorf("evidence before the error: %v", got)
	}
	// A truncated JPEG segment.
	jpg := fixture(t, "jpeg/plain.jpg")
	cut := withJPEG(jpg, 0xE1, append([]byte("Exif\x00\x00"), tiffBlock([]ifdEntry{ascii(0x0131, "Midjourney")}, nil)...))[:40]
	if _, err := Read(bytes.NewReader(cut)); !errors.As(err, &e) || e.Format != "jpeg" {
		t.Errorf("truncated jpeg: %v", err)
	}
}

// TestInflateBound checks that a small compressed chunk cannot make Read
// hold more than its metadata bound.
func TestInflateBound(t *testing.T) {
	png := fixture(t, "png/palette.png")
	bomb := withPNG(png, iTXt("parameters", strings.Repeat("\x00", maxTotal+1), true))
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb of %d bytes is not small", len(bomb))
	}
	_, err := Read(bytes.NewReader(bomb))
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "more than") {
		t.Errorf("err = %v, want a bound error", err)
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("é", 200)
	got := excerpt(long)
	if len(got) > MaxDetail || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") {
		t.Errorf("excerpt: %d bytes %q", len(got), got)
	}
	if got := excerpt("a\n  b\tc"); got != "a b c" {
		t.Errorf("excerpt = %q", got)
	}
}
