package session

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/store"
	"hush/whisper"
)

// fakeNode is a TEST DOUBLE for Node: no network at all. Tests set its peer
// count, make posts fail and deliver acknowledgements by hand; every post
// is recorded with the envelope hash it was given.
type fakeNode struct {
	peerChanges chan int
	acks        chan whisper.Ack
	received    chan whisper.Received

	mu        sync.Mutex
	peers     int
	failPosts int   // fail this many more posts
	postErr   error // the error they fail with
	posts     []fakePost
	ads       int // bundle advertisements posted
	subs      int
}

type fakePost struct {
	post whisper.Post
	hash [32]byte
}

func newFakeNode(peers int) *fakeNode {
	return &fakeNode{
		peerChanges: make(chan int, 16),
		acks:        make(chan whisper.Ack, 16),
		received:    make(chan whisper.Received, 16),
		peers:       peers,
	}
}

func (f *fakeNode) Enode() *enode.Node      { return nil }
func (f *fakeNode) AddPeer(*enode.Node)     {}
func (f *fakeNode) PeerChanges() <-chan int { return f.peerChanges }
func (f *fakeNode) Connection(enode.ID) (whisper.Conn, bool) {
	return whisper.Conn{}, false
}
func (f *fakeNode) Acks() <-chan whisper.Ack {
	return f.acks
}
func (f *fakeNode) Received() <-chan whisper.Received { return f.received }

func (f *fakeNode) PeerCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.peers
}

// setPeers changes the peer count and tells the session, as a node does.
func (f *fakeNode) setPeers(n int) {
	f.mu.Lock()
	f.peers = n
	f.mu.Unlock()
	f.peerChanges <- n
}

func (f *fakeNode) SubscribeSym([4]byte, []byte) (string, error) { return f.newSub(), nil }
func (f *fakeNode) SubscribeAsym([4]byte, *ecdsa.PrivateKey) (string, error) {
	return f.newSub(), nil
}
func (f *fakeNode) Unsubscribe(string) error { return nil }

func (f *fakeNode) newSub() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs++
	return fmt.Sprintf("sub-%d", f.subs)
}

func (f *fakeNode) Post(p whisper.Post) ([32]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failPosts > 0 {
		f.failPosts--
		return [32]byte{}, f.postErr
	}
	hash := sha256.Sum256(fmt.Appendf(nil, "envelope %d %d %x", len(f.posts), f.ads, p.Payload))
	if p.Signer != nil && p.Topic == codec.TopicFor(codec.ContactCodeTopicName(&p.Signer.PublicKey)) {
		// Bundle advertisements are counted apart: the outbox tests
		// count chat lines.
		f.ads++
		return hash, nil
	}
	f.posts = append(f.posts, fakePost{post: p, hash: hash})
	return hash, nil
}

func (f *fakeNode) RequestHistory(context.Context, enode.ID, whisper.HistoryRequest) (whisper.HistoryPage, error) {
	return whisper.HistoryPage{}, errors.New("fake node has no mailserver")
}

// posted returns the recorded posts.
func (f *fakeNode) posted() []fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakePost(nil), f.posts...)
}

// ack delivers an acknowledgement of some posts.
func (f *fakeNode) ack(peer enode.ID, confirmed bool, posts ...fakePost) {
	a := whisper.Ack{Peer: peer, Confirmed: confirmed}
	for _, p := range posts {
		a.Envelopes = append(a.Envelopes, p.hash)
	}
	f.acks <- a
}

// fakeClient is a Manager over a fakeNode and a real store.
type fakeClient struct {
	t      *testing.T
	id     *ecdsa.PrivateKey
	path   string
	node   *fakeNode
	store  *store.Store
	mgr    *Manager
	events *recorder
	ms     Mailserver // configured as our mailserver; never connected
}

// newFakeClient starts a session on node; tune may shorten the outbox's
// waits before Start.
func newFakeClient(t *testing.T, node *fakeNode, tune func(*outbox)) *fakeClient {
	t.Helper()
	id, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	msKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClient{t: t, id: id, path: filepath.Join(t.TempDir(), "hush.db"),
		ms: Mailserver{Node: enode.NewV4(&msKey.PublicKey, net.IPv4(127, 0, 0, 1), 1, 1)}}
	c.start(node, tune)
	t.Cleanup(c.stop)
	return c
}

func (c *fakeClient) start(node *fakeNode, tune func(*outbox)) {
	t := c.t
	t.Helper()
	st, err := store.Open(c.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The mailserver is configured but the history requests it gets fail at
	// once: only its acknowledgements matter here.
	mgr, err := New(Config{Identity: c.id, Node: node, Store: st, Mailservers: []Mailserver{c.ms}})
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(mgr.outbox)
	}
	c.node, c.store, c.mgr = node, st, mgr
	c.events = record(mgr.Events())
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
}

