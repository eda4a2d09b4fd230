package ui

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/session"
	"hush/store"
	"hush/whisper"
)

// realClient is a whole hush minus the terminal: identity, node on
// loopback, SQLite store and session manager.
type realClient struct {
	node *whisper.Node
	mgr  *session.Manager
}

func newRealClient(t *testing.T, peers ...*enode.Node) *realClient {
	t.Helper()
	id, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	nodeKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "hush.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: nodeKey, Peers: peers})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	mgr, err := session.New(session.Config{Identity: id, Node: node, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mgr.Stop()
		node.Stop()
		st.Close()
	})
	return &realClient{node: node, mgr: mgr}
}

// drain consumes a session's events for a client that has no UI.
func drain(t *testing.T, mgr *session.Manager) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-mgr.Events():
			case <-done:
				return
			}
		}
	}()
}

// waitConnected waits until both clients have a peer.
func waitConnected(t *testing.T, a, b *realClient) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for a.node.PeerCount() == 0 || b.node.PeerCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nodes did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEndToEndPublicChat types into a real UI on a simulation screen over a
// real session; the line reaches a second hush over devp2p, and its answer
// comes back onto the screen.
func TestEndToEndPublicChat(t *testing.T) {
	other := newRealClient(t)
	drain(t, other.mgr)
	me := newRealClient(t, other.node.Enode())
	waitConnected(t, me, other)
	if _, err := other.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}

	h := runUI(t, me.mgr, 100, 20)
	h.enter("/join status")
	h.waitScreen("#status")
	h.enter("hello from the terminal")
	h.waitScreen("me", "hello from the terminal")

	h.waitFor("the other node to store the line", func() bool {
		ms, err := other.mgr.Latest("status", 10)
		return err == nil && slices.ContainsFunc(ms, func(m session.Message) bool {
			return m.Text == "hello from the terminal" && m.Sender == me.mgr.Self().PublicKey
		})
	})
	if err := other.mgr.Send("status", "answer from afar"); err != nil {
		t.Fatal(err)
	}
	// The sender goes by its three-word name; a long one is shortened to
	// fit the column, first words to initials, then the animal cut with
	// "…" when even that is too wide (keys are random: "I. G.
	// Iridescentsh…" happens), so look for the animal's first letters.
	words := strings.Fields(other.mgr.Self().Name)
	animal := words[len(words)-1]
	h.waitScreen(animal[:min(len(animal), 8)], "answer from afar")
}
