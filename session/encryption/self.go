package encryption

import (
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"
)

func (p *Protocol) selfName() string { return p.seal.name("self", p.installation) }

// rotateIfDue makes a new signed prekey when there is none or the newest is
// BundleRefreshInterval old, and signs a bundle over it. Old private keys
// are kept: a peer may still start a session on a bundle it saw earlier.
func (p *Protocol) rotateIfDue() error {
	now := p.now()
	if n := len(p.self.SPKs); n > 0 && now.Sub(timeOf(p.self.SPKs[n-1].Created)) < BundleRefreshInterval {
		return nil
	}
	key, err := newKey(p.rand)
	if err != nil {
		return err
	}
	next := selfState{SPKs: append(append([]ownSPK{}, p.self.SPKs...), ownSPK{
		Priv:    crypto.FromECDSA(key),
		Pub:     compress(&key.PublicKey),
		Version: uint32(len(p.self.SPKs)) + 1,
		Created: now.UnixNano(),
	})}
	spk := next.SPKs[len(next.SPKs)-1]
	b := &Bundle{
		SignedPreKeys: map[string]*SignedPreKey{p.installation: {
			SignedPreKey: spk.Pub, Version: spk.Version, ProtocolVersion: ProtocolVersion,
		}},
		Timestamp: now.UnixNano(),
	}
	if err := signBundle(b, p.ik); err != nil {
		return err
	}
	if next.Bundle, err = proto.Marshal(b); err != nil {
		return err
	}
	// Written at once, apart from the call that asked: the cached copy
	// must never be ahead of the stored one.
	if err := p.save(nsSelf, p.selfName(), &next); err != nil {
		return fmt.Errorf("rotate signed prekey: %w", err)
	}
	if err := p.flush(); err != nil {
		return fmt.Errorf("rotate signed prekey: %w", err)
	}
	p.self = next
	p.log.Info("new signed prekey", "version", spk.Version)
	return nil
}

// ownBundle is our current signed bundle.
func (p *Protocol) ownBundle() (*Bundle, error) {
	var b Bundle
	if err := proto.Unmarshal(p.self.Bundle, &b); err != nil {
		return nil, fmt.Errorf("stored bundle: %w", err)
	}
	return &b, nil
}

// ownSPK finds one of our signed prekeys, old ones included, by its public key.
func (p *Protocol) ownSPK(pub []byte) (ownSPK, bool) {
	for i := len(p.self.SPKs) - 1; i >= 0; i-- {
		if string(p.self.SPKs[i].Pub) == string(pub) {
			return p.self.SPKs[i], true
		}
	}
	return ownSPK{}, false
}

// BundleMessage is ProtocolMessage{installation_id, bundles: [our bundle]}:
// the advertisement for the contact-code topic and the answer to a message
// that was not for this device (PROTOCOL.md §7.9).
func (p *Protocol) BundleMessage() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.discard()
	if err := p.rotateIfDue(); err != nil {
		return nil, err
	}
	b, err := p.ownBundle()
	if err != nil {
		return nil, err
	}
	return marshal(&ProtocolMessage{InstallationId: p.installation, Bundles: []*Bundle{b}})
}

func marshal(m *ProtocolMessage) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}
