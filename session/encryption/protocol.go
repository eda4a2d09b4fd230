package encryption

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Kind says how a message was, or will be, protected.
type Kind int

// Kinds from weakest to strongest; Outgoing.Kind is the weakest used.
const (
	Plain         Kind = iota // not a ProtocolMessage: plain transit, only the envelope's ECIES
	DH                        // DH fallback ("none" entry, PROTOCOL.md §7.7)
	X3DH                      // double ratchet still carrying the X3DH header: the peer has not answered yet
	DoubleRatchet             // double ratchet, session confirmed
	PublicMessage             // a ProtocolMessage's public_message, or a bundle-only advertisement
)

func (k Kind) String() string {
	switch k {
	case Plain:
		return "plain"
	case DH:
		return "dh"
	case X3DH:
		return "x3dh"
	case DoubleRatchet:
		return "double-ratchet"
	case PublicMessage:
		return "public"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Rules of the protocol (PROTOCOL.md §7.4, §7.8).
const (
	// MaxInstallations is how many installations of a peer a message goes to.
	MaxInstallations = 3
	// BundleRefreshInterval is the life of a signed prekey.
	BundleRefreshInterval = 24 * time.Hour
	// ProtocolVersion is what our bundle advertises: 1 reads partitioned
	// and negotiated topics.
	ProtocolVersion = 1
	// noInstallation is the direct_message key of the DH fallback.
	noInstallation = "none"
	// maxInstallationsKept bounds what is remembered of one peer.
	maxInstallationsKept = 8
	// maxSessionsPerInstallation bounds the sessions kept for receiving.
	maxSessionsPerInstallation = 4
)

// Config is what New needs.
type Config struct {
	Identity       *ecdsa.PrivateKey
	InstallationID string
	KV             KV
	Log            *slog.Logger     // nil: discard
	Now            func() time.Time // nil: time.Now
	Rand           io.Reader        // nil: crypto/rand
}

// Protocol is the encryption layer of one identity and installation. It
// is safe for concurrent use; calls are serialised, since each one reads
// and writes ratchet state.
type Protocol struct {
	ik           *ecdsa.PrivateKey
	ikPub        []byte // compressed
	installation string
	kv           KV
	seal         *sealer
	log          *slog.Logger
	now          func() time.Time
	rand         io.Reader

	mu    sync.Mutex
	self  selfState // cached; the KV copy is written on every change
	batch []Op      // changes of the call in progress, written by flush

	// Decoded peers and sessions, so a message costs no unsealing. A call
	// that fails drops what it touched (discard).
	peers                         map[string]*peerState
	sessions                      map[string]cachedSession
	touchedPeers, touchedSessions []string
}

// Installation is one device of a peer, as its bundles told us.
type Installation struct {
	ID              string
	Version         uint32 // of its signed prekey
	ProtocolVersion uint32
	SeenAt          time.Time // last bundle or message from it
	Enabled         bool      // false for our own devices that are not paired
}

// New opens (or starts) the layer's state in cfg.KV. The first start makes
// the first signed prekey.
func New(cfg Config) (*Protocol, error) {
	if cfg.Identity == nil {
		return nil, errors.New("no identity key")
	}
	if cfg.InstallationID == "" || len(cfg.InstallationID) > maxInstallationIDLen || cfg.InstallationID == noInstallation {
		return nil, fmt.Errorf("unusable installation id %q", cfg.InstallationID)
	}
	if cfg.KV == nil {
		return nil, errors.New("no KV for the encryption state")
	}
	p := &Protocol{
		ik:           cfg.Identity,
		ikPub:        compress(&cfg.Identity.PublicKey),
		installation: cfg.InstallationID,
		kv:           cfg.KV,
		log:          cfg.Log,
		now:          cfg.Now,
		rand:         cfg.Rand,
		peers:        map[string]*peerState{},
		sessions:     map[string]cachedSession{},
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	var err error
	if p.seal, err = newSealer(p.ik, p.rand); err != nil {
		return nil, err
	}
	if _, err := p.load(nsSelf, p.selfName(), &p.self); err != nil {
		return nil, fmt.Errorf("load own prekeys: %w", err)
	}
	if err := p.rotateIfDue(); err != nil {
		return nil, err
	}
	return p, nil
}

// InstallationID is this installation's id, as it appears in our bundle.
func (p *Protocol) InstallationID() string { return p.installation }

// SharedSecret is DH(our identity, theirs), 32 bytes: the secret of the
// negotiated topic. Nil when the key is unusable.
func (p *Protocol) SharedSecret(with *ecdsa.PublicKey) []byte {
	if !usableKey(with) {
		return nil
	}
	s, err := dh(p.ik, with)
	if err != nil {
		return nil
	}
	return s
}
