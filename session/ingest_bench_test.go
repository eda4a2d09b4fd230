package session

import (
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/store"
)

// ingestChat is the public chat of the ingest benchmark.
const ingestChat = "bench-ingest"

// BenchmarkIngest measures envelopes already on the node becoming stored
// messages: whisperv6 matches them to our filters, opens them and recovers
// the signer; the node delivers them; the session decodes, validates,
// deduplicates, stores and announces them. The envelopes are handed to the
// receiving node's whisperv6 with Send, the path a gossiped envelope takes
// after the network read. Beside it, in the same run, the baseline: bare
// whisperv6 open (OpenSymmetric / OpenAsymmetric) plus ValidateAndParse
// (signature recovery) of the same envelopes, one after another on one
// goroutine, as whisperv6's own queue does them.
func BenchmarkIngest(b *testing.B) {
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	b.Run("public", func(b *testing.B) { benchIngest(b, n, false) })
	b.Run("one-to-one", func(b *testing.B) { benchIngest(b, n, true) })
}

func benchIngest(b *testing.B, n int, private bool) {
	receiver := benchKey(b)
	authors := benchKeys(b, 8)
	chatKey := codec.SymKeyFromPassword(ingestChat)
	now := time.Now()
	params := make([]*whisperv6.MessageParams, n)
	for i := range params {
		p := &whisperv6.MessageParams{
			TTL: 600, // outlives the benchmark, so nothing expires on the way
			Src: authors[i%len(authors)],
			// No proof of work: searching a nonce would cost more than the
			// whole benchmark, and the receiver computes an envelope's PoW
			// at the same cost whatever it is. The receiving node accepts
			// any PoW instead (see ingestMinPoW).
		}
		if private {
			p.Dst = &receiver.PublicKey
			p.Topic = whisperv6.TopicType(codec.TopicFor(codec.DiscoveryTopicName))
			p.Payload = benchPayload(b, i, codec.MessageTypePrivate, codec.PublicKeyHex(&receiver.PublicKey), now)
		} else {
			p.KeySym = chatKey
			p.Topic = whisperv6.TopicType(codec.TopicFor(ingestChat))
			p.Payload = benchPayload(b, i, codec.MessageTypePublic, ingestChat, now)
		}
		params[i] = p
	}
	envs := benchSealAll(b, params)
	open := func(env *whisperv6.Envelope) *whisperv6.ReceivedMessage {
		var msg *whisperv6.ReceivedMessage
		var err error
		if private {
			msg, err = env.OpenAsymmetric(receiver)
		} else {
			msg, err = env.OpenSymmetric(chatKey)
		}
		if err != nil || !msg.ValidateAndParse() || msg.Src == nil {
			b.Fatalf("baseline could not open envelope %x: %v", env.Hash(), err)
		}
		return msg
	}

	var bare, ingest time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		start := time.Now()
		for _, env := range envs {
			open(env)
		}
		bare += time.Since(start)

		c := newBenchIngestClient(b, receiver, private)
		b.StartTimer()
		start = time.Now()
		shh := c.node.Whisper()
		for _, env := range envs {
			if err := shh.Send(env); err != nil {
				b.Fatalf("hand envelope to whisperv6: %v", err)
			}
		}
		done := c.drain.waitAdded(b, int64(n))
		ingest += done.Sub(start)
		b.StopTimer()
		c.checkIngested(n, private)
		c.close()
	}
	rate := float64(n*b.N) / ingest.Seconds()
	bareRate := float64(n*b.N) / bare.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(bareRate, "bare-msgs/s")
	b.ReportMetric(100*rate/bareRate, "%-of-bare")
}

// ingestMinPoW is the receiving node's minimum PoW: below the least PoW an
// unsealed envelope can have (1/(size·TTL)), so it admits them all.
const ingestMinPoW = 1e-12

func newBenchIngestClient(b *testing.B, receiver *ecdsa.PrivateKey, private bool) *benchClient {
	b.Helper()
	// The identity must be the one the one-to-one envelopes are sealed to.
	c := newBenchClient(b, benchClientOptions{identity: receiver, minPoW: ingestMinPoW})
	if err := c.mgr.Start(); err != nil {
		b.Fatal(err)
	}
	if !private {
		if _, err := c.mgr.JoinPublic(ingestChat); err != nil {
			b.Fatal(err)
		}
	}
	// Start and JoinPublic announce no messages; count from zero.
	c.drain.added.Store(0)
	return c
}

// checkIngested fails the benchmark unless every envelope became exactly
// one stored message.
func (c *benchClient) checkIngested(n int, private bool) {
	c.tb.Helper()
	if d := c.mgr.dropped.Load(); d != 0 {
		c.tb.Fatalf("session dropped %d messages", d)
	}
	chats := []string{ingestChat}
	if private {
		chats = nil
		all, err := c.store.Chats()
		if err != nil {
			c.tb.Fatal(err)
		}
		for _, ch := range all {
			if ch.Kind == store.ChatOneToOne {
				chats = append(chats, ch.ID)
			}
		}
	}
	total := 0
	for _, id := range chats {
		got, err := c.store.CountMessages(id)
		if err != nil {
			c.tb.Fatal(err)
		}
		total += got
	}
	if total != n {
		c.tb.Fatalf("stored %d messages, want %d", total, n)
	}
}
