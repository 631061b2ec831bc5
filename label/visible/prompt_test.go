package visible

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/markdown"
)

const P = DefaultPrompt

func TestPrompt(t *testing.T) {
	tests := []struct {
		name string
		p    PromptOptions
		in   string
		want string
	}{
		{"end", PromptOptions{}, "正文\n", "正文\n" + P + "\n"},
		{"start", PromptOptions{Position: TextStart}, "正文\n", P + "\n正文\n"},
		{"both", PromptOptions{Position: TextBoth}, "一\n二\n", P + "\n一\n二\n" + P + "\n"},
		{"no final newline", PromptOptions{}, "正文", "正文\n" + P},
		{"crlf", PromptOptions{Position: TextBoth}, "a\r\nb\r\n", P + "\r\na\r\nb\r\n" + P + "\r\n"},
		{"bom stays first", PromptOptions{Position: TextStart}, "\ufeffabc\n", "\ufeff" + P + "\nabc\n"},
		{"empty", PromptOptions{Position: TextBoth}, "", P + "\n"},
		{"own text", PromptOptions{Text: "【AI合成】"}, "x\n", "x\n【AI合成】\n"},
		{"plain front matter", PromptOptions{Position: TextStart}, "---\na: b\n---\ntext\n", "---\na: b\n---\n" + P + "\ntext\n"},
		{"plain unclosed front matter", PromptOptions{Position: TextStart}, "---\na: b\n", P + "\n---\na: b\n"},

		{"md end", PromptOptions{Markdown: true}, "# T\n\nbody\n", "# T\n\nbody\n\n" + P + "\n"},
		{"md end after blank", PromptOptions{Markdown: true}, "body\n\n", "body\n\n" + P + "\n"},
		{"md start", PromptOptions{Markdown: true, Position: TextStart}, "# T\n", P + "\n\n# T\n"},
		{"md front matter start", PromptOptions{Markdown: true, Position: TextStart},
			"---\ntitle: x\n---\n# T\n", "---\ntitle: x\n---\n" + P + "\n\n# T\n"},
		{"md front matter both", PromptOptions{Markdown: true, Position: TextBoth},
			"---\ntitle: x\n...\nbody", "---\ntitle: x\n...\n" + P + "\n\nbody\n\n" + P},
		{"md front matter crlf", PromptOptions{Markdown: true, Position: TextStart},
			"---\r\na: 1\r\n---\r\nbody\r\n", "---\r\na: 1\r\n---\r\n" + P + "\r\n\r\nbody\r\n"},
		{"md bom front matter", PromptOptions{Markdown: true, Position: TextStart},
			"\ufeff---\na: 1\n---\nbody\n", "\ufeff---\na: 1\n---\n" + P + "\n\nbody\n"},
		{"md front matter only", PromptOptions{Markdown: true, Position: TextStart},
			"---\na: 1\n---\n", "---\na: 1\n---\n" + P + "\n"},
		{"md front matter closed at eof", PromptOptions{Markdown: true, Position: TextStart},
			"---\na: 1\n---", "---\na: 1\n---\n" + P + "\n"},
		{"md unclosed front matter is text", PromptOptions{Markdown: true, Position: TextStart},
			"---\nnot closed\n", P + "\n\n---\nnot closed\n"},
		{"md thematic break", PromptOptions{Markdown: true, Position: TextStart}, "---\n", P + "\n\n---\n"},
		{"md open fence closed", PromptOptions{Markdown: true}, "text\n```go\ncode\n", "text\n```go\ncode\n```\n\n" + P + "\n"},
		{"md open tilde fence", PromptOptions{Markdown: true}, "~~~~\ncode", "~~~~\ncode\n~~~~\n\n" + P},
		{"md closed fence", PromptOptions{Markdown: true}, "```\ncode\n```\n", "```\ncode\n```\n\n" + P + "\n"},
		{"md inline backticks", PromptOptions{Markdown: true}, "```a`b\nx\n", "```a`b\nx\n\n" + P + "\n"},
		{"md short closer", PromptOptions{Markdown: true}, "````\ncode\n```\n", "````\ncode\n```\n````\n\n" + P + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AddPromptBytes([]byte(tt.in), tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			// The streaming form, fed one byte at a time, agrees.
			var out bytes.Buffer
			if err := AddPrompt(&out, &oneByte{strings.NewReader(tt.in)}, tt.p); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("streamed\n%q\nwant\n%q", out.String(), tt.want)
			}
		})
	}
}

// oneByte reads one byte at a time.
type oneByte struct{ r io.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestPromptRefuses(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    PromptOptions
		in   string
		want error
	}{
		{"text rule", PromptOptions{Text: "本内容由机器生成"}, "x", ErrTextRule},
		{"line break in prompt", PromptOptions{Text: "AI生成\n"}, "x", ErrTextRule},
		{"utf-16", PromptOptions{}, "\xff\xfea\x00b\x00", ErrNotText},
		{"nul", PromptOptions{}, "abc\x00def", ErrNotText},
		{"invalid utf-8", PromptOptions{}, "abc\xc3\x28", ErrNotText},
		{"cut rune at end", PromptOptions{}, "abc\xe7\x94", ErrNotText},
		{"bad position", PromptOptions{Position: 7}, "x", ErrPosition},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := AddPrompt(&out, strings.NewReader(tt.in), tt.p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q before refusing", out.String())
			}
		})
	}
	if err := PromptText(DefaultPrompt); err != nil {
		t.Errorf("the default prompt fails its own rule: %v", err)
	}
}

