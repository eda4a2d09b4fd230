package whisper

import "github.com/ethereum/go-ethereum/p2p/enode"

// Ack says that a peer has taken envelopes we sent it.
type Ack struct {
	Peer      enode.ID
	Envelopes [][32]byte // hashes of the envelopes the peer took
	// Confirmed is true when the peer acknowledged the batch itself (shh/6
	// codes 11 and 12, as Status's nodes do); false when the peer is a
	// stock node that never acknowledges, and the envelopes were only
	// written to its connection.
	Confirmed bool
}

// Acks yields acknowledgements of envelopes this node sent to its peers.
// The channel is never closed.
func (n *Node) Acks() <-chan Ack {
	return n.acks
}
