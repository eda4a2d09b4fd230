package whisper

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// stockNode is a bare go-ethereum whisperv6 node on loopback, knowing
// nothing of hush's additions.
type stockNode struct {
	shh *whisperv6.Whisper
	srv *p2p.Server
}

func startStockNode(t *testing.T, minPoW float64, peers ...*enode.Node) *stockNode {
	t.Helper()
	shh := whisperv6.New(&whisperv6.Config{MaxMessageSize: whisperv6.DefaultMaxMessageSize, MinimumAcceptedPOW: minPoW})
	srv := &p2p.Server{Config: p2p.Config{
		PrivateKey:  mustKey(t),
		MaxPeers:    10,
		Name:        "stock",
		ListenAddr:  "127.0.0.1:0",
		NoDiscovery: true,
		StaticNodes: peers,
		Protocols:   shh.Protocols(),
	}}
	if err := shh.Start(srv); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop()
		go shh.Stop() // may wait 10 s for a bloom update goroutine
	})
	return &stockNode{shh: shh, srv: srv}
}

// awaitAck reads acks until one from peer names envelope.
func awaitAck(t *testing.T, n *Node, peer enode.ID, envelope [32]byte, timeout time.Duration) Ack {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case a := <-n.Acks():
			if a.Peer != peer {
				continue
			}
			for _, h := range append(append([][32]byte(nil), a.Envelopes...), a.Refused...) {
				if h == envelope {
					return a
				}
			}
		case <-timer.C:
			t.Fatalf("no ack from %s for %x within %s", peer.TerminalString(), envelope, timeout)
			return Ack{}
		}
	}
}

func containsHash(hs [][32]byte, h [32]byte) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

