package mailserver

import (
	"testing"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

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

	good := sealRequest(f, key, client, mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 3600, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus))
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
