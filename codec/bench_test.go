package codec

import "testing"

var benchMessage = Message{
	Text:        "abc123",
	ContentType: ContentTypeText,
	MessageType: MessageTypePublic,
	Clock:       154593077368201,
	Timestamp:   1545930773682,
	ChatID:      "testing-adamb",
}

func BenchmarkDecodeC4(b *testing.B) {
	payload, err := EncodeMessage(benchMessage)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeC4(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeMessage(benchMessage); err != nil {
			b.Fatal(err)
		}
	}
}
