package session

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/whisper"
)

// TestOneToOneThroughRelay: A writes to B's key; B gets a new chat named
// by A's three-word name and answers in it; C, on the same network, relays the
// envelopes but can read none of them.
func TestOneToOneThroughRelay(t *testing.T) {
	relay := newClient(t, clientOptions{})
	peers := clientOptions{peers: []*enode.Node{relay.node.Enode()}}
	a, b, c := newClient(t, peers), newClient(t, peers), newClient(t, peers)
	waitPeers(t, 1, a, b, c)
	waitPeers(t, 3, relay)

	chat, err := a.mgr.OpenPrivate(strings.TrimPrefix(b.key(), "0x"))
	if err != nil {
		t.Fatal(err)
	}
	if chat.ID != b.key() || chat.Kind != OneToOne || chat.Name != mustAlias(t, b.key()) {
		t.Fatalf("A's chat: %+v", chat)
	}
	if err := a.mgr.Send(chat.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B gets hello", func() bool { return slices.Equal(b.texts(a.key()), []string{"hello"}) })
	bChats := b.mgr.Chats()
	if len(bChats) != 1 || bChats[0].ID != a.key() || !bChats[0].New || bChats[0].Unread != 1 ||
		bChats[0].Name != mustAlias(t, a.key()) {
		t.Fatalf("B's chats: %+v", bChats)
	}
	if err := b.mgr.Send(a.key(), "hi back"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A gets the answer", func() bool { return slices.Equal(a.texts(b.key()), []string{"hello", "hi back"}) })
	if got := b.texts(a.key()); !slices.Equal(got, []string{"hello", "hi back"}) {
		t.Fatalf("B's order %q", got)
	}

	// C's node saw A's envelope (whisper floods it) but C has nothing.
	sent, err := a.mgr.Latest(b.key(), 10)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := parseID(sent[0].ID)
	stored, _, err := a.store.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "C's node holds A's envelope", func() bool {
		return c.node.Whisper().GetEnvelope(common.Hash(stored.EnvelopeHash)) != nil
	})
	if chats := c.mgr.Chats(); len(chats) != 0 {
		t.Fatalf("C shows chats %+v", chats)
	}
	if n := c.mgr.dropped.Load(); n != 0 {
		t.Fatalf("C dropped %d messages it should never have decrypted", n)
	}

	// Both survive restarts.
	b.restart(peers)
	a.restart(peers)
	waitPeers(t, 1, a, b)
	if got := b.texts(a.key()); !slices.Equal(got, []string{"hello", "hi back"}) {
		t.Fatalf("B after restart %q", got)
	}
	if err := a.mgr.Send(b.key(), "still there?"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B after restart gets more", func() bool { return len(b.texts(a.key())) == 3 })
}

// TestOneToOneFiledUnderSigner: a one-to-one message is filed under the key
// that signed it, and one whose payload names another recipient is dropped
// rather than filed anywhere (it was written to someone else).
func TestOneToOneFiledUnderSigner(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	c := newClient(t, clientOptions{})
	waitPeers(t, 1, a, b)

	post := func(text, chatID string) {
		now := time.Now()
		payload, err := codec.EncodeMessage(codec.Message{
			Text: text, ContentType: codec.ContentTypeText, MessageType: codec.MessageTypePrivate,
			Clock: codec.NextClock(0, now), Timestamp: now.UnixMilli(), ChatID: chatID,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.node.Post(whisper.Post{
			Topic: codec.TopicFor(codec.DiscoveryTopicName), PublicKey: &b.id.PublicKey, Payload: payload, Signer: a.id,
		}); err != nil {
			t.Fatal(err)
		}
	}
	post("claims to be elsewhere", c.key())
	waitFor(t, "B drops it", func() bool { return b.mgr.dropped.Load() == 1 })
	if chats := b.mgr.Chats(); len(chats) != 0 {
		t.Fatalf("B made chats %+v from a forged chat id", chats)
	}
	post("to B", strings.ToUpper(b.key()[2:]))
	waitFor(t, "B files it", func() bool { return len(b.texts(a.key())) == 1 })
	for _, ch := range b.mgr.Chats() {
		if ch.ID != a.key() {
			t.Fatalf("B made chat %s", ch.ID)
		}
	}
	ms, _ := b.mgr.Latest(a.key(), 1)
	if ms[0].Sender != a.key() || ms[0].Text != "to B" {
		t.Fatalf("B filed %+v", ms[0])
	}
}

func TestOpenPrivateRejectsBadInput(t *testing.T) {
	a := newClient(t, clientOptions{})
	notOnCurve := "0x04" + strings.Repeat("11", 64)
	for input, want := range map[string]string{
		"":                  "usage",
		"garbage":           "nobody known is named",
		"0x04abcdef0123456": "bad key",
		notOnCurve:          "bad key",
		a.key():             "your own key",
	} {
		_, err := a.mgr.OpenPrivate(input)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("OpenPrivate(%q) = %v, want an error containing %q", input, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("OpenPrivate(%q): error is not one line: %q", input, err)
		}
	}
	if len(a.mgr.Chats()) != 0 {
		t.Fatal("bad input created a chat")
	}
}

// TestNamesFromNetwork: a c2 contact record names a key, marked as the
// sender's own claim; a local nickname wins over it.
func TestNamesFromNetwork(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	if _, err := a.mgr.OpenPrivate(b.key()); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(b.key(), "hi"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "chat on B", func() bool { return len(b.texts(a.key())) == 1 })
	contact := `["~#c2",["Wise\u0007 Owl\u202e","data:image/png;base64,xx","0xabc","",[]]]`
	if _, err := a.node.Post(whisper.Post{
		Topic: codec.TopicFor(codec.DiscoveryTopicName), PublicKey: &b.id.PublicKey, Payload: []byte(contact), Signer: a.id,
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "network name", func() bool {
		chats := b.mgr.Chats()
		return len(chats) == 1 && strings.HasPrefix(chats[0].Name, "~Wise")
	})
	name := b.mgr.Chats()[0].Name
	for _, r := range name {
		if r < 0x20 || r == 0x202e {
			t.Fatalf("control character in shown name %q", name)
		}
	}
	if err := b.mgr.SetNickname(a.key(), "alice"); err != nil {
		t.Fatal(err)
	}
	if got := b.mgr.Chats()[0].Name; got != "alice" {
		t.Fatalf("name after /nick: %q", got)
	}
	if _, err := b.mgr.OpenPrivate("alice"); err != nil {
		t.Fatalf("open by nickname: %v", err)
	}
}
