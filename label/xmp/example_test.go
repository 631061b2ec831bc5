package xmp_test

import (
	"fmt"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/all"
	"github.com/aigcmark/aigcmark/label/xmp"
)

func ExampleOptions_Set() {
	// A packet another tool wrote, with dc:format.
	packet := []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/png"/></rdf:RDF></x:xmpmeta>`)
	l := label.Label{Label: "1", ContentProducer: "ExampleAI", ProduceID: "42"}

	out, err := xmp.Options{}.Set(packet, l)
	if err != nil {
		fmt.Println(err)
		return
	}
	labels, _ := xmp.Find(out)
	types, _ := xmp.SourceTypes(out)
	fmt.Println(labels[0].Text)
	fmt.Println(types[0].Text)

	// Without the source type.
	out, _ = xmp.Options{NoSourceType: true}.Set(packet, l)
	types, _ = xmp.SourceTypes(out)
	fmt.Println(len(types))
	// Output:
	// {"Label":"1","ContentProducer":"ExampleAI","ProduceID":"42","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}
	// http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia
	// 0
}

func ExampleConfigure() {
	// The formats whose label lives in XMP take the options; the others
	// come back as they were.
	for _, f := range all.Formats() {
		if _, ok := xmp.Configure(f, xmp.Options{NoSourceType: true}).(xmp.Configurable); ok {
			fmt.Print(f.Name(), " ")
		}
	}
	fmt.Println()
	// Output: jpeg png webp gif
}
