package labeltest

import (
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

// TestCheckOne checks that the comparison behind RequireOne, WantOne and
// RoundTrip rejects each departure from "exactly l, as bare JSON, without
// problems, in carrier".
func TestCheckOne(t *testing.T) {
	l := label.Label{Label: "1", ContentProducer: "p", ProduceID: "id"}
	good := label.NewFound(label.CarrierXMP, "test", 0, l.JSON())
	other := label.NewFound(label.CarrierXMP, "test", 0, label.Label{Label: "2"}.JSON())
	wrapped := label.NewFound(label.CarrierXMP, "test", 0, l.WrappedJSON())
	spaced := label.NewFound(label.CarrierXMP, "test", 0, append([]byte(" "), l.JSON()...))
	lower := label.NewFound(label.CarrierXMP, "test", 0, []byte(strings.Replace(string(l.JSON()), `"Label"`, `"label"`, 1)))
	bad := []byte("\xff")
	odd := label.Label{Label: "1", ContentProducer: string(bad)}
	for _, tc := range []struct {
		name    string
		found   []label.Found
		l       label.Label
		carrier string
		ok      bool
	}{
		{"one", []label.Found{good}, l, label.CarrierXMP, true},
		{"any carrier", []label.Found{good}, l, "", true},
		{"invalid UTF-8 as its JSON reads", []label.Found{label.NewFound(label.CarrierXMP, "test", 0, odd.JSON())}, odd, "", true},
		{"none", nil, l, "", false},
		{"two", []label.Found{good, good}, l, "", false},
		{"other label", []label.Found{other}, l, "", false},
		{"other carrier", []label.Found{good}, l, label.CarrierEXIF, false},
		{"wrapped", []label.Found{wrapped}, l, "", false},
		{"raw differs", []label.Found{spaced}, l, "", false},
		{"lower-case key", []label.Found{lower}, l, "", false},
	} {
		if msg := checkOne(tc.found, tc.l, tc.carrier); (msg == "") != tc.ok {
			t.Errorf("%s: checkOne = %q, want ok %v", tc.name, msg, tc.ok)
		}
	}
}
