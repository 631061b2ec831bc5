package picture

import "image"

// swapsAxes reports whether orientation o shows the stored rows as
// columns (5..8), so that the viewer's width is the stored height.
func swapsAxes(o int) bool { return o >= 5 && o <= 8 }

// viewerSize returns the size the viewer sees of a w×h stored picture.
func viewerSize(o, w, h int) (int, int) {
	if swapsAxes(o) {
		return h, w
	}
	return w, h
}

// toViewer maps the stored pixel (x, y) of a w×h picture to where the
// viewer sees it under EXIF orientation o. CIPA DC-008 describes each
// value by where the stored 0th row and 0th column appear: for 6, "the
// 0th row is the visual right-hand side, the 0th column the visual top",
// so stored (x, y) shows at (h-1-y, x).
func toViewer(o, w, h, x, y int) (int, int) {
	switch o {
	case 2: // mirrored left to right
		return w - 1 - x, y
	case 3: // turned 180°
		return w - 1 - x, h - 1 - y
	case 4: // mirrored top to bottom
		return x, h - 1 - y
	case 5: // row 0 left, column 0 top: transposed
		return y, x
	case 6: // row 0 right, column 0 top: turn 90° clockwise to view
		return h - 1 - y, x
	case 7: // row 0 right, column 0 bottom: transverse
		return h - 1 - y, w - 1 - x
	case 8: // row 0 left, column 0 bottom: turn 90° anticlockwise to view
		return y, w - 1 - x
	}
	return x, y
}

// toStored is the inverse of toViewer: the stored pixel the viewer sees
// at (vx, vy) of a w×h stored picture.
func toStored(o, w, h, vx, vy int) (int, int) {
	switch o {
	case 2:
		return w - 1 - vx, vy
	case 3:
		return w - 1 - vx, h - 1 - vy
	case 4:
		return vx, h - 1 - vy
	case 5:
		return vy, vx
	case 6:
		return vy, h - 1 - vx
	case 7:
		return w - 1 - vy, h - 1 - vx
	case 8:
		return w - 1 - vy, vx
	}
	return vx, vy
}

// storedOverlay turns the overlay part ov of the viewer rectangle r (within
// the viewer's picture) into stored coordinates of a w×h picture with
// orientation o: it returns a new image whose bounds are the stored
// rectangle the viewer rectangle covers. ov is not changed.
func storedOverlay(o, w, h int, ov *image.NRGBA, r image.Rectangle) *image.NRGBA {
	x0, y0 := toStored(o, w, h, r.Min.X, r.Min.Y)
	x1, y1 := toStored(o, w, h, r.Max.X-1, r.Max.Y-1)
	sr := image.Rect(min(x0, x1), min(y0, y1), max(x0, x1)+1, max(y0, y1)+1)
	out := image.NewNRGBA(sr)
	for y := sr.Min.Y; y < sr.Max.Y; y++ {
		for x := sr.Min.X; x < sr.Max.X; x++ {
			vx, vy := toViewer(o, w, h, x, y)
			si := ov.PixOffset(vx, vy)
			di := out.PixOffset(x, y)
			copy(out.Pix[di:di+4], ov.Pix[si:si+4])
		}
	}
	return out
}
