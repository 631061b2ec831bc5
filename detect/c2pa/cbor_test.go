package c2pa

import (
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

// rfcExamples are encodings from RFC 8949 appendix A with the values they
// decode to, in this package's Go representation.
var rfcExamples = []struct {
	hex  string
	want any
}{
	{"00", int64(0)},
	{"17", int64(23)},
	{"1818", int64(24)},
	{"1903e8", int64(1000)},
	{"1a000f4240", int64(1000000)},
	{"1b000000e8d4a51000", int64(1000000000000)},
	{"1bffffffffffffffff", uint64(18446744073709551615)},
	{"20", int64(-1)},
	{"3863", int64(-100)},
	{"3903e7", int64(-1000)},
	{"f90000", 0.0},
	{"f93c00", 1.0},
	{"fb3ff199999999999a", 1.1},
	{"f93e00", 1.5},
	{"f97bff", 65504.0},
	{"fa47c35000", 100000.0},
	{"fa7f7fffff", 3.4028234663852886e+38},
	{"fb7e37e43c8800759c", 1.0e+300},
	{"f90001", 5.960464477539063e-8},
	{"f90400", 0.00006103515625},
	{"f9c400", -4.0},
	{"fbc010666666666666", -4.1},
	{"f97c00", math.Inf(1)},
	{"f9fc00", math.Inf(-1)},
	{"f4", false},
	{"f5", true},
	{"f6", nil},
	{"f7", nil},
	{"f0", Simple(16)},
	{"f8ff", Simple(255)},
	{"c074323031332d30332d32315432303a30343a30305a", "2013-03-21T20:04:00Z"},
	{"c11a514b67b0", int64(1363896240)},
	{"d74401020304", []byte{1, 2, 3, 4}},
	{"d82076687474703a2f2f7777772e6578616d706c652e636f6d", "http://www.example.com"},
	{"40", []byte{}},
	{"4401020304", []byte{1, 2, 3, 4}},
	{"60", ""},
	{"6449455446", "IETF"},
	{"62225c", "\"\\"},
	{"62c3bc", "ü"},
	{"63e6b0b4", "水"},
	{"64f0908591", "𐅑"},
	{"80", []any{}},
	{"83010203", []any{int64(1), int64(2), int64(3)}},
	{"8301820203820405", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
	{"a0", map[string]any{}},
	{"a201020304", map[string]any{"1": int64(2), "3": int64(4)}},
	{"a26161016162820203", map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}}},
	{"826161a161626163", []any{"a", map[string]any{"b": "c"}}},
	{"5f42010243030405ff", []byte{1, 2, 3, 4, 5}},
	{"7f657374726561646d696e67ff", "streaming"},
	{"9fff", []any{}},
	{"9f018202039f0405ffff", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
	{"83018202039f0405ff", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
	{"bf61610161629f0203ffff", map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}}},
	{"bf6346756ef563416d7421ff", map[string]any{"Fun": true, "Amt": int64(-2)}},
}

func TestCBORExamples(t *testing.T) {
	for _, c := range rfcExamples {
		b, _ := hex.DecodeString(c.hex)
		got, err := decodeCBOR(b, nil)
		if err != nil {
			t.Errorf("%s: %v", c.hex, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.hex, got, c.want)
		}
	}
	// -2^64 needs a big.Int; NaN is not equal to itself.
	b, _ := hex.DecodeString("3bffffffffffffffff")
	v, err := decodeCBOR(b, nil)
	want, _ := new(big.Int).SetString("-18446744073709551616", 10)
	if n, ok := v.(*big.Int); err != nil || !ok || n.Cmp(want) != 0 {
		t.Errorf("-2^64: %v, %v", v, err)
	}
	b, _ = hex.DecodeString("f97e00")
	if v, err := decodeCBOR(b, nil); err != nil || !math.IsNaN(v.(float64)) {
		t.Errorf("NaN: %v, %v", v, err)
	}
}

func TestCBORErrors(t *testing.T) {
	deep := strings.Repeat("81", maxCBORDepth+2) + "00"
	for _, c := range []struct {
		hex, msg    string
		unsupported bool
	}{
		{"", "data item is truncated", false},
		{"1c", "reserved additional information 28", false},
		{"18", "head is truncated", false},
		{"1f", "major type 0 cannot have an indefinite length", false},
		{"ff", "break outside", false},
		{"0000", "1 bytes follow the data item", false},
		{"9b00000000ffffffff00", "array claims 4294967295 items, 1 bytes remain", false},
		{"bb7fffffffffffffff", "map claims", false},
		{"5a7fffffff00", "string claims 2147483647 bytes", false},
		{"5f4101610262ff", "chunk of major type 3", false},
		{"5f5f4101ffff", "chunk of major type 2", false},
		{"9f01", "truncated", false},
		{"a201020103", `duplicate map key "1"`, false},
		{"a18001", "map key of type []interface {}", true},
		{"f801", "simple value 1 in two bytes", false},
		{deep, "nested more than 64 deep", true},
	} {
		b, _ := hex.DecodeString(c.hex)
		v, err := decodeCBOR(b, nil)
		if err == nil {
			t.Errorf("%s: no error, value %#v", c.hex, v)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "cbor: ") {
			t.Errorf("%s: error %q does not say %q", c.hex, err, c.msg)
		}
		if errors.Is(err, label.ErrUnsupported) != c.unsupported || errors.Is(err, label.ErrCorrupt) == c.unsupported {
			t.Errorf("%s: error %q: unsupported should be %v", c.hex, err, c.unsupported)
		}
	}
}

// TestCBORItemBudget checks that the shared item budget stops a decode.
func TestCBORItemBudget(t *testing.T) {
	b, _ := hex.DecodeString("83010203")
	n := 3
	if _, err := decodeCBOR(b, &n); !errors.Is(err, label.ErrUnsupported) {
		t.Fatalf("4 items with a budget of 3: %v", err)
	}
	n = 4
	if _, err := decodeCBOR(b, &n); err != nil || n != 0 {
		t.Fatalf("4 items with a budget of 4: %v, %d left", err, n)
	}
}

// TestCBORRoundTrip decodes what the test encoder writes.
func TestCBORRoundTrip(t *testing.T) {
	v := map[string]any{"a": []any{int64(-5), "x", []byte{9}, 2.5, true, nil, map[string]any{"k": uint64(math.MaxUint64)}}, "big": int64(math.MaxInt64)}
	got, err := decodeCBOR(cborOf(v), nil)
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("got %#v, %v", got, err)
	}
}
