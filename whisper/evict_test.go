package whisper

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// startIdlePeer starts a devp2p node that claims shh/6, dials target and
// then never sends a thing (it does read, so writes to it succeed).
func startIdlePeer(t *testing.T, target *enode.Node) *p2p.Server {
	t.Helper()
	srv := &p2p.Server{Config: p2p.Config{
		PrivateKey:  mustKey(t),
		MaxPeers:    1,
		Name:        "idle",
		NoDiscovery: true,
		StaticNodes: []*enode.Node{target},
		Protocols: []p2p.Protocol{{
			Name:    "shh",
			Version: 6,
			Length:  128,
			Run: func(_ *p2p.Peer, rw p2p.MsgReadWriter) error {
				for {
					msg, err := rw.ReadMsg()
					if err != nil {
						return err
					}
					msg.Discard()
				}
			},
		}},
	}}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func TestIdlePeersDoNotLockOutClients(t *testing.T) {
	t.Parallel()
	const maxPeers, idlers = 20, 25
	relayCfg := testNodeConfig(t, "relay")
	relayCfg.MaxPeers = maxPeers
	relayCfg.InboundOnly = true
	relay := startNode(t, relayCfg)

	for range idlers {
		startIdlePeer(t, relay.Enode())
	}
	waitFor(t, waitTimeout, "idle peers to take the relay's slots", func() bool {
		return relay.PeerCount() >= maxPeers-2
	})

	a := newTestNode(t, "a", relay.Enode())
	b := newTestNode(t, "b", relay.Enode())
	connected(t, 1, a, b)

	topic, key := topicOf("after-the-idlers"), chatKey(t, "after-the-idlers")
	if _, err := b.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	h, err := a.Post(Post{Topic: topic, SymKey: key, Payload: []byte("still room"), Signer: mustKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	(&inbox{node: b}).await(t, waitTimeout, "the message through the relay", withHash(h))
	if ack := awaitAck(t, a, relay.Enode().ID(), h, waitTimeout); !ack.Confirmed {
		t.Errorf("the relay did not confirm: %+v", ack)
	}
	if got := relay.PeerCount(); got > maxPeers-1 {
		t.Errorf("relay has %d peers, want at most %d (one slot kept free)", got, maxPeers-1)
	}
	// The honest clients were active (posting, acknowledging), so they
	// are still connected.
	for _, n := range []*Node{a, b} {
		if n.PeerCount() != 1 {
			t.Errorf("%s lost the relay", n.Enode().ID().TerminalString())
		}
	}
}

func TestStaticPeersAreNeverEvicted(t *testing.T) {
	t.Parallel()
	// A node of two slots: a static peer and one newcomer already fill
	// MaxPeers−1; the newcomer must not push the static peer out.
	static := newTestNode(t, "static")
	cfg := testNodeConfig(t, "n", static.Enode())
	cfg.MaxPeers = 3
	n := startNode(t, cfg)
	connected(t, 1, n)
	idle := startIdlePeer(t, n.Enode())
	waitFor(t, waitTimeout, "the idle peer to connect", func() bool { return n.PeerCount() == 2 })
	// A third peer brings the count to MaxPeers−1 again: the idle one
	// goes, the static one stays.
	third := newTestNode(t, "third", n.Enode())
	connected(t, 1, third)
	waitFor(t, waitTimeout, "the idle peer to be evicted", func() bool { return idle.PeerCount() == 0 })
	if n.link(static.Enode().ID()) == nil {
		t.Error("the static peer was evicted")
	}
	if n.link(third.Enode().ID()) == nil {
		t.Errorf("the newcomer was evicted; peers: %d", n.PeerCount())
	}
}

func TestInboundOnlyNodeStillDialsItsStaticPeers(t *testing.T) {
	t.Parallel()
	other := newTestNode(t, "other")
	cfg := testNodeConfig(t, "relay", other.Enode())
	cfg.InboundOnly = true
	relay := startNode(t, cfg)
	// devp2p dials nobody here: the redialer made this connection.
	connected(t, 1, relay, other)
	for _, p := range relay.srv.Peers() {
		if p.Inbound() {
			t.Errorf("peer %s dialed the relay; the relay should have dialed it", p.ID().TerminalString())
		}
	}
}

func TestOnlyNewEnvelopesCountAsActivity(t *testing.T) {
	t.Parallel()
	cfg := testNodeConfig(t, "n")
	cfg.MinPoW = 1e-9
	n := startNode(t, cfg)
	ic, peer := pipeInterceptor(t, n, false)
	long := time.Now().Add(-time.Hour)

	known := sealTestEnvelope(t, topicOf("activity"), 64, 60, time.Now())
	if err := n.Whisper().Send(known); err != nil {
		t.Fatal(err)
	}
	take := func(env *whisperv6.Envelope) {
		t.Helper()
		ic.link.touch(long)
		go func() { _ = p2p.Send(peer, codeMessages, []*whisperv6.Envelope{env}) }()
		msg, err := ic.rw.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		if msg, err = ic.noteBatch(msg); err != nil {
			t.Fatal(err)
		}
		var envs []*whisperv6.Envelope
		if err := msg.Decode(&envs); err != nil {
			t.Fatal(err)
		}
		_ = n.Whisper().Send(envs[0]) // as whisperv6's loop would; a known one is refused as a duplicate
		ic.confirmBatch()
	}
	take(known)
	if !ic.link.idleSince().Equal(time.Unix(0, long.UnixNano())) {
		t.Error("replaying a known envelope counted as activity")
	}
	take(sealTestEnvelope(t, topicOf("activity"), 64, 60, time.Now()))
	if time.Since(ic.link.idleSince()) > time.Minute {
		t.Error("a new envelope did not count as activity")
	}
}
