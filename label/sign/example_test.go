package sign_test

import (
	"fmt"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/sign"
)

func ExampleVerify() {
	s, _ := sign.GenerateEd25519(nil)
	keys := sign.Keyring{}
	_, _ = keys.Add(s.Public(), "example")
	c := sign.Content{Container: "png"} // Digest from digest.Sum
	l, _ := sign.SignLabel(s, sign.Producer, label.Label{Label: "1", ContentProducer: "demo", ProduceID: "42"}, c)
	fmt.Println(sign.Verify(keys, sign.Producer, l, c).Status)
	l.ProduceID = "43"
	fmt.Println(sign.Verify(keys, sign.Producer, l, c).Status)
	l.ReservedCode1 = "MEUCIQ..."
	fmt.Println(sign.Verify(keys, sign.Producer, l, c).Status)
	// Output:
	// valid
	// invalid
	// foreign-format
}
