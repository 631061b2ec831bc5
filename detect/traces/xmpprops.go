package traces

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// xmpProps are the XMP properties read, by namespace URI and local name,
// with the conventional prefixed name used in Evidence.Source.
var xmpProps = map[xml.Name]string{
	{Space: "http://iptc.org/std/Iptc4xmpExt/2008-02-29/", Local: "DigitalSourceType"}: "Iptc4xmpExt:DigitalSourceType",
	{Space: "http://ns.adobe.com/xap/1.0/", Local: "CreatorTool"}:                      "xmp:CreatorTool",
	{Space: "http://ns.adobe.com/tiff/1.0/", Local: "Software"}:                        "tiff:Software",
	{Space: "http://ns.adobe.com/tiff/1.0/", Local: "ImageDescription"}:                "tiff:ImageDescription",
	{Space: "http://ns.adobe.com/photoshop/1.0/", Local: "Credit"}:                     "photoshop:Credit",
	{Space: "http://purl.org/dc/elements/1.1/", Local: "description"}:                  "dc:description",
	{Space: "http://ns.adobe.com/exif/1.0/", Local: "UserComment"}:                     "exif:UserComment",
}

const rdfNS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

// maxProp bounds the text kept for one property.
const maxProp = 64 << 10

// xmpProp is one property value.
type xmpProp struct {
	name  string
	value string
}

// xmpValues returns the values of the properties in xmpProps found in the
// packet: attribute form (prefix:Name="…"), element form
// (<prefix:Name>…</prefix:Name>, rdf:Alt/Seq/Bag items each a value) and
// <prefix:Name rdf:resource="…"/>. A malformed packet gives the values read
// before the error.
func xmpValues(packet []byte) []xmpProp {
	i := bytes.IndexByte(packet, '<')
	if i < 0 {
		return nil
	}
	d := xml.NewDecoder(bytes.NewReader(packet[i:]))
	d.Strict = false
	type open struct {
		name string // the property, "" for other elements
		text strings.Builder
		li   bool // an rdf:li inside a property
	}
	var stack []*open
	var out []xmpProp
	prop := func() *open { // innermost open property
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k].name != "" {
				return stack[k]
			}
		}
		return nil
	}
	for n := 0; n < 1<<20; n++ {
		tok, err := d.Token()
		if err == io.EOF || err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			o := &open{}
			if name, ok := xmpProps[t.Name]; ok && prop() == nil {
				o.name = name
				for _, a := range t.Attr {
					if a.Name.Space == rdfNS && a.Name.Local == "resource" {
						out = append(out, xmpProp{name: name, value: a.Value})
					}
				}
			} else if p := prop(); p != nil && t.Name.Space == rdfNS && t.Name.Local == "li" {
				o.li = true
			}
			for _, a := range t.Attr {
				if name, ok := xmpProps[a.Name]; ok {
					out = append(out, xmpProp{name: name, value: a.Value})
				}
			}
			stack = append(stack, o)
		case xml.CharData:
			if len(stack) == 0 {
				break
			}
			// Text goes to the innermost rdf:li, or to the property.
			var dst *open
			for k := len(stack) - 1; k >= 0 && dst == nil; k-- {
				if stack[k].li || stack[k].name != "" {
					dst = stack[k]
				}
			}
			if dst != nil && dst.text.Len() < maxProp {
				dst.text.Write(t[:min(len(t), maxProp-dst.text.Len())])
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return out
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if o.li {
				if p := prop(); p != nil {
					if v := strings.TrimSpace(o.text.String()); v != "" {
						out = append(out, xmpProp{name: p.name, value: v})
					}
				}
			} else if o.name != "" {
				if v := strings.TrimSpace(o.text.String()); v != "" {
					out = append(out, xmpProp{name: o.name, value: v})
				}
			}
		}
	}
	return out
}
