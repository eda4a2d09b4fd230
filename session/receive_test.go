package session

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/whisper"
)

// dropLog keeps the reasons the session logged for dropped messages.
type dropLog struct {
	mu      sync.Mutex
	reasons []string
}

func (l *dropLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *dropLog) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "dropped message") {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			l.mu.Lock()
			l.reasons = append(l.reasons, a.Value.String())
			l.mu.Unlock()
		}
		return true
	})
	return nil
}
func (l *dropLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *dropLog) WithGroup(string) slog.Handler      { return l }

// has reports whether a logged reason contains every one of parts.
func (l *dropLog) has(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.reasons {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(r, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// c4 encodes a text message as hush and SR write it.
func c4(t *testing.T, text, msgType, chatID string, clock, ts int64) []byte {
	t.Helper()
	p, err := codec.EncodeMessage(codec.Message{Text: text, MessageType: msgType, ChatID: chatID, Clock: clock, Timestamp: ts})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// postPublic posts payload on a public chat's topic and key through c's
// node, signed by signer.
func postPublic(t *testing.T, c *client, signer *ecdsa.PrivateKey, chat string, payload []byte) {
	t.Helper()
	p := whisper.Post{Topic: codec.TopicFor(chat), SymKey: codec.SymKeyFromPassword(chat), Payload: payload, Signer: signer}
	if _, err := c.node.Post(p); err != nil {
		t.Fatal(err)
	}
}

// postPrivate posts payload encrypted to key on the one-to-one topic.
func postPrivate(t *testing.T, c *client, signer *ecdsa.PrivateKey, to *ecdsa.PublicKey, payload []byte) {
	t.Helper()
	p := whisper.Post{Topic: codec.TopicFor(codec.DiscoveryTopicName), PublicKey: to, Payload: payload, Signer: signer}
	if _, err := c.node.Post(p); err != nil {
		t.Fatal(err)
	}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestReplayIntoAnotherChatDropped: A's message for #status, replayed on
// #foo's topic and key before the genuine copy arrives, is dropped with a
// reason; the genuine copy then shows in #status (its id is not taken).
func TestReplayIntoAnotherChatDropped(t *testing.T) {
	logs := &dropLog{}
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}, logger: slog.New(logs)})
	waitPeers(t, 1, a, b)
	for _, chat := range []string{"status", "foo"} {
		if _, err := b.mgr.JoinPublic(chat); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	payload := c4(t, "for status only", codec.MessageTypePublic, "status", codec.NextClock(0, now), now.UnixMilli())
	postPublic(t, a, a.id, "foo", payload)
	waitFor(t, "replay dropped", func() bool { return logs.has("another chat", `"status"`, "#foo") })
	postPublic(t, a, a.id, "status", payload)
	waitFor(t, "genuine copy shown", func() bool { return slices.Equal(b.texts("status"), []string{"for status only"}) })
	if got := b.texts("foo"); len(got) != 0 {
		t.Fatalf("#foo shows %q", got)
	}
}

// TestPrivateReplayToThirdKeyDropped: B's message to A, re-encrypted to C,
// does not show in C's chat with B (nor open one); B's own message to C does.
func TestPrivateReplayToThirdKeyDropped(t *testing.T) {
	logs := &dropLog{}
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	c := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}, logger: slog.New(logs)})
	waitPeers(t, 1, b, c)
	waitPeers(t, 2, a)

	if _, err := b.mgr.OpenPrivate(a.key()); err != nil {
		t.Fatal(err)
	}
	if err := b.mgr.Send(a.key(), "only for A"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A gets B's message", func() bool { return len(a.texts(b.key())) == 1 })
	sent, err := b.mgr.Latest(a.key(), 1)
	if err != nil || len(sent) != 1 {
		t.Fatalf("B's message: %v %v", sent, err)
	}
	id, _ := parseID(sent[0].ID)
	stored, _, err := b.store.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	// A holds B's signed plaintext and re-encrypts it to C.
	postPrivate(t, a, b.id, &c.id.PublicKey, stored.Payload)
	waitFor(t, "replay dropped", func() bool { return logs.has("another chat", "not to us") })
	if chats := c.mgr.Chats(); len(chats) != 0 {
		t.Fatalf("C shows chats %+v", chats)
	}
	if _, err := b.mgr.OpenPrivate(c.key()); err != nil {
		t.Fatal(err)
	}
	if err := b.mgr.Send(c.key(), "for C"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "C gets B's own message", func() bool { return slices.Equal(c.texts(b.key()), []string{"for C"}) })
}

// TestHostileClocksAndTimestamps: a clock 31 days ahead (within SR's bound)
// is filed at the receiver's present and does not drag its clock; a clock
// of 1 stays at the top; timestamps from year 287168 and 1970 show the
// envelope's time instead.
func TestHostileClocksAndTimestamps(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	attacker := newKey(t)
	now := time.Now()
	const year287168 = 9000000000000000 // unix ms
	future := codec.MaxClock(now) - 1000
	postPublic(t, a, attacker, "status", c4(t, "from the future", codec.MessageTypePublic, "status", future, year287168))
	postPublic(t, a, attacker, "status", c4(t, "from 1970", codec.MessageTypePublic, "status", 1, 1))
	waitFor(t, "both hostile messages", func() bool { return len(b.texts("status")) == 2 })
	received := time.Now()

	// An honest peer that never saw the hostile message writes after it.
	honest := newKey(t)
	postPublic(t, a, honest, "status", c4(t, "honest and later", codec.MessageTypePublic, "status", codec.NextClock(0, time.Now()), time.Now().UnixMilli()))
	waitFor(t, "honest message", func() bool { return len(b.texts("status")) == 3 })
	// Batches are handled one after the other, so the clock has taken the
	// hostile messages into account by now.
	limit := codec.ClockAt(time.Now().Add(codec.FutureWindow))
	c, _, err := b.store.Chat("status")
	if err != nil {
		t.Fatal(err)
	}
	if c.LastClock > limit {
		t.Fatalf("B's clock was dragged to %d, %s past now", c.LastClock, time.Duration(c.LastClock/100-received.UnixMilli())*time.Millisecond)
	}
	if got, want := b.texts("status"), []string{"from 1970", "from the future", "honest and later"}; !slices.Equal(got, want) {
		t.Fatalf("order %q, want %q", got, want)
	}
	ms, err := b.mgr.Latest("status", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		if m.Time.Before(now.Add(-time.Minute)) || m.Time.After(received.Add(time.Minute)) {
			t.Errorf("%q shows time %s, want the envelope's (about %s)", m.Text, m.Time, now)
		}
	}
	if ms[0].Clock != 1 {
		t.Errorf("clock 1 filed as %d", ms[0].Clock)
	}
	if err := b.mgr.Send("status", "mine"); err != nil {
		t.Fatal(err)
	}
	mine, err := b.mgr.Latest("status", 1)
	if err != nil {
		t.Fatal(err)
	}
	if mine[0].Clock > codec.ClockAt(time.Now().Add(codec.FutureWindow)) {
		t.Fatalf("B's next message has clock %d, dragged into the future", mine[0].Clock)
	}
}

// TestPayloadNotStoredPastDecodedSize: an 8-character text carrying 64 KiB
// of ignored content is stored without its payload; an ordinary message
// keeps it.
func TestPayloadNotStoredPastDecodedSize(t *testing.T) {
	// Tiny PoW: sealing 64 KiB at the default target can outlast its time
	// budget on a loaded machine, and PoW is not what this test is about.
	const tinyPoW = 1e-9
	a := newClient(t, clientOptions{minPoW: tinyPoW})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}, minPoW: tinyPoW})
	waitPeers(t, 1, a, b)
	for _, c := range []*client{a, b} {
		if _, err := c.mgr.JoinPublic("status"); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	padded := fmt.Sprintf(`["~#c4",["8 chars!","text/plain","~:public-group-user-message",%d,%d,["^ ","~:chat-id","status","~:text","8 chars!","~:junk",%q]]]`,
		codec.NextClock(0, now), now.UnixMilli(), strings.Repeat("j", 64<<10))
	p := whisper.Post{Topic: codec.TopicFor("status"), SymKey: codec.SymKeyFromPassword("status"), Payload: []byte(padded), Signer: a.id, PoW: tinyPoW}
	if _, err := a.node.Post(p); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "padded message", func() bool { return len(b.texts("status")) == 1 })
	if err := a.mgr.Send("status", "ordinary"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ordinary message", func() bool { return len(b.texts("status")) == 2 })
	ms, err := b.store.Latest("status", 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		switch m.Text {
		case "8 chars!":
			if m.Payload != nil {
				t.Errorf("padded message stored with a %d-byte payload", len(m.Payload))
			}
		case "ordinary":
			if len(m.Payload) == 0 {
				t.Error("ordinary message stored without its payload")
			}
		}
	}
}

