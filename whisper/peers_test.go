package whisper

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

// nextPeerCount waits for the next value on PeerChanges.
func nextPeerCount(t *testing.T, n *Node, timeout time.Duration) int {
	t.Helper()
	select {
	case c := <-n.PeerChanges():
		return c
	case <-time.After(timeout):
		t.Fatalf("no peer change within %s", timeout)
		return -1
	}
}

// awaitPeerCount reads PeerChanges until want shows up.
func awaitPeerCount(t *testing.T, n *Node, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var seen []int
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("peer count %d not reported within %s (saw %v)", want, timeout, seen)
		}
		c := nextPeerCount(t, n, left)
		seen = append(seen, c)
		if c == want {
			return
		}
	}
}

func TestStaticPeerIsRedialedAfterItRestarts(t *testing.T) {
	t.Parallel()
	bCfg := testNodeConfig(t, "b")
	b, err := New(bCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	bRecord := b.Enode()
	if bRecord.TCP() == 0 {
		t.Fatal("enode has no TCP port after Start")
	}

	a := newTestNode(t, "a", bRecord)
	if got := nextPeerCount(t, a, waitTimeout); got != 1 {
		t.Fatalf("first peer change = %d, want 1", got)
	}
	if a.PeerCount() != 1 {
		t.Fatalf("PeerCount = %d, want 1", a.PeerCount())
	}

	b.Stop()
	b.Stop() // idempotent
	if got := nextPeerCount(t, a, waitTimeout); got != 0 {
		t.Fatalf("peer change after the peer stopped = %d, want 0", got)
	}

	// Same key, same port; the new b knows nothing of a, so only a's
	// redial can bring them together again.
	bCfg.ListenAddr = fmt.Sprintf("127.0.0.1:%d", bRecord.TCP())
	bCfg.Peers = nil
	b2 := startNode(t, bCfg)
	awaitPeerCount(t, a, 1, waitTimeout)
	waitFor(t, waitTimeout, "the restarted peer to see a", func() bool { return b2.PeerCount() == 1 })
}

func TestAddPeerAtRuntime(t *testing.T) {
	t.Parallel()
	a := newTestNode(t, "a")
	b := newTestNode(t, "b")
	if a.PeerCount() != 0 || b.PeerCount() != 0 {
		t.Fatal("nodes without peers are connected")
	}
	a.AddPeer(b.Enode())
	if got := nextPeerCount(t, b, waitTimeout); got != 1 {
		t.Fatalf("b's peer change = %d, want 1", got)
	}
	connected(t, 1, a)
}

func TestPeerChangesKeepsTheLatestCountWhenNobodyReads(t *testing.T) {
	n, err := New(testNodeConfig(t, "n"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3*peerChangesBuffer; i++ {
		n.notePeerCount(i)
	}
	last := -1
drain:
	for {
		select {
		case c := <-n.PeerChanges():
			last = c
		default:
			break drain
		}
	}
	if last != 3*peerChangesBuffer {
		t.Errorf("last count read = %d, want %d", last, 3*peerChangesBuffer)
	}
}

func TestStartStopRules(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}); err == nil {
		t.Error("New without a node key succeeded")
	}
	n, err := New(testNodeConfig(t, "n"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Enode().ID() != enode.PubkeyToIDV4(&n.cfg.NodeKey.PublicKey) {
		t.Error("Enode before Start does not carry the node key")
	}
	n.Stop() // before Start: a no-op
	if err := n.Start(); err == nil {
		t.Error("Start after Stop succeeded")
	}

	m := newTestNode(t, "m")
	if err := m.Start(); err == nil || !strings.Contains(err.Error(), "already started") {
		t.Errorf("second Start: err = %v", err)
	}
}
