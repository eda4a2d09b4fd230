package whisper

import (
	"bytes"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// A hostile peer streams poison on every topic the victim has or will
// have, mixed with honest envelopes, while the victim subscribes: at start
// (as hush does for every joined chat) and later (as /join does). With
// whisperv6 opening envelopes this crashed the test binary; the victim
// must stay up and get every honest envelope sent after it subscribed.
func TestPoisonFloodWhileSubscribing(t *testing.T) {
	t.Parallel()
	const (
		chats   = 20
		batches = 30
		poisons = 20 // per batch
	)
	attacker := newTestNode(t, "attacker")
	victim := newTestNode(t, "victim", attacker.Enode())
	connected(t, 1, attacker, victim)

	topics := make([][4]byte, chats+1)
	keys := make([][]byte, chats+1)
	for i := range topics {
		name := fmt.Sprintf("flood-%d", i)
		topics[i], keys[i] = topicOf(name), chatKey(t, name)
	}
	topicIndex := make(map[whisperv6.TopicType]int)
	for i, topic := range topics {
		topicIndex[whisperv6.TopicType(topic)] = i
	}
	signer := mustKey(t)

	// The flood: each batch holds poison on every topic and one honest
	// envelope on a topic in turn. Honest envelopes sent at or after the
	// subscription of their topic must arrive.
	type sent struct {
		hash  [32]byte
		topic int
		after bool // sent once the victim was subscribed to its topic
	}
	var (
		subscribed [chats + 1]atomic.Bool
		mu         sync.Mutex
		honest     []sent
		poisoned   [][32]byte // sent after their topic was subscribed
		floodErr   = make(chan error, 1)
	)
	poisonPool := make([]*whisperv6.Envelope, 0, poisons*3)
	for i := range cap(poisonPool) {
		k := i % len(topics)
		poisonPool = append(poisonPool, poisonEnvelope(t, topics[k], keys[k]))
	}
	pooledEarly := make(map[[32]byte]bool) // flood goroutine only
	started := make(chan struct{})
	go func() {
		defer close(floodErr)
		for b := range batches {
			k := b % len(topics)
			after := subscribed[k].Load()
			good := craft(t, topics[k], keys[k], signer, []byte(fmt.Sprintf("honest %d", b)), time.Now(), 30, DefaultPoW)
			batch := []*whisperv6.Envelope{}
			var fresh [][32]byte
			for p := range poisons {
				env := poisonPool[(b*poisons+p)%len(poisonPool)]
				if b%3 == 0 { // some never seen before, not only resends
					env = poisonEnvelope(t, topics[p%len(topics)], keys[p%len(topics)])
				}
				// Poison that reached the victim before it subscribed
				// was pooled then (no key of the victim opened it).
				if subscribed[topicIndex[env.Topic]].Load() && !pooledEarly[env.Hash()] {
					fresh = append(fresh, env.Hash())
				} else {
					pooledEarly[env.Hash()] = true
				}
				batch = append(batch, env)
				if p == poisons/2 {
					batch = append(batch, good)
				}
			}
			if err := sendRaw(t, attacker, victim, codeMessages, batch); err != nil {
				floodErr <- err
				return
			}
			mu.Lock()
			honest = append(honest, sent{hash: good.Hash(), topic: k, after: after})
			poisoned = append(poisoned, fresh...)
			mu.Unlock()
			if b == 0 {
				close(started)
			}
		}
	}()

	<-started
	subs := make(map[string]int)
	for k := range chats { // at start: every chat but the last
		id, err := victim.SubscribeSym(topics[k], keys[k])
		if err != nil {
			t.Fatal(err)
		}
		subs[id] = k
		subscribed[k].Store(true)
	}
	time.Sleep(20 * time.Millisecond)                          // let part of the flood pass in between
	id, err := victim.SubscribeSym(topics[chats], keys[chats]) // a /join mid-flood
	if err != nil {
		t.Fatal(err)
	}
	subs[id] = chats
	subscribed[chats].Store(true)

	if err := <-floodErr; err != nil {
		t.Fatal(err)
	}
	// A marker after the flood on the same stream: once it is in, every
	// batch before it has been handled.
	marker := craft(t, topics[0], keys[0], signer, []byte("marker"), time.Now(), 30, DefaultPoW)
	if err := sendRaw(t, attacker, victim, codeMessages, []*whisperv6.Envelope{marker}); err != nil {
		t.Fatal(err)
	}
	in := &inbox{node: victim}
	in.await(t, waitTimeout, "the marker after the flood", withHash(marker.Hash()))

	mu.Lock()
	defer mu.Unlock()
	for _, h := range honest {
		if h.after {
			r := in.await(t, waitTimeout, "an honest envelope sent in the flood", withHash(h.hash))
			if subs[r.Subscription] != h.topic {
				t.Errorf("honest envelope on topic %d delivered to the subscription of %d", h.topic, subs[r.Subscription])
			}
		}
	}
	for _, h := range poisoned {
		if victim.Whisper().GetEnvelope(h) != nil {
			t.Fatalf("poison %x on a subscribed topic entered the victim's pool", h)
		}
	}
	for _, r := range in.got {
		if string(r.Payload) == string(poisonPlaintext) {
			t.Fatal("poison was delivered")
		}
	}
	if len(poisoned) == 0 {
		t.Fatal("no poison was sent after subscribing: the test tests nothing")
	}
	if victim.PeerCount() != 1 {
		t.Error("the victim dropped the attacker (fewer drops than the disconnect threshold were sent)")
	}
}

// countingWriter counts what a log handler writes.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

// A peer streaming unasked code-127 messages for 10 s must not grow the
// victim's log by a megabyte (each used to log a line: 58 MB), and the
// victim keeps delivering gossip from others meanwhile.
func TestUnaskedDirectFloodIsLoggedInSummary(t *testing.T) {
	t.Parallel()
	logged := &countingWriter{}
	cfg := testNodeConfig(t, "victim")
	cfg.Logger = slog.New(slog.NewTextHandler(logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	victim := startNode(t, cfg)
	attackerCfg := testNodeConfig(t, "attacker", victim.Enode())
	attackerCfg.Logger = nil // the attacker's own log is not measured
	attacker := startNode(t, attackerCfg)
	friend := newTestNode(t, "friend", victim.Enode())
	connected(t, 2, victim)

	topic, key := topicOf("busy"), chatKey(t, "busy")
	if _, err := victim.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	env := unsealedArchive(t, topic, key, uint32(time.Now().Add(-time.Hour).Unix()), 1)[0]
	body, err := rlp.EncodeToBytes(env)
	if err != nil {
		t.Fatal(err)
	}

	sentCount := 0
	deadline := time.Now().Add(10 * time.Second)
	markers := 0
	in := &inbox{node: victim}
	for time.Now().Before(deadline) {
		l := attacker.link(victim.Enode().ID())
		if l == nil {
			time.Sleep(10 * time.Millisecond) // cut off: the attacker redials
			continue
		}
		for range 1000 {
			if err := sendRawLink(l, codeDirect, body); err != nil {
				break
			}
			sentCount++
		}
		if sentCount/5000 > markers { // now and then, an honest line
			markers++
			h, err := friend.Post(Post{Topic: topic, SymKey: key, Payload: []byte(fmt.Sprintf("line %d", markers))})
			if err != nil {
				t.Fatal(err)
			}
			in.await(t, waitTimeout, "an honest line during the flood", withHash(h))
		}
	}
	h, err := friend.Post(Post{Topic: topic, SymKey: key, Payload: []byte("after the flood")})
	if err != nil {
		t.Fatal(err)
	}
	in.await(t, waitTimeout, "an honest line after the flood", withHash(h))

	unasked := victim.unsolicitedDirect.Load()
	t.Logf("sent %d unasked envelopes, victim dropped %d, logged %d bytes; %d honest lines during the flood", sentCount, unasked, logged.n.Load(), markers)
	// Under the race detector on a busy machine the flood is ten to a
	// hundred times slower, so the log is also held to a few bytes an
	// envelope: one line each (over 100 bytes) fails that at any speed.
	if unasked < 1_000 {
		t.Fatalf("only %d unasked envelopes reached the victim: the flood tests nothing", unasked)
	}
	if n := logged.n.Load(); n > unasked*10 {
		t.Errorf("the victim logged %d bytes for %d unasked envelopes: more than a summary", n, unasked)
	}
	if in.saw(withHash(env.Hash())) {
		t.Error("an unasked envelope was delivered")
	}
	if n := logged.n.Load(); n >= 1<<20 {
		t.Errorf("the victim's log grew by %d bytes during the flood, want < 1 MB", n)
	}
}

// sendRawLink writes one pre-encoded message on a link.
func sendRawLink(l *link, code uint64, body []byte) error {
	select {
	case <-l.closed:
		return errNotRunning
	default:
	}
	return l.rw.WriteMsg(p2p.Msg{Code: code, Size: uint32(len(body)), Payload: bytes.NewReader(body)})
}

// A peer that keeps sending what we drop is cut off once it passes
// maxPeerDrops in a window.
func TestPeerPastTheDropThresholdIsDisconnected(t *testing.T) {
	t.Parallel()
	attacker := newTestNode(t, "attacker")
	victim := newTestNode(t, "victim", attacker.Enode())
	connected(t, 1, attacker, victim)
	for len(victim.PeerChanges()) > 0 {
		<-victim.PeerChanges()
	}

	env := unsealedArchive(t, topicOf("x"), chatKey(t, "x"), uint32(time.Now().Add(-time.Hour).Unix()), 1)[0]
	const perMessage = maxPeerDrops / 4 // about 750 KB, under the message limit
	batch := make([]*whisperv6.Envelope, perMessage)
	for i := range batch {
		batch[i] = env
	}
	body, err := rlp.EncodeToBytes(batch)
	if err != nil {
		t.Fatal(err)
	}
	l := attacker.link(victim.Enode().ID())
	for range 4 {
		if err := sendRawLink(l, codeDirect, body); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, waitTimeout, "the victim to drop them", func() bool { return victim.unsolicitedDirect.Load() == maxPeerDrops })
	if victim.PeerCount() != 1 {
		t.Fatal("disconnected before the threshold")
	}
	// One more: past the threshold.
	one, err := rlp.EncodeToBytes(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendRawLink(l, codeDirect, one); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(waitTimeout)
	for {
		select {
		case n := <-victim.PeerChanges():
			if n == 0 {
				return
			}
		case <-timeout:
			t.Fatalf("the flooding peer was not disconnected (victim dropped %d)", victim.unsolicitedDirect.Load())
		}
	}
}
