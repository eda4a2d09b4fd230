package mailformat

import (
	"bytes"
	"testing"
)

// FuzzDecodeRequest: DecodeRequest never panics; what it accepts has the
// fields the server relies on, and a status-format request survives
// EncodeRequest and DecodeRequest unchanged.
func FuzzDecodeRequest(f *testing.F) {
	const baseTime = 1545930773
	bloom := orBlooms(bloomByRule(topicOf("status")), bloomByRule(topicOf("status-core")))
	for _, r := range []Request{
		{Lower: baseTime - 86400, Upper: baseTime, Bloom: bloom, Limit: 1000, Batch: true},
		{Lower: 1, Upper: 0, Bloom: bloom, Cursor: Cursor(baseTime, [32]byte{1})},
	} {
		f.Add(EncodeRequest(r, FormatStatus))
		f.Add(EncodeRequest(r, FormatGeth))
	}
	f.Add(make([]byte, binaryTimesLength))
	f.Add(make([]byte, binaryLimitLength))
	f.Add(make([]byte, binaryLegacyCursorLength))
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, format, err := DecodeRequest(payload)
		if err != nil {
			return
		}
		if len(r.Bloom) != BloomLength || (r.Cursor != nil && len(r.Cursor) != CursorLength) {
			t.Fatalf("accepted %x as %+v", payload, r)
		}
		if format != FormatStatus {
			return
		}
		back, format, err := DecodeRequest(EncodeRequest(r, FormatStatus))
		if err != nil || format != FormatStatus || back.Lower != r.Lower || back.Upper != r.Upper ||
			back.Limit != r.Limit || back.Batch != r.Batch || !bytes.Equal(back.Bloom, r.Bloom) || !bytes.Equal(back.Cursor, r.Cursor) {
			t.Fatalf("%+v came back as %+v (%v, %v)", r, back, format, err)
		}
	})
}

// FuzzDecodeCompletion: DecodeCompletion never panics, and a reply it
// accepts encodes back to the same bytes (error replies with a reason).
func FuzzDecodeCompletion(f *testing.F) {
	id := [32]byte{1, 2, 3}
	f.Add(EncodeCompletion(Completion{RequestID: id}))
	f.Add(EncodeCompletion(Completion{RequestID: id, LastEnvelope: [32]byte{4}, Cursor: make([]byte, CursorLength)}))
	f.Add(EncodeCompletion(Completion{RequestID: id, Err: "time range too long: 604880s, at most 604800s"}))
	f.Add([]byte("ERROR="))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := DecodeCompletion(raw)
		if err != nil {
			return
		}
		if c.Cursor != nil && len(c.Cursor) != CursorLength {
			t.Fatalf("cursor of %d bytes from %x", len(c.Cursor), raw)
		}
		if c.Err == "mailserver gave no reason" && len(raw) == len("ERROR=")+32 {
			return
		}
		if back := EncodeCompletion(c); len(raw) != 32 && !bytes.Equal(back, raw) {
			t.Fatalf("%x decoded to %+v, encodes to %x", raw, c, back)
		}
		IsRangeTooLong(c.Err)
	})
}
