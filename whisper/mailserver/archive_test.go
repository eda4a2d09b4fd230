package mailserver

import (
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

func TestArchiveStoresKeyAndRaw(t *testing.T) {
	a := newMemArchive()
	s := New(Config{}, a, &recordingSender{})
	s.Start()
	env := chatEnvelope(t, "status", baseTime, "hello")
	s.Archive(env)
	waitFor(t, "flush after the batch interval", func() bool { return a.count() == 1 })
	s.Stop()

	key := Key(baseTime, env.Hash(), topicOf("status"))
	raw, ok := a.raws[string(key)]
	if !ok {
		t.Fatalf("stored under %x, want %x", a.keys[0], key)
	}
	var back whisperv6.Envelope
	if err := rlp.DecodeBytes(raw, &back); err != nil || back.Hash() != env.Hash() {
		t.Fatalf("stored raw does not decode to the envelope: %v", err)
	}
}

func TestArchiveBatchesWrites(t *testing.T) {
	a := newMemArchive()
	s := New(Config{}, a, &recordingSender{})
	const n = 600
	for i := 0; i < n; i++ {
		// Distinct envelopes without the cost of signing each.
		s.Archive(&whisperv6.Envelope{Expiry: baseTime + uint32(i), TTL: 10, Topic: topicOf("status"), Data: []byte{byte(i), byte(i >> 8)}})
	}
	s.Start()
	waitFor(t, "all envelopes written", func() bool { return a.count() == n })
	s.Stop()
	sizes := a.putSizes()
	total := 0
	for _, size := range sizes {
		if size > archiveBatchSize {
			t.Errorf("batch of %d exceeds %d", size, archiveBatchSize)
		}
		total += size
	}
	if total != n || len(sizes) > n/archiveBatchSize+3 {
		t.Fatalf("%d envelopes in %d writes %v; want them batched", total, len(sizes), sizes)
	}
}

func TestArchiveDropsWhenQueueFull(t *testing.T) {
	a := newMemArchive()
	s := newServer(Config{}, a, &recordingSender{}, 10)
	for i := 0; i < 15; i++ { // never blocks although nothing drains the queue
		s.Archive(&whisperv6.Envelope{Expiry: baseTime + uint32(i), TTL: 10, Data: []byte{byte(i)}})
	}
	if got := s.dropped.Load(); got != 5 {
		t.Fatalf("dropped %d, want 5", got)
	}
	s.Stop() // flushes what was queued even though the writer never ran
	if a.count() != 10 {
		t.Fatalf("archived %d, want the 10 queued", a.count())
	}
	s.Archive(&whisperv6.Envelope{Expiry: baseTime, TTL: 10, Data: []byte{99}})
	s.Stop()
	if a.count() != 10 {
		t.Fatal("archived after Stop")
	}
}

func TestStopFlushesQueue(t *testing.T) {
	a := newMemArchive()
	s := New(Config{}, a, &recordingSender{})
	s.Start()
	for i := 0; i < 300; i++ {
		s.Archive(&whisperv6.Envelope{Expiry: baseTime + uint32(i), TTL: 10, Data: []byte{byte(i), byte(i >> 8)}})
	}
	s.Stop()
	if a.count() != 300 {
		t.Fatalf("archived %d of 300 at Stop", a.count())
	}
}
