package visible

import (
	"fmt"
	"strings"
)

// Position is where the label goes: a corner or the centre of an edge of
// the picture as the viewer sees it. GB 45438-2025 clause 5 asks for an
// edge or a corner. The zero value is BottomRight, the default.
type Position int

// The positions. Positions lists them in reading order.
const (
	BottomRight Position = iota
	Bottom
	BottomLeft
	Left
	TopLeft
	Top
	TopRight
	Right
)

var positionNames = [...]string{
	BottomRight: "bottom-right",
	Bottom:      "bottom",
	BottomLeft:  "bottom-left",
	Left:        "left",
	TopLeft:     "top-left",
	Top:         "top",
	TopRight:    "top-right",
	Right:       "right",
}

// Positions returns the eight positions in reading order: top-left, top,
// top-right, left, right, bottom-left, bottom, bottom-right.
func Positions() []Position {
	return []Position{TopLeft, Top, TopRight, Left, Right, BottomLeft, Bottom, BottomRight}
}

// positionList is the names in reading order, for messages.
func positionList() string {
	var names []string
	for _, p := range Positions() {
		names = append(names, p.String())
	}
	return strings.Join(names, ", ")
}

// String returns the position's name, such as "bottom-right".
func (p Position) String() string {
	if p < 0 || int(p) >= len(positionNames) {
		return fmt.Sprintf("Position(%d)", int(p))
	}
	return positionNames[p]
}

// valid reports whether p is one of the eight positions.
func (p Position) valid() bool { return p >= 0 && int(p) < len(positionNames) }

// ParsePosition parses a position name: top-left, top, top-right, left,
// right, bottom-left, bottom or bottom-right (any case; "_" or a space may
// stand for "-").
func ParsePosition(s string) (Position, error) {
	norm := strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(strings.TrimSpace(s)))
	for p, name := range positionNames {
		if norm == name {
			return Position(p), nil
		}
	}
	return 0, newError(ErrPosition, "unknown position %q; use one of %s", s, positionList())
}

// MarshalText returns the position's name.
func (p Position) MarshalText() ([]byte, error) {
	if !p.valid() {
		return nil, newError(ErrPosition, "invalid position %d", int(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText parses a position name as ParsePosition does.
func (p *Position) UnmarshalText(b []byte) error {
	v, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// horizontal returns -1 for the left column, 0 for the centre, +1 for the
// right; vertical likewise for top, middle and bottom.
func (p Position) horizontal() int {
	switch p {
	case TopLeft, Left, BottomLeft:
		return -1
	case Top, Bottom:
		return 0
	}
	return 1
}

func (p Position) vertical() int {
	switch p {
	case TopLeft, Top, TopRight:
		return -1
	case Left, Right:
		return 0
	}
	return 1
}

// positionAt returns the position with the given column and row, and false
// for the centre of the picture.
func positionAt(h, v int) (Position, bool) {
	for _, p := range Positions() {
		if p.horizontal() == h && p.vertical() == v {
			return p, true
		}
	}
	return 0, false
}
