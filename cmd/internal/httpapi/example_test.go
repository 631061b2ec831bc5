package httpapi_test

import (
	"fmt"
	"os"

	"github.com/aigcmark/aigcmark/cmd/internal/httpapi"
)

// An AWS notification: the key arrives form-encoded, so the candidates
// start with its decoded form; versitygw's raw keys match the last.
func ExampleParseEvents() {
	n, err := httpapi.ParseEvents([]byte(`{"Records":[{"eventName":"ObjectCreated:Put",
		"s3":{"bucket":{"name":"uploads"},"object":{"key":"in/photo+one.jpg","eTag":"\"9b2cf5\""}}}]}`))
	if err != nil {
		panic(err)
	}
	r := n.Records[0]
	fmt.Println(r.Name, r.Created(), r.Bucket, r.ETag)
	fmt.Printf("%q\n", r.KeyCandidates())
	// Output:
	// ObjectCreated:Put true uploads 9b2cf5
	// ["in/photo one.jpg" "in/photo+one.jpg"]
}

func ExampleRegistry() {
	reg := &httpapi.Registry{}
	verdicts := reg.Counter("aigcmark_verdicts_total", "Verdicts reached.", "verdict")
	verdicts.Inc("1")
	verdicts.Inc("none")
	verdicts.Inc("1")
	reg.WriteTo(os.Stdout)
	// Output:
	// # HELP aigcmark_verdicts_total Verdicts reached.
	// # TYPE aigcmark_verdicts_total counter
	// aigcmark_verdicts_total{verdict="1"} 2
	// aigcmark_verdicts_total{verdict="none"} 1
}

func ExampleParseSize() {
	n, _ := httpapi.ParseSize("512MiB")
	fmt.Println(n)
	// Output: 536870912
}
