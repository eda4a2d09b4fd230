package session

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

// chatName is the name B's chat list shows for a chat.
func (c *client) chatName(id string) string {
	for _, ch := range c.mgr.Chats() {
		if ch.ID == id {
			return ch.Name
		}
	}
	return ""
}

// TestDisplayNameReachesContacts: /name on A goes to B (who has a chat
// with A) as a contact update, and B shows A as ~Alice in the chat list
// and on A's messages; B's own nickname for A wins, and removing it brings
// ~Alice back. The name survives A's restart.
func TestDisplayNameReachesContacts(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	if _, err := a.mgr.OpenPrivate(b.key()); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(b.key(), "hi"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B gets hi", func() bool { return len(b.texts(a.key())) == 1 })
	if got := b.chatName(a.key()); got != mustAlias(t, a.key()) {
		t.Fatalf("B names A %q before /name, want the three-word name", got)
	}

	if err := a.mgr.SetDisplayName("  Alice\u0007 "); err != nil {
		t.Fatal(err)
	}
	if self := a.mgr.Self(); self.DisplayName != "Alice" {
		t.Fatalf("A's Self().DisplayName = %q", self.DisplayName)
	}
	waitFor(t, "B shows ~Alice", func() bool { return b.chatName(a.key()) == "~Alice" })
	msgs, err := b.mgr.Latest(a.key(), 1)
	if err != nil || len(msgs) != 1 || msgs[0].SenderName != "~Alice" {
		t.Fatalf("A's message on B: %+v, %v", msgs, err)
	}
	waitFor(t, "B's NameChanged event", func() bool {
		for _, ev := range b.events.all() {
			if nc, ok := ev.(NameChanged); ok && nc.Key == a.key() && nc.Name == "~Alice" {
				return true
			}
		}
		return false
	})
	st, err := a.store.NameState()
	if err != nil || st.SentName != "Alice" || st.SentMs == 0 {
		t.Fatalf("A's name state %+v, %v", st, err)
	}

	if err := b.mgr.SetNickname(a.key(), "ally"); err != nil {
		t.Fatal(err)
	}
	if got := b.chatName(a.key()); got != "ally" {
		t.Fatalf("after /nick B shows %q", got)
	}
	if err := b.mgr.SetNickname(a.key(), ""); err != nil {
		t.Fatal(err)
	}
	if got := b.chatName(a.key()); got != "~Alice" {
		t.Fatalf("after removing the nick B shows %q", got)
	}

	a.restart(clientOptions{})
	if self := a.mgr.Self(); self.DisplayName != "Alice" {
		t.Fatalf("after restart DisplayName = %q", self.DisplayName)
	}
}

// TestDisplayNameRefresh: the name goes out again once 48 hours have
// passed, and not before.
func TestDisplayNameRefresh(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	a := newClient(t, clientOptions{now: now})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	if _, err := a.mgr.OpenPrivate(b.key()); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send(b.key(), "hi"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B gets hi", func() bool { return len(b.texts(a.key())) == 1 })
	if err := a.mgr.SetDisplayName("Alice"); err != nil {
		t.Fatal(err)
	}
	sentAt := func() int64 {
		st, err := a.store.NameState()
		if err != nil {
			t.Fatal(err)
		}
		return st.SentMs
	}
	waitFor(t, "first sending", func() bool { return sentAt() != 0 })
	first := sentAt()
	waitFor(t, "B learns ~Alice", func() bool {
		c, ok, _ := b.store.Contact(a.key())
		return ok && c.NetworkName == "Alice"
	})

	offset.Store(int64(47 * time.Hour))
	if d := a.mgr.sendNameIfDue(); d <= 0 || d > time.Hour+time.Minute {
		t.Fatalf("at 47 h the next sending is in %v, want about an hour", d)
	}
	if sentAt() != first {
		t.Fatal("name sent again before 48 h")
	}
	offset.Store(int64(49 * time.Hour))
	a.mgr.pokeNames()
	waitFor(t, "refresh after 48 h", func() bool { return sentAt() > first })
}

// TestContactRecordsFromSelfIgnored: a contact record signed by our own key
// does not name us.
func TestContactRecordsFromSelfIgnored(t *testing.T) {
	a := newClient(t, clientOptions{})
	if a.mgr.learnName(a.key(), "Mallory", time.Now()) {
		t.Fatal("learned a name for our own key")
	}
	if _, ok, _ := a.store.Contact(a.key()); ok {
		t.Fatal("contact row for our own key")
	}
}

func TestSetDisplayNameRefusesBadNames(t *testing.T) {
	a := newClient(t, clientOptions{})
	for name, want := range map[string]string{
		"":                       "usage",
		"~Bob":                   "may not start with ~",
		"0x04abcdef":             "0x04",
		"me":                     "\"me\"",
		strings.Repeat("n", 200): "at most",
	} {
		err := a.mgr.SetDisplayName(name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SetDisplayName(%q) = %v, want %q", name, err, want)
		}
	}
	if st, _ := a.store.NameState(); st.Name != "" {
		t.Fatalf("a refused name was stored: %+v", st)
	}
}

// TestContactRecordFromStrangerDropped: a contact record from a key with
// no chat with us names nobody and adds no contact; once the key has a
// chat with us, its records are applied.
func TestContactRecordFromStrangerDropped(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	payload := []byte(`["~#c6",["Spammer","","0x00",null,null]]`)
	if err := b.mgr.sendContactUpdate(a.key(), payload); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drop counted", func() bool { return a.mgr.dropped.Load() >= 1 })
	if c, ok, _ := a.store.Contact(b.key()); ok {
		t.Fatalf("the stranger's record made a contact: %+v", c)
	}
	if len(a.mgr.Chats()) != 0 {
		t.Fatal("the stranger's record opened a chat")
	}
	// A message opens the chat; a record after it names B.
	if _, err := b.mgr.OpenPrivate(a.key()); err != nil {
		t.Fatal(err)
	}
	if err := b.mgr.Send(a.key(), "hello"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message", func() bool { return len(a.texts(b.key())) == 1 })
	later := []byte(`["~#c6",["Bea","","0x00",null,null]]`)
	if err := b.mgr.sendContactUpdate(a.key(), later); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the name from a known key", func() bool { return a.chatName(b.key()) == "~Bea" })
}
