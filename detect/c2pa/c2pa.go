// Package c2pa finds C2PA manifest stores (Content Credentials) in media
// files and reports what they say about how the content was made: the claim
// generator, the actions (such as c2pa.created) and every IPTC digital
// source type, such as
// http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia,
// which marks content made by generative AI.
//
// Nothing here checks signatures: every Manifest has Validated false and
// reports what its claim asserts, not that the claim is authentic. A
// manifest is evidence to weigh, as GB 45438-2025 asks platforms to do for
// traces of generation.
//
// Where the stores live (C2PA specification, appendix A):
//   - JPEG: APP11 segments holding a JUMBF box split into packets (ISO/IEC
//     19566-5 annex D.2, JPEG XT ISO/IEC 18477-3);
//   - PNG: a 'caBX' chunk;
//   - ISO BMFF (MP4, MOV, M4A, HEIF): a top-level 'uuid' box with the
//     extended type D8FEC3D6-1B0E-483C-9297-582887EC4881;
//   - RIFF (WAV, WebP, AVI): a top-level 'C2PA' chunk;
//   - a bare JUMBF store, such as a .c2pa sidecar file.
//
// A store is a JUMBF superbox (ISO/IEC 19566-5) of manifests; a manifest
// holds an assertion store, a claim and a signature; assertions and claims
// are CBOR (RFC 8949) or JSON. The package reads them with its own bounded
// decoders and never loads the media payload.
//
// Specifications: C2PA Technical Specification 2.x (https://c2pa.org/specifications/),
// ISO/IEC 19566-5 (JUMBF), RFC 8949 (CBOR), IPTC Digital Source Type
// vocabulary (https://cv.iptc.org/newscodes/digitalsourcetype/).
package c2pa

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aigcmark/aigcmark/label"
)

// Sources: the carrier a manifest store was found in.
const (
	SourceJPEG  = "jpeg-app11" // JPEG APP11 segments (JUMBF)
	SourcePNG   = "png-caBX"   // PNG caBX chunk
	SourceBMFF  = "bmff-uuid"  // MP4/MOV top-level uuid box
	SourceRIFF  = "riff-C2PA"  // RIFF (WAV, WebP, AVI) top-level C2PA chunk
	SourceJUMBF = "jumbf"      // a bare manifest store
)

// Manifest is one C2PA manifest of a store, as its claim and assertions
// state it.
type Manifest struct {
	Label  string // the manifest's label, usually "urn:uuid:…" or "urn:c2pa:…"
	Source string // SourceJPEG etc.
	Where  string // where the store is, for people: "APP11 segments 1-2 (JUMBF box instance 1)"
	Offset int64  // file offset of the carrier (the first APP11 segment, the chunk, the box); -1 unknown
	Active bool   // the last manifest of its store: the one that describes the asset as it is
	Update bool   // an update manifest (c2um) rather than a standard one

	Claim          string     // the claim box label: "c2pa.claim" or "c2pa.claim.v2"
	ClaimGenerator string     // claim_generator, a User-Agent style string (claims v1)
	GeneratorInfo  []Software // claim_generator_info entries
	Title          string     // dc:title
	Format         string     // dc:format, a media type
	InstanceID     string     // instanceID

	Assertions  []string     // labels of the assertions in the assertion store, in order
	Actions     []Action     // the actions of c2pa.actions and c2pa.actions.v2 assertions
	SourceTypes []SourceType // every digitalSourceType value in the claim and the assertions

	Signed    bool     // a signature box is present (it is not checked)
	Validated bool     // always false: signatures are not validated against a trust list
	Problems  []string // parts that could not be read; everything else is still reported
}

// Software names a program: a claim generator or an action's software agent.
type Software struct {
	Name    string
	Version string
}

func (s Software) String() string {
	if s.Version == "" {
		return s.Name
	}
	return s.Name + " " + s.Version
}

// Action is one entry of a c2pa.actions or c2pa.actions.v2 assertion.
type Action struct {
	Action            string   // "c2pa.created", "c2pa.edited", …
	DigitalSourceType string   // an IPTC digital source type URI, when given
	SoftwareAgent     Software // the software that performed the action, when given
	When              string   // the date and time, when given
	Assertion         string   // the assertion's label, "c2pa.actions" or "c2pa.actions.v2" (with any "__N" instance suffix)
	URI               string   // the assertion's JUMBF URI: "self#jumbf=/c2pa/<manifest>/c2pa.assertions/<label>"
	Index             int      // position in the assertion's actions array
}

// SourceType is a digital source type value found in a manifest.
type SourceType struct {
	Value     string // the URI, such as http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia
	Field     string // the path of the field inside the assertion: "actions[0].digitalSourceType"
	Assertion string // the assertion's label, or the claim's
	URI       string // the JUMBF URI of the assertion or claim
}

