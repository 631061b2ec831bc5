package traces

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Generator names used in Evidence.Generator.
const (
	GenA1111    = "Stable Diffusion web UI (AUTOMATIC1111)"
	GenComfyUI  = "ComfyUI"
	GenNovelAI  = "NovelAI"
	GenInvokeAI = "InvokeAI"
	GenFooocus  = "Fooocus"
	GenMJ       = "Midjourney"
	GenDALLE    = "DALL·E"
	GenFirefly  = "Adobe Firefly"
)

// toolNames is the table of generator names recognised in Software,
// CreatorTool, Credit and Artist fields: a case-insensitive regular
// expression matched on whole words, and the generator it names. Editors
// (Photoshop, GIMP) and cameras are deliberately absent: their presence says
// nothing about generation.
var toolNames = []struct {
	re  *regexp.Regexp
	gen string
}{
	{regexp.MustCompile(`(?i)\bdall[-·‧. ]?e\b`), GenDALLE},
	{regexp.MustCompile(`(?i)\b(openai|chatgpt|gpt-image)\b`), "OpenAI"},
	{regexp.MustCompile(`(?i)\badobe firefly\b`), GenFirefly},
	{regexp.MustCompile(`(?i)\bmidjourney\b`), GenMJ},
	{regexp.MustCompile(`(?i)\bnovelai\b`), GenNovelAI},
	{regexp.MustCompile(`(?i)\bcomfyui\b`), GenComfyUI},
	{regexp.MustCompile(`(?i)\binvoke ?ai\b`), GenInvokeAI},
	{regexp.MustCompile(`(?i)\bfooocus\b`), GenFooocus},
	{regexp.MustCompile(`(?i)\bstable diffusion\b`), "Stable Diffusion"},
	{regexp.MustCompile(`(?i)\b(made with google ai|imagen)\b`), "Google Imagen"},
	{regexp.MustCompile(`(?i)\bbing image creator\b`), "Bing Image Creator"},
	{regexp.MustCompile(`(?i)\bleonardo\.ai\b`), "Leonardo.Ai"},
	{regexp.MustCompile(`(?i)\bideogram\b`), "Ideogram"},
}

// toolName returns the generator s names, or "".
func toolName(s string) string {
	s = s[:min(len(s), 4096)]
	for _, t := range toolNames {
		if t.re.MatchString(s) {
			return t.gen
		}
	}
	return ""
}

// IPTC digital source type codes that speak of generation, with strength.
var sourceTypes = map[string]string{
	"trainedalgorithmicmedia":              Strong,
	"compositewithtrainedalgorithmicmedia": Strong,
	"algorithmicmedia":                     Weak,
	"compositesynthetic":                   Weak,
}

// digitalSourceType returns the strength of an IPTC digital source type
// value (full URI or bare code), or "" when it does not speak of generation.
func digitalSourceType(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimRight(v, "/")
	if i := strings.LastIndexByte(v, '/'); i >= 0 {
		if !strings.Contains(strings.ToLower(v[:i]), "digitalsourcetype") {
			return ""
		}
		v = v[i+1:]
	}
	return sourceTypes[strings.ToLower(v)]
}

