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

	// dirty: changed in more than last-seen and last-active times, which
	// are written at most once per peerSaveInterval (the cached copy
	// has them exact).
	dirty   bool
	savedAt time.Time
}

// peerSaveInterval is how stale the stored times of a peer may get.
const peerSaveInterval = time.Minute

// cacheMax bounds each cache of decoded state; when full it starts over.
const cacheMax = 1024

// cachedSession is a decoded session.
type cachedSession struct {
	s *sessionState
	r *ratchet
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
		p.release()
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
	p.release()
	return nil
}

// Every Encrypt, Decrypt and BundleMessage ends in discard, which is a
// no-op after a successful flush. After a failure it drops the unwritten
// changes and the cached copies the call may have changed, since the store
// still has the state from before the call.
func (p *Protocol) discard() {
	p.batch = p.batch[:0]
	for _, name := range p.touchedPeers {
		delete(p.peers, name)
	}
	for _, name := range p.touchedSessions {
		delete(p.sessions, name)
	}
	p.release()
}

// release ends a call whose cached changes are stored (or that changed
// nothing).
func (p *Protocol) release() {
	p.touchedPeers = p.touchedPeers[:0]
	p.touchedSessions = p.touchedSessions[:0]
}

func (p *Protocol) peerName(peerKey []byte) string { return p.seal.name(hex.EncodeToString(peerKey)) }

// loadPeer returns the peer's record, from the cache when it is there. The
// caller may change it: a call that fails drops it from the cache (discard),
// so the next call reads the stored copy again.
func (p *Protocol) loadPeer(peerKey []byte) (*peerState, error) {
	name := p.peerName(peerKey)
	p.touchedPeers = append(p.touchedPeers, name)
	if ps, ok := p.peers[name]; ok {
		return ps, nil
	}
	ps := &peerState{savedAt: p.now()}
	if _, err := p.load(nsPeer, name, ps); err != nil {
		return nil, err
	}
	if ps.Installations == nil {
		ps.Installations = map[string]*installState{}
	}
	if len(p.peers) >= cacheMax {
		clear(p.peers)
	}
	p.peers[name] = ps
	return ps, nil
}

// savePeer stores the record when it changed, or when its times are more
// than peerSaveInterval old in the store.
func (p *Protocol) savePeer(peerKey []byte, ps *peerState) error {
	now := p.now()
	if !ps.dirty && now.Sub(ps.savedAt) < peerSaveInterval {
		return nil
	}
	if err := p.save(nsPeer, p.peerName(peerKey), ps); err != nil {
		return err
	}
	ps.dirty, ps.savedAt = false, now
	return nil
}

func (p *Protocol) sessionName(peerKey []byte, installation string, bundleID []byte) string {
	return p.seal.name(hex.EncodeToString(peerKey), installation, hex.EncodeToString(bundleID))
}

// A stored session is uvarint(len(json)) ‖ json(sessionState) ‖ the packed
// skipped keys, all sealed as one value so that it changes atomically.
func (p *Protocol) loadSession(name string) (*sessionState, *ratchet, error) {
	p.touchedSessions = append(p.touchedSessions, name)
	if c, ok := p.sessions[name]; ok {
		return c.s, c.r, nil
	}
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
	p.cacheSession(name, &s, r)
	return &s, r, nil
}

func (p *Protocol) cacheSession(name string, s *sessionState, r *ratchet) {
	if len(p.sessions) >= cacheMax {
		clear(p.sessions)
	}
	p.sessions[name] = cachedSession{s, r}
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
	p.touchedSessions = append(p.touchedSessions, name)
	p.cacheSession(name, s, r)
	return nil
}

func timeOf(unixNano int64) time.Time { return time.Unix(0, unixNano) }
