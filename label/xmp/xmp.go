// Package xmp builds and edits XMP packets (ISO 16684-1) for the AIGC label:
// the TC260 property TC260:AIGC (namespace http://www.tc260.org.cn/ns/AIGC/1.0/)
// whose text is the label's JSON, and beside it, for platforms outside
// China, the IPTC Extension property Iptc4xmpExt:DigitalSourceType
// (namespace http://iptc.org/std/Iptc4xmpExt/2008-02-29/, IPTC Photo
// Metadata Standard) with the value
// http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia.
// It knows no container: callers hand it the packet bytes a container
// carries.
//
// Edits are textual and local. Set rewrites only the TC260:AIGC property (or
// inserts one rdf:Description holding it); SetSourceType adds a digital
// source type only where the packet states none, and never changes one it
// states; every other byte of an existing packet — other namespaces, IPTC,
// EXIF and tiff properties, padding — is kept as it was. Options.Set does
// both, as the container writers call it.
package xmp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Namespace URIs.
const (
	NS    = "http://www.tc260.org.cn/ns/AIGC/1.0/"
	RDFNS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	// Prefix is the conventional prefix for NS.
	Prefix = "TC260"
	// Property is the local name of the label property.
	Property = "AIGC"
)

// Error is a malformed packet.
type Error struct{ Msg string }

func (e *Error) Error() string { return "xmp: " + e.Msg }

// ErrNoRDF means the packet has no rdf:RDF element to hold a new property.
var ErrNoRDF = errors.New("xmp: packet has no rdf:RDF element")

// Value is one property found in a packet: TC260:AIGC (Find) or
// Iptc4xmpExt:DigitalSourceType (SourceTypes).
type Value struct {
	Text string // the property text, XML entities decoded
	// Start and End delimit the bytes to replace: for the element form the
	// whole element, for the attribute form the attribute (name, '=' and
	// quoted value).
	Start, End int
	Attr       bool // attribute form
}

// Find returns every TC260:AIGC property in the packet, in element form
// (<TC260:AIGC>{…}</TC260:AIGC>, also inside rdf:Alt/rdf:li) or attribute
// form (TC260:AIGC="{…}"), whatever prefix the document binds to NS, in
// document order. A property nested inside another is part of the outer
// one's value, not a property of its own, so the ranges never overlap.
func Find(packet []byte) ([]Value, error) { return find(packet, NS, Property, false) }

// find returns every property ns:local in the packet, in element or
// attribute form, in document order; with resource, an element's
// rdf:resource attribute gives its text when it has no character data. A
// property nested inside another is part of the outer one's value.
func find(packet []byte, ns, local string, resource bool) ([]Value, error) {
	body, base := trimPacket(packet)
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	var vals []Value
	type open struct {
		start int
		prop  bool
		res   string
		text  strings.Builder
	}
	var stack []*open
	for {
		off := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return vals, &Error{Msg: fmt.Sprintf("malformed XML at byte %d: %v", base+off, err)}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			end := int(d.InputOffset())
			inside := false // within a property element: part of its value
			for _, o := range stack {
				inside = inside || o.prop
			}
			for _, a := range t.Attr {
				if inside {
					break
				}
				if a.Name.Space == ns && a.Name.Local == local {
					s, e := findAttr(body[off:end], ns, local, body)
					if s < 0 {
						return vals, &Error{Msg: "cannot locate the " + local + " attribute"}
					}
					vals = append(vals, Value{Text: a.Value, Start: base + off + s, End: base + off + e, Attr: true})
				}
			}
			o := &open{start: off, prop: !inside && t.Name.Space == ns && t.Name.Local == local}
			if o.prop && resource {
				for _, a := range t.Attr {
					if a.Name.Space == RDFNS && a.Name.Local == "resource" {
						o.res = a.Value
					}
				}
			}
			stack = append(stack, o)
		case xml.CharData:
			for _, o := range stack {
				if o.prop {
					o.text.Write(t)
				}
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return vals, &Error{Msg: "unbalanced end tag"}
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if o.prop {
				text := strings.TrimSpace(o.text.String())
				if text == "" {
					text = strings.TrimSpace(o.res)
				}
				vals = append(vals, Value{Text: text,
					Start: base + o.start, End: base + int(d.InputOffset())})
			}
		}
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i].Start < vals[j].Start })
	return vals, nil
}

