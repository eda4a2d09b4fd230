package whisper

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
)

// directGrace is how long after a history request ends its peer may still
// deliver code-127 envelopes (stragglers after a completion or timeout).
const directGrace = time.Second

// link is our side of one connected shh/6 peer.
type link struct {
	id     enode.ID
	peer   *p2p.Peer
	rw     p2p.MsgReadWriter // the peer's raw protocol stream; WriteMsg is safe for concurrent use
	closed chan struct{}     // closed when the peer is gone
	slot   chan struct{}     // one history request in flight per peer

	confirms      atomic.Bool       // its handshake says it acknowledges batches
	confirmations chan confirmation // our replies to its batches (confirm.go)
	lastActive    atomic.Int64      // unix nanoseconds of its last useful message (evict.go)
	sent          sentBatches       // batches written to it, awaiting acknowledgement

	mu  sync.Mutex
	req *pendingRequest // in flight, or ended less than directGrace ago
}

// pendingRequest is a history request waiting for its page.
type pendingRequest struct {
	id       [32]byte
	activity chan struct{}              // a direct envelope came in (cap 1)
	done     chan mailformat.Completion // the completion came in (cap 1)

	// Guarded by link.mu.
	accepted   int       // direct envelopes counted for this page
	last       [32]byte  // hash of the last of them
	endedAt    time.Time // zero while in flight
	completion bool      // a completion was delivered
}

// runPeer wraps whisperv6's protocol handler: it registers the link, hands
// whisperv6 an intercepting stream and unregisters when the peer goes.
func (n *Node) runPeer(peer *p2p.Peer, rw p2p.MsgReadWriter, runWhisper func(*p2p.Peer, p2p.MsgReadWriter) error) error {
	defer n.catchPanic()
	l := &link{
		id:     peer.ID(),
		peer:   peer,
		rw:     rw,
		closed: make(chan struct{}),
		slot:   make(chan struct{}, 1),

		confirmations: make(chan confirmation, confirmationQueue),
	}
	l.touch(time.Now())
	n.mu.Lock()
	if old := n.links[l.id]; old != nil {
		n.mu.Unlock()
		return fmt.Errorf("peer %s already has a shh link", l.id.TerminalString())
	}
	n.links[l.id] = l
	n.notePeerCount(len(n.links))
	victim := n.idleVictim(l)
	n.mu.Unlock()
	n.log.Info("whisper peer connected", "peer", l.id.TerminalString(), "addr", peer.RemoteAddr().String(), "name", peer.Name())
	if victim != nil {
		n.evict(victim)
	}
	n.wg.Add(1)
	go n.writeConfirmations(l)

	err := runWhisper(peer, &interceptor{node: n, link: l, rw: rw})

	close(l.closed)
	n.mu.Lock()
	if n.links[l.id] == l {
		delete(n.links, l.id)
	}
	n.notePeerCount(len(n.links))
	n.mu.Unlock()
	n.log.Info("whisper peer disconnected", "peer", l.id.TerminalString(), "err", err)
	n.redial.dropped(l.id)
	return err
}

// link returns the connected peer with id, or nil.
func (n *Node) link(id enode.ID) *link {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.links[id]
}

// linkByBytes is link for a 32-byte id as whisperv6 gives it.
func (n *Node) linkByBytes(peerID []byte) (*link, error) {
	if len(peerID) != len(enode.ID{}) {
		return nil, fmt.Errorf("peer id is %d bytes, want %d", len(peerID), len(enode.ID{}))
	}
	var id enode.ID
	copy(id[:], peerID)
	l := n.link(id)
	if l == nil {
		return nil, fmt.Errorf("peer %s is not connected", id.TerminalString())
	}
	return l, nil
}

// acceptDirect reports whether a code-127 envelope from this peer is
// expected now, and if so counts it for the request in flight.
func (l *link) acceptDirect(hash [32]byte, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.req
	if r == nil {
		return false
	}
	if !r.endedAt.IsZero() {
		return now.Sub(r.endedAt) < directGrace
	}
	r.accepted++
	r.last = hash
	select {
	case r.activity <- struct{}{}:
	default:
	}
	return true
}

// deliverCompletion hands c to the request it answers; false if none.
func (l *link) deliverCompletion(c mailformat.Completion) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.req
	if r == nil || r.id != c.RequestID || !r.endedAt.IsZero() || r.completion {
		return false
	}
	r.completion = true
	r.done <- c
	return true
}

// begin makes r the request in flight.
func (l *link) begin(r *pendingRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.req = r
}

// end closes r; its peer may still deliver for directGrace. It returns the
// envelopes counted for r and the last one's hash.
func (l *link) end(r *pendingRequest, now time.Time) (accepted int, last [32]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.endedAt.IsZero() {
		r.endedAt = now
	}
	return r.accepted, r.last
}
