package whisper

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"sync"
	"testing"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// craft builds an envelope on topic under symKey, signed by signer (if
// any), sent at sent with ttl, and sealed to pow (0: not sealed).
func craft(t *testing.T, topic [4]byte, symKey []byte, signer *ecdsa.PrivateKey, payload []byte, sent time.Time, ttl uint32, pow float64) *whisperv6.Envelope {
	t.Helper()
	msg, err := whisperv6.NewSentMessage(&whisperv6.MessageParams{Payload: payload, Src: signer})
	if err != nil {
		t.Fatal(err)
	}
	env, err := msg.Wrap(&whisperv6.MessageParams{TTL: ttl, Src: signer, KeySym: symKey, Topic: whisperv6.TopicType(topic)})
	if err != nil {
		t.Fatal(err)
	}
	env.Expiry = uint32(sent.Unix()) + ttl
	if pow > 0 {
		if err := env.Seal(&whisperv6.MessageParams{PoW: pow, WorkTime: sealTimeout}); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// sendRaw writes envelopes from one node straight onto its connection to
// another, as a code-1 batch: no whisperv6 checks on the way out.
func sendRaw(t *testing.T, from, to *Node, code uint64, data any) error {
	t.Helper()
	l := from.link(to.Enode().ID())
	if l == nil {
		return ErrNotConnected
	}
	return p2p.Send(l.rw, code, data)
}

func TestReadPlaintextAgreesWithWhisper(t *testing.T) {
	signer := mustKey(t)
	for _, size := range []int{0, 1, 100, 255, 256, 300, 70000} {
		for _, signed := range []bool{false, true} {
			params := &whisperv6.MessageParams{Payload: bytes.Repeat([]byte{7}, size)}
			if signed {
				params.Src = signer
			}
			msg, err := whisperv6.NewSentMessage(params)
			if err != nil {
				t.Fatal(err)
			}
			env, err := msg.Wrap(&whisperv6.MessageParams{TTL: 10, Src: params.Src, KeySym: chatKey(t, "agree"), Topic: whisperv6.TopicType(topicOf("agree"))})
			if err != nil {
				t.Fatal(err)
			}
			opened, err := env.OpenSymmetric(chatKey(t, "agree"))
			if err != nil {
				t.Fatal(err)
			}
			raw := append([]byte(nil), opened.Raw...)
			if p := plaintextProblem(raw); p != "" {
				t.Fatalf("size %d signed %v: %s", size, signed, p)
			}
			payload, src, bad := readPlaintext(raw, recoverCgo)
			if bad != "" {
				t.Fatalf("size %d signed %v: %s", size, signed, bad)
			}
			if !opened.ValidateAndParse() {
				t.Fatalf("size %d signed %v: whisperv6 refuses its own plaintext", size, signed)
			}
			if !bytes.Equal(payload, opened.Payload) {
				t.Errorf("size %d signed %v: payload differs from whisperv6's", size, signed)
			}
			if (src == nil) != (opened.Src == nil) || (src != nil && !bytes.Equal(crypto.FromECDSAPub(src), crypto.FromECDSAPub(opened.Src))) {
				t.Errorf("size %d signed %v: signer differs from whisperv6's", size, signed)
			}
		}
	}

	// A signature that recovers nothing: not delivered, not poison.
	raw := append([]byte{signedFlag | 1, 1, 'x'}, make([]byte, signatureLength)...)
	raw[len(raw)-1] = 9 // recovery id out of range
	if p := plaintextProblem(raw); p != "" {
		t.Fatalf("well-formed plaintext refused: %s", p)
	}
	if _, _, bad := readPlaintext(raw, recoverCgo); bad == "" {
		t.Error("a bad signature was accepted")
	}
}

// Gossip is delivered only if whisperv6 admits it: expired envelopes and
// envelopes below the node's minimum PoW are not (whisperv6 drops the
// peer for the latter, its rule); a good one sent after them is.
func TestGossipBelowMinPoWOrExpiredIsNotDelivered(t *testing.T) {
	t.Parallel()
	const minPoW = 0.01
	cfg := testNodeConfig(t, "victim")
	cfg.MinPoW = minPoW
	victim := startNode(t, cfg)
	honest := newTestNode(t, "honest", victim.Enode())
	lowPoW := newTestNode(t, "low-pow", victim.Enode())
	connected(t, 2, victim)
	connected(t, 1, honest, lowPoW)

	topic, key := topicOf("pow"), chatKey(t, "pow")
	if _, err := victim.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	signer := mustKey(t)
	now := time.Now()

	expired := craft(t, topic, key, signer, []byte("expired"), now.Add(-15*time.Second), 10, minPoW)
	weak := craft(t, topic, key, signer, bytes.Repeat([]byte("weak"), 200), now, 100, 0)
	for weak.PoW() >= minPoW { // a nonce with (almost) no work in it
		weak = &whisperv6.Envelope{Expiry: weak.Expiry, TTL: weak.TTL, Topic: weak.Topic, Data: weak.Data, Nonce: weak.Nonce + 1}
	}
	good := craft(t, topic, key, signer, []byte("good"), now, 60, minPoW)

	if err := sendRaw(t, lowPoW, victim, codeMessages, []*whisperv6.Envelope{weak}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitTimeout, "whisperv6 to drop the low-PoW peer", func() bool { return victim.PeerCount() == 1 })
	if err := sendRaw(t, honest, victim, codeMessages, []*whisperv6.Envelope{expired, good}); err != nil {
		t.Fatal(err)
	}
	in := &inbox{node: victim}
	got := in.await(t, waitTimeout, "the good envelope", withHash(good.Hash()))
	if string(got.Payload) != "good" || got.Direct {
		t.Errorf("good envelope delivered as %q, direct %v", got.Payload, got.Direct)
	}
	if in.saw(withHash(expired.Hash())) {
		t.Error("an expired envelope was delivered")
	}
	if in.saw(withHash(weak.Hash())) {
		t.Error("an envelope below the minimum PoW was delivered")
	}
	if victim.recv.screenings.Load() != 1 {
		t.Errorf("the screen opened %d envelopes, want only the good one", victim.recv.screenings.Load())
	}
}

// An envelope relayed by two peers at once is opened once and delivered
// once; poison relayed by both is opened once and pooled by neither.
func TestGossipFromTwoPeersIsOpenedOnce(t *testing.T) {
	t.Parallel()
	victim := newTestNode(t, "victim")
	p1 := newTestNode(t, "p1", victim.Enode())
	p2 := newTestNode(t, "p2", victim.Enode())
	connected(t, 2, victim)
	connected(t, 1, p1, p2)

	topic, key := topicOf("twice"), chatKey(t, "twice")
	if _, err := victim.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	signer := mustKey(t)
	now := time.Now()
	env := craft(t, topic, key, signer, []byte("once"), now, 30, DefaultPoW)
	poison := poisonEnvelope(t, topic, key)
	m1 := craft(t, topic, key, signer, []byte("after, from p1"), now, 30, DefaultPoW)
	m2 := craft(t, topic, key, signer, []byte("after, from p2"), now, 30, DefaultPoW)

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, s := range []struct {
		from   *Node
		marker *whisperv6.Envelope
	}{{p1, m1}, {p2, m2}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- sendRaw(t, s.from, victim, codeMessages, []*whisperv6.Envelope{env, poison})
			errs <- sendRaw(t, s.from, victim, codeMessages, []*whisperv6.Envelope{s.marker})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each peer's stream is read in order: once both markers are in, both
	// copies of env and of the poison have been handled.
	in := &inbox{node: victim}
	in.await(t, waitTimeout, "p1's marker", withHash(m1.Hash()))
	in.await(t, waitTimeout, "p2's marker", withHash(m2.Hash()))
	in.await(t, waitTimeout, "the envelope", withHash(env.Hash()))
	copies := 0
	for _, r := range in.got {
		if r.EnvelopeHash == env.Hash() {
			copies++
		}
	}
	if copies != 1 {
		t.Errorf("envelope delivered %d times, want once", copies)
	}
	if got := victim.recv.screenings.Load(); got != 4 {
		t.Errorf("screen opened %d envelopes, want 4 (envelope, poison, two markers)", got)
	}
	if victim.Whisper().GetEnvelope(poison.Hash()) != nil {
		t.Error("the poison entered the victim's pool")
	}
	if in.saw(withHash(poison.Hash())) {
		t.Error("the poison was delivered")
	}
	if victim.PeerCount() != 2 {
		t.Errorf("victim has %d peers, want both relays", victim.PeerCount())
	}
}

// When RequestHistory returns a page, every envelope of it is already on
// Received(): nobody reads it here until then. A status-format page ends
// with its completion, a geth-format one after a quiet period. The page
// comes out in the order the server sent it (its key order), each envelope
// once, whether one goroutine reads it or several (more than the cores,
// so that workers finish out of turn).
func TestHistoryPageIsOnReceivedWhenRequestHistoryReturns(t *testing.T) {
	t.Parallel()
	for _, format := range []mailformat.Format{mailformat.FormatStatus, mailformat.FormatGeth} {
		for _, workers := range []int{1, 0, 4} {
			name := fmt.Sprintf("%s/workers-%d", format, workers)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				const count = 300
				topic, key := topicOf("ordered-"+name), chatKey(t, "ordered-"+name)
				base := uint32(time.Now().Add(-time.Hour).Unix())
				ms := newTestMailServer(answerPages, unsealedArchive(t, topic, key, base, count))
				server, client := historyPairWorkers(t, ms, workers)
				if _, err := client.SubscribeSym(topic, key); err != nil {
					t.Fatal(err)
				}
				page, err := client.RequestHistory(context.Background(), server.Enode().ID(), HistoryRequest{
					Request: mailformat.Request{Lower: base - 60, Upper: base + count + 60, Bloom: whisperv6.TopicToBloom(whisperv6.TopicType(topic)), Limit: count},
					Format:  format,
					Quiet:   quietPeriod,
					Timeout: waitTimeout,
				})
				if err != nil {
					t.Fatal(err)
				}
				if page.Envelopes != count {
					t.Fatalf("page has %d envelopes, want %d", page.Envelopes, count)
				}
				if got := len(client.Received()); got != count {
					t.Fatalf("%d of the page's %d envelopes on Received() when RequestHistory returned", got, count)
				}
				for i, e := range ms.envelopes {
					r := <-client.Received()
					if r.EnvelopeHash != e.Hash() || !r.Direct {
						t.Fatalf("delivery %d is %x (direct %v), the server sent %x", i, r.EnvelopeHash, r.Direct, e.Hash())
					}
				}
			})
		}
	}
}

// A page larger than Received()'s buffer, read slowly: delivery waits for
// the reader (nothing is lost) and the guarantee still holds.
func TestHistoryPageWaitsForASlowReader(t *testing.T) {
	t.Parallel()
	count := receivedBuffer + 904
	topic, key := topicOf("slow-reader"), chatKey(t, "slow-reader")
	base := uint32(time.Now().Add(-2 * time.Hour).Unix())
	ms := newTestMailServer(answerPages, unsealedArchive(t, topic, key, base, count))
	server, client := historyPair(t, ms)
	if _, err := client.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}

	var (
		mu   sync.Mutex
		read = make(map[[32]byte]bool)
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			select {
			case r := <-client.Received():
				read[r.EnvelopeHash] = true
			default:
			}
			mu.Unlock()
			time.Sleep(50 * time.Microsecond) // a slow reader
		}
	}()
	defer func() { close(stop); <-done }()

	page, err := client.RequestHistory(context.Background(), server.Enode().ID(), HistoryRequest{
		Request: mailformat.Request{Lower: base - 60, Upper: base + uint32(count) + 60, Bloom: whisperv6.TopicToBloom(whisperv6.TopicType(topic)), Limit: uint32(count)},
		Format:  mailformat.FormatStatus,
		Timeout: waitTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	delivered := len(read) + len(client.Received())
	mu.Unlock()
	if page.Envelopes != count || delivered != count {
		t.Fatalf("page of %d envelopes (want %d); %d read or waiting when it returned", page.Envelopes, count, delivered)
	}
}

// unsealedArchive is archived without proof of work: history is not
// checked for it, and sealing thousands would be slow.
func unsealedArchive(t *testing.T, topic [4]byte, key []byte, base uint32, count int) []*whisperv6.Envelope {
	t.Helper()
	signer := mustKey(t)
	out := make([]*whisperv6.Envelope, count)
	for i := range out {
		out[i] = craft(t, topic, key, signer, []byte{byte(i), byte(i >> 8)}, time.Unix(int64(base)+int64(i), 0), 10, 0)
	}
	return out
}

// Our own posts reach our own subscriptions once, as whisperv6 used to
// deliver them: they enter its pool through the same hook as gossip.
func TestOwnPostIsDeliveredOnce(t *testing.T) {
	t.Parallel()
	a := newTestNode(t, "a")
	topic, key := topicOf("own"), chatKey(t, "own")
	sub, err := a.SubscribeSym(topic, key)
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.Post(Post{Topic: topic, SymKey: key, Payload: []byte("mine"), Signer: mustKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-a.Received():
		if r.EnvelopeHash != h || r.Subscription != sub || string(r.Payload) != "mine" {
			t.Fatalf("delivered %+v", r)
		}
	case <-time.After(waitTimeout):
		t.Fatal("own post not delivered")
	}
	// Posting the same envelope again delivers nothing: whisperv6 has it.
	if err := a.Whisper().Send(a.Whisper().GetEnvelope(h)); err != nil {
		t.Fatal(err)
	}
	if n := len(a.Received()); n != 0 {
		t.Errorf("%d more deliveries", n)
	}
}

// The read path takes an envelope's hash from whisperv6's decoding, which
// hashes the bytes it decoded: the hash is the one the sender computed
// and the one an archive keys by, whatever the envelope holds.
func TestDecodedEnvelopeHashIsItsBytes(t *testing.T) {
	fn := newFuzzNode(t)
	for i, env := range []*whisperv6.Envelope{
		fn.seal(t, []byte("signed, to the chat"), true, false),
		fn.seal(t, []byte("unsigned, to a key"), false, true),
		fn.hostile(t, []byte{0xff, 0x00}, false),
	} {
		raw := encodeRLP(t, env)
		var decoded whisperv6.Envelope
		if err := rlp.DecodeBytes(raw, &decoded); err != nil {
			t.Fatal(err)
		}
		if got, want := decoded.Hash(), crypto.Keccak256Hash(raw); got != want {
			t.Fatalf("envelope %d: decoded hash %x, bytes hash %x", i, got, want)
		}
	}
}
