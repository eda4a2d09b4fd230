package whisper

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// Send defaults (PROTOCOL.md decision 1).
const (
	DefaultTTL = 10    // seconds
	DefaultPoW = 0.002 // PoW target of posted envelopes
)

// sealTime bounds the proof-of-work search of one envelope, in seconds.
// Each try hashes the whole envelope and the target grows with its size,
// so a large paste gets more time than a one-liner.
func sealTime(payloadLen int) uint32 {
	return uint32(2 + min(payloadLen/4096, 30))
}

// OfflineInboxPassword is the password of the symmetric key Status
// mailservers expect history requests under.
const OfflineInboxPassword = "status-offline-inbox"

// Post is an outgoing message.
type Post struct {
	Topic     [4]byte
	SymKey    []byte            // exactly one of SymKey / PublicKey
	PublicKey *ecdsa.PublicKey  // encrypt to this key (ECIES)
	Payload   []byte            // the message bytes
	Signer    *ecdsa.PrivateKey // signs the message; required for chat messages
	TTL       uint32            // seconds; 0 → DefaultTTL
	PoW       float64           // 0 → DefaultPoW
}

// Post seals p into an envelope (spending at most sealTime on PoW) and
// hands it to whisperv6 for gossip. It returns the envelope hash; each
// peer that takes the envelope is reported on Acks.
func (n *Node) Post(p Post) ([32]byte, error) {
	if !n.running() {
		return [32]byte{}, fmt.Errorf("post: %w", errNotRunning)
	}
	if (len(p.SymKey) == 0) == (p.PublicKey == nil) {
		return [32]byte{}, errors.New("post: give exactly one of a symmetric key and a public key")
	}
	if len(p.SymKey) != 0 && len(p.SymKey) != 32 {
		return [32]byte{}, fmt.Errorf("post: symmetric key is %d bytes, want 32", len(p.SymKey))
	}
	if p.TTL == 0 {
		p.TTL = DefaultTTL
	}
	if p.PoW == 0 {
		p.PoW = DefaultPoW
	}
	if p.PoW < n.cfg.MinPoW {
		// whisperv6 refuses to send below its own minimum.
		p.PoW = n.cfg.MinPoW
	}
	env, err := seal(&whisperv6.MessageParams{
		TTL:      p.TTL,
		Src:      p.Signer,
		Dst:      p.PublicKey,
		KeySym:   p.SymKey,
		Topic:    whisperv6.TopicType(p.Topic),
		WorkTime: sealTime(len(p.Payload)),
		PoW:      p.PoW,
		Payload:  p.Payload,
	})
	if err != nil {
		return [32]byte{}, fmt.Errorf("post: %w", err)
	}
	raw, err := rlp.EncodeToBytes(env)
	if err != nil {
		return [32]byte{}, fmt.Errorf("post: encode envelope: %w", err)
	}
	if len(raw) > maxEnvelopeSize {
		return [32]byte{}, fmt.Errorf("post: envelope of %d bytes is larger than peers accept (%d)", len(raw), maxEnvelopeSize)
	}
	hash := env.Hash()
	// Remembered before whisperv6 has it: a peer may be sent it at once.
	if !n.own.add(raw, time.Unix(int64(env.Expiry), 0), time.Now()) {
		n.log.Warn("too many envelopes in flight to track; this one will not be acknowledged", "envelope", hash.Hex())
	}
	if err := n.shh.Send(env); err != nil {
		n.own.remove(raw)
		return [32]byte{}, fmt.Errorf("post: send envelope: %w", err)
	}
	return hash, nil
}

// seal builds, signs, encrypts and seals an envelope.
func seal(params *whisperv6.MessageParams) (*whisperv6.Envelope, error) {
	msg, err := whisperv6.NewSentMessage(params)
	if err != nil {
		return nil, fmt.Errorf("build message: %w", err)
	}
	env, err := msg.Wrap(params)
	if err != nil {
		return nil, fmt.Errorf("seal envelope: %w", err)
	}
	return env, nil
}

// running reports whether Start succeeded and Stop was not called.
func (n *Node) running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.started && !n.stopped
}
