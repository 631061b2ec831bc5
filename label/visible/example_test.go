package visible_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font/gofont/goregular"

	"github.com/aigcmark/aigcmark/label/visible"
)

// Label a picture and find the label again from its pixels.
func Example() {
	pic := image.NewNRGBA(image.Rect(0, 0, 640, 360))
	draw.Draw(pic, pic.Bounds(), image.NewUniform(color.NRGBA{90, 140, 200, 255}), image.Point{}, draw.Src)

	o, err := visible.Style{Text: "AI生成", Position: visible.BottomRight}.Render(640, 360)
	if err != nil {
		fmt.Println(err)
		return
	}
	labeled := visible.Composite(pic, o) // pic itself is unchanged

	f, ok := visible.Locate(labeled)
	fmt.Println(ok, f.Position, f.Edges)
	fmt.Printf("ink height %.3f of the shortest side\n", f.InkHeight)
	// Output:
	// true bottom-right 4
	// ink height 0.064 of the shortest side
}

func ExampleCheckText() {
	for _, s := range []string{"AI生成", "人工智能合成", "机器生成"} {
		fmt.Println(visible.CheckText(s))
	}
	// Output:
	// <nil>
	// <nil>
	// visible: label text "机器生成" lacks an AI element ("人工智能" or "AI"); GB 45438-2025 clause 5: the text must contain an AI element ("人工智能" or "AI") and a generation element ("生成" or "合成"), e.g. "AI生成"
}

func ExampleParsePosition() {
	p, err := visible.ParsePosition("top-left")
	fmt.Println(p, err)
	_, err = visible.ParsePosition("centre")
	fmt.Println(err)
	// Output:
	// top-left <nil>
	// visible: unknown position "centre"; use one of top-left, top, top-right, left, right, bottom-left, bottom, bottom-right
}

// A Renderer draws the overlay once per frame size; DrawOver puts it on
// each decoded frame in place.
func ExampleStyle_Renderer() {
	render, err := visible.Style{Size: 0.08, Position: visible.Top}.Renderer()
	if err != nil {
		fmt.Println(err)
		return
	}
	frame := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for range 3 { // for each frame
		o, err := render(1280, 720)
		if err != nil {
			fmt.Println(err)
			return
		}
		visible.DrawOver(frame, o)
	}
	o, _ := render(1280, 720)
	fmt.Println(o.Bounds())
	// Output:
	// (522,14)-(758,108)
}

func ExampleLoadFont() {
	f, err := visible.LoadFont(goregular.TTF)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = visible.Style{Font: f}.Render(640, 360)
	fmt.Println(err)
	// Output:
	// visible: font "Go Regular" has no glyph for '生' (U+751F), '成' (U+6210); choose a font that covers them
}

func ExampleAddPromptBytes() {
	md := []byte("---\ntitle: 报告\n---\n# 报告\n\n正文。\n")
	out, err := visible.AddPromptBytes(md, visible.PromptOptions{Markdown: true, Position: visible.TextBoth})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// ---
	// title: 报告
	// ---
	// （本内容由AI生成）
	//
	// # 报告
	//
	// 正文。
	//
	// （本内容由AI生成）
}
