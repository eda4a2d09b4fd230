package whisper

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

func TestWriteSplitsBatchesUnderTheLimit(t *testing.T) {
	t.Parallel()
	n, err := New(testNodeConfig(t, "n"))
	if err != nil {
		t.Fatal(err)
	}
	ic, peer := pipeInterceptor(t, n, true)

	// 300 envelopes of ~8 KB (2.4 MB) with one too large for any batch.
	var (
		items []rlp.RawValue
		want  [][]byte
	)
	for i := range 301 {
		size := 8 * 1024
		if i == 150 {
			size = maxEnvelopeSize + 1
		}
		payload := bytes.Repeat([]byte{byte(i)}, size)
		// The first field reads as an expiry: an hour ahead, so the
		// writer does not leave it out as expired.
		raw := mustRLP(t, []any{uint32(time.Now().Unix()) + 3600 + uint32(i), payload})
		items = append(items, raw)
		if i != 150 {
			want = append(want, raw)
		}
	}
	body := mustRLP(t, items)
	if len(body) <= int(whisperv6.DefaultMaxMessageSize) {
		t.Fatalf("test batch is only %d bytes", len(body))
	}

	done := make(chan error, 1)
	go func() {
		done <- ic.WriteMsg(p2p.Msg{Code: codeMessages, Size: uint32(len(body)), Payload: bytes.NewReader(body)})
	}()
	var got [][]byte
	messages := 0
	for len(got) < len(want) {
		msg, err := peer.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		if msg.Code != codeMessages {
			t.Fatalf("got code %d, want %d", msg.Code, codeMessages)
		}
		if msg.Size > uint32(maxBatchSize) {
			t.Errorf("message of %d bytes exceeds %d", msg.Size, maxBatchSize)
		}
		raw, err := io.ReadAll(msg.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if ic.link.sent.take(crypto.Keccak256Hash(raw), time.Now()) == nil {
			t.Error("a written batch is not tracked for acknowledgement")
		}
		parts, err := rlpItems(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			got = append(got, p)
		}
		messages++
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if messages < 3 {
		t.Errorf("2.4 MB went out in %d messages", messages)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("envelope %d differs after the split", i)
		}
	}
}

// TestRelayWithTenMiBKeepsClientsConnected: whisperv6 would send a relay's
// whole pool to each client as one message, which clients refuse (and drop
// the relay) above 1 MiB.
func TestRelayWithTenMiBKeepsClientsConnected(t *testing.T) {
	t.Parallel()
	const (
		fillEnvelopes = 1300
		fillSize      = 8 * 1024
		honestLines   = 100
		tinyPoW       = 1e-9
	)
	cfg := func(name string, peers ...*Node) Config {
		c := testNodeConfig(t, name)
		for _, p := range peers {
			c.Peers = append(c.Peers, p.Enode())
		}
		c.MinPoW = tinyPoW
		return c
	}
	relay := startNode(t, cfg("relay"))
	var clients []*Node
	for i := range 3 {
		clients = append(clients, startNode(t, cfg(fmt.Sprintf("client%d", i), relay)))
	}
	connected(t, 1, clients...)
	connected(t, 3, relay)

	// Any drop shows as a peer count of 0 on a client.
	var drops atomic.Int64
	stop := make(chan struct{})
	var watchers sync.WaitGroup
	for _, c := range clients {
		watchers.Add(1)
		go func() {
			defer watchers.Done()
			for {
				select {
				case n := <-c.PeerChanges():
					if n == 0 {
						drops.Add(1)
					}
				case <-stop:
					return
				}
			}
		}()
	}
	defer func() {
		close(stop)
		watchers.Wait()
	}()

	// Honest lines go on the topic the fill uses, so no bloom filter can
	// spare the clients the fill.
	topic, key := topicOf("busy"), chatKey(t, "busy")
	for _, c := range clients[1:] {
		if _, err := c.SubscribeSym(topic, key); err != nil {
			t.Fatal(err)
		}
	}

	fill := make([]*whisperv6.Envelope, fillEnvelopes)
	now := time.Now()
	for i := range fill {
		fill[i] = sealTestEnvelope(t, topic, fillSize, 600, now)
	}
	for _, env := range fill {
		if err := relay.Whisper().Send(env); err != nil {
			t.Fatal(err)
		}
	}

	signer := mustKey(t)
	var posted [][32]byte
	for i := range honestLines {
		// A TTL past the default 10 s: under the race detector on a busy
		// machine, taking in 10 MiB can outlast 10 s, and a line queued
		// behind it would expire on the way (not what this test is about).
		h, err := clients[0].Post(Post{Topic: topic, SymKey: key, Payload: fmt.Appendf(nil, "line %d", i), Signer: signer, PoW: tinyPoW, TTL: 300})
		if err != nil {
			t.Fatal(err)
		}
		posted = append(posted, h)
		time.Sleep(20 * time.Millisecond) // spread over the fill's delivery
	}
	for _, c := range clients[1:] {
		waitFor(t, waitTimeout, "the fill to reach a client", func() bool {
			return c.Whisper().GetEnvelope(fill[len(fill)-1].Hash()) != nil && c.Whisper().GetEnvelope(fill[0].Hash()) != nil
		})
		in := &inbox{node: c}
		seen := 0
		deadline := time.Now().Add(waitTimeout)
		for _, h := range posted {
			if in.saw(withHash(h)) {
				seen++
				continue
			}
			if waitDelivered(in, h, time.Until(deadline)) {
				seen++
			}
		}
		if seen*100 < honestLines*99 {
			t.Errorf("a client got %d of %d honest lines", seen, honestLines)
		}
	}
	if d := drops.Load(); d != 0 {
		t.Errorf("clients lost the relay %d times", d)
	}
	for _, c := range clients {
		if c.PeerCount() != 1 {
			t.Errorf("a client has %d peers at the end, want 1", c.PeerCount())
		}
	}
}

// waitDelivered reads b's node until h is delivered or timeout passes.
func waitDelivered(b *inbox, h [32]byte, timeout time.Duration) bool {
	if timeout <= 0 {
		return false
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case r := <-b.node.Received():
			b.got = append(b.got, r)
			if r.EnvelopeHash == h {
				return true
			}
		case <-timer.C:
			return false
		}
	}
}

