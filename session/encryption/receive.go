package encryption

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"
)

// Incoming is what Decrypt found.
type Incoming struct {
	Payload      []byte // the inner payload; empty for a bundle-only advertisement
	Kind         Kind
	Installation string // the sender's installation id; "" for Plain
}

// Limits on what a received ProtocolMessage may carry (PROTOCOL.md §7.10).
const (
	maxDirectEntries = 16
	maxPayload       = 1 << 20 // above Whisper's own envelope limit
)

// Decrypt reverses Encrypt for a payload whose envelope `from` signed
// (PROTOCOL.md §7.9). A payload that is not a ProtocolMessage is returned
// as Plain. Bundles in the message are verified and stored first. Errors
// wrap the Err* sentinels; none of them changes a session, so a bad copy
// never costs a later good message.
func (p *Protocol) Decrypt(from *ecdsa.PublicKey, wire []byte) (Incoming, error) {
	pm, ok := parseProtocolMessage(wire)
	if !ok {
		return Incoming{Payload: wire, Kind: Plain}, nil
	}
	if err := checkShape(pm); err != nil {
		return Incoming{}, err
	}
	if !usableKey(from) {
		return Incoming{}, fmt.Errorf("%w: no usable sender key", ErrMalformed)
	}
	peerKey := compress(from)

	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.discard()
	ps, err := p.loadPeer(peerKey)
	if err != nil {
		return Incoming{}, err
	}
	bundles := pm.GetBundles()
	if old := pm.GetBundle(); old != nil { //nolint:staticcheck // the deprecated field is read on purpose
		bundles = append([]*Bundle{old}, bundles...)
	}
	for _, b := range bundles {
		if err := p.addBundle(ps, peerKey, b); err != nil {
			return Incoming{}, err
		}
	}
	if !ps.ReadsProtocol {
		ps.ReadsProtocol, ps.dirty = true, true
	}
	in := Incoming{Installation: pm.GetInstallationId()}

	direct := pm.GetDirectMessage()
	if len(direct) == 0 {
		in.Kind, in.Payload = PublicMessage, pm.GetPublicMessage()
		return in, p.commitPeer(peerKey, ps)
	}
	m := direct[p.installation]
	if m == nil {
		m = direct[noInstallation]
	}
	if m == nil {
		if err := p.commitPeer(peerKey, ps); err != nil {
			return Incoming{}, err
		}
		return Incoming{}, fmt.Errorf("%w: entries for %d other installations", ErrNotForThisDevice, len(direct))
	}
	switch {
	case m.GetDRHeader() != nil:
		in.Payload, in.Kind, err = p.decryptDR(ps, from, peerKey, pm.GetInstallationId(), m)
	case m.GetDHHeader() != nil:
		in.Kind = DH
		in.Payload, err = decryptDH(p.ik, m.GetDHHeader().GetKey(), m.GetPayload())
	default:
		err = fmt.Errorf("%w: entry has no header", ErrMalformed)
	}
	if err != nil {
		return Incoming{}, err
	}
	if inst := ps.Installations[pm.GetInstallationId()]; inst != nil {
		if !inst.Answered {
			inst.Answered, ps.dirty = true, true
		}
		inst.Seen = p.now().UnixNano()
	}
	if err := p.commitPeer(peerKey, ps); err != nil {
		return Incoming{}, err
	}
	return in, nil
}

// commitPeer stores the peer record and everything else the call changed.
func (p *Protocol) commitPeer(peerKey []byte, ps *peerState) error {
	if err := p.savePeer(peerKey, ps); err != nil {
		return err
	}
	return p.flush()
}

// parseProtocolMessage tells a ProtocolMessage from plain transit: it must
// parse and set at least one known field. A transit payload (JSON) fails
// the first test or passes only as unknown fields.
func parseProtocolMessage(wire []byte) (*ProtocolMessage, bool) {
	var pm ProtocolMessage
	if len(wire) == 0 || proto.Unmarshal(wire, &pm) != nil {
		return nil, false
	}
	known := pm.GetInstallationId() != "" || len(pm.GetBundles()) > 0 || pm.GetBundle() != nil || //nolint:staticcheck // deprecated field 1 counts too
		len(pm.GetDirectMessage()) > 0 || pm.PublicMessage != nil
	return &pm, known
}