var (
	// a1111Key matches the "Key: value" pairs of A1111's last line.
	a1111Key = regexp.MustCompile(`(?:^|[\n,]) *(Steps|Sampler|CFG scale|Seed|Size|Model|Model hash|Schedule type|Denoising strength|Version): *([^,\n]*)`)
	mjJobID  = regexp.MustCompile(`(?i)\bJob ID: *[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
)

// a1111 reports whether s holds A1111 generation parameters — Steps and at
// least two other known keys — and which generator wrote them.
func a1111(s string) (string, bool) {
	s = s[:min(len(s), maxProp)]
	keys := map[string]string{}
	for _, m := range a1111Key.FindAllStringSubmatch(s, -1) {
		keys[m[1]] = m[2]
	}
	if _, ok := keys["Steps"]; !ok || len(keys) < 3 {
		return "", false
	}
	switch v := keys["Version"]; {
	case strings.HasPrefix(strings.ToLower(v), "fooocus"):
		return GenFooocus, true
	case strings.HasPrefix(v, "f") && strings.Contains(v, "v1."): // Forge: "f2.0.1v1.10.1-…"
		return "Stable Diffusion WebUI Forge", true
	}
	return GenA1111, true
}

// jsonObject decodes s as a JSON object, bounded in size.
func jsonObject(s string) map[string]json.RawMessage {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || len(s) > maxTotal {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

// comfyNodes names the ComfyUI node classes that only a generation graph
// holds.
var comfyNodes = map[string]bool{
	"KSampler": true, "KSamplerAdvanced": true, "SamplerCustom": true, "SamplerCustomAdvanced": true,
	"CheckpointLoaderSimple": true, "CheckpointLoader": true, "UNETLoader": true, "VAEDecode": true,
	"EmptyLatentImage": true, "CLIPTextEncode": true,
}

// comfyPrompt reports whether s is a ComfyUI API graph ("prompt"):
// {"<id>": {"class_type": …, "inputs": …}}, and returns the known class
// names it holds.
func comfyPrompt(s string) ([]string, bool) {
	m := jsonObject(s)
	if m == nil {
		return nil, false
	}
	var known []string
	nodes := 0
	for _, raw := range m {
		var n struct {
			ClassType string          `json:"class_type"`
			Inputs    json.RawMessage `json:"inputs"`
		}
		if json.Unmarshal(raw, &n) != nil || n.ClassType == "" {
			continue
		}
		nodes++
		if comfyNodes[n.ClassType] {
			known = append(known, n.ClassType)
		}
	}
	return known, nodes > 0
}

// comfyWorkflow reports whether s is a ComfyUI editor graph ("workflow"):
// {"nodes": [{"type": …}], "links": …}.
func comfyWorkflow(s string) ([]string, bool) {
	m := jsonObject(s)
	if m == nil || m["nodes"] == nil {
		return nil, false
	}
	var nodes []struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(m["nodes"], &nodes) != nil {
		return nil, false
	}
	var known []string
	typed := 0
	for _, n := range nodes {
		if n.Type != "" {
			typed++
		}
		if comfyNodes[n.Type] {
			known = append(known, n.Type)
		}
	}
	return known, typed > 0
}

// comfy returns evidence for a ComfyUI graph in s, or false.
func comfy(s string) (string, string, bool) {
	known, ok := comfyPrompt(s)
	if !ok {
		known, ok = comfyWorkflow(s)
	}
	if !ok {
		return "", "", false
	}
	if len(known) > 0 {
		return Strong, "nodes " + strings.Join(uniq(known), ", "), true
	}
	return Weak, "a node graph without sampler or loader nodes", true
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] && len(out) < 6 {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// novelAIComment reports whether s is NovelAI's Comment JSON: an object
// with steps, sampler and seed.
func novelAIComment(s string) bool {
	m := jsonObject(s)
	return m != nil && m["steps"] != nil && m["sampler"] != nil && m["seed"] != nil
}

// fooocusJSON reports whether s is Fooocus's JSON parameters — an object
// whose "Version" starts with Fooocus, or with its key set — and returns a
// short description.
func fooocusJSON(s string) (string, bool) {
	m := jsonObject(s)
	if m == nil {
		return "", false
	}
	var v string
	if json.Unmarshal(m["Version"], &v) == nil && strings.HasPrefix(strings.ToLower(v), "fooocus") {
		return "Version: " + v, true
	}
	ok := m["Base Model"] != nil && m["Sampler"] != nil && m["Seed"] != nil && m["Performance"] != nil
	return "JSON with Base Model, Sampler, Seed, Performance", ok
}

// evidence returns the traces in one metadata block.
func (b block) evidence() []Evidence {
	switch b.kind {
	case kindXMP:
		var out []Evidence
		for _, p := range xmpValues(b.data) {
			out = append(out, fieldEvidence("xmp "+p.name, b.where, p.name, p.value)...)
		}
		return out
	case kindEXIF:
		var out []Evidence
		for _, f := range exifFields(b.data) {
			out = append(out, fieldEvidence("exif "+f.name, b.where, f.name, f.text)...)
		}
		return out
	case kindText:
		return textEvidence(b.src+" "+b.key, b.key, b.where, string(b.data))
	}
	return nil
}

// textEvidence returns the traces in a PNG text chunk (or a comment).
func textEvidence(src, key, where, v string) []Evidence {
	ev := func(gen, strength, detail string) []Evidence {
		return []Evidence{{Source: src, Location: where, Generator: gen, Detail: excerpt(detail), Strength: strength}}
	}
	switch strings.ToLower(key) {
	case "parameters":
		if g, ok := a1111(v); ok {
			return ev(g, Strong, lastLine(v))
		}
		if d, ok := fooocusJSON(v); ok {
			return ev(GenFooocus, Strong, d)
		}
	case "fooocus_scheme":
		if s := strings.TrimSpace(v); s != "" {
			return ev(GenFooocus, Strong, s)
		}
	case "prompt", "workflow":
		if st, d, ok := comfy(v); ok {
			return ev(GenComfyUI, st, d)
		}
	case "invokeai_metadata", "invokeai_graph", "invokeai_workflow", "sd-metadata", "dream":
		if strings.TrimSpace(v) != "" {
			return ev(GenInvokeAI, Strong, v)
		}
	case "comment":
		if novelAIComment(v) {
			return ev(GenNovelAI, Strong, v)
		}
		if g, ok := a1111(v); ok {
			return ev(g, Strong, lastLine(v))
		}
	case "software":
		if g := toolName(v); g != "" {
			return ev(g, Strong, v)
		}
	case "source":
		if strings.Contains(strings.ToLower(v), "novelai") {
			return ev(GenNovelAI, Strong, v)
		}
	case "description":
		if m := mjJobID.FindString(v); m != "" {
			return ev(GenMJ, Strong, m)
		}
	case "author":
		// Midjourney's Author is the user name: no evidence on its own.
	}
	return nil
}

// fieldEvidence returns the traces in one EXIF or XMP field (name without
// the "exif"/"xmp" prefix, e.g. "Software" or "xmp:CreatorTool").
func fieldEvidence(src, where, name, v string) []Evidence {
	ev := func(gen, strength, detail string) []Evidence {
		return []Evidence{{Source: src, Location: where, Generator: gen, Detail: excerpt(detail), Strength: strength}}
	}
	local := name[strings.IndexByte(name, ':')+1:]
	switch local {
	case "DigitalSourceType":
		if st := digitalSourceType(v); st != "" {
			return ev("", st, v)
		}
	case "UserComment":
		if g, ok := a1111(v); ok {
			return ev(g, Strong, lastLine(v))
		}
		if d, ok := fooocusJSON(v); ok {
			return ev(GenFooocus, Strong, d)
		}
		if novelAIComment(v) {
			return ev(GenNovelAI, Strong, v)
		}
	case "Make", "Model":
		// ComfyUI's SaveAnimatedWEBP: Model "prompt:{…}", Make "workflow:{…}".
		for _, p := range []string{"prompt:", "workflow:"} {
			if rest, ok := strings.CutPrefix(v, p); ok {
				if st, d, ok := comfy(rest); ok {
					return ev(GenComfyUI, st, d)
				}
			}
		}
	case "Software", "CreatorTool", "Credit", "Artist", "XPAuthor":
		if g := toolName(v); g != "" {
			return ev(g, Strong, v)
		}
	case "ImageDescription", "description", "XPComment":
		if m := mjJobID.FindString(v); m != "" {
			return ev(GenMJ, Strong, m)
		}
		if g, ok := a1111(v); ok {
			return ev(g, Weak, lastLine(v))
		}
	}
	return nil
}

// lastLine returns the last non-empty line of s: A1111's parameter line.
func lastLine(s string) string {
	s = strings.TrimSpace(s[:min(len(s), maxProp)])
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
