package alias

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
)

// Identicon is the picture Status drew for a key (PROTOCOL.md §9.4): a
// mirrored 5×5 grid and a colour, both from the md5 of the key's "0x04…"
// text. Status sent it as the profile image of its contact records.
type Identicon struct {
	Cells [25]bool // row-major; true is filled
	Hue   float64  // degrees
	Color color.RGBA
}

// NewIdenticon derives the identicon of a key given as its "0x04…" text
// (any string works; Status hashed the text as it is).
func NewIdenticon(key string) Identicon {
	h := md5.Sum([]byte(key))
	var id Identicon
	for row := 0; row < 5; row++ {
		for col := 0; col < 5; col++ {
			src := col
			if col > 2 {
				src = 4 - col // the right half mirrors the left
			}
			id.Cells[5*row+col] = h[3*row+src]%2 == 0
		}
	}
	id.Hue = float64(int(h[13])+int(h[14])+int(h[15])) / 765 * 360
	id.Color = hslToRGB(id.Hue, 0.5, 0.7)
	return id
}

// hslToRGB converts a colour from hue (degrees), saturation and lightness.
func hslToRGB(hue, s, l float64) color.RGBA {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(hue/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case hue < 60:
		r, g, b = c, x, 0
	case hue < 120:
		r, g, b = x, c, 0
	case hue < 180:
		r, g, b = 0, c, x
	case hue < 240:
		r, g, b = 0, x, c
	case hue < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	byteOf := func(v float64) uint8 { return uint8(math.Round((v + m) * 255)) }
	return color.RGBA{byteOf(r), byteOf(g), byteOf(b), 0xff}
}

// Identicon image layout: 50×50 pixels, white, cells of 6 pixels from
// (10, 10).
const (
	iconSize   = 50
	iconCell   = 6
	iconMargin = 10
)

// PNG draws the identicon as Status did.
func (id Identicon) PNG() ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, iconSize, iconSize))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for cell, filled := range id.Cells {
		if !filled {
			continue
		}
		x0, y0 := iconMargin+iconCell*(cell%5), iconMargin+iconCell*(cell/5)
		for y := y0; y < y0+iconCell; y++ {
			for x := x0; x < x0+iconCell; x++ {
				img.SetRGBA(x, y, id.Color)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DataURI is the identicon as the profile image of a contact record:
// "data:image/png;base64,…".
func (id Identicon) DataURI() (string, error) {
	b, err := id.PNG()
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b), nil
}
