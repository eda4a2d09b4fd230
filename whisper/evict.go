package whisper

import (
	"time"

	"github.com/ethereum/go-ethereum/p2p"
)

// A node that only accepts connections (hush serve) can be locked out by
// peers that connect and then do nothing: each holds a slot for good. So
// the node keeps one slot free: when a newcomer brings the count to
// MaxPeers−1, the non-static peer idle the longest is disconnected.
// Useful activity is what a peer does for the network or asks of it: a
// batch bringing an envelope new to us, a history request, an
// acknowledgement of a batch we sent.

// touch records useful activity of the peer.
func (l *link) touch(now time.Time) {
	l.lastActive.Store(now.UnixNano())
}

// idleSince is when the peer last did something useful (or connected).
func (l *link) idleSince() time.Time {
	return time.Unix(0, l.lastActive.Load())
}

// idleVictim picks the peer to disconnect after newcomer joined, or nil
// while slots remain. Callers hold n.mu.
func (n *Node) idleVictim(newcomer *link) *link {
	if n.cfg.MaxPeers < 2 || len(n.links) < n.cfg.MaxPeers-1 {
		return nil
	}
	var victim *link
	for id, l := range n.links {
		if l == newcomer || l.peer == nil {
			continue
		}
		if _, static := n.static[id]; static {
			continue
		}
		if victim == nil || l.lastActive.Load() < victim.lastActive.Load() {
			victim = l
		}
	}
	return victim
}

// evict disconnects victim to free a slot.
func (n *Node) evict(victim *link) {
	n.log.Info("disconnecting the longest idle peer to keep a slot free",
		"peer", victim.id.TerminalString(), "idle", time.Since(victim.idleSince()).Round(time.Second),
		"max_peers", n.cfg.MaxPeers)
	victim.peer.Disconnect(p2p.DiscTooManyPeers)
}
