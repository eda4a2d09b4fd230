package whisper

import (
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rlp"
)

// Ack says that a peer has taken envelopes we posted (through Post) and
// sent it. Only envelopes this node posted itself are reported; what it
// relays for others is not.
//
// A peer that confirms (it advertised confirmations in its handshake, as
// hush and Status's nodes do) answers every batch of envelopes with shh/6
// codes 12 and 11; the Ack then has Confirmed set and comes after the peer
// handed the batch to its Whisper pool, so a mailserver peer has archived
// them. A stock peer never answers; for it the Ack (Confirmed false) comes
// as soon as the batch was written to its connection.
//
// The same envelope is acknowledged once per peer that takes it.
type Ack struct {
	Peer      enode.ID
	Envelopes [][32]byte // hashes of the envelopes the peer took
	// Refused are envelopes of the batch the peer named as not accepted
	// (expired by its clock, or dropped by its checks). They will not
	// spread through this peer; Envelopes and Refused never share a hash.
	Refused [][32]byte
	// Confirmed is true when the peer acknowledged the batch itself (shh/6
	// codes 11 and 12, as Status's nodes do); false when the peer is a
	// stock node that never acknowledges, and the envelopes were only
	// written to its connection.
	Confirmed bool
}

// Acks yields acknowledgements of envelopes this node posted and sent to
// its peers. The channel is never closed.
func (n *Node) Acks() <-chan Ack {
	return n.acks
}

// maxQueuedAcks bounds the acknowledgements waiting for a reader. The
// queue exists so that a slow reader never stalls a peer's goroutine; it
// only fills when nobody reads Acks for a long time.
const maxQueuedAcks = 1 << 16

// ackQueue hands acknowledgements from peer goroutines to the Acks
// channel without blocking them and without losing any while the reader
// merely lags.
type ackQueue struct {
	mu      sync.Mutex
	q       []Ack
	dropped int
	wake    chan struct{} // cap 1
}

func newAckQueue() *ackQueue {
	return &ackQueue{wake: make(chan struct{}, 1)}
}

// push queues a; when the queue is full the oldest is dropped and counted.
func (q *ackQueue) push(a Ack) {
	q.mu.Lock()
	if len(q.q) >= maxQueuedAcks {
		q.q[0] = Ack{}
		q.q = q.q[1:]
		q.dropped++
	}
	q.q = append(q.q, a)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns everything queued and how many were dropped since the
// last call.
func (q *ackQueue) take() ([]Ack, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out, dropped := q.q, q.dropped
	q.q, q.dropped = nil, 0
	return out, dropped
}

// ackLoop moves queued acknowledgements to the Acks channel.
func (n *Node) ackLoop() {
	defer n.wg.Done()
	defer n.catchPanic()
	for {
		select {
		case <-n.quit:
			return
		case <-n.ackq.wake:
		}
		batch, dropped := n.ackq.take()
		if dropped > 0 {
			n.log.Warn("acknowledgements dropped: nobody read them", "count", dropped)
		}
		for _, a := range batch {
			select {
			case n.acks <- a:
			case <-n.quit:
				return
			}
		}
	}
}

// Bounds of what we remember about batches sent to a confirming peer.
const (
	ackWindow         = time.Minute // a batch not acknowledged by then never will be
	maxTrackedBatches = 512         // per peer
)

// sentBatch is a code-1 message written to a confirming peer.
type sentBatch struct {
	own    [][32]byte // envelopes of it that we posted
	sentAt time.Time
}

// sentBatches maps the hashes of batches written to one peer to what they
// carried, until the peer acknowledges them or ackWindow passes.
type sentBatches struct {
	mu    sync.Mutex
	m     map[[32]byte]*sentBatch
	order [][32]byte // insertion order, for expiry; may name removed batches
}

// add remembers batch hash; it forgets expired batches and, past
// maxTrackedBatches, the oldest ones.
func (s *sentBatches) add(hash [32]byte, own [][32]byte, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[[32]byte]*sentBatch)
	}
	for len(s.order) > 0 {
		head := s.order[0]
		b := s.m[head]
		if b != nil && now.Sub(b.sentAt) < ackWindow && len(s.order) < maxTrackedBatches {
			break
		}
		delete(s.m, head)
		s.order = s.order[1:]
	}
	if _, dup := s.m[hash]; !dup {
		s.order = append(s.order, hash)
	}
	s.m[hash] = &sentBatch{own: own, sentAt: now}
}

// take removes and returns the batch with hash, or nil.
func (s *sentBatches) take(hash [32]byte, now time.Time) *sentBatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.m[hash]
	if b == nil {
		return nil
	}
	delete(s.m, hash)
	if now.Sub(b.sentAt) >= ackWindow {
		return nil
	}
	return b
}

// ownEnvelopes remembers the envelopes this node posted, until they
// expire, so that acknowledgements name only those. They are looked up by
// the first bytes of their encoding (which include the start of the
// ciphertext, random for every envelope), so that a relay's large batches
// are not hashed envelope by envelope just to find none of ours.
type ownEnvelopes struct {
	mu sync.Mutex
	m  map[ownPrefix]ownEnvelope
}

// ownPrefixLen covers an envelope's header and at least 40 bytes of its data.
const ownPrefixLen = 64

type ownPrefix [ownPrefixLen]byte

type ownEnvelope struct {
	hash  [32]byte
	until time.Time // when to forget it
}

func prefixOf(raw []byte) ownPrefix {
	var p ownPrefix
	copy(p[:], raw)
	return p
}

// Bounds of the own-envelope set: it is pruned of expired entries past
// ownPruneAt, and refuses new ones past maxOwnEnvelopes (then those
// envelopes go out unacknowledged, which the caller sees as no ack).
const (
	ownPruneAt      = 1024
	maxOwnEnvelopes = 1 << 16
	ownGrace        = 30 * time.Second // past the envelope's expiry
)

// add remembers the envelope encoded as raw until expiry (plus a grace);
// false if the set is full.
func (o *ownEnvelopes) add(raw []byte, expiry time.Time, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = make(map[ownPrefix]ownEnvelope)
	}
	if len(o.m) >= ownPruneAt {
		for p, e := range o.m {
			if now.After(e.until) {
				delete(o.m, p)
			}
		}
	}
	if len(o.m) >= maxOwnEnvelopes {
		return false
	}
	o.m[prefixOf(raw)] = ownEnvelope{hash: crypto.Keccak256Hash(raw), until: expiry.Add(ownGrace)}
	return true
}

func (o *ownEnvelopes) remove(raw []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, prefixOf(raw))
}

// filter returns the hashes of the envelopes in raws that are ours.
func (o *ownEnvelopes) filter(raws []rlp.RawValue) [][32]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.m) == 0 {
		return nil
	}
	var out [][32]byte
	for _, raw := range raws {
		e, ok := o.m[prefixOf(raw)]
		if !ok {
			continue
		}
		if h := crypto.Keccak256Hash(raw); h == e.hash {
			out = append(out, h)
		}
	}
	return out
}
