package whisper

import (
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// DeliverDirect opens env with our subscriptions' keys and delivers it as
// if a mailserver had sent it with code 127 (Received.Direct true). hush
// serve answers an RPC client's history request from its own archive this
// way (PROTOCOL.md §10). It waits while Received() is full and returns
// false when the node stopped first.
func (n *Node) DeliverDirect(env *whisperv6.Envelope) bool {
	hash := env.Hash()
	o := n.openEnvelope(env, hash, true)
	switch {
	case o.poison != "":
		n.recv.drops.Drop("archived envelope whose plaintext is malformed", "envelope", hash.Hex(), "reason", o.poison)
		return true
	case o.bad != "":
		n.recv.drops.Drop("unreadable envelope", "envelope", hash.Hex(), "reason", o.bad)
	}
	return n.deliver(o.got)
}

// PeersInfo describes the connected peers as geth's admin_peers does.
func (n *Node) PeersInfo() []*p2p.PeerInfo {
	n.mu.Lock()
	srv := n.srv
	n.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.PeersInfo()
}

// NodeInfo describes this node as geth's admin_nodeInfo does; nil before
// Start.
func (n *Node) NodeInfo() *p2p.NodeInfo {
	n.mu.Lock()
	srv := n.srv
	n.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.NodeInfo()
}
