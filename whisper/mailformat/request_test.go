package mailformat

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

func TestTopicBloomsMatchVectors(t *testing.T) {
	v := loadVectors(t)
	status, core := topicOf("status"), topicOf("status-core")
	if !bytes.Equal(status[:], vector(t, v, "topic_status")) || !bytes.Equal(core[:], vector(t, v, "topic_status_core")) {
		t.Fatalf("topics %x %x differ from vectors", status, core)
	}
	if got := whisperv6.TopicToBloom(status); !bytes.Equal(got, vector(t, v, "bloom_status")) {
		t.Errorf("bloom(status) = %x", got)
	}
	both := orBlooms(whisperv6.TopicToBloom(status), whisperv6.TopicToBloom(core))
	if !bytes.Equal(both, vector(t, v, "bloom_status_or_core")) {
		t.Errorf("bloom(status|status-core) = %x", both)
	}
}

// whisperv6.TopicToBloom must follow the assignment rule of PROTOCOL.md §3.1, including
// the case where two indices share a byte and only the later bit survives.
func TestTopicToBloomFollowsAssignmentRule(t *testing.T) {
	for i := 0; i < 2000; i++ {
		topic := topicOf(fmt.Sprintf("topic-%d", i))
		if got, want := whisperv6.TopicToBloom(topic), bloomByRule(topic); !bytes.Equal(got, want) {
			t.Fatalf("topic %x: whisperv6 bloom %x, rule %x", topic, got, want)
		}
	}
	// Indices 0 and 1 both land in byte 0.
	topic := whisperv6.TopicType{0x00, 0x01, 0x40, 0x00}
	want := bloomByRule(topic)
	if want[0] != 0x02 {
		t.Fatalf("rule check: byte 0 = %#x, want only the later bit 0x02", want[0])
	}
	if got := whisperv6.TopicToBloom(topic); !bytes.Equal(got, want) {
		t.Fatalf("colliding topic: whisperv6 %x, rule %x", got, want)
	}
}

func vectorRequest(t *testing.T, v map[string][]byte) Request {
	return Request{
		Lower: u32(vector(t, v, "lower")),
		Upper: u32(vector(t, v, "upper")),
		Bloom: orBlooms(whisperv6.TopicToBloom(topicOf("status")), whisperv6.TopicToBloom(topicOf("status-core"))),
		Limit: 1000,
		Batch: true,
	}
}

func TestEncodeRequestStatusNoCursor(t *testing.T) {
	v := loadVectors(t)
	r := vectorRequest(t, v)
	if r.Lower != 1545844373 || r.Upper != 1545930773 {
		t.Fatalf("vector times %d %d", r.Lower, r.Upper)
	}
	got := EncodeRequest(r, FormatStatus)
	want := vector(t, v, "sg_rlp_no_cursor")
	if len(want) != 83 || !bytes.Equal(got, want) {
		t.Fatalf("got %d B %x\nwant %d B %x", len(got), got, len(want), want)
	}
	back, f, err := DecodeRequest(want)
	if err != nil || f != FormatStatus {
		t.Fatalf("decode: %v %v", f, err)
	}
	if back.Lower != r.Lower || back.Upper != r.Upper || back.Limit != 1000 || !back.Batch ||
		back.Cursor != nil || !bytes.Equal(back.Bloom, r.Bloom) {
		t.Fatalf("decoded %+v", back)
	}
}

func TestEncodeRequestStatusCursor(t *testing.T) {
	v := loadVectors(t)
	r := vectorRequest(t, v)
	r.Cursor = append(append([]byte{}, vector(t, v, "cursor_sent")...), crypto.Keccak256([]byte("some-envelope"))...)
	want := append(append(append([]byte{}, vector(t, v, "sg_rlp_cursor_prefix")...), r.Cursor...), vector(t, v, "sg_rlp_cursor_suffix")...)
	got := EncodeRequest(r, FormatStatus)
	if len(want) != 119 || !bytes.Equal(got, want) {
		t.Fatalf("got %d B %x\nwant %d B %x", len(got), got, len(want), want)
	}
	back, f, err := DecodeRequest(got)
	if err != nil || f != FormatStatus || !bytes.Equal(back.Cursor, r.Cursor) {
		t.Fatalf("decode: %+v %v %v", back, f, err)
	}
}