// TestStrangerChatsCapped: more strangers than the cap write within a
// minute; only strangerChats chats open, the user gets one notice, and after
// the minute a summary says how many were dropped and new chats open again.
func TestStrangerChatsCapped(t *testing.T) {
	clock := &testClock{}
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}, now: clock.now})
	waitPeers(t, 1, a, b)
	const extra = 4
	for i := range strangerChats + extra {
		k := newKey(t)
		now := clock.now()
		postPrivate(t, a, k, &b.id.PublicKey, c4(t, fmt.Sprintf("spam %d", i), codec.MessageTypePrivate, b.key(), codec.NextClock(0, now), now.UnixMilli()))
	}
	waitFor(t, "every stranger handled", func() bool { return b.mgr.dropped.Load() == extra })
	if n := len(b.mgr.Chats()); n != strangerChats {
		t.Fatalf("%d chats opened, want %d", n, strangerChats)
	}
	// Events trail the store: wait for the notice, then count.
	waitFor(t, "the cap notice", func() bool { return len(b.notices("more than")) > 0 })
	if n := len(b.notices("more than")); n != 1 {
		t.Fatalf("%d cap notices, want 1", n)
	}
	clock.advance(strangerWindow)
	k := newKey(t)
	now := clock.now()
	postPrivate(t, a, k, &b.id.PublicKey, c4(t, "next minute", codec.MessageTypePrivate, b.key(), codec.NextClock(0, now), now.UnixMilli()))
	waitFor(t, "a new chat opens after the minute", func() bool { return len(b.mgr.Chats()) == strangerChats+1 })
	waitFor(t, "the summary", func() bool { return len(b.notices("dropped")) > 0 })
	if got := b.notices("dropped"); len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("dropped %d messages from %d unknown keys", extra, extra)) {
		t.Fatalf("summary notices %q", got)
	}
}

