package whisper

import (
	"fmt"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// SendDirect sends env to a connected peer with code 127 (one envelope per
// message: stock whisperv6 drops a peer that sends a list). It is the
// mailserver's way to deliver history (a Node is the server's Sender).
func (n *Node) SendDirect(peerID []byte, env *whisperv6.Envelope) error {
	if env == nil {
		return fmt.Errorf("send direct envelope: nil envelope")
	}
	l, err := n.linkByBytes(peerID)
	if err != nil {
		return fmt.Errorf("send direct envelope: %w", err)
	}
	if err := p2p.Send(l.rw, codeDirect, env); err != nil {
		return fmt.Errorf("send direct envelope to %s: %w", l.id.TerminalString(), err)
	}
	return nil
}

// SendArchived sends one envelope given as its RLP encoding (as the
// mailserver archive stores it) with code 127. The bytes go out as they
// are: re-encoding would give the same ones at the cost of a decode.
func (n *Node) SendArchived(peerID []byte, raw []byte) error {
	l, err := n.linkByBytes(peerID)
	if err != nil {
		return fmt.Errorf("send archived envelope: %w", err)
	}
	if err := p2p.Send(l.rw, codeDirect, rlp.RawValue(raw)); err != nil {
		return fmt.Errorf("send archived envelope to %s: %w", l.id.TerminalString(), err)
	}
	return nil
}

// SendCompletion sends a code-125 reply (payload as built by
// mailformat.EncodeCompletion) to a connected peer, as an RLP byte string.
func (n *Node) SendCompletion(peerID []byte, payload []byte) error {
	l, err := n.linkByBytes(peerID)
	if err != nil {
		return fmt.Errorf("send completion: %w", err)
	}
	if err := p2p.Send(l.rw, codeCompletion, payload); err != nil {
		return fmt.Errorf("send completion to %s: %w", l.id.TerminalString(), err)
	}
	return nil
}
