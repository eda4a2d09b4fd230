package codec

import (
	"strings"
	"testing"
)

func TestEncodeContactUpdate(t *testing.T) {
	in := ContactInfo{Name: "Alice \"A\" ~x", ProfileImage: "data:image/png;base64,iVBO", Address: "0xAbC1"}
	b, err := EncodeContactUpdate(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `["~#c6",["Alice \"A\" ~x","data:image/png;base64,iVBO","0xAbC1",null,null]]`
	if string(b) != want {
		t.Fatalf("encoded %s\nwant    %s", b, want)
	}
	rec, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := rec.(*ContactInfo)
	if !ok || got.Kind != TagContactUpdate || got.Name != in.Name || got.ProfileImage != in.ProfileImage || got.Address != in.Address {
		t.Fatalf("decoded %#v", rec)
	}
	// A leading ~ is escaped so it is not read as a tag.
	b, err = EncodeContactUpdate(ContactInfo{Name: "~Tilde"})
	if err != nil || !strings.Contains(string(b), `"~~Tilde"`) {
		t.Fatalf("tilde name: %s %v", b, err)
	}
	if rec, err := Decode(b); err != nil || rec.(*ContactInfo).Name != "~Tilde" {
		t.Fatalf("tilde name decoded %#v %v", rec, err)
	}
}

func TestEncodeContactUpdateRefuses(t *testing.T) {
	for _, c := range []ContactInfo{
		{Name: ""},
		{Name: "bell\a"},
		{Name: strings.Repeat("n", MaxNameRunes+1)},
		{Name: "ok", Kind: TagContactRequest},
		{Name: "ok", Address: "\xff"},
	} {
		if b, err := EncodeContactUpdate(c); err == nil {
			t.Errorf("EncodeContactUpdate(%+v) = %s, want an error", c, b)
		}
	}
}