// IPTC digital source types that mark content made wholly or partly by
// generative or algorithmic means (IPTC NewsCodes digitalsourcetype).
var generative = map[string]bool{
	"trainedAlgorithmicMedia":              true,
	"compositeWithTrainedAlgorithmicMedia": true,
	"compositeSynthetic":                   true,
	"algorithmicMedia":                     true,
}

// Generative reports whether uri is one of the IPTC digital source types
// that say content was generated (trainedAlgorithmicMedia,
// compositeWithTrainedAlgorithmicMedia, compositeSynthetic,
// algorithmicMedia), under http or https.
func Generative(uri string) bool {
	for _, p := range []string{"http://cv.iptc.org/newscodes/digitalsourcetype/", "https://cv.iptc.org/newscodes/digitalsourcetype/"} {
		if rest, ok := strings.CutPrefix(uri, p); ok {
			return generative[rest]
		}
	}
	return false
}

// Limits.
const (
	maxJSONAssertion = 1 << 20 // a larger JSON assertion is reported as a problem, not decoded
	maxManifests     = 1 << 12 // manifests in one store
	maxAssertions    = 1 << 12 // assertions in one manifest
)

// Parse reads a raw C2PA manifest store (one JUMBF superbox) and returns its
// manifests, the active one last. Errors are *label.FormatError values
// matching label.ErrCorrupt or label.ErrUnsupported; a store whose JUMBF is
// sound but which holds an unreadable claim or assertion still gives its
// manifests, with the damage in Manifest.Problems.
func Parse(store []byte) ([]Manifest, error) {
	ms, err := parseStore(store)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		ms[i].Source, ms[i].Where, ms[i].Offset = SourceJUMBF, "JUMBF manifest store", -1
	}
	return ms, nil
}

// isStore reports whether b starts with a JUMBF superbox of the C2PA
// manifest store type, so that other JUMBF boxes (JPEG XT, JPEG 360) can be
// passed over.
func isStore(b []byte) bool {
	bs, err := readBoxes(b, 0)
	if err != nil || len(bs) == 0 || bs[0].typ != "jumb" {
		return false
	}
	kids, err := readBoxes(bs[0].data, 8)
	return err == nil && len(kids) > 0 && kids[0].typ == "jumd" && len(kids[0].data) >= 16 &&
		uuid(kids[0].data[:16]) == typeStore
}

