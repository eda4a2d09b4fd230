package mailserver

import (
	"bytes"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// FuzzDecodeRequest: DecodeRequest never panics; what it accepts has the
// fields the server relies on, and a status-format request survives
// EncodeRequest and DecodeRequest unchanged.
func FuzzDecodeRequest(f *testing.F) {
	bloom := statusBloom()
	for _, r := range []Request{
		{Lower: baseTime - 86400, Upper: baseTime, Bloom: bloom, Limit: 1000, Batch: true},
		{Lower: 1, Upper: 0, Bloom: bloom, Cursor: Key(baseTime, [32]byte{1}, [4]byte{})[:CursorLength]},
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
		if c.Err == "mailserver gave no reason" && len(raw) == len(errorPrefix)+32 {
			return
		}
		if back := EncodeCompletion(c); len(raw) != 32 && !bytes.Equal(back, raw) {
			t.Fatalf("%x decoded to %+v, encodes to %x", raw, c, back)
		}
		IsRangeTooLong(c.Err)
	})
}

// FuzzServeRequest drives the server's request path with request
// envelopes of any shape (header fields, ciphertext, nonce) sealed with
// the right key or not: it never panics and answers each with exactly one
// completion, never an envelope for a refused one.
func FuzzServeRequest(f *testing.F) {
	key := symKeyFromPassword(f, "status-offline-inbox")
	client, err := crypto.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	archive := newMemArchive()
	sender := &recordingSender{}
	clock := &testClock{now: time.Unix(baseTime+3600, 0)}
	s := New(Config{SymKey: key, Now: clock.Now, RateLimit: -1}, archive, sender)
	s.Start()
	defer s.Stop()
	for i := range 5 {
		s.Archive(chatEnvelope(f, "status", baseTime-100+uint32(i), "x"))
	}
	waitFor(f, "archive", func() bool { return archive.count() == 5 })

	good := sealRequest(f, key, client, EncodeRequest(Request{Lower: baseTime - 3600, Upper: baseTime, Bloom: statusBloom()}, FormatStatus))
	f.Add(good.Expiry, good.TTL, good.Topic[:], good.Data, good.Nonce)
	f.Add(good.Expiry, uint32(0), good.Topic[:], good.Data, good.Nonce)
	f.Add(uint32(0), uint32(0xffffffff), []byte{}, []byte{}, uint64(0))
	f.Fuzz(func(t *testing.T, expiry, ttl uint32, topic, data []byte, nonce uint64) {
		env := &whisperv6.Envelope{Expiry: expiry, TTL: ttl, Topic: whisperv6.BytesToTopic(topic), Data: data, Nonce: nonce}
		s.serve([]byte("fuzzer"), env)
		envs, completions, _ := sender.take("fuzzer")
		if len(completions) != 1 {
			t.Fatalf("%d completions", len(completions))
		}
		if completions[0].Err != "" && len(envs) != 0 {
			t.Fatalf("refused (%s) but sent %d envelopes", completions[0].Err, len(envs))
		}
		if completions[0].Err == "" && len(envs) != 5 {
			t.Fatalf("served %d envelopes of 5", len(envs))
		}
	})
}