func (c *fakeClient) stop() {
	if c.mgr == nil {
		return
	}
	c.mgr.Stop()
	c.events.stop()
	if err := c.store.Close(); err != nil {
		c.t.Errorf("close store: %v", err)
	}
	c.mgr = nil
}

// states returns the stored states of a chat's messages, oldest first.
func (c *fakeClient) states(chatID string) []MessageState {
	ms, err := c.mgr.Latest(chatID, 100)
	if err != nil {
		c.t.Fatal(err)
	}
	out := make([]MessageState, len(ms))
	for i, m := range ms {
		out[i] = m.State
	}
	return out
}

// waitStates waits until the chat's messages are stored in want.
func (c *fakeClient) waitStates(chatID string, want ...MessageState) {
	c.t.Helper()
	waitFor(c.t, fmt.Sprintf("states %v", want), func() bool { return slices.Equal(c.states(chatID), want) })
}

// outboxEvents returns every OutboxChanged the session emitted.
func (c *fakeClient) outboxEvents() []OutboxChanged {
	var out []OutboxChanged
	for _, ev := range c.events.all() {
		if oc, ok := ev.(OutboxChanged); ok {
			out = append(out, oc)
		}
	}
	return out
}

// lastOutbox waits until the last OutboxChanged is want.
func (c *fakeClient) lastOutbox(want OutboxChanged) {
	c.t.Helper()
	waitFor(c.t, fmt.Sprintf("outbox %+v", want), func() bool {
		evs := c.outboxEvents()
		return len(evs) > 0 && evs[len(evs)-1] == want
	})
}

// stateEvents returns the states announced for one message, in order.
func (c *fakeClient) stateEvents(id string) []MessageState {
	var out []MessageState
	for _, ev := range c.events.all() {
		if sc, ok := ev.(MessageStateChanged); ok && sc.ID == id {
			out = append(out, sc.State)
		}
	}
	return out
}

func (c *fakeClient) messages(chatID string) []Message {
	ms, err := c.mgr.Latest(chatID, 100)
	if err != nil {
		c.t.Fatal(err)
	}
	return ms
}

func (c *fakeClient) send(chatID string, texts ...string) {
	c.t.Helper()
	for _, text := range texts {
		if err := c.mgr.Send(chatID, text); err != nil {
			c.t.Fatal(err)
		}
	}
}

// payloadText decodes the text a post carries.
func payloadText(t *testing.T, p fakePost) string {
	t.Helper()
	rec, err := codec.Decode(p.post.Payload)
	if err != nil {
		t.Fatal(err)
	}
	msg, ok := rec.(*codec.Message)
	if !ok {
		t.Fatalf("posted a %T", rec)
	}
	return msg.Text
}

func otherPeer(t *testing.T) enode.ID {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return enode.PubkeyToIDV4(&key.PublicKey)
}

// TestOutboxWaitsForAPeerThenSentThenStored: with no peer, three lines are
// pending (and the status says why) and nothing is posted; a peer comes and
// they are posted in order; a relay's ack makes the first sent, the
// mailserver's confirmed ack makes all stored.
func TestOutboxWaitsForAPeerThenSentThenStored(t *testing.T) {
	node := newFakeNode(0)
	c := newFakeClient(t, node, nil)
	if _, err := c.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	c.send("status", "one", "two", "three")
	c.waitStates("status", Pending, Pending, Pending)
	c.lastOutbox(OutboxChanged{Pending: 3, Reason: "no peers"})
	if n := len(node.posted()); n != 0 {
		t.Fatalf("%d posts without a peer", n)
	}
	for _, m := range c.events.added("status") {
		if m.State != Pending {
			t.Fatalf("%q announced as %v, want pending", m.Text, m.State)
		}
	}

	node.setPeers(1)
	waitFor(t, "3 posts", func() bool { return len(node.posted()) == 3 })
	posts := node.posted()
	for i, want := range []string{"one", "two", "three"} {
		if got := payloadText(t, posts[i]); got != want {
			t.Fatalf("post %d is %q, want %q", i, got, want)
		}
	}
	c.waitStates("status", Sending, Sending, Sending)
	c.lastOutbox(OutboxChanged{Sending: 3})
	// The envelope hash is recorded, so our own echo is known.
	ms := c.messages("status")
	if sm, _, _ := c.store.Message(mustID(t, ms[0].ID)); sm.EnvelopeHash != posts[0].hash {
		t.Fatalf("stored envelope hash %x, want %x", sm.EnvelopeHash, posts[0].hash)
	}

	relay := otherPeer(t)
	node.ack(relay, false, posts[0]) // a stock peer took the first
	c.waitStates("status", Sent, Sending, Sending)
	node.ack(relay, true, posts[1]) // a hush relay (not our mailserver) confirmed the second
	c.waitStates("status", Sent, Sent, Sending)
	// Unconfirmed from the mailserver: written to it, not known archived.
	node.ack(c.ms.Node.ID(), false, posts[2])
	c.waitStates("status", Sent, Sent, Sent)
	c.lastOutbox(OutboxChanged{})
	node.ack(c.ms.Node.ID(), true, posts...)
	c.waitStates("status", Stored, Stored, Stored)

	if got, want := c.stateEvents(ms[0].ID), []MessageState{Sending, Sent, Stored}; !slices.Equal(got, want) {
		t.Fatalf("state events of the first line: %v, want %v", got, want)
	}
	// Nothing was posted twice.
	if n := len(node.posted()); n != 3 {
		t.Fatalf("%d posts, want 3", n)
	}
}