// TestLeaveOneToOneSticks: after B leaves its chat with A, A's next message
// does not bring it back; once B opens the chat again, A's messages show.
func TestLeaveOneToOneSticks(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	if _, err := a.mgr.OpenPrivate(b.key()); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(b.key(), "first"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first", func() bool { return len(b.texts(a.key())) == 1 })
	if err := b.mgr.Leave(a.key()); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(b.key(), "after leave"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "message to the left chat dropped", func() bool { return b.mgr.dropped.Load() == 1 })
	if chats := b.mgr.Chats(); len(chats) != 0 {
		t.Fatalf("the left chat came back: %+v", chats)
	}
	if _, err := b.mgr.OpenPrivate(a.key()); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(b.key(), "after reopen"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "message after reopen", func() bool {
		return slices.Equal(b.texts(a.key()), []string{"first", "after reopen"})
	})
}

// TestIgnoreDropsAndPersists: B ignores A; A's public and private messages
// are dropped, B's chat with A is left, and the ignore survives a restart
// until B unignores A.
func TestIgnoreDropsAndPersists(t *testing.T) {
	logs := &dropLog{}
	a := newClient(t, clientOptions{})
	peers := clientOptions{peers: []*enode.Node{a.node.Enode()}, logger: slog.New(logs)}
	b := newClient(t, peers)
	waitPeers(t, 1, a, b)
	for _, c := range []*client{a, b} {
		if _, err := c.mgr.JoinPublic("status"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.mgr.OpenPrivate(b.key()); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(b.key(), "hello"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "hello", func() bool { return len(b.texts(a.key())) == 1 })

	if _, err := b.mgr.Ignore(b.key()); err == nil {
		t.Fatal("ignoring our own key passed")
	}
	key, err := b.mgr.Ignore(strings.TrimPrefix(a.key(), "0x"))
	if err != nil || key != a.key() {
		t.Fatalf("Ignore = %q, %v", key, err)
	}
	if chats := b.mgr.Chats(); len(chats) != 1 || chats[0].ID != "status" {
		t.Fatalf("B's chats after ignore: %+v", chats)
	}
	if err := a.mgr.Send("status", "public while ignored"); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(b.key(), "private while ignored"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both dropped", func() bool { return b.mgr.dropped.Load() == 2 })
	if got := b.texts("status"); len(got) != 0 {
		t.Fatalf("#status shows %q", got)
	}

	b.restart(peers)
	waitPeers(t, 1, b)
	if got := b.mgr.Ignored(); !slices.Equal(got, []string{a.key()}) {
		t.Fatalf("ignored after restart: %q", got)
	}
	if err := a.mgr.Send("status", "still ignored"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dropped after restart", func() bool { return b.mgr.dropped.Load() >= 1 })
	if !logs.has("sender is ignored") {
		t.Fatal("no drop logged as ignored")
	}
	if got := b.texts("status"); len(got) != 0 {
		t.Fatalf("#status after restart shows %q", got)
	}

	if _, err := b.mgr.Unignore(a.key()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.mgr.Unignore(a.key()); err == nil {
		t.Fatal("a second unignore passed")
	}
	if err := a.mgr.Send("status", "welcome back"); err != nil {
		t.Fatal(err)
	}
	// (A copy of an earlier message that a peer hands over again now would
	// be taken too: only what arrived while ignored was dropped.)
	waitFor(t, "message after unignore", func() bool { return slices.Contains(b.texts("status"), "welcome back") })
}

// TestNamesLikeKeysRefused: a contact name or nickname that passes for a key,
// lookalike letters included, is refused.
func TestNamesLikeKeysRefused(t *testing.T) {
	a := newClient(t, clientOptions{})
	peer := codec.PublicKeyHex(&newKey(t).PublicKey)
	for _, name := range []string{"0x04ab…cd12", "0\u0445" + "04ab…cd12", "\u041e\u0445" + "04ab"} {
		if a.mgr.learnName(peer, name, time.Now()) {
			t.Errorf("learnName took %q", name)
		}
	}
	if !a.mgr.learnName(peer, "Oxford", time.Now()) {
		t.Error("learnName refused Oxford")
	}
	if _, err := a.mgr.OpenPrivate(peer); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.SetNickname(peer, "0\u0445"+"04ab…cd12"); err == nil {
		t.Error("a lookalike key was taken as a nickname")
	}
}

// testClock is a Now function the test moves forward.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// notices returns the texts of the notices that contain part.
func (c *client) notices(part string) []string {
	var out []string
	for _, ev := range c.events.all() {
		if n, ok := ev.(Notice); ok && strings.Contains(n.Text, part) {
			out = append(out, n.Text)
		}
	}
	return out
}

// TestDroppedFloodIsSummarised: a peer replaying many messages into the
// wrong chat costs a log line for the first, then only counts, so a flood
// cannot fill the disk; every drop is still counted.
func TestDroppedFloodIsSummarised(t *testing.T) {
	logs := &dropLog{}
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}, logger: slog.New(logs)})
	waitPeers(t, 1, a, b)
	if _, err := b.mgr.JoinPublic("foo"); err != nil {
		t.Fatal(err)
	}
	const flood = 20
	now := time.Now()
	for i := range flood {
		payload := c4(t, "replayed", codec.MessageTypePublic, "status", codec.NextClock(int64(i), now), now.UnixMilli())
		postPublic(t, a, a.id, "foo", payload)
	}
	waitFor(t, "every replay dropped", func() bool { return b.mgr.dropped.Load() == flood })
	logs.mu.Lock()
	lines := len(logs.reasons)
	logs.mu.Unlock()
	if lines != 1 {
		t.Fatalf("%d drops wrote %d log lines, want 1 (then a summary per minute)", flood, lines)
	}
}