func TestHushPeerConfirmsPostedEnvelope(t *testing.T) {
	t.Parallel()
	b := newTestNode(t, "b")
	a := newTestNode(t, "a", b.Enode())
	connected(t, 1, a, b)

	topic, key := topicOf("acks"), chatKey(t, "acks")
	h, err := a.Post(Post{Topic: topic, SymKey: key, Payload: []byte("hello"), Signer: mustKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	ack := awaitAck(t, a, b.Enode().ID(), h, waitTimeout)
	if !ack.Confirmed {
		t.Errorf("ack from a hush peer is not confirmed: %+v", ack)
	}
	if !containsHash(ack.Envelopes, h) || containsHash(ack.Refused, h) {
		t.Errorf("ack = %+v, want %x taken", ack, h)
	}
	// Confirmed means b's whisperv6 holds it.
	if b.Whisper().GetEnvelope(common.Hash(h)) == nil {
		t.Error("b confirmed an envelope its pool does not hold")
	}
	// b relays nothing of its own, so it reports no acks for what it
	// sends back (a already has the envelope, so b sends nothing anyway).
	select {
	case extra := <-b.Acks():
		t.Errorf("b acknowledged an envelope it did not post: %+v", extra)
	default:
	}
}

func TestStockPeerGetsUnconfirmedAcksAndIgnoresOurCodes(t *testing.T) {
	t.Parallel()
	stock := startStockNode(t, DefaultMinPoW)
	a := newTestNode(t, "a", stock.srv.Self())
	connected(t, 1, a)
	stockID := stock.srv.Self().ID()

	topic, key := topicOf("stock-acks"), chatKey(t, "stock-acks")
	post := func(text string) [32]byte {
		t.Helper()
		h, err := a.Post(Post{Topic: topic, SymKey: key, Payload: []byte(text), Signer: mustKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := post("one")
	ack := awaitAck(t, a, stockID, h, waitTimeout)
	if ack.Confirmed {
		t.Errorf("ack from a stock peer claims confirmation: %+v", ack)
	}
	waitFor(t, waitTimeout, "the stock node to hold the envelope", func() bool {
		return stock.shh.GetEnvelope(common.Hash(h)) != nil
	})
	if l := a.link(stockID); l == nil || l.confirms.Load() {
		t.Fatal("stock peer is gone or said it confirms")
	}

	// Codes 11 and 12 sent to a stock node are ignored, not a reason to
	// drop us: the envelope posted after them still arrives on the same
	// connection.
	l := a.link(stockID)
	if err := p2p.Send(l.rw, codeMessagesResponse, versionedResponse{Version: 1, Response: mustRLP(t, messagesResponse{Hash: common.Hash(h)})}); err != nil {
		t.Fatal(err)
	}
	if err := p2p.Send(l.rw, codeBatchAck, common.Hash(h)); err != nil {
		t.Fatal(err)
	}
	h2 := post("two")
	waitFor(t, waitTimeout, "the stock node to hold the second envelope", func() bool {
		return stock.shh.GetEnvelope(common.Hash(h2)) != nil
	})
	if a.link(stockID) != l {
		t.Fatal("the stock peer reconnected: it dropped us")
	}
	if got := stock.srv.PeerCount(); got != 1 {
		t.Fatalf("stock node has %d peers, want 1", got)
	}
}

func mustRLP(t *testing.T, v any) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pipeInterceptor is an interceptor of node n on one end of an in-memory
// message pipe; the other end plays the peer.
func pipeInterceptor(t *testing.T, n *Node, confirms bool) (*interceptor, p2p.MsgReadWriter) {
	t.Helper()
	ours, theirs := p2p.MsgPipe()
	l := &link{id: enode.ID{1}, rw: ours, closed: make(chan struct{}), slot: make(chan struct{}, 1),
		confirmations: make(chan confirmation, confirmationQueue)}
	l.confirms.Store(confirms)
	n.wg.Add(1)
	go n.writeConfirmations(l)
	t.Cleanup(func() {
		close(l.closed)
		ours.Close()
	})
	return &interceptor{node: n, link: l, rw: ours, handshaken: true}, theirs
}

func TestMessagesResponseNamesRefusedEnvelopes(t *testing.T) {
	t.Parallel()
	n, err := New(testNodeConfig(t, "n"))
	if err != nil {
		t.Fatal(err)
	}
	ic, peer := pipeInterceptor(t, n, true)
	ownTaken, ownRefused, foreign := [32]byte{1}, [32]byte{2}, [32]byte{3}
	batch := common.Hash{9}
	ic.link.sent.add(batch, [][32]byte{ownTaken, ownRefused}, time.Now())

	resp := messagesResponse{Hash: batch, Errors: []envelopeError{
		{Hash: ownRefused, Code: envelopeNotAccepted, Description: "expired"},
		{Hash: foreign, Code: envelopeNotAccepted},
	}}
	go func() {
		_ = p2p.Send(peer, codeMessagesResponse, versionedResponse{Version: 1, Response: mustRLP(t, resp)})
		_ = p2p.Send(peer, codeBatchAck, batch) // the same batch again: no second ack
		_ = p2p.Send(peer, codeBatchAck, []byte{1, 2, 3})
	}()
	for range 3 {
		msg, err := ic.rw.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		if err := ic.readAck(msg); err != nil {
			t.Fatal(err)
		}
	}
	acks, dropped := n.ackq.take()
	if dropped != 0 || len(acks) != 1 {
		t.Fatalf("acks = %+v (dropped %d), want one", acks, dropped)
	}
	a := acks[0]
	if !a.Confirmed || len(a.Envelopes) != 1 || a.Envelopes[0] != ownTaken || len(a.Refused) != 1 || a.Refused[0] != ownRefused {
		t.Errorf("ack = %+v, want %x taken and %x refused", a, ownTaken, ownRefused)
	}
}

func TestReceiverConfirmsWhatWhisperTook(t *testing.T) {
	t.Parallel()
	cfg := testNodeConfig(t, "n")
	cfg.MinPoW = 1e-9
	n := startNode(t, cfg)
	ic, peer := pipeInterceptor(t, n, true)

	// One envelope whisperv6 takes, one already expired (dropped quietly).
	fresh := sealTestEnvelope(t, topicOf("confirm"), 64, 60, time.Now())
	stale := sealTestEnvelope(t, topicOf("confirm"), 64, 5, time.Now().Add(-10*time.Second))
	body := mustRLP(t, []*whisperv6.Envelope{fresh, stale})
	go func() { _ = p2p.Send(peer, codeMessages, rlp.RawValue(body)) }()

	msg, err := ic.rw.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	msg, err = ic.noteBatch(msg)
	if err != nil {
		t.Fatal(err)
	}
	// Play whisperv6's message loop: it adds each envelope to its pool
	// and quietly drops the expired one.
	var envs []*whisperv6.Envelope
	if err := msg.Decode(&envs); err != nil {
		t.Fatal(err)
	}
	if err := n.Whisper().Send(envs[0]); err != nil {
		t.Fatal(err)
	}
	if err := n.Whisper().Send(envs[1]); err == nil {
		t.Fatal("whisperv6 took an expired envelope")
	}

	ic.confirmBatch()
	reply, err := peer.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	if reply.Code != codeMessagesResponse {
		t.Fatalf("first reply has code %d, want %d", reply.Code, codeMessagesResponse)
	}
	raw, err := io.ReadAll(reply.Payload)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := decodeMessagesResponse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := crypto.Keccak256Hash(body)
	if resp.Hash != want {
		t.Errorf("response hash %x, want keccak of the batch %x", resp.Hash, want)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Hash != stale.Hash() {
		t.Errorf("errors = %+v, want only the stale envelope %x", resp.Errors, stale.Hash())
	}
	ackMsg, err := peer.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	var acked common.Hash
	if ackMsg.Code != codeBatchAck || ackMsg.Decode(&acked) != nil || acked != want {
		t.Errorf("second reply code %d hash %x, want code 11 with %x", ackMsg.Code, acked, want)
	}
}

// sealTestEnvelope is an envelope with payloadLen random bytes under a
// throwaway key, sent at sent with ttl seconds, and no proof of work.
func sealTestEnvelope(t testing.TB, topic [4]byte, payloadLen int, ttl uint32, sent time.Time) *whisperv6.Envelope {
	t.Helper()
	key := make([]byte, 32)
	key[0] = 1
	payload := make([]byte, payloadLen)
	copy(payload, crypto.Keccak256([]byte(t.Name())))
	params := &whisperv6.MessageParams{TTL: ttl, KeySym: key, Topic: whisperv6.TopicType(topic), Payload: payload}
	msg, err := whisperv6.NewSentMessage(params)
	if err != nil {
		t.Fatal(err)
	}
	env, err := msg.Wrap(params)
	if err != nil {
		t.Fatal(err)
	}
	env.Expiry = uint32(sent.Unix()) + ttl
	return env
}

func TestAcksAreNotLostWhileTheReaderLags(t *testing.T) {
	t.Parallel()
	n := newTestNode(t, "n")
	const total = 3 * acksBuffer
	for i := range total {
		n.ackq.push(Ack{Peer: enode.ID{byte(i), byte(i >> 8)}})
	}
	for i := range total {
		select {
		case a := <-n.Acks():
			if want := (enode.ID{byte(i), byte(i >> 8)}); a.Peer != want {
				t.Fatalf("ack %d is for %x, want %x", i, a.Peer[:2], want[:2])
			}
		case <-time.After(waitTimeout):
			t.Fatalf("ack %d of %d never came", i, total)
		}
	}
}

func TestSentBatchesAreBounded(t *testing.T) {
	var s sentBatches
	now := time.Now()
	for i := range 2 * maxTrackedBatches {
		s.add([32]byte{byte(i), byte(i >> 8)}, nil, now)
	}
	if len(s.m) > maxTrackedBatches || len(s.order) > maxTrackedBatches {
		t.Fatalf("tracking %d batches (%d in order), bound %d", len(s.m), len(s.order), maxTrackedBatches)
	}
	const newest = 2*maxTrackedBatches - 1
	last := [32]byte{newest & 0xff, newest >> 8}
	if s.take(last, now) == nil {
		t.Error("the newest batch was forgotten")
	}
	if s.take([32]byte{0}, now) != nil {
		t.Error("the oldest batch is still tracked past the bound")
	}
	s.add([32]byte{7, 7}, nil, now)
	if s.take([32]byte{7, 7}, now.Add(ackWindow)) != nil {
		t.Error("an ack after the window was taken")
	}
}

// archiveRecorder is a mailserver that only notes what it was given.
type archiveRecorder struct {
	mu       sync.Mutex
	archived map[common.Hash]bool
}

func (r *archiveRecorder) Archive(env *whisperv6.Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.archived[env.Hash()] = true
}

func (r *archiveRecorder) DeliverMail(*whisperv6.Peer, *whisperv6.Envelope) {}

func (r *archiveRecorder) has(h [32]byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.archived[common.Hash(h)]
}

// A mailserver peer confirms a batch only after its envelopes went to the
// archive, which is what lets a client call a confirmed line "stored".
func TestMailserverPeerArchivesBeforeItConfirms(t *testing.T) {
	t.Parallel()
	rec := &archiveRecorder{archived: make(map[common.Hash]bool)}
	server, err := New(testNodeConfig(t, "mailserver"))
	if err != nil {
		t.Fatal(err)
	}
	server.RegisterMailServer(rec)
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	client := newTestNode(t, "client", server.Enode())
	connected(t, 1, client, server)

	topic, key := topicOf("stored"), chatKey(t, "stored")
	signer := mustKey(t)
	for i := range 5 {
		h, err := client.Post(Post{Topic: topic, SymKey: key, Payload: []byte{byte(i)}, Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		ack := awaitAck(t, client, server.Enode().ID(), h, waitTimeout)
		if !ack.Confirmed || !containsHash(ack.Envelopes, h) {
			t.Fatalf("ack = %+v, want %x confirmed", ack, h)
		}
		// No waiting: the archive had it before the confirmation left.
		if !rec.has(h) {
			t.Fatalf("envelope %d confirmed before the mailserver archived it", i)
		}
	}
}

// syncingArchive is a mailserver whose archive writes in the background:
// Sync reports whether the writes succeeded.
type syncingArchive struct {
	archiveRecorder
	failWrites bool
	syncs      atomic.Int64
}

func (a *syncingArchive) Sync(time.Time) error {
	a.syncs.Add(1)
	if a.failWrites {
		return errors.New("database or disk is full")
	}
	return nil
}

// A mailserver peer whose archive write fails must not confirm the batch
// as taken: the sender hears the envelope was refused and posts it again.
func TestMailserverPeerConfirmsOnlyWhatItWrote(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{false, true} {
		arch := &syncingArchive{archiveRecorder: archiveRecorder{archived: make(map[common.Hash]bool)}, failWrites: fail}
		server, err := New(testNodeConfig(t, "mailserver"))
		if err != nil {
			t.Fatal(err)
		}
		server.RegisterMailServer(arch)
		if err := server.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(server.Stop)
		client := newTestNode(t, "client", server.Enode())
		connected(t, 1, client, server)

		h, err := client.Post(Post{Topic: topicOf("durable"), SymKey: chatKey(t, "durable"), Payload: []byte("x"), Signer: mustKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		ack := awaitAck(t, client, server.Enode().ID(), h, waitTimeout)
		if arch.syncs.Load() == 0 {
			t.Fatalf("fail=%v: confirmed without syncing the archive", fail)
		}
		if fail && (containsHash(ack.Envelopes, h) || !containsHash(ack.Refused, h)) {
			t.Fatalf("archive write failed, yet ack = %+v", ack)
		}
		if !fail && (!containsHash(ack.Envelopes, h) || !ack.Confirmed) {
			t.Fatalf("archive wrote, yet ack = %+v", ack)
		}
	}
}