// checkShape refuses, with the reason, sizes no real sender produces, before
// any key is used.
func checkShape(pm *ProtocolMessage) error {
	if n := len(pm.GetInstallationId()); n > maxInstallationIDLen {
		return fmt.Errorf("%w: installation id of %d bytes", ErrMalformed, n)
	}
	if n := len(pm.GetBundles()); n > maxBundlesPerMessage {
		return fmt.Errorf("%w: %d bundles (max %d)", ErrMalformed, n, maxBundlesPerMessage)
	}
	if n := len(pm.GetDirectMessage()); n > maxDirectEntries {
		return fmt.Errorf("%w: %d direct entries (max %d)", ErrMalformed, n, maxDirectEntries)
	}
	for id, m := range pm.GetDirectMessage() {
		if len(id) > maxInstallationIDLen {
			return fmt.Errorf("%w: direct entry id of %d bytes", ErrMalformed, len(id))
		}
		if m == nil {
			continue
		}
		if n := len(m.GetPayload()); n > maxPayload {
			return fmt.Errorf("%w: payload of %d bytes", ErrMalformed, n)
		}
		for what, key := range map[string][]byte{
			"DR key": m.GetDRHeader().GetKey(), "DR id": m.GetDRHeader().GetId(),
			"X3DH key": m.GetX3DHHeader().GetKey(), "X3DH id": m.GetX3DHHeader().GetId(),
			"DH key": m.GetDHHeader().GetKey(),
		} {
			if len(key) > keyLen {
				return fmt.Errorf("%w: %s of %d bytes", ErrMalformed, what, len(key))
			}
		}
	}
	return nil
}

// decryptDR opens a double ratchet entry, first building the session from
// its X3DH header when the header starts one we do not have.
func (p *Protocol) decryptDR(ps *peerState, from *ecdsa.PublicKey, peerKey []byte, installation string, m *DirectMessageProtocol) ([]byte, Kind, error) {
	dr, x := m.GetDRHeader(), m.GetX3DHHeader()
	if installation == "" {
		return nil, 0, fmt.Errorf("%w: double ratchet message without installation id", ErrMalformed)
	}
	if len(dr.GetKey()) != keyLen || len(dr.GetId()) != keyLen {
		return nil, 0, fmt.Errorf("%w: DR header key/id of %d/%d bytes", ErrMalformed, len(dr.GetKey()), len(dr.GetId()))
	}
	bundleID := dr.GetId()
	name := p.sessionName(peerKey, installation, bundleID)
	s, r, err := p.loadSession(name)
	if err != nil {
		return nil, 0, err
	}
	kind := DoubleRatchet
	fresh := false
	if x != nil {
		kind = X3DH
		if len(x.GetKey()) != keyLen || !bytes.Equal(x.GetId(), bundleID) {
			return nil, 0, fmt.Errorf("%w: X3DH header does not match the DR header", ErrMalformed)
		}
		if s == nil || !bytes.Equal(s.EK, x.GetKey()) {
			if s, r, err = p.acceptX3DH(from, x.GetKey(), bundleID); err != nil {
				return nil, 0, err
			}
			fresh = true
		}
	}
	if s == nil {
		return nil, 0, fmt.Errorf("%w: installation %s, bundle %x…", ErrNoSession, installation, bundleID[:4])
	}
	pt, err := r.decrypt(header{DH: dr.GetKey(), N: dr.GetN(), PN: dr.GetPn()}, m.GetPayload(), p.rand)
	if err != nil {
		return nil, 0, err
	}
	in := ps.Installations[installation]
	if in == nil {
		// A session without a bundle cannot happen for a sender that
		// follows the protocol (bundles ride in every message); keep the
		// session unindexed rather than invent an installation.
		in = &installState{}
	}
	if s.Initiator {
		s.EK = nil // the peer answered: stop sending the X3DH header
	}
	ref := refByName(in, name)
	if fresh || ref == nil {
		ref = p.addRef(in, s.ref(name, bundleID))
		ps.dirty = true
	}
	ref.Active = p.now().UnixNano()
	if !ref.Confirmed {
		ref.Confirmed, ps.dirty = true, true
	}
	if err := p.saveSession(name, s, r); err != nil {
		return nil, 0, err
	}
	if fresh {
		if err := p.save(nsSeen, p.seenName(x.GetKey()), true); err != nil {
			return nil, 0, err
		}
	}
	return pt, kind, nil
}

func (p *Protocol) seenName(ek []byte) string { return p.seal.name(hex.EncodeToString(ek)) }

// acceptX3DH is passive X3DH (PROTOCOL.md §7.5) for a header that starts a
// session: the prekey it names must be one of ours, and its ephemeral key
// must not have started a session before (a replayed first message).
func (p *Protocol) acceptX3DH(from *ecdsa.PublicKey, ekBytes, bundleID []byte) (*sessionState, *ratchet, error) {
	if _, seen, err := p.kv.Get(nsSeen, p.seenName(ekBytes)); err != nil {
		return nil, nil, err
	} else if seen {
		return nil, nil, fmt.Errorf("%w: X3DH header of a session started before", ErrReplay)
	}
	spk, ok := p.ownSPK(bundleID)
	if !ok {
		return nil, nil, fmt.Errorf("%w: X3DH on a prekey %x… we never made", ErrNoSession, bundleID[:4])
	}
	ek, err := decompress(ekBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: X3DH key: %v", ErrMalformed, err)
	}
	spkPriv, err := crypto.ToECDSA(spk.Priv)
	if err != nil {
		return nil, nil, fmt.Errorf("stored prekey: %w", err)
	}
	sk, err := x3dhPassive(p.ik, spkPriv, from, ek)
	if err != nil {
		return nil, nil, err
	}
	s := &sessionState{EK: ekBytes, Version: spk.Version, Order: sessionOrder(sk)}
	return s, newResponder(sk, spkPriv), nil
}