func TestNewPromptOptions(t *testing.T) {
	o, err := NewPromptOptions("", "start")
	if err != nil || o.Text != DefaultPrompt || o.Position != TextStart {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	if _, err := NewPromptOptions("机器写的", "end"); !errors.Is(err, ErrTextRule) {
		t.Errorf("bad text: %v", err)
	}
	if _, err := NewPromptOptions("AI生成", "top"); !errors.Is(err, ErrPosition) {
		t.Errorf("bad position: %v", err)
	}
}

func TestTextPosition(t *testing.T) {
	for _, p := range []TextPosition{TextStart, TextEnd, TextBoth} {
		got, err := ParseTextPosition(strings.ToUpper(p.String()))
		if err != nil || got != p {
			t.Errorf("ParseTextPosition(%q) = %v, %v", p, got, err)
		}
	}
	if _, err := ParseTextPosition("middle"); !errors.Is(err, ErrPosition) || !strings.Contains(err.Error(), "start, end, both") {
		t.Errorf("bad name: %v", err)
	}
	var zero TextPosition
	if zero != TextEnd {
		t.Error("the zero TextPosition is not end")
	}
}

// TestPromptKeepsFrontMatterLabel adds prompts to a labeled Markdown file
// and reads the label back with label/markdown.
func TestPromptKeepsFrontMatterLabel(t *testing.T) {
	src, err := os.ReadFile(fixtures.Path("labeled/front-matter.md"))
	if err != nil {
		t.Fatal(err)
	}
	before, err := markdown.Format{}.Read(bytes.NewReader(src))
	if err != nil || len(before) != 1 {
		t.Fatalf("fixture: %v, %v", before, err)
	}
	for _, pos := range []TextPosition{TextStart, TextEnd, TextBoth} {
		// Plain text keeps the front matter too: label/markdown puts the
		// label of any text file there.
		plain, err := AddPromptBytes(src, PromptOptions{Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		if after, err := (markdown.Format{}).Read(bytes.NewReader(plain)); err != nil || len(after) != 1 || after[0].Raw != before[0].Raw {
			t.Errorf("%v, plain: label after the prompt: %v, %v", pos, after, err)
		}
		out, err := AddPromptBytes(src, PromptOptions{Markdown: true, Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		after, err := markdown.Format{}.Read(bytes.NewReader(out))
		if err != nil || len(after) != 1 || after[0].Raw != before[0].Raw {
			t.Errorf("%v: label after the prompt: %v, %v", pos, after, err)
		}
		if n := strings.Count(string(out), DefaultPrompt); n != map[TextPosition]int{TextStart: 1, TextEnd: 1, TextBoth: 2}[pos] {
			t.Errorf("%v: %d prompts", pos, n)
		}
		if pos != TextEnd && !strings.Contains(string(out), "---\n\n"+DefaultPrompt+"\n\n# 生成的文档") && !strings.Contains(string(out), "---\n"+DefaultPrompt+"\n\n\n# 生成的文档") {
			t.Errorf("%v: start prompt not right after the front matter:\n%s", pos, out)
		}
	}
}

// TestPromptStreams pushes 64 MiB through Write and checks that memory
// does not grow with the input.
func TestPromptStreams(t *testing.T) {
	const size = 64 << 20
	for _, md := range []bool{false, true} {
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		var tail lastBytes
		err := AddPrompt(&tail, io.LimitReader(lines{}, size), PromptOptions{Markdown: md, Position: TextBoth})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms1)
		if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 4<<20 {
			t.Errorf("markdown=%v: %d bytes allocated for %d bytes of text", md, alloc, size)
		}
		if tail.n != size+2*int64(len(DefaultPrompt)+1)+map[bool]int64{false: 0, true: 2}[md] {
			t.Errorf("markdown=%v: wrote %d bytes", md, tail.n)
		}
		if !strings.HasSuffix(string(tail.b), "\n\n"+DefaultPrompt+"\n") && !strings.HasSuffix(string(tail.b), "\n"+DefaultPrompt+"\n") {
			t.Errorf("markdown=%v: ends with %q", md, tail.b)
		}
	}
}

// lines is an endless text of short lines.
type lines struct{}

func (lines) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "内容 line\n"[i%len("内容 line\n")]
	}
	// Only whole repetitions, so the text stays valid UTF-8.
	n := len(p) / len("内容 line\n") * len("内容 line\n")
	if n == 0 {
		n = copy(p, "\n")
	}
	return n, nil
}

// lastBytes counts what is written and keeps the end.
type lastBytes struct {
	n int64
	b []byte
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.n += int64(len(p))
	l.b = append(l.b, p...)
	if len(l.b) > 256 {
		l.b = append(l.b[:0], l.b[len(l.b)-256:]...)
	}
	return len(p), nil
}
