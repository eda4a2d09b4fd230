package mailserver

import (
	"bytes"
	"testing"

	"hush/whisper/mailformat"
)

func TestKeyVector(t *testing.T) {
	v := loadVectors(t)
	var hash [32]byte
	copy(hash[:], vector(t, v, "envelope_hash"))
	var topic [4]byte
	copy(topic[:], vector(t, v, "topic_status"))
	sent := u32(vector(t, v, "envelope_sent"))
	if sent != 1545930783-10 {
		t.Fatalf("sent %d", sent)
	}
	key := Key(sent, hash, topic)
	if want := vector(t, v, "db_key"); len(key) != KeyLength || !bytes.Equal(key, want) {
		t.Fatalf("key %x\nwant %x", key, want)
	}
	if !bytes.Equal(key[:mailformat.CursorLength], append(vector(t, v, "envelope_sent"), hash[:]...)) {
		t.Fatalf("cursor part %x", key[:mailformat.CursorLength])
	}
}

func TestBloomMatch(t *testing.T) {
	status := bloomByRule(topicOf("status"))
	core := bloomByRule(topicOf("status-core"))
	both := orBlooms(status, core)
	all := bytes.Repeat([]byte{0xff}, 64)
	if !BloomMatch(both, status) || !BloomMatch(both, core) || !BloomMatch(all, status) {
		t.Error("expected matches")
	}
	if BloomMatch(status, core) || BloomMatch(status, both) || BloomMatch(make([]byte, 64), status) {
		t.Error("unexpected match")
	}
	if BloomMatch(all[:63], status) || BloomMatch(all, status[:10]) {
		t.Error("short blooms must not match")
	}
}
