package session

import (
	"crypto/ecdsa"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
)

// laterRelay is a `hush serve` (relay and mailserver) whose address and key
// are fixed before it runs, so that clients can be configured with it while
// it is still down.
type laterRelay struct {
	key  *ecdsa.PrivateKey
	addr string
	node *enode.Node
}

func newLaterRelay(t *testing.T) *laterRelay {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	// A port the OS handed out a moment ago, free again.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return &laterRelay{
		key:  key,
		addr: fmt.Sprintf("127.0.0.1:%d", port),
		node: enode.NewV4(&key.PublicKey, net.IPv4(127, 0, 0, 1), port, port),
	}
}

func (r *laterRelay) mailserver() Mailserver {
	return Mailserver{Node: r.node, Format: mailformat.FormatStatus}
}

// start runs the relay with its mailserver, archiving into SQLite.
func (r *laterRelay) start(t *testing.T) *mailserverNode {
	t.Helper()
	node, err := whisper.New(whisper.Config{ListenAddr: r.addr, NodeKey: r.key})
	if err != nil {
		t.Fatal(err)
	}
	return runMailserver(t, node, mailserver.Config{})
}

// ownStates returns the states of a client's own lines in a chat.
func (c *client) ownStates(chatID string) []MessageState {
	ms, err := c.mgr.Latest(chatID, 1000)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []MessageState
	for _, m := range ms {
		if m.Outgoing {
			out = append(out, m.State)
		}
	}
	return out
}

// TestDeliveryWhenTheRelayComesBack (issue 8, acceptance 1): with the relay
// down, three lines are pending and the status says why; the relay comes
// up, the other client shows all three, in order, once each, and the
// sender's lines end stored, because the relay is a hush mailserver that
// confirmed them.
func TestDeliveryWhenTheRelayComesBack(t *testing.T) {
	relay := newLaterRelay(t)
	opts := clientOptions{peers: []*enode.Node{relay.node}, mailservers: []Mailserver{relay.mailserver()}}
	a := newClient(t, opts)
	b := newClient(t, opts)
	for _, c := range []*client{a, b} {
		if _, err := c.mgr.JoinPublic("status"); err != nil {
			t.Fatal(err)
		}
	}
	lines := []string{"first while down", "second while down", "third while down"}
	for _, l := range lines {
		if err := a.mgr.Send("status", l); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three pending lines", func() bool {
		return slices.Equal(a.ownStates("status"), []MessageState{Pending, Pending, Pending})
	})
	waitFor(t, "the pending count and why", func() bool {
		return slices.ContainsFunc(a.events.all(), func(ev Event) bool {
			oc, ok := ev.(OutboxChanged)
			return ok && oc == OutboxChanged{Pending: 3, Reason: "no peers"}
		})
	})

	up := time.Now()
	ms := relay.start(t)
	waitFor(t, "B shows the three lines", func() bool { return slices.Equal(b.texts("status"), lines) })
	t.Logf("B showed all lines %v after the relay came up", time.Since(up).Round(time.Millisecond))
	waitFor(t, "A's lines stored", func() bool {
		return slices.Equal(a.ownStates("status"), []MessageState{Stored, Stored, Stored})
	})
	ms.archived(t, 3)

	// Once each on B, and in the order A wrote them.
	waitFor(t, "B's events", func() bool { return len(b.events.added("status")) >= len(lines) })
	var got []string
	for _, m := range b.events.added("status") {
		got = append(got, m.Text)
	}
	slices.Sort(got)
	if want := slices.Sorted(slices.Values(lines)); !slices.Equal(got, want) {
		t.Fatalf("B was told of %q, want each of %q once", got, want)
	}
	// A's states only ever moved forward: pending, sending, (sent), stored.
	rank := map[MessageState]int{Pending: 0, Sending: 1, Sent: 2, Stored: 3}
	for _, m := range a.events.added("status") {
		prev := Pending
		for _, ev := range a.events.all() {
			sc, ok := ev.(MessageStateChanged)
			if !ok || sc.ID != m.ID {
				continue
			}
			if r, ok := rank[sc.State]; !ok || r < rank[prev] {
				t.Fatalf("%q went from %v to %v", m.Text, prev, sc.State)
			}
			prev = sc.State
		}
	}
}

// TestDeliveryAfterQuitRightAfterSend (issue 8, acceptance 2): a line typed
// with no peer and the session stopped at once is delivered by the next
// session on the same data dir, once, and turns sent.
func TestDeliveryAfterQuitRightAfterSend(t *testing.T) {
	b := newClient(t, clientOptions{})
	a := newClient(t, clientOptions{})
	for _, c := range []*client{a, b} {
		if _, err := c.mgr.JoinPublic("status"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.mgr.Send("status", "typed, then /quit"); err != nil {
		t.Fatal(err)
	}
	a.restart(clientOptions{peers: []*enode.Node{b.node.Enode()}})
	waitFor(t, "B has the line", func() bool { return slices.Equal(b.texts("status"), []string{"typed, then /quit"}) })
	waitFor(t, "A's line sent", func() bool { return slices.Equal(a.ownStates("status"), []MessageState{Sent}) })
	if got := a.texts("status"); !slices.Equal(got, []string{"typed, then /quit"}) {
		t.Fatalf("A shows %q", got)
	}
}