// BenchmarkWriteTenMiB measures splitting and writing a 10 MiB batch
// (1,300 envelopes of 8 KB) for a confirming peer, our envelopes among them.
func BenchmarkWriteTenMiB(b *testing.B) {
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	n, err := New(Config{NodeKey: key})
	if err != nil {
		b.Fatal(err)
	}
	envs := make([]*whisperv6.Envelope, 1300)
	now := time.Now()
	for i := range envs {
		envs[i] = sealTestEnvelope(b, topicOf("bench"), 8*1024, 120, now)
		if i%10 == 0 {
			raw, err := rlp.EncodeToBytes(envs[i])
			if err != nil {
				b.Fatal(err)
			}
			n.own.add(raw, now.Add(time.Minute), now)
		}
	}
	body, err := rlp.EncodeToBytes(envs)
	if err != nil {
		b.Fatal(err)
	}
	ours, theirs := p2p.MsgPipe()
	defer ours.Close()
	go func() {
		for {
			msg, err := theirs.ReadMsg()
			if err != nil {
				return
			}
			msg.Discard()
		}
	}()
	l := &link{id: enode.ID{1}, rw: ours, closed: make(chan struct{}), slot: make(chan struct{}, 1)}
	l.confirms.Store(true)
	ic := &interceptor{node: n, link: l, rw: ours, handshaken: true}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		if err := ic.WriteMsg(p2p.Msg{Code: codeMessages, Size: uint32(len(body)), Payload: bytes.NewReader(body)}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDropExpiredKeepsLiveAndUnreadable: an expired envelope is not
// forwarded (a receiver would drop us for it); a live one and bytes that
// are not an envelope pass unchanged.
func TestDropExpiredKeepsLiveAndUnreadable(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	enc := func(expiry uint32) rlp.RawValue {
		env := &whisperv6.Envelope{Expiry: expiry, TTL: 10, Topic: whisperv6.TopicType{1, 2, 3, 4}, Data: []byte{9}, Nonce: 1}
		b, err := rlp.EncodeToBytes(env)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	live, expired, junk := enc(uint32(now.Unix())+5), enc(uint32(now.Unix())-1), rlp.RawValue{0xc3, 0x85, 1, 2}
	got := dropExpired([]rlp.RawValue{expired, live, junk, expired}, now)
	if len(got) != 2 || !bytes.Equal(got[0], live) || !bytes.Equal(got[1], junk) {
		t.Fatalf("kept %x, want the live envelope and the unreadable item", got)
	}
	if e, ok := envelopeExpiry(live); !ok || int64(e) != now.Unix()+5 {
		t.Fatalf("expiry read %d %v", e, ok)
	}
}
