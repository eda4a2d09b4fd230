package encryption

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// KV namespaces. Names inside them come from sealer.name.
const (
	nsSelf    = "self"    // our signed prekeys and bundle, per installation id
	nsPeer    = "peer"    // a peer's installations and session index
	nsSession = "session" // one ratchet session
	nsSeen    = "x3dh"    // ephemeral keys of X3DH headers already accepted
)

// selfState is our side: every signed prekey we ever made (old private keys
// stay, PROTOCOL.md §7.4) and the bundle signed over the newest.
type selfState struct {
	SPKs   []ownSPK // oldest first
	Bundle []byte   // a marshalled, signed Bundle
}

type ownSPK struct {
	Priv    []byte
	Pub     []byte // compressed; the bundle id of sessions built on it
	Version uint32
	Created int64 // Unix nanoseconds
}

// peerState is what we know of one identity: its installations, and
// whether it has ever sent us a ProtocolMessage.
type peerState struct {
	ReadsProtocol bool                     `json:",omitempty"`
	Installations map[string]*installState `json:",omitempty"`
}

type installState struct {
	SPK             []byte // their newest signed prekey, compressed
	Version         uint32
	ProtocolVersion uint32
	Timestamp       int64 // of the bundle, Unix nanoseconds
	Seen            int64 // last bundle or message from it, Unix nanoseconds
	Answered        bool  `json:",omitempty"` // a direct message from it has decrypted
	Disabled        bool  `json:",omitempty"` // our own other device, not yet paired
	Sessions        []sessionRef
}

// sessionRef indexes a stored session, so choosing one needs no unsealing
// of sessions.
type sessionRef struct {
	Name      string
	BundleID  []byte // the responder's signed prekey the session was built on
	Initiator bool   `json:",omitempty"`
	Confirmed bool   `json:",omitempty"` // responder: always; initiator: once the peer answered
	Version   uint32 // of the signed prekey BundleID
	Order     []byte // equal at both ends; the lower wins among concurrent sessions (§7.8)
	Active    int64
}

// sessionState is one ratchet session with what X3DH left for it.
type sessionState struct {
	Ratchet ratchetState
	// EK is the X3DH ephemeral key: ours while we are an unconfirmed
	// initiator (it goes in the X3DH header), the peer's when we responded.
	EK        []byte `json:",omitempty"`
	Initiator bool   `json:",omitempty"`
	Version   uint32 // of the signed prekey the session was built on
	Order     []byte // see sessionRef.Order
}

// ref rebuilds the index entry of a stored session.
func (s *sessionState) ref(name string, bundleID []byte) sessionRef {
	return sessionRef{Name: name, BundleID: bundleID, Initiator: s.Initiator, Version: s.Version,
		Order: s.Order, Confirmed: !s.Initiator || s.EK == nil}
}

func (p *Protocol) load(ns, name string, v any) (bool, error) {
	sealed, ok, err := p.kv.Get(ns, name)
	if err != nil || !ok {
		return false, err
	}
	plain, err := p.seal.open(ns, name, sealed)
	if err != nil {
		return false, fmt.Errorf("%s state: %w", ns, err)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return false, fmt.Errorf("%s state: %w", ns, err)
	}
	return true, nil
}

func (p *Protocol) save(ns, name string, v any) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sealed, err := p.seal.seal(ns, name, plain)
	if err != nil {
		return err
	}
	p.batch = append(p.batch, Op{NS: ns, Key: name, Value: sealed})
	return nil
}

func (p *Protocol) remove(ns, name string) {
	p.batch = append(p.batch, Op{NS: ns, Key: name, Delete: true})
}

// flush writes the changes of the current call: in one transaction when
// the KV is a Batcher, else one by one. A call that fails before its flush
// writes nothing, so the stored state never holds half a message.
func (p *Protocol) flush() error {
	ops := p.batch
	p.batch = p.batch[:0]
	if len(ops) == 0 {
		return nil
	}
	if b, ok := p.kv.(Batcher); ok {
		if err := b.Apply(ops); err != nil {
			return fmt.Errorf("store encryption state: %w", err)
		}
		return nil
	}
	for _, op := range ops {
		var err error
		if op.Delete {
			err = p.kv.Delete(op.NS, op.Key)
		} else {
			err = p.kv.Put(op.NS, op.Key, op.Value)
		}
		if err != nil {
			return fmt.Errorf("store encryption state: %w", err)
		}
	}
	return nil
}

// discard drops the changes of a call that failed.
func (p *Protocol) discard() { p.batch = p.batch[:0] }

func (p *Protocol) peerName(peerKey []byte) string { return p.seal.name(hex.EncodeToString(peerKey)) }

func (p *Protocol) loadPeer(peerKey []byte) (*peerState, error) {
	var ps peerState
	if _, err := p.load(nsPeer, p.peerName(peerKey), &ps); err != nil {
		return nil, err
	}
	if ps.Installations == nil {
		ps.Installations = map[string]*installState{}
	}
	return &ps, nil
}

func (p *Protocol) sessionName(peerKey []byte, installation string, bundleID []byte) string {
	return p.seal.name(hex.EncodeToString(peerKey), installation, hex.EncodeToString(bundleID))
}

// A stored session is uvarint(len(json)) ‖ json(sessionState) ‖ the packed
// skipped keys, all sealed as one value so that it changes atomically.
func (p *Protocol) loadSession(name string) (*sessionState, *ratchet, error) {
	sealed, ok, err := p.kv.Get(nsSession, name)
	if err != nil || !ok {
		return nil, nil, err
	}
	plain, err := p.seal.open(nsSession, name, sealed)
	if err != nil {
		return nil, nil, fmt.Errorf("session state: %w", err)
	}
	n, w := binary.Uvarint(plain)
	if w <= 0 || n > uint64(len(plain)-w) {
		return nil, nil, errors.New("session state: damaged")
	}
	var s sessionState
	if err := json.Unmarshal(plain[w:w+int(n)], &s); err != nil {
		return nil, nil, fmt.Errorf("session state: %w", err)
	}
	r, err := s.Ratchet.ratchet(plain[w+int(n):])
	if err != nil {
		return nil, nil, fmt.Errorf("session state: %w", err)
	}
	return &s, r, nil
}

func (p *Protocol) saveSession(name string, s *sessionState, r *ratchet) error {
	s.Ratchet = r.state()
	js, err := json.Marshal(s)
	if err != nil {
		return err
	}
	plain := binary.AppendUvarint(make([]byte, 0, 10+len(js)+len(r.skipped)*skipRecordLen), uint64(len(js)))
	plain = r.appendSkipped(append(plain, js...))
	sealed, err := p.seal.seal(nsSession, name, plain)
	if err != nil {
		return err
	}
	p.batch = append(p.batch, Op{NS: nsSession, Key: name, Value: sealed})
	return nil
}

func timeOf(unixNano int64) time.Time { return time.Unix(0, unixNano) }