// TestOutboxResealsUntilItFails: connected, but nobody acknowledges: the
// message is sealed afresh (new envelope, same payload) maxPosts times,
// then failed with a notice. A late ack of the first copy still counts.
func TestOutboxResealsUntilItFails(t *testing.T) {
	node := newFakeNode(1)
	c := newFakeClient(t, node, func(o *outbox) { o.ackWait, o.maxPosts = 20*time.Millisecond, 3 })
	if _, err := c.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	c.send("status", "anyone?")
	c.waitStates("status", Failed)
	posts := node.posted()
	if len(posts) != 3 {
		t.Fatalf("%d posts, want 3", len(posts))
	}
	for _, p := range posts[1:] {
		if !bytes.Equal(p.post.Payload, posts[0].post.Payload) || p.hash == posts[0].hash {
			t.Fatal("a re-seal must carry the same payload in a new envelope")
		}
	}
	waitFor(t, "a failure notice", func() bool {
		return slices.ContainsFunc(c.events.all(), func(ev Event) bool {
			n, ok := ev.(Notice)
			return ok && n.Err && strings.Contains(n.Text, "/resend")
		})
	})
	c.lastOutbox(OutboxChanged{})
	// Failed stays failed: no post by itself when peers change.
	node.setPeers(2)
	time.Sleep(100 * time.Millisecond) // a negative check: there is no event to wait for
	if n := len(node.posted()); n != 3 {
		t.Fatalf("a failed message was posted again by itself (%d posts)", n)
	}

	node.ack(otherPeer(t), false, posts[0])
	c.waitStates("status", Sent)
}

// TestOutboxRefusedIsSealedAgain: a peer that refuses our envelope (its
// clock says it expired) gets a fresh copy at once, without waiting out
// the deadline; the fresh copy's ack makes it sent.
func TestOutboxRefusedIsSealedAgain(t *testing.T) {
	node := newFakeNode(1)
	c := newFakeClient(t, node, nil) // the default deadline is far beyond this test's wait
	if _, err := c.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	c.send("status", "too old for you?")
	waitFor(t, "the first post", func() bool { return len(node.posted()) == 1 })
	peer := otherPeer(t)
	node.acks <- whisper.Ack{Peer: peer, Refused: [][32]byte{node.posted()[0].hash}, Confirmed: true}
	waitFor(t, "a fresh copy", func() bool { return len(node.posted()) == 2 })
	c.waitStates("status", Sending)
	node.ack(peer, true, node.posted()[1])
	c.waitStates("status", Sent)
}