func parseStore(b []byte) ([]Manifest, error) {
	if len(b) > label.MaxMetadata {
		return nil, label.Unsupported("jumbf", 0, "manifest store of %d bytes is over the limit of %d", len(b), label.MaxMetadata)
	}
	top, err := readBoxes(b, 0)
	if err != nil {
		return nil, err
	}
	if len(top) == 0 {
		return nil, label.Corrupt("jumbf", 0, "manifest store is empty")
	}
	if top[0].typ != "jumb" {
		return nil, label.Corrupt("jumbf", 0, "manifest store starts with box %q, not a JUMBF superbox", top[0].typ)
	}
	s, err := parseSuperbox(top[0])
	if err != nil {
		return nil, err
	}
	if s.typ != typeStore {
		return nil, label.Unsupported("jumbf", 0, "JUMBF superbox of type %s (label %q) is not a C2PA manifest store", s.typ, s.label)
	}
	kids, err := s.children()
	if err != nil {
		return nil, err
	}
	if len(kids) == 0 {
		return nil, label.Corrupt("jumbf", s.off, "C2PA manifest store holds no manifest")
	}
	if len(kids) > maxManifests {
		return nil, label.Unsupported("jumbf", s.off, "more than %d manifests", maxManifests)
	}
	items := maxCBORItems
	out := make([]Manifest, 0, len(kids))
	for _, k := range kids {
		m, err := readManifest(k, &items)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	out[len(out)-1].Active = true
	return out, nil
}

// readManifest reads one manifest superbox. JUMBF damage is an error;
// an unreadable claim or assertion is a Problem.
func readManifest(s superbox, items *int) (Manifest, error) {
	m := Manifest{Label: s.label, Update: s.typ == typeUpdate}
	if s.typ != typeManifest && s.typ != typeUpdate {
		m.problem("manifest %q has JUMBF type %s, not a C2PA manifest type", s.label, s.typ)
	}
	kids, err := s.children()
	if err != nil {
		return m, err
	}
	base := "self#jumbf=/c2pa/" + s.label + "/"
	claims := 0
	for _, k := range kids {
		switch {
		case k.typ == typeAssertions || k.label == "c2pa.assertions":
			if err := m.readAssertions(k, base+k.label+"/", items); err != nil {
				return m, err
			}
		case k.typ == typeClaim || strings.HasPrefix(k.label, "c2pa.claim"):
			if claims++; claims > 1 {
				m.problem("more than one claim; the first is reported")
				continue
			}
			m.readClaim(k, base+k.label, items)
		case k.typ == typeSignature || k.label == "c2pa.signature":
			m.Signed = true
		}
	}
	if claims == 0 {
		m.problem("manifest has no claim")
	}
	return m, nil
}

func (m *Manifest) problem(msg string, args ...any) {
	m.Problems = append(m.Problems, fmt.Sprintf(msg, args...))
}

// content decodes the CBOR or JSON content of an assertion or claim
// superbox. ok is false for content of other kinds (embedded files, UUID
// boxes), which are not decoded.
func content(s superbox, items *int) (v any, ok bool, err error) {
	if p, found := s.first("cbor"); found {
		v, err := decodeCBOR(p, items)
		return v, true, err
	}
	if p, found := s.first("json"); found {
		if len(p) > maxJSONAssertion {
			return nil, true, label.Unsupported("json", -1, "%d bytes of JSON, over the limit of %d", len(p), maxJSONAssertion)
		}
		if err := json.Unmarshal(p, &v); err != nil {
			return nil, true, err
		}
		return v, true, nil
	}
	return nil, false, nil
}

func (m *Manifest) readClaim(s superbox, uri string, items *int) {
	m.Claim = s.label
	v, ok, err := content(s, items)
	switch {
	case err != nil:
		m.problem("claim %q: %v", s.label, err)
		return
	case !ok:
		m.problem("claim %q holds no CBOR", s.label)
		return
	}
	c, isMap := v.(map[string]any)
	if !isMap {
		m.problem("claim %q is a %s, not a map", s.label, kind(v))
		return
	}
	m.ClaimGenerator = text(c["claim_generator"])
	switch g := c["claim_generator_info"].(type) {
	case []any: // claims v1: an array
		for _, e := range g {
			m.GeneratorInfo = append(m.GeneratorInfo, software(e))
		}
	case map[string]any: // claims v2: one map
		m.GeneratorInfo = append(m.GeneratorInfo, software(g))
	}
	m.Title, m.Format, m.InstanceID = text(c["dc:title"]), text(c["dc:format"]), text(c["instanceID"])
	m.findSourceTypes(c, s.label, uri)
}

func (m *Manifest) readAssertions(s superbox, base string, items *int) error {
	kids, err := s.children()
	if err != nil {
		return err
	}
	if len(kids) > maxAssertions {
		return label.Unsupported("jumbf", s.off, "more than %d assertions", maxAssertions)
	}
	for _, a := range kids {
		m.Assertions = append(m.Assertions, a.label)
		uri := base + a.label
		v, ok, err := content(a, items)
		if err != nil {
			m.problem("assertion %q: %v", a.label, err)
			continue
		}
		if !ok {
			continue
		}
		if l := baseLabel(a.label); l == "c2pa.actions" || l == "c2pa.actions.v2" {
			m.readActions(v, a.label, uri)
		}
		m.findSourceTypes(v, a.label, uri)
	}
	return nil
}

// baseLabel drops the "__N" instance suffix C2PA adds to repeated labels.
func baseLabel(l string) string {
	i := strings.LastIndex(l, "__")
	if i < 0 {
		return l
	}
	if _, err := strconv.ParseUint(l[i+2:], 10, 32); err != nil {
		return l
	}
	return l[:i]
}

func (m *Manifest) readActions(v any, name, uri string) {
	body, _ := v.(map[string]any)
	list, ok := body["actions"].([]any)
	if !ok {
		m.problem("assertion %q has no actions array", name)
		return
	}
	for i, e := range list {
		a, ok := e.(map[string]any)
		if !ok {
			m.problem("assertion %q: action %d is a %s, not a map", name, i, kind(e))
			continue
		}
		m.Actions = append(m.Actions, Action{
			Action:            text(a["action"]),
			DigitalSourceType: text(a["digitalSourceType"]),
			SoftwareAgent:     software(a["softwareAgent"]),
			When:              text(a["when"]),
			Assertion:         name,
			URI:               uri,
			Index:             i,
		})
	}
}

// findSourceTypes records every text value under a key named
// digitalSourceType (or a prefixed form such as
// Iptc4xmpExt:DigitalSourceType) anywhere in v.
func (m *Manifest) findSourceTypes(v any, name, uri string) {
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				if s, ok := v[k].(string); ok && isSourceTypeKey(k) {
					m.SourceTypes = append(m.SourceTypes, SourceType{Value: s, Field: p, Assertion: name, URI: uri})
					continue
				}
				walk(v[k], p)
			}
		case []any:
			for i, e := range v {
				walk(e, path+"["+strconv.Itoa(i)+"]")
			}
		}
	}
	walk(v, "")
}

func isSourceTypeKey(k string) bool {
	if i := strings.LastIndexByte(k, ':'); i >= 0 {
		k = k[i+1:]
	}
	return strings.EqualFold(k, "digitalSourceType")
}

// software reads a {name, version} map, or a plain string as a name.
func software(v any) Software {
	switch v := v.(type) {
	case string:
		return Software{Name: v}
	case map[string]any:
		return Software{Name: text(v["name"]), Version: text(v["version"])}
	}
	return Software{}
}

func text(v any) string {
	s, _ := v.(string)
	return s
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "map"
	case []any:
		return "array"
	case string:
		return "text string"
	case []byte:
		return "byte string"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
