package session

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

// TestPublicChatTwoNodes: two clients on real devp2p see each other's
// lines in the same order, with the sender's key.
func TestPublicChatTwoNodes(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	for _, c := range []*client{a, b} {
		if _, err := c.mgr.JoinPublic("#status"); err != nil {
			t.Fatal(err)
		}
	}

	var want []string
	for i := range 5 {
		for _, c := range []*client{a, b} {
			text := fmt.Sprintf("line %d from %s", i, c.mgr.Self().ShortName)
			if err := c.mgr.Send("status", text); err != nil {
				t.Fatal(err)
			}
			want = append(want, text)
		}
	}
	for _, c := range []*client{a, b} {
		waitFor(t, "all lines", func() bool { return len(c.texts("status")) == len(want) })
	}
	if got, other := a.texts("status"), b.texts("status"); !slices.Equal(got, other) {
		t.Fatalf("order differs:\nA %q\nB %q", got, other)
	}
	// Every line sent after another by the same client sorts after it.
	got := a.texts("status")
	for _, c := range []*client{a, b} {
		var mine []string
		for _, w := range want {
			if containsSuffix(w, c.mgr.Self().ShortName) {
				mine = append(mine, w)
			}
		}
		var seen []string
		for _, g := range got {
			if containsSuffix(g, c.mgr.Self().ShortName) {
				seen = append(seen, g)
			}
		}
		if !slices.Equal(mine, seen) {
			t.Errorf("own order of %s: want %q got %q", c.mgr.Self().ShortName, mine, seen)
		}
	}

	// B's own lines turn sent: A, a hush node, acknowledged them.
	waitFor(t, "B's lines sent", func() bool {
		ms, err := b.mgr.Latest("status", 100)
		return err == nil && !slices.ContainsFunc(ms, func(m Message) bool { return m.Outgoing && m.State != Sent })
	})
	// B saw A's lines with A's key and state Received.
	msgs, err := b.mgr.Latest("status", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		fromA := m.Sender == a.key()
		if fromA == m.Outgoing {
			t.Fatalf("message %q: sender %s outgoing %v", m.Text, m.Sender, m.Outgoing)
		}
		if fromA && m.State != Received {
			t.Fatalf("A's message on B has state %v", m.State)
		}
		if !fromA && m.State != Sent {
			t.Fatalf("B's own message has state %v, want Sent", m.State)
		}
	}
	// Every stored message was announced to B's UI (events trail the store).
	waitFor(t, "B's events", func() bool { return len(b.events.added("status")) >= len(want) })
}

// TestPublicChatThreeNodesThroughRelay: A and C are not connected to each
// other; a relay in the middle floods the envelopes.
func TestPublicChatThreeNodesThroughRelay(t *testing.T) {
	relay := newClient(t, clientOptions{})
	a := newClient(t, clientOptions{peers: []*enode.Node{relay.node.Enode()}})
	c := newClient(t, clientOptions{peers: []*enode.Node{relay.node.Enode()}})
	waitPeers(t, 1, a, c)
	waitPeers(t, 2, relay)
	for _, cl := range []*client{a, c} {
		if _, err := cl.mgr.JoinPublic("status-core"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.mgr.Send("status-core", "hello through the relay"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "C receives", func() bool { return slices.Contains(c.texts("status-core"), "hello through the relay") })
	// The relay never joined the chat: it forwards but stores nothing.
	if n, _ := relay.store.CountMessages("status-core"); n != 0 {
		t.Fatalf("relay stored %d messages of a chat it did not join", n)
	}
}

// TestRestartKeepsChatsAndHistory: a restarted client has its chats and
// history back, in the same order, without duplicates, and listens again.
func TestRestartKeepsChatsAndHistory(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	for _, c := range []*client{a, b} {
		if _, err := c.mgr.JoinPublic("status"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := a.mgr.Send("status", fmt.Sprintf("before restart %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "B has 3", func() bool { return len(b.texts("status")) == 3 })
	before := b.texts("status")

	b.restart(clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, b)
	chats := b.mgr.Chats()
	if len(chats) != 1 || chats[0].ID != "status" || chats[0].Kind != Public {
		t.Fatalf("chats after restart: %+v", chats)
	}
	if got := b.texts("status"); !slices.Equal(got, before) {
		t.Fatalf("history after restart: %q, want %q", got, before)
	}
	if err := a.mgr.Send("status", "after restart"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "resubscribed", func() bool { return len(b.texts("status")) == 4 })
	if got := b.texts("status"); got[3] != "after restart" || !slices.Equal(got[:3], before) {
		t.Fatalf("history: %q", got)
	}
}

func containsSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}
