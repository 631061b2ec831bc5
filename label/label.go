// Package label implements the implicit file-metadata label of GB 45438-2025
// Annex E: the seven-field AIGC label, its two JSON forms, validation against
// the standard and the TC260 practice guides, and the Format interface that
// the per-container packages (label/jpeg, label/mp4, …) implement.
//
// The label type knows no container. Containers live in sub-packages and are
// gathered into an explicit registry by package label/all.
//
// Specification: GB 45438-2025 Annex E (normative); the project's summary is
// shared/spec/GB45438.md.
package label

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Label is the metadata label of GB 45438-2025 Annex E. Every field is a
// string, and the fields are in the order the standard gives, which is also
// the order in which they are written.
type Label struct {
	Label             string `json:"Label"`             // "1" AI-generated, "2" possibly, "3" suspected
	ContentProducer   string `json:"ContentProducer"`   // generation service's name or code
	ProduceID         string `json:"ProduceID"`         // generation service's unique number for the content
	ReservedCode1     string `json:"ReservedCode1"`     // producer's integrity data
	ContentPropagator string `json:"ContentPropagator"` // distribution platform's name or code
	PropagateID       string `json:"PropagateID"`       // distribution platform's unique number for the content
	ReservedCode2     string `json:"ReservedCode2"`     // platform's integrity data
}

// Keys are the seven Annex E keys in the standard's order.
var Keys = [7]string{"Label", "ContentProducer", "ProduceID", "ReservedCode1",
	"ContentPropagator", "PropagateID", "ReservedCode2"}

// WrapKey is the key of the wrapped form {"AIGC":{…}}.
const WrapKey = "AIGC"

// Values returns the seven values in the order of Keys.
func (l Label) Values() [7]string {
	return [7]string{l.Label, l.ContentProducer, l.ProduceID, l.ReservedCode1,
		l.ContentPropagator, l.PropagateID, l.ReservedCode2}
}

// field returns a pointer to the field named key, or nil.
func (l *Label) field(key string) *string {
	switch key {
	case "Label":
		return &l.Label
	case "ContentProducer":
		return &l.ContentProducer
	case "ProduceID":
		return &l.ProduceID
	case "ReservedCode1":
		return &l.ReservedCode1
	case "ContentPropagator":
		return &l.ContentPropagator
	case "PropagateID":
		return &l.PropagateID
	case "ReservedCode2":
		return &l.ReservedCode2
	}
	return nil
}

// Get returns the value of the Annex E key, and whether key is one of them.
func (l Label) Get(key string) (string, bool) {
	p := l.field(key)
	if p == nil {
		return "", false
	}
	return *p, true
}

// Set sets the value of the Annex E key; it reports false for other keys.
func (l *Label) Set(key, value string) bool {
	p := l.field(key)
	if p == nil {
		return false
	}
	*p = value
	return true
}

// WithPropagationDefaults returns l with empty propagation fields set to the
// production fields, as Annex E note 1 asks when the producer is also the
// first distributor.
func (l Label) WithPropagationDefaults() Label {
	if l.ContentPropagator == "" && l.PropagateID == "" {
		l.ContentPropagator = l.ContentProducer
		l.PropagateID = l.ProduceID
	}
	return l
}

// JSON returns the bare form: the seven-key object, compact, keys in order,
// without HTML escaping. Writers put this form inside carriers that are
// already named AIGC (XMP TC260:AIGC, MP4 key AIGC, ID3 TXXX:AIGC, …).
func (l Label) JSON() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range l.Values() {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, Keys[i])
		b.WriteByte(':')
		writeString(&b, v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// WrappedJSON returns the wrapped form {"AIGC":{…}} the standard shows, for
// carriers whose name does not say AIGC (EXIF UserComment, PNG tEXt).
func (l Label) WrappedJSON() []byte {
	var b bytes.Buffer
	b.WriteString(`{"AIGC":`)
	b.Write(l.JSON())
	b.WriteByte('}')
	return b.Bytes()
}

// String returns the bare JSON form.
func (l Label) String() string { return string(l.JSON()) }

func writeString(b *bytes.Buffer, s string) {
	var e bytes.Buffer
	enc := json.NewEncoder(&e)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimRight(e.Bytes(), "\n"))
}

