package encryption

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"sort"
	"time"
)

// addBundle takes in a peer's bundle (PROTOCOL.md §7.4, §7.8): a verified
// signature, then per installation a newer signed prekey replaces an older
// one.
func (p *Protocol) addBundle(ps *peerState, from []byte, b *Bundle) error {
	if !bytes.Equal(b.GetIdentity(), from) {
		return fmt.Errorf("%w: bundle of another identity than the sender", ErrBadBundle)
	}
	now := p.now().UnixNano()
	self := bytes.Equal(from, p.ikPub)
	// Every message carries the sender's bundle; when it says nothing new
	// (same prekeys and versions) there is nothing to verify.
	known := len(b.GetSignedPreKeys()) > 0 && len(b.GetSignedPreKeys()) <= maxBundleInstallations
	for id, spk := range b.GetSignedPreKeys() {
		in := ps.Installations[id]
		if self && id == p.installation {
			continue
		}
		if in == nil || in.Version != spk.GetVersion() || !bytes.Equal(in.SPK, spk.GetSignedPreKey()) {
			known = false
			break
		}
	}
	if !known {
		if _, err := verifyBundle(b); err != nil {
			return err
		}
	}
	for id, spk := range b.GetSignedPreKeys() {
		if self && id == p.installation {
			continue
		}
		in := ps.Installations[id]
		switch {
		case in == nil:
			in = &installState{Disabled: self}
			ps.Installations[id] = in
			ps.dirty = true
		case spk.GetVersion() < in.Version:
			continue // an old bundle seen late
		case spk.GetVersion() == in.Version && !bytes.Equal(spk.GetSignedPreKey(), in.SPK):
			// Two keys under one version: keep the first rather than flap.
			p.log.Debug("bundle: conflicting prekey ignored", "installation", id, "version", in.Version)
			continue
		}
		if spk.GetVersion() > in.Version && in.SPK != nil {
			p.log.Debug("bundle: newer signed prekey, sessions will re-key", "installation", id, "version", spk.GetVersion())
		}
		if in.Version != spk.GetVersion() || in.ProtocolVersion != spk.GetProtocolVersion() {
			ps.dirty = true
		}
		in.SPK, in.Version, in.ProtocolVersion = spk.GetSignedPreKey(), spk.GetVersion(), spk.GetProtocolVersion()
		in.Timestamp = b.GetTimestamp()
		in.Seen = now
	}
	p.trimInstallations(ps, from)
	return nil
}

// trimInstallations forgets the least recently seen installations beyond
// maxInstallationsKept, sessions included.
func (p *Protocol) trimInstallations(ps *peerState, peerKey []byte) {
	for len(ps.Installations) > maxInstallationsKept {
		var oldest string
		for id, in := range ps.Installations {
			if oldest == "" || in.Seen < ps.Installations[oldest].Seen || (in.Seen == ps.Installations[oldest].Seen && id < oldest) {
				oldest = id
			}
		}
		for _, ref := range ps.Installations[oldest].Sessions {
			p.deleteSession(ref.Name)
		}
		delete(ps.Installations, oldest)
		ps.dirty = true
	}
}

func (p *Protocol) deleteSession(name string) {
	p.remove(nsSession, name)
	delete(p.sessions, name)
}

// targets are the installations a message to peerKey goes to: enabled,
// not ourselves, the MaxInstallations most recently seen.
func (p *Protocol) targets(ps *peerState, peerKey []byte) []string {
	self := bytes.Equal(peerKey, p.ikPub)
	var ids []string
	for id, in := range ps.Installations {
		if in.Disabled || (self && id == p.installation) {
			continue
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := ps.Installations[ids[i]], ps.Installations[ids[j]]
		if a.Seen != b.Seen {
			return a.Seen > b.Seen
		}
		return ids[i] < ids[j]
	})
	if len(ids) > MaxInstallations {
		ids = ids[:MaxInstallations]
	}
	return ids
}

// sendingRef picks the session to send on (PROTOCOL.md §7.8): the one we
// started on the installation's newest prekey, and the one it started on
// our newest prekey; of those, the lower Order. Nil means start a new one.
func sendingRef(in *installState) *sessionRef {
	var mine, theirs *sessionRef
	for i := range in.Sessions {
		r := &in.Sessions[i]
		if r.Initiator {
			if r.Version == in.Version && bytes.Equal(r.BundleID, in.SPK) {
				mine = r
			}
		} else if theirs == nil || r.Version > theirs.Version || (r.Version == theirs.Version && r.Active > theirs.Active) {
			theirs = r
		}
	}
	switch {
	case mine == nil:
		return theirs
	case theirs == nil:
		return mine
	case bytes.Compare(theirs.Order, mine.Order) < 0:
		return theirs
	}
	return mine
}

// KindFor is what Encrypt to the peer would use now.
func (p *Protocol) KindFor(to *ecdsa.PublicKey) Kind {
	if !usableKey(to) {
		return Plain
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.release() // read only
	peerKey := compress(to)
	ps, err := p.loadPeer(peerKey)
	if err != nil {
		return Plain
	}
	return p.kindFor(ps, peerKey)
}

func (p *Protocol) kindFor(ps *peerState, peerKey []byte) Kind {
	ids := p.targets(ps, peerKey)
	if len(ids) == 0 {
		if ps.ReadsProtocol {
			return DH
		}
		return Plain
	}
	for _, id := range ids {
		if r := sendingRef(ps.Installations[id]); r == nil || !r.Confirmed {
			return X3DH
		}
	}
	return DoubleRatchet
}

// Agreed reports whether every installation a message would go to has
// sent us a direct message, so both ends hold the negotiated secret.
func (p *Protocol) Agreed(with *ecdsa.PublicKey) bool {
	if !usableKey(with) {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.release() // read only
	peerKey := compress(with)
	ps, err := p.loadPeer(peerKey)
	if err != nil {
		return false
	}
	ids := p.targets(ps, peerKey)
	for _, id := range ids {
		if !ps.Installations[id].Answered {
			return false
		}
	}
	return len(ids) > 0
}

// MinProtocolVersion is the lowest protocol version over the installations
// a message would go to; 0 when none is known.
func (p *Protocol) MinProtocolVersion(with *ecdsa.PublicKey) int {
	if !usableKey(with) {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.release() // read only
	peerKey := compress(with)
	ps, err := p.loadPeer(peerKey)
	if err != nil {
		return 0
	}
	ids := p.targets(ps, peerKey)
	if len(ids) == 0 {
		return 0
	}
	v := ps.Installations[ids[0]].ProtocolVersion
	for _, id := range ids[1:] {
		v = min(v, ps.Installations[id].ProtocolVersion)
	}
	return int(v)
}

// Installations lists what we know of a peer's devices, most recently seen
// first.
func (p *Protocol) Installations(of *ecdsa.PublicKey) []Installation {
	if !usableKey(of) {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.release() // read only
	ps, err := p.loadPeer(compress(of))
	if err != nil {
		return nil
	}
	out := make([]Installation, 0, len(ps.Installations))
	for id, in := range ps.Installations {
		out = append(out, Installation{ID: id, Version: in.Version, ProtocolVersion: in.ProtocolVersion,
			SeenAt: time.Unix(0, in.Seen), Enabled: !in.Disabled})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].SeenAt.Equal(out[j].SeenAt) {
			return out[i].SeenAt.After(out[j].SeenAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