// TestOutboxResend: /resend takes a failed message (posted again, then
// sent on ack) and a pending one, and refuses one already sent.
func TestOutboxResend(t *testing.T) {
	node := newFakeNode(1)
	c := newFakeClient(t, node, func(o *outbox) { o.ackWait, o.maxPosts = 10*time.Millisecond, 1 })
	if _, err := c.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	c.send("status", "retry me")
	c.waitStates("status", Failed)
	id := c.messages("status")[0].ID
	if err := c.mgr.Resend("status", id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a second post", func() bool { return len(node.posted()) == 2 })
	node.ack(otherPeer(t), true, node.posted()[1])
	c.waitStates("status", Sent)
	if err := c.mgr.Resend("status", id); err == nil || !strings.Contains(err.Error(), "already sent") {
		t.Fatalf("resend of a sent message: %v", err)
	}
	if err := c.mgr.Resend("other", id); err == nil {
		t.Fatal("resend in the wrong chat worked")
	}

	node.setPeers(0)
	c.send("status", "later")
	c.waitStates("status", Sent, Pending)
	if err := c.mgr.Resend("status", c.messages("status")[1].ID); err != nil {
		t.Fatalf("resend of a pending message: %v", err)
	}
	c.lastOutbox(OutboxChanged{Pending: 1, Reason: "no peers"})
	node.setPeers(1)
	waitFor(t, "the pending line posted", func() bool { return len(node.posted()) == 3 })
}

// TestOutboxPostErrorsBackOff: a post that fails is tried again after a
// pause (the status line says why it waits); one that keeps failing ends
// failed.
func TestOutboxPostErrorsBackOff(t *testing.T) {
	node := newFakeNode(1)
	node.failPosts, node.postErr = 2, errors.New("seal: out of time")
	c := newFakeClient(t, node, func(o *outbox) { o.postRetry, o.maxPosts = 20*time.Millisecond, 3 })
	if _, err := c.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	c.send("status", "third time lucky")
	c.waitStates("status", Sending)
	if n := len(node.posted()); n != 1 {
		t.Fatalf("%d successful posts, want 1", n)
	}
	if !slices.Contains(c.outboxEvents(), OutboxChanged{Pending: 1, Reason: "post failed, retrying: seal: out of time"}) {
		t.Fatalf("the status never said why the line waits: %+v", c.outboxEvents())
	}

	node.mu.Lock()
	node.failPosts = 100
	node.mu.Unlock()
	c.send("status", "never")
	c.waitStates("status", Sending, Failed)
}

// TestOutboxPeersLeaveAndComeBack: a posted line whose only peer left goes
// back to pending; when a peer returns it is sealed afresh, and an ack of
// the first envelope (arriving late) still marks it sent.
func TestOutboxPeersLeaveAndComeBack(t *testing.T) {
	node := newFakeNode(1)
	c := newFakeClient(t, node, nil)
	if _, err := c.mgr.OpenPrivate(codec.PublicKeyHex(c.ms.Node.Pubkey())); err != nil {
		t.Fatal(err)
	}
	chat := c.mgr.Chats()[0].ID
	c.send(chat, "private words")
	c.waitStates(chat, Sending)
	node.setPeers(0)
	c.waitStates(chat, Pending)
	c.lastOutbox(OutboxChanged{Pending: 1, Reason: "no peers"})
	node.setPeers(1)
	waitFor(t, "a fresh post", func() bool { return len(node.posted()) == 2 })
	c.waitStates(chat, Sending)
	posts := node.posted()
	if posts[1].post.PublicKey == nil || posts[1].post.SymKey != nil {
		t.Fatal("a private line must be posted to the peer's key")
	}
	node.ack(otherPeer(t), false, posts[0])
	c.waitStates(chat, Sent)
}

// TestOutboxSurvivesStop: lines sent and the session stopped at once (no
// peer yet) are in the store, pending; a new session on the same store
// posts them, same id and payload, and nothing is doubled. A line posted
// but never acknowledged (Sending) before the stop goes out again too.
func TestOutboxSurvivesStop(t *testing.T) {
	node := newFakeNode(0)
	c := newFakeClient(t, node, nil)
	if _, err := c.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	c.send("status", "typed then quit", "and another")
	c.stop()

	// Reopened without the session, as after a kill: the rows are there.
	st, err := store.Open(c.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Latest("status", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].State != store.MessageState(Pending) || rows[1].State != store.MessageState(Pending) {
		t.Fatalf("after stop: %+v", rows)
	}
	// Leave the second as a previous session that posted it would.
	if err := st.SetState(rows[1].ID, store.MessageState(Sending)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	node2 := newFakeNode(1)
	c.start(node2, nil)
	waitFor(t, "both lines posted", func() bool { return len(node2.posted()) == 2 })
	posts := node2.posted()
	for i, p := range posts {
		if !bytes.Equal(p.post.Payload, rows[i].Payload) {
			t.Fatalf("post %d carries another payload", i)
		}
	}
	node2.ack(otherPeer(t), true, posts...)
	c.waitStates("status", Sent, Sent)
	ms := c.messages("status")
	if len(ms) != 2 || ms[0].ID != hexID(rows[0].ID) || ms[1].ID != hexID(rows[1].ID) {
		t.Fatalf("after restart: %+v", ms)
	}
}

// TestOutboxBounded: the outbox holds a bounded number of lines; the one
// past it is refused before it is stored, so nothing is kept unsent
// without the user knowing.
func TestOutboxBounded(t *testing.T) {
	node := newFakeNode(0)
	c := newFakeClient(t, node, func(o *outbox) { o.max = 2 })
	if _, err := c.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	c.send("status", "a", "b")
	c.waitStates("status", Pending, Pending)
	if err := c.mgr.Send("status", "c"); err == nil {
		t.Fatal("a third line fit into an outbox of two")
	}
	if n := len(c.messages("status")); n != 2 {
		t.Fatalf("%d lines stored, want 2", n)
	}
}

func mustID(t *testing.T, s string) [32]byte {
	t.Helper()
	id, err := parseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