// trimPacket returns the packet without its xpacket wrapper's surrounding
// bytes outside the first '<' (some writers leave NULs and padding) and the
// offset of the returned slice in packet.
func trimPacket(p []byte) ([]byte, int) {
	i := bytes.IndexByte(p, '<')
	if i < 0 {
		return nil, 0
	}
	j := bytes.LastIndexByte(p, '>')
	if j < i {
		return nil, 0
	}
	return p[i : j+1], i
}

var attrRE = regexp.MustCompile(`([A-Za-z_][-A-Za-z0-9_.]*):([A-Za-z_][-A-Za-z0-9_.]*)\s*=\s*("[^"]*"|'[^']*')`)

// findAttr finds, inside the start tag tag, the attribute local whose prefix
// is bound to ns somewhere in doc, and returns its byte range in tag.
func findAttr(tag []byte, ns, local string, doc []byte) (int, int) {
	for _, m := range attrRE.FindAllSubmatchIndex(tag, -1) {
		prefix := string(tag[m[2]:m[3]])
		if string(tag[m[4]:m[5]]) != local || prefix == "xmlns" {
			continue
		}
		if bytes.Contains(doc, []byte("xmlns:"+prefix+`="`+ns+`"`)) ||
			bytes.Contains(doc, []byte("xmlns:"+prefix+`='`+ns+`'`)) {
			return m[0], m[1]
		}
	}
	return -1, -1
}

