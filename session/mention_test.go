package session

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

func TestMentions(t *testing.T) {
	a := newClient(t, clientOptions{})
	self := a.mgr.Self()
	if err := a.mgr.SetDisplayName("Al Bundy"); err != nil {
		t.Fatal(err)
	}
	key := self.PublicKey
	for text, want := range map[string]bool{
		"hey " + self.Name + "!":                     true,
		strings.ToUpper(self.Name) + ", look":        true,
		"hi al bundy":                                true,
		"(Al Bundy)":                                 true,
		"Al Bundyish is not a name":                  false,
		"xAl Bundy":                                  false,
		"my key is " + key[:12]:                      true,  // 0x04 + 8 hex
		"my key is " + key[:11]:                      false, // 0x04 + 7 hex
		"short " + key[:12] + "…" + key[len(key)-4:]: true,
		"whole " + strings.ToUpper(key[2:4]) + key[4:] + " and 0x" + key[2:]: true,
		"someone else 0x04" + strings.Repeat("0", 20):                        key[4:24] == strings.Repeat("0", 20),
		"0x04":    false,
		"nothing": false,
		"":        false,
	} {
		if got := a.mgr.mentions(text); got != want {
			t.Errorf("mentions(%q) = %v, want %v", text, got, want)
		}
	}
}

// TestMentionMarksChat: B writes A's three-word name in #status while A has
// not read it: A's chat is marked (and stays marked when it reloads), the
// message says it mentions A, and reading the chat clears the mark. A line
// that does not name A marks nothing.
func TestMentionMarksChat(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	for _, c := range []*client{a, b} {
		if _, err := c.mgr.JoinPublic("#status"); err != nil {
			t.Fatal(err)
		}
	}
	chat := func() Chat {
		for _, c := range a.mgr.Chats() {
			if c.ID == "status" {
				return c
			}
		}
		t.Fatal("no #status on A")
		return Chat{}
	}
	if err := b.mgr.Send("status", "nobody in particular"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first line", func() bool { return len(a.texts("status")) == 1 })
	if c := chat(); c.Mention || c.Unread != 1 {
		t.Fatalf("after a plain line: %+v", c)
	}
	if err := b.mgr.Send("status", "ping "+a.mgr.Self().Name+", are you there?"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "mention on A", func() bool { return chat().Mention })
	msgs, err := a.mgr.Latest("status", 2)
	if err != nil || len(msgs) != 2 || msgs[0].Mention || !msgs[1].Mention {
		t.Fatalf("messages %+v, %v", msgs, err)
	}
	// Events trail the store: wait for the announcement.
	waitFor(t, "MessagesAdded carrying the mention", func() bool {
		for _, m := range a.events.added("status") {
			if m.Mention {
				return true
			}
		}
		return false
	})
	a.mgr.MarkRead("status")
	if c := chat(); c.Mention || c.Unread != 0 {
		t.Fatalf("after MarkRead: %+v", c)
	}
}
