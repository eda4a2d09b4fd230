package alias

import (
	"bytes"
	"encoding/base64"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
)

// The upstream vector (status-protocol-go identity/identicon tests,
// PROTOCOL.md §9.4).
func TestIdenticonVector(t *testing.T) {
	id := NewIdenticon("Culona")
	var bits strings.Builder
	for i, filled := range id.Cells {
		if i > 0 && i%5 == 0 {
			bits.WriteByte(' ')
		}
		if filled {
			bits.WriteByte('1')
		} else {
			bits.WriteByte('0')
		}
	}
	if got := bits.String(); got != "00100 10101 10001 00000 01010" {
		t.Fatalf("cells %s", got)
	}
	if math.Abs(id.Hue-167.53) > 0.005 {
		t.Fatalf("hue %.4f, want 167.53", id.Hue)
	}
	if want := (color.RGBA{140, 217, 201, 255}); id.Color != want {
		t.Fatalf("colour %v, want %v", id.Color, want)
	}
}

func TestIdenticonPNG(t *testing.T) {
	id := NewIdenticon("Culona")
	uri, err := id.DataURI()
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := strings.CutPrefix(uri, "data:image/png;base64,")
	if !ok {
		t.Fatalf("uri %.40s", uri)
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 50 || img.Bounds().Dy() != 50 {
		t.Fatalf("size %v", img.Bounds())
	}
	white := color.RGBA{255, 255, 255, 255}
	at := func(x, y int) color.RGBA { return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) }
	if at(0, 0) != white || at(49, 49) != white {
		t.Fatal("the margin is not white")
	}
	for cell, filled := range id.Cells {
		want := white
		if filled {
			want = id.Color
		}
		x, y := 10+6*(cell%5)+3, 10+6*(cell/5)+3
		if got := at(x, y); got != want {
			t.Fatalf("cell %d at (%d,%d) is %v, want %v", cell, x, y, got, want)
		}
	}
}
