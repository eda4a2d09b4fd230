package mailformat

import (
	"bytes"
	"testing"
)

func TestCursorNamesSendSecondAndHash(t *testing.T) {
	v := loadVectors(t)
	var hash [32]byte
	copy(hash[:], vector(t, v, "envelope_hash"))
	sent := u32(vector(t, v, "envelope_sent"))
	c := Cursor(sent, hash)
	if want := vector(t, v, "db_key")[:CursorLength]; !bytes.Equal(c, want) {
		t.Fatalf("cursor %x\nwant %x", c, want)
	}
	if got, ok := CursorSent(c); !ok || got != sent {
		t.Fatalf("CursorSent = %d, %v; want %d", got, ok, sent)
	}
	for _, bad := range [][]byte{nil, c[:35], append(append([]byte{}, c...), 0)} {
		if _, ok := CursorSent(bad); ok {
			t.Errorf("CursorSent accepted %d bytes", len(bad))
		}
	}
}