// Parse reads a label from JSON in either form, leniently: what can be read
// is read, and every departure from Annex E is returned as a Problem. It
// returns an error only when the text is not a JSON object at all.
// Validation of the values themselves is Validate's job.
func Parse(data []byte) (l Label, wrapped bool, problems []Problem, err error) {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	data = bytes.TrimRight(data, "\x00")
	obj, err := decodeObject(data)
	if err != nil {
		return Label{}, false, nil, fmt.Errorf("label: not a JSON object: %w", err)
	}
	if len(obj.keys) == 1 && strings.EqualFold(obj.keys[0], WrapKey) {
		inner, ierr := decodeObject(obj.vals[0])
		if ierr != nil {
			// A string holding the object is seen in the wild.
			var s string
			if json.Unmarshal(obj.vals[0], &s) == nil {
				inner, ierr = decodeObject([]byte(s))
			}
		}
		if ierr != nil {
			return Label{}, true, nil, fmt.Errorf("label: the value of %q is not a JSON object: %w", obj.keys[0], ierr)
		}
		if obj.keys[0] != WrapKey {
			problems = append(problems, Problem{Code: "key-case", Severity: Warning,
				Message: fmt.Sprintf("wrapper key %q should be %q", obj.keys[0], WrapKey)})
		}
		obj, wrapped = inner, true
	}
	seen := map[string]bool{}
	var order []string
	for i, k := range obj.keys {
		raw := obj.vals[i]
		p := l.field(k)
		if p == nil {
			if canon := canonicalKey(k); canon != "" {
				problems = append(problems, Problem{Code: "key-case", Severity: Warning,
					Message: fmt.Sprintf("key %q should be spelled %q", k, canon)})
				p = l.field(canon)
				k = canon
			} else {
				problems = append(problems, Problem{Code: "unknown-key", Severity: Warning,
					Message: fmt.Sprintf("unknown key %q", k)})
				continue
			}
		}
		if seen[k] {
			problems = append(problems, Problem{Code: "duplicate-key", Severity: Error,
				Message: fmt.Sprintf("key %q appears twice", k)})
		}
		seen[k] = true
		order = append(order, k)
		var s string
		if json.Unmarshal(raw, &s) != nil {
			// Numbers and booleans are seen in the wild ("Label":1); keep their text.
			s = string(bytes.TrimSpace(raw))
			if s == "null" {
				s = ""
			}
			problems = append(problems, Problem{Code: "not-string", Severity: Error,
				Message: fmt.Sprintf("value of %q is %s, not a JSON string", k, s)})
		}
		*p = s
	}
	var missing []string
	for _, k := range Keys {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, Problem{Code: "missing-key", Severity: Error,
			Message: "missing key(s) " + strings.Join(missing, ", ")})
	}
	if len(missing) == 0 && !inOrder(order) {
		problems = append(problems, Problem{Code: "key-order", Severity: Warning,
			Message: "keys are not in the order Annex E gives"})
	}
	return l, wrapped, problems, nil
}

func canonicalKey(k string) string {
	for _, c := range Keys {
		if strings.EqualFold(c, k) {
			return c
		}
	}
	return ""
}

func inOrder(keys []string) bool {
	j := 0
	for _, k := range keys {
		for j < len(Keys) && Keys[j] != k {
			j++
		}
		if j == len(Keys) {
			return false
		}
	}
	return true
}

// object is a JSON object with its keys in document order.
type object struct {
	keys []string
	vals []json.RawMessage
}

func decodeObject(data []byte) (object, error) {
	var o object
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return o, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return o, fmt.Errorf("starts with %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return o, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return o, err
		}
		o.keys = append(o.keys, k)
		o.vals = append(o.vals, v)
	}
	if _, err := dec.Token(); err != nil {
		return o, err
	}
	if dec.More() {
		return o, fmt.Errorf("text after the object")
	}
	if _, err := dec.Token(); err == nil {
		return o, fmt.Errorf("text after the object")
	}
	return o, nil
}