func TestEncodeRequestGeth(t *testing.T) {
	v := loadVectors(t)
	r := vectorRequest(t, v)
	r.Cursor = make([]byte, CursorLength) // dropped by the geth layout
	got := EncodeRequest(r, FormatGeth)
	want := vector(t, v, "geth_binary")
	if len(want) != 72 || !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
	back, f, err := DecodeRequest(got)
	if err != nil || f != FormatGeth {
		t.Fatalf("decode: %v %v", f, err)
	}
	if back.Lower != r.Lower || back.Upper != r.Upper || back.Limit != 0 || back.Cursor != nil || !bytes.Equal(back.Bloom, r.Bloom) {
		t.Fatalf("decoded %+v", back)
	}
}

func TestDecodeRequestLegacyLimit(t *testing.T) {
	v := loadVectors(t)
	payload := vector(t, v, "sg_legacy_limit")
	if len(payload) != 76 {
		t.Fatalf("vector is %d B", len(payload))
	}
	r, f, err := DecodeRequest(payload)
	if err != nil || f != FormatGeth {
		t.Fatalf("decode: %v %v", f, err)
	}
	if r.Limit != 1000 || r.Lower != 1545844373 || r.Upper != 1545930773 || !bytes.Equal(r.Bloom, vector(t, v, "bloom_status_or_core")) {
		t.Fatalf("decoded %+v", r)
	}
	// The 40-byte legacy cursor is accepted but, as in status-go, not used.
	withCursor := append(append([]byte{}, payload...), bytes.Repeat([]byte{0x5c}, 40)...)
	r, _, err = DecodeRequest(withCursor)
	if err != nil || r.Limit != 1000 || r.Cursor != nil {
		t.Fatalf("legacy cursor: %+v %v", r, err)
	}
}

func TestDecodeRequestTimesOnlyMeansAllTopics(t *testing.T) {
	r, f, err := DecodeRequest([]byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	if err != nil || f != FormatGeth {
		t.Fatalf("decode: %v %v", f, err)
	}
	if r.Lower != 1 || r.Upper != 0xffffffff || !bytes.Equal(r.Bloom, bytes.Repeat([]byte{0xff}, 64)) {
		t.Fatalf("decoded %+v", r)
	}
}

func TestDecodeRequestRejects(t *testing.T) {
	v := loadVectors(t)
	good := vector(t, v, "sg_rlp_no_cursor")
	mustHex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string][]byte{
		"empty":               nil,
		"odd binary length":   make([]byte, 73),
		"binary with 36 tail": make([]byte, 72+4+36),
		"five RLP items":      encodeFiveItems(t),
		"short bloom":         EncodeRequest(Request{Bloom: make([]byte, 63)}, FormatStatus),
		"bad cursor length":   EncodeRequest(Request{Bloom: make([]byte, 64), Cursor: make([]byte, 35)}, FormatStatus),
		"trailing byte":       append(append([]byte{}, good...), 0x00),
		"bad bool":            append(append([]byte{}, good[:len(good)-1]...), 0x02),
		"not a list":          mustHex("83616263"),
	}
	for name, payload := range cases {
		if r, f, err := DecodeRequest(payload); err == nil {
			t.Errorf("%s: accepted as %v %+v", name, f, r)
		}
	}
}

// encodeFiveItems builds status-go's list without the Batch item.
func encodeFiveItems(t *testing.T) []byte {
	b, err := rlp.EncodeToBytes([]interface{}{uint32(1545844373), uint32(1545930773), make([]byte, 64), uint32(1000), []byte{}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormatString(t *testing.T) {
	if FormatStatus.String() != "status" || FormatGeth.String() != "geth" || Format(7).String() != "Format(7)" {
		t.Fatal("format names")
	}
}