// EscapeText escapes s for XML character data and attribute values.
func EscapeText(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

// escapeElement escapes s for element content, leaving quotes readable.
func escapeElement(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// New returns a fresh XMP packet holding only TC260:AIGC = value, with the
// xpacket wrapper and no padding.
func New(value string) []byte {
	return wrap(description("rdf", "", prop{Prefix, NS, Property, value}))
}

// wrap returns the packet whose rdf:RDF holds the descriptions desc, with
// the xpacket wrapper and no padding.
func wrap(desc string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="aigcmark">` + "\n")
	b.WriteString(` <rdf:RDF xmlns:rdf="` + RDFNS + `">` + "\n")
	b.WriteString(desc)
	b.WriteString(" </rdf:RDF>\n</x:xmpmeta>\n")
	b.WriteString(`<?xpacket end="w"?>`)
	return b.Bytes()
}

// prop is one simple property for description.
type prop struct{ prefix, ns, local, value string }

// description returns an rdf:Description (rdf being the prefix bound to
// the RDF namespace, about its rdf:about value) holding props in element
// form, each namespace declared on the description itself.
func description(rdf, about string, props ...prop) string {
	var b strings.Builder
	b.WriteString("  <" + rdf + `:Description ` + rdf + `:about="` + EscapeText(about) + `"`)
	for i, p := range props {
		if i == 0 || p.prefix != props[i-1].prefix {
			b.WriteString(` xmlns:` + p.prefix + `="` + p.ns + `"`)
		}
	}
	b.WriteString(">\n")
	for _, p := range props {
		name := p.prefix + ":" + p.local
		b.WriteString("   <" + name + ">" + escapeElement(p.value) + "</" + name + ">\n")
	}
	b.WriteString("  </" + rdf + ":Description>\n")
	return b.String()
}

// insert returns a copy of packet with a new rdf:Description holding props
// before its </rdf:RDF> end tag, every other byte kept.
func insert(packet []byte, props ...prop) ([]byte, error) {
	at, rdf, about, err := rdfEnd(packet)
	if err != nil {
		return nil, err
	}
	d := description(rdf, about, props...)
	out := make([]byte, 0, len(packet)+len(d)+1)
	out = append(out, packet[:at]...)
	out = append(out, d...)
	out = append(out, ' ')
	return append(out, packet[at:]...), nil
}

// Set returns a copy of packet with TC260:AIGC set to value. The first
// existing property is rewritten in its own form (element text or attribute
// value) and any further ones are removed, so the packet carries exactly one
// label; with none, an rdf:Description holding the property is inserted
// before </rdf:RDF>. Every other byte is kept. An empty or blank packet
// gives New(value).
func Set(packet []byte, value string) ([]byte, error) {
	if blank(packet) {
		return New(value), nil
	}
	vals, err := Find(packet)
	if err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return insert(packet, prop{Prefix, NS, Property, value})
	}
	var out bytes.Buffer
	prev := 0
	for i, v := range vals {
		out.Write(packet[prev:v.Start])
		if i == 0 {
			rewrite(&out, packet[v.Start:v.End], v.Attr, value)
		}
		prev = v.End
	}
	out.Write(packet[prev:])
	return out.Bytes(), nil
}

// rewrite writes the property orig (an element, or an attribute when attr)
// with its value replaced by value, in the same form.
func rewrite(out *bytes.Buffer, orig []byte, attr bool, value string) {
	if attr {
		eq := bytes.IndexByte(orig, '=')
		q := orig[len(orig)-1]
		out.Write(orig[:eq+1])
		out.WriteByte(q)
		out.WriteString(EscapeText(value))
		out.WriteByte(q)
		return
	}
	gt := bytes.IndexByte(orig, '>')
	if orig[gt-1] == '/' { // <TC260:AIGC/>
		name := orig[1 : gt-1]
		if f := bytes.Fields(name); len(f) > 0 {
			name = f[0] // the name without the attributes
		}
		out.Write(orig[:gt-1])
		out.WriteByte('>')
		out.WriteString(escapeElement(value))
		out.WriteString("</" + string(name) + ">")
		return
	}
	lt := bytes.LastIndex(orig, []byte("</"))
	out.Write(orig[:gt+1])
	out.WriteString(escapeElement(value))
	out.Write(orig[lt:])
}

// blank reports whether packet holds nothing but NULs and white space.
func blank(packet []byte) bool { return len(bytes.TrimSpace(bytes.Trim(packet, "\x00"))) == 0 }

// Drop returns a copy of packet without its TC260:AIGC properties, every
// other byte kept. Container writers call it only while moving a label from
// a secondary XMP carrier into their primary carrier in the same write, so
// that the output carries exactly one label; it is not a removal feature.
func Drop(packet []byte) ([]byte, error) {
	vals, err := Find(packet)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	prev := 0
	for _, v := range vals {
		out.Write(packet[prev:v.Start])
		prev = v.End
	}
	out.Write(packet[prev:])
	return out.Bytes(), nil
}

// rdfEnd returns the offset of the </rdf:RDF> end tag, the prefix used
// for the RDF namespace there, and the rdf:about value of the packet's
// first rdf:Description ("" when it has none): ISO 16684-1 wants every
// description of a packet to name the same resource.
func rdfEnd(packet []byte) (int, string, string, error) {
	body, base := trimPacket(packet)
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	about, described := "", false
	for {
		off := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			return 0, "", "", ErrNoRDF
		}
		if err != nil {
			return 0, "", "", &Error{Msg: fmt.Sprintf("malformed XML at byte %d: %v", base+off, err)}
		}
		if e, ok := tok.(xml.StartElement); ok && !described && e.Name.Space == RDFNS && e.Name.Local == "Description" {
			described = true
			for _, a := range e.Attr {
				if a.Name.Space == RDFNS && a.Name.Local == "about" {
					about = a.Value
				}
			}
		}
		if e, ok := tok.(xml.EndElement); ok && e.Name.Space == RDFNS && e.Name.Local == "RDF" {
			raw := body[off:d.InputOffset()]
			name := strings.TrimSpace(strings.Trim(string(raw), "</>"))
			prefix := "rdf"
			if i := strings.IndexByte(name, ':'); i >= 0 {
				prefix = name[:i]
			} else {
				return 0, "", "", &Error{Msg: "rdf:RDF uses a default namespace; cannot add a property"}
			}
			return base + off, prefix, about, nil
		}
	}
}
