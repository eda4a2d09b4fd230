package rpcnode

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/whisper"
)

// sealTime bounds the node's proof-of-work search, as the embedded node's.
func sealTime(payloadLen int) uint32 {
	return uint32(2 + min(payloadLen/4096, 30))
}

// Post has the node seal and send p (shh_post) and returns the envelope
// hash. While the node has peers, its taking the envelope is reported on
// Acks.
func (n *Node) Post(p whisper.Post) ([32]byte, error) {
	var hash [32]byte
	c, err := n.current()
	if err != nil {
		return hash, fmt.Errorf("post: %w", err)
	}
	if (len(p.SymKey) == 0) == (p.PublicKey == nil) {
		return hash, errors.New("post: give exactly one of a symmetric key and a public key")
	}
	if p.TTL == 0 {
		p.TTL = whisper.DefaultTTL
	}
	if p.PoW == 0 {
		p.PoW = whisper.DefaultPoW
	}
	msg := map[string]any{
		"ttl":       p.TTL,
		"topic":     hexutil.Bytes(p.Topic[:]),
		"payload":   hexutil.Bytes(p.Payload),
		"powTime":   sealTime(len(p.Payload)),
		"powTarget": p.PoW,
	}
	if p.Signer != nil {
		id, err := n.keyPairID(c, p.Signer)
		if err != nil {
			return hash, fmt.Errorf("post: %w", err)
		}
		msg["sig"] = id
	}
	if p.PublicKey != nil {
		msg["pubKey"] = hexutil.Bytes(crypto.FromECDSAPub(p.PublicKey))
	} else {
		id, err := n.symKeyID(c, p.SymKey)
		if err != nil {
			return hash, fmt.Errorf("post: %w", err)
		}
		msg["symKeyID"] = id
	}
	// Sealing takes up to powTime seconds on the node.
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout+timeSeconds(sealTime(len(p.Payload))))
	defer cancel()
	var got hexutil.Bytes
	if err := c.client.CallContext(ctx, &got, "shh_post", msg); err != nil {
		return hash, fmt.Errorf("post: shh_post: %w", err)
	}
	if len(got) != 32 {
		return hash, fmt.Errorf("post: node answered a hash of %d bytes", len(got))
	}
	hash = [32]byte(got)
	n.ackPost(hash)
	return hash, nil
}

// ackPost reports a post the node took while it had peers. The node gives
// no word of its peers taking it: its pool gossips it to them.
func (n *Node) ackPost(hash [32]byte) {
	n.mu.Lock()
	peers := n.peers
	var peer enode.ID
	if n.self != nil {
		peer = n.self.ID()
	}
	n.mu.Unlock()
	if peers == 0 {
		return
	}
	select {
	case n.acks <- whisper.Ack{Peer: peer, Envelopes: [][32]byte{hash}}:
	default:
		// The session re-posts what no ack came for; nothing is lost.
		n.log.Warn("acknowledgements not read; one dropped", "envelope", fmt.Sprintf("%x", hash[:8]))
	}
}
