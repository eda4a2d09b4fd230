package codec

import (
	"errors"
	"testing"
)

// fuzzNow is the time messages are validated at in the fuzz targets; clocks
// up to 31 days past it pass.
const fuzzNowMS = 1558000000123

// seedPayloads gives every payload in the vector files.
func seedPayloads(tb testing.TB) []string {
	var d decodeVectors
	loadVectors(tb, "decode.json", &d)
	var p payloadVectors
	loadVectors(tb, "payloads.json", &p)
	seeds := []string{d.TwoRecords.Payload}
	for _, tc := range d.OK {
		seeds = append(seeds, tc.Payload)
	}
	for _, tc := range d.Bad {
		seeds = append(seeds, tc.Payload)
	}
	for _, tc := range p.Payloads {
		seeds = append(seeds, tc.Payload)
	}
	for _, tc := range p.Encode {
		seeds = append(seeds, tc.Payload)
	}
	var g groupVector
	loadVectors(tb, "group.json", &g)
	seeds = append(seeds, g.Payload)
	return seeds
}

// FuzzDecode checks that Decode never panics, and that a text message that
// decodes and validates survives EncodeMessage and Decode unchanged (and
// encodes to the same bytes again).
func FuzzDecode(f *testing.F) {
	for _, s := range seedPayloads(f) {
		f.Add([]byte(s))
	}
	now := unixMilli(fuzzNowMS)
	f.Fuzz(func(t *testing.T, payload []byte) {
		rec, err := Decode(payload)
		if errors.Is(err, errPanic) {
			t.Fatalf("Decode panicked: %v", err)
		}
		if err != nil {
			if rec != nil {
				t.Fatalf("Decode returned %#v with error %v", rec, err)
			}
			return
		}
		if rec == nil {
			t.Fatal("Decode returned neither a record nor an error")
		}
		m, ok := rec.(*Message)
		if !ok || m.ContentType != ContentTypeText || Validate(m, now) != nil {
			return
		}
		encoded, err := EncodeMessage(*m)
		if err != nil {
			t.Fatalf("valid message %#v does not encode: %v", *m, err)
		}
		again, err := Decode(encoded)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", encoded, err)
		}
		m2, ok := again.(*Message)
		if !ok || *m2 != *m {
			t.Fatalf("round trip changed the message:\n %#v\n %#v", *m, again)
		}
		if encoded2, err := EncodeMessage(*m2); err != nil || string(encoded2) != string(encoded) {
			t.Fatalf("second encoding differs: %q vs %q (%v)", encoded2, encoded, err)
		}
	})
}

// FuzzEncodeMessage checks that whatever EncodeMessage accepts decodes to the
// same message.
func FuzzEncodeMessage(f *testing.F) {
	f.Add("abc123", "testing-adamb", int64(154593077368201), int64(1545930773682))
	f.Add("~:x\u2028\"\\\x01", "^ ", int64(1), int64(0))
	f.Fuzz(func(t *testing.T, text, chatID string, clock, timestamp int64) {
		m := Message{Text: text, ContentType: ContentTypeText, MessageType: MessageTypePrivate,
			Clock: clock, Timestamp: timestamp, ChatID: chatID}
		encoded, err := EncodeMessage(m)
		if err != nil {
			return
		}
		rec, err := Decode(encoded)
		if err != nil {
			t.Fatalf("Decode(%q): %v", encoded, err)
		}
		if got, ok := rec.(*Message); !ok || *got != m {
			t.Fatalf("round trip of %#v gave %#v", m, rec)
		}
	})
}
