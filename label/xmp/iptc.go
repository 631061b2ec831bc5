package xmp

import (
	"bytes"

	"github.com/aigcmark/aigcmark/label"
)

// The IPTC digital source type (IPTC Photo Metadata Standard 2023.1+,
// "Digital Source Type", https://iptc.org/std/photometadata/specification/;
// vocabulary https://cv.iptc.org/newscodes/digitalsourcetype/), which
// platforms outside China read to tell generated media.
const (
	// IPTCNS is the namespace of the IPTC Extension schema.
	IPTCNS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
	// IPTCPrefix is the conventional prefix for IPTCNS.
	IPTCPrefix = "Iptc4xmpExt"
	// SourceTypeProperty is the local name of the digital source type.
	SourceTypeProperty = "DigitalSourceType"
	// SourceTypeScheme is the URI of the IPTC NewsCodes vocabulary whose
	// terms are the property's values.
	SourceTypeScheme = "http://cv.iptc.org/newscodes/digitalsourcetype/"
	// TrainedAlgorithmicMedia is the term for media created by a trained
	// model: the one written beside a label saying "AI-generated".
	TrainedAlgorithmicMedia = SourceTypeScheme + "trainedAlgorithmicMedia"
)

// SourceTypes returns every Iptc4xmpExt:DigitalSourceType property in the
// packet, in element form (the value as text, or as an rdf:resource
// attribute) or attribute form, whatever prefix the document binds to
// IPTCNS, in document order.
func SourceTypes(packet []byte) ([]Value, error) {
	return find(packet, IPTCNS, SourceTypeProperty, true)
}

// SetSourceType returns a copy of packet that states the digital source
// type uri, unless the packet already states one. An existing value is
// never replaced or removed, whatever it says: the property holds one value,
// and what another tool or a person recorded (digitalCapture for a photo
// that was then edited, say) is not ours to overwrite. Only a property
// present with an empty value, in attribute form or as an element with no
// attributes, gets uri. Without the property, an rdf:Description holding
// it is inserted before </rdf:RDF>. Every other byte is kept.
//
// A packet without rdf:RDF gives ErrNoRDF.
func SetSourceType(packet []byte, uri string) ([]byte, error) {
	vals, err := SourceTypes(packet)
	if err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return insert(packet, prop{IPTCPrefix, IPTCNS, SourceTypeProperty, uri})
	}
	for _, v := range vals {
		if v.Text != "" {
			return append([]byte(nil), packet...), nil
		}
	}
	v := vals[0]
	orig := packet[v.Start:v.End]
	if gt := bytes.IndexByte(orig, '>'); !v.Attr && (gt < 1 || bytes.ContainsRune(orig[:gt], '=')) {
		// An element with attributes (rdf:resource="", a qualifier): its
		// form is not ours to guess; leave it.
		return append([]byte(nil), packet...), nil
	}
	var out bytes.Buffer
	out.Grow(len(packet) + len(uri))
	out.Write(packet[:v.Start])
	rewrite(&out, orig, v.Attr, uri)
	out.Write(packet[v.End:])
	return out.Bytes(), nil
}

// Options choose what a container writer puts into an XMP packet beside
// the label. The zero value is the default: the label, and the IPTC digital
// source type trainedAlgorithmicMedia when the label says the content is
// AI-generated.
type Options struct {
	// NoSourceType leaves out Iptc4xmpExt:DigitalSourceType. It only stops
	// the writer adding one: a property the packet already has is kept.
	NoSourceType bool
}

// SourceType returns the digital source type o writes beside l, or "" for
// none: TrainedAlgorithmicMedia when l.Label is "1" (AI-generated). For
// "2" (possibly) and "3" (suspected) nothing is written, since the term
// would state as fact what the label only suspects.
func (o Options) SourceType(l label.Label) string {
	if o.NoSourceType || l.Label != "1" {
		return ""
	}
	return TrainedAlgorithmicMedia
}

// Set returns a copy of packet carrying l as its one TC260:AIGC property
// (see Set) and, when o asks for one, a digital source type (see
// SetSourceType). A packet with neither gets one rdf:Description holding
// both. An error is Set's: a packet that takes the label but has no
// rdf:RDF for the source type gets the label alone.
func (o Options) Set(packet []byte, l label.Label) ([]byte, error) {
	value := string(l.JSON())
	uri := o.SourceType(l)
	if uri == "" {
		return Set(packet, value)
	}
	if blank(packet) {
		return o.New(l), nil
	}
	labels, err := Find(packet)
	if err != nil {
		return nil, err
	}
	if types, err := SourceTypes(packet); err == nil && len(labels) == 0 && len(types) == 0 {
		if p, err := insert(packet, prop{Prefix, NS, Property, value},
			prop{IPTCPrefix, IPTCNS, SourceTypeProperty, uri}); err == nil {
			return p, nil
		}
	}
	p, err := Set(packet, value)
	if err != nil {
		return nil, err
	}
	if q, err := SetSourceType(p, uri); err == nil {
		p = q
	}
	return p, nil
}

// New returns a fresh XMP packet holding l and, when o asks for one, the
// digital source type, in one rdf:Description.
func (o Options) New(l label.Label) []byte {
	uri := o.SourceType(l)
	if uri == "" {
		return New(string(l.JSON()))
	}
	return wrap(description("rdf", "", prop{Prefix, NS, Property, string(l.JSON())},
		prop{IPTCPrefix, IPTCNS, SourceTypeProperty, uri}))
}

// Configurable is a container format whose label lives in an XMP packet
// (label/jpeg, label/png, label/webp, label/gif).
type Configurable interface {
	label.Format
	// WithXMP returns a copy of the format that writes packets with o.
	WithXMP(o Options) label.Format
}

// Configure returns f set to write XMP packets with o when f is
// Configurable, and f itself otherwise (formats whose label is not in XMP).
func Configure(f label.Format, o Options) label.Format {
	if c, ok := f.(Configurable); ok {
		return c.WithXMP(o)
	}
	return f
}
