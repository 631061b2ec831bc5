package verdict_test

import (
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/detect/verdict"
)

func TestDecide(t *testing.T) {
	good := verdict.Label{Where: "XMP", Value: "1", Holds: true}
	forged := verdict.Label{Where: "XMP", Value: "1", Why: "ReservedCode1 signature invalid"}
	platform2 := verdict.Label{Where: "XMP", Value: "2", Holds: true}
	wm := verdict.Trace{Kind: "watermark", Detail: "payload 0123456789abcdef"}
	for _, tt := range []struct {
		name   string
		e      verdict.Evidence
		want   string
		notice string
		first  string // the first reason contains this
	}{
		{"nothing", verdict.Evidence{}, "none", "", ""},
		{"label", verdict.Evidence{Labels: []verdict.Label{good}, Traces: []verdict.Trace{wm}}, "1", "AI生成", "says AI-generated"},
		{"declared", verdict.Evidence{DeclaredAI: true, Traces: []verdict.Trace{wm}}, "2", "可能为AI生成", "declared"},
		{"trace", verdict.Evidence{Traces: []verdict.Trace{wm}}, "3", "疑似AI生成", "watermark"},
		{"invalid label is only a trace", verdict.Evidence{Labels: []verdict.Label{forged}}, "3", "疑似AI生成", "does not hold"},
		{"invalid label and a declaration", verdict.Evidence{Labels: []verdict.Label{forged}, DeclaredAI: true}, "2", "可能为AI生成", "declared"},
		{"an earlier platform's case 2", verdict.Evidence{Labels: []verdict.Label{platform2}}, "2", "可能为AI生成", "Label 2"},
		{"one good label among bad ones", verdict.Evidence{Labels: []verdict.Label{forged, good}}, "1", "AI生成", "says AI-generated"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := verdict.Decide(tt.e)
			if v.Label != tt.want || v.Notice != tt.notice {
				t.Fatalf("got %+v, want %s %q", v, tt.want, tt.notice)
			}
			if tt.first == "" {
				if len(v.Reasons) != 0 {
					t.Fatalf("reasons %q for no evidence", v.Reasons)
				}
				return
			}
			if !strings.Contains(v.Reasons[0], tt.first) {
				t.Fatalf("first reason %q, want one about %q", v.Reasons[0], tt.first)
			}
			n := len(tt.e.Labels) + len(tt.e.Traces)
			if tt.e.DeclaredAI {
				n++
			}
			if len(v.Reasons) != n {
				t.Fatalf("%d reasons for %d pieces of evidence: %q", len(v.Reasons), n, v.Reasons)
			}
		})
	}
}
