package mailformat

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

func TestCompletionRoundTrip(t *testing.T) {
	v := loadVectors(t)
	var c Completion
	copy(c.RequestID[:], crypto.Keccak256([]byte("request")))
	copy(c.LastEnvelope[:], vector(t, v, "envelope_hash"))
	c.Cursor = vector(t, v, "db_key")[:CursorLength]

	payload := EncodeCompletion(c)
	if len(payload) != 100 || !bytes.Equal(payload[:32], c.RequestID[:]) || !bytes.Equal(payload[32:64], c.LastEnvelope[:]) ||
		!bytes.Equal(payload[64:], c.Cursor) {
		t.Fatalf("payload %d B %x", len(payload), payload)
	}
	wire, err := rlp.EncodeToBytes(payload)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(wire, vector(t, v, "completion_rlp_prefix")) || len(wire) != 102 {
		t.Fatalf("rlp %x", wire[:4])
	}
	back, err := DecodeCompletion(payload)
	if err != nil || back.RequestID != c.RequestID || back.LastEnvelope != c.LastEnvelope || !bytes.Equal(back.Cursor, c.Cursor) || back.Err != "" {
		t.Fatalf("decoded %+v %v", back, err)
	}

	c.Cursor = nil
	payload = EncodeCompletion(c)
	back, err = DecodeCompletion(payload)
	if len(payload) != 64 || err != nil || back.Cursor != nil || back.LastEnvelope != c.LastEnvelope {
		t.Fatalf("exhausted: %d B %+v %v", len(payload), back, err)
	}

	back, err = DecodeCompletion(c.RequestID[:])
	if err != nil || back.RequestID != c.RequestID || back.LastEnvelope != ([32]byte{}) {
		t.Fatalf("id only: %+v %v", back, err)
	}
}

func TestCompletionError(t *testing.T) {
	v := loadVectors(t)
	var id [32]byte
	copy(id[:], crypto.Keccak256([]byte("request")))
	payload := EncodeCompletion(Completion{RequestID: id, Err: "rate limited"})
	want := append(append(append([]byte{}, vector(t, v, "error_prefix")...), id[:]...), "rate limited"...)
	if !bytes.Equal(payload, want) {
		t.Fatalf("payload %x\nwant %x", payload, want)
	}
	back, err := DecodeCompletion(payload)
	if err != nil || back.Err != "rate limited" || back.RequestID != id {
		t.Fatalf("decoded %+v %v", back, err)
	}
	back, err = DecodeCompletion(append([]byte("ERROR="), id[:]...))
	if err != nil || back.Err == "" {
		t.Fatalf("error without text must still be an error: %+v %v", back, err)
	}
}

func TestDecodeCompletionRejects(t *testing.T) {
	for _, n := range []int{0, 31, 33, 63, 65, 99, 101, 200} {
		if c, err := DecodeCompletion(make([]byte, n)); err == nil {
			t.Errorf("%d bytes accepted: %+v", n, c)
		}
	}
	// "ERROR=" followed by less than a request id is not an error reply,
	// and at 37 bytes is no valid length either.
	if _, err := DecodeCompletion([]byte("ERROR=" + strings.Repeat("x", 31))); err == nil {
		t.Error("short ERROR= accepted")
	}
}
