package encryption

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
)

// Outgoing is what Encrypt made.
type Outgoing struct {
	Wire []byte // the envelope payload: a ProtocolMessage, or the payload itself when Kind is Plain
	Kind Kind   // the weakest kind used over the installations it went to
}

// Encrypt protects payload for every installation of `to` that we know
// (PROTOCOL.md §7.9): the double ratchet per installation, starting
// sessions with X3DH where there are none. With no installation known it
// uses the DH fallback if the peer has ever sent us a ProtocolMessage, and
// otherwise returns the payload untouched as Plain, which every 2019 client
// reads.
func (p *Protocol) Encrypt(to *ecdsa.PublicKey, payload []byte) (Outgoing, error) {
	if !usableKey(to) {
		return Outgoing{}, errors.New("no usable recipient key")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.discard()
	if err := p.rotateIfDue(); err != nil {
		return Outgoing{}, err
	}
	peerKey := compress(to)
	ps, err := p.loadPeer(peerKey)
	if err != nil {
		return Outgoing{}, err
	}
	ids := p.targets(ps, peerKey)
	direct := map[string]*DirectMessageProtocol{}
	kind := DoubleRatchet
	if len(ids) == 0 {
		if !ps.ReadsProtocol {
			return Outgoing{Wire: payload, Kind: Plain}, nil
		}
		ek, ct, err := encryptDH(to, payload, p.rand)
		if err != nil {
			return Outgoing{}, err
		}
		direct[noInstallation] = &DirectMessageProtocol{DHHeader: &DHHeader{Key: ek}, Payload: ct}
		kind = DH
	}
	for _, id := range ids {
		m, k, err := p.encryptFor(ps, to, peerKey, id, payload)
		if err != nil {
			// One broken installation must not cost the others the message.
			p.log.Warn("encrypt: installation skipped", "installation", id, "err", err)
			continue
		}
		direct[id] = m
		kind = min(kind, k)
	}
	if len(direct) == 0 {
		return Outgoing{}, errors.New("no installation of the recipient could be encrypted for")
	}
	if len(ids) > 0 {
		if err := p.savePeer(peerKey, ps); err != nil {
			return Outgoing{}, err
		}
	}
	b, err := p.ownBundle()
	if err != nil {
		return Outgoing{}, err
	}
	wire, err := marshal(&ProtocolMessage{InstallationId: p.installation, Bundles: []*Bundle{b}, DirectMessage: direct})
	if err != nil {
		return Outgoing{}, err
	}
	// The advanced chains are stored before the message leaves.
	if err := p.flush(); err != nil {
		return Outgoing{}, err
	}
	return Outgoing{Wire: wire, Kind: kind}, nil
}

// encryptFor encrypts for one installation, starting a session if needed.
func (p *Protocol) encryptFor(ps *peerState, to *ecdsa.PublicKey, peerKey []byte, id string, payload []byte) (*DirectMessageProtocol, Kind, error) {
	in := ps.Installations[id]
	ref := sendingRef(in)
	var (
		s   *sessionState
		r   *ratchet
		err error
	)
	if ref != nil {
		if s, r, err = p.loadSession(ref.Name); err != nil {
			return nil, 0, err
		}
		if s == nil {
			// The index points at a session that is gone: drop it and start over.
			p.dropRef(in, ref.Name)
			ref = nil
		}
	}
	if ref == nil {
		ps.dirty = true
		if ref, s, r, err = p.startSession(in, to, peerKey, id); err != nil {
			return nil, 0, err
		}
	}
	h, ct, err := r.encrypt(payload)
	if err != nil {
		return nil, 0, err
	}
	if err := p.saveSession(ref.Name, s, r); err != nil {
		return nil, 0, err
	}
	ref.Active = p.now().UnixNano()
	m := &DirectMessageProtocol{
		DRHeader: &DRHeader{Key: h.DH, N: h.N, Pn: h.PN, Id: ref.BundleID},
		Payload:  ct,
	}
	if ref.Initiator && !ref.Confirmed {
		m.X3DHHeader = &X3DHHeader{Key: s.EK, Id: ref.BundleID}
		return m, X3DH, nil
	}
	return m, DoubleRatchet, nil
}

// startSession runs active X3DH on the installation's newest prekey
// (PROTOCOL.md §7.5) and indexes the new session. The caller saves it.
func (p *Protocol) startSession(in *installState, to *ecdsa.PublicKey, peerKey []byte, id string) (*sessionRef, *sessionState, *ratchet, error) {
	spk, err := decompress(in.SPK)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("stored prekey: %w", err)
	}
	ek, err := newKey(p.rand)
	if err != nil {
		return nil, nil, nil, err
	}
	sk, err := x3dhActive(p.ik, ek, to, spk)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := newInitiator(sk, in.SPK, p.rand)
	if err != nil {
		return nil, nil, nil, err
	}
	s := &sessionState{EK: compress(&ek.PublicKey), Initiator: true, Version: in.Version, Order: sessionOrder(sk)}
	ref := p.addRef(in, s.ref(p.sessionName(peerKey, id, in.SPK), in.SPK))
	ref.Active = p.now().UnixNano()
	return ref, s, r, nil
}

// sessionOrder is a one-way tag of the X3DH secret: the same at both ends,
// so both pick the same of two concurrent sessions, and useless for
// rebuilding any key (the secret itself is not kept).
func sessionOrder(sk []byte) []byte {
	return crypto.Keccak256([]byte("hush session order"), sk)[:16]
}

// addRef indexes a session, replacing one of the same name, and forgets
// the least recently active beyond maxSessionsPerInstallation. It returns
// the stored ref.
func (p *Protocol) addRef(in *installState, ref sessionRef) *sessionRef {
	p.dropRef(in, ref.Name)
	in.Sessions = append(in.Sessions, ref)
	for len(in.Sessions) > maxSessionsPerInstallation {
		oldest := 0
		for i, r := range in.Sessions[:len(in.Sessions)-1] {
			if r.Active < in.Sessions[oldest].Active {
				oldest = i
			}
		}
		p.deleteSession(in.Sessions[oldest].Name)
		in.Sessions = append(in.Sessions[:oldest], in.Sessions[oldest+1:]...)
	}
	return &in.Sessions[len(in.Sessions)-1] // the new one is never the one evicted
}

func (p *Protocol) dropRef(in *installState, name string) {
	kept := in.Sessions[:0]
	for _, r := range in.Sessions {
		if r.Name != name {
			kept = append(kept, r)
		}
	}
	in.Sessions = kept
}

func refByName(in *installState, name string) *sessionRef {
	for i := range in.Sessions {
		if in.Sessions[i].Name == name {
			return &in.Sessions[i]
		}
	}
	return nil
}
