package whisper

import (
	"crypto/ecdsa"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// pollInterval is how often the delivery loop empties whisperv6's filters.
// whisperv6 v1.9.15 filters can only be polled (Filter.Retrieve); an empty
// poll is a lock and a map swap per filter, so a short interval costs
// little and keeps delivery latency well under what a person notices.
const pollInterval = 15 * time.Millisecond

// Received is a decrypted message of one of our subscriptions.
type Received struct {
	Subscription string           // id returned by Subscribe*
	Topic        [4]byte          // envelope topic
	Payload      []byte           // the message payload (padding and signature removed)
	Signer       *ecdsa.PublicKey // nil if unsigned
	EnvelopeHash [32]byte         // keccak256 of the RLP envelope
	Sent         time.Time        // envelope send time (Expiry − TTL)
	Direct       bool             // came from a mailserver (code 127), not gossip
}

// subscription is one installed whisperv6 filter and the key it opens.
type subscription struct {
	id     string
	topic  whisperv6.TopicType
	symKey []byte            // or
	key    *ecdsa.PrivateKey // exactly one is set
	filter *whisperv6.Filter
}

// subscriptions indexes the node's filters by id (for delivery) and by
// topic (for the plaintext guard).
type subscriptions struct {
	// installMu orders installs and removals of a filter with the guard's
	// view of keys (see subscribe and Unsubscribe).
	installMu sync.Mutex

	mu      sync.RWMutex
	byID    map[string]*subscription
	byTopic map[whisperv6.TopicType][]*subscription
}

func (s *subscriptions) init() {
	s.byID = make(map[string]*subscription)
	s.byTopic = make(map[whisperv6.TopicType][]*subscription)
}

func (s *subscriptions) empty() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byTopic) == 0
}

// forTopic returns the subscriptions on topic.
func (s *subscriptions) forTopic(topic whisperv6.TopicType) []*subscription {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byTopic[topic]
}

// all returns every subscription that has an id.
func (s *subscriptions) all() []*subscription {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*subscription, 0, len(s.byID))
	for _, sub := range s.byID {
		out = append(out, sub)
	}
	return out
}

// active reports whether sub is still installed.
func (s *subscriptions) active(sub *subscription) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[sub.id] == sub
}

func (s *subscriptions) addToTopic(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byTopic[sub.topic] = append(s.byTopic[sub.topic], sub)
}

func (s *subscriptions) removeFromTopic(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.byTopic[sub.topic]
	kept := make([]*subscription, 0, len(list))
	for _, other := range list {
		if other != sub {
			kept = append(kept, other)
		}
	}
	if len(kept) == 0 {
		delete(s.byTopic, sub.topic)
	} else {
		s.byTopic[sub.topic] = kept
	}
}

// SubscribeSym delivers messages on topic encrypted with symKey (32
// bytes), including those a mailserver sends directly.
func (n *Node) SubscribeSym(topic [4]byte, symKey []byte) (string, error) {
	if len(symKey) != 32 {
		return "", fmt.Errorf("subscribe %x: symmetric key is %d bytes, want 32", topic, len(symKey))
	}
	key := append([]byte(nil), symKey...)
	return n.subscribe(&subscription{topic: whisperv6.TopicType(topic), symKey: key},
		&whisperv6.Filter{KeySym: key})
}

// SubscribeAsym delivers messages on topic encrypted to key's public key,
// including those a mailserver sends directly.
func (n *Node) SubscribeAsym(topic [4]byte, key *ecdsa.PrivateKey) (string, error) {
	if key == nil || key.D == nil || !whisperv6.ValidatePublicKey(&key.PublicKey) {
		return "", fmt.Errorf("subscribe %x: invalid private key", topic)
	}
	return n.subscribe(&subscription{topic: whisperv6.TopicType(topic), key: key},
		&whisperv6.Filter{KeyAsym: key})
}

func (n *Node) subscribe(sub *subscription, f *whisperv6.Filter) (string, error) {
	f.Topics = [][]byte{append([]byte(nil), sub.topic[:]...)}
	f.AllowP2P = true
	sub.filter = f

	n.subs.installMu.Lock()
	defer n.subs.installMu.Unlock()
	// The guard learns the key before whisperv6 can open anything with it.
	n.subs.addToTopic(sub)
	id, err := n.shh.Subscribe(f)
	if err != nil {
		n.subs.removeFromTopic(sub)
		return "", fmt.Errorf("subscribe %x: %w", sub.topic, err)
	}
	sub.id = id
	n.subs.mu.Lock()
	n.subs.byID[id] = sub
	n.subs.mu.Unlock()
	return id, nil
}

// Unsubscribe removes a subscription; its undelivered messages are lost,
// though one already taken from the filter may still arrive just after.
func (n *Node) Unsubscribe(id string) error {
	n.subs.installMu.Lock()
	defer n.subs.installMu.Unlock()
	n.subs.mu.Lock()
	sub := n.subs.byID[id]
	delete(n.subs.byID, id)
	n.subs.mu.Unlock()
	if sub == nil {
		return fmt.Errorf("unsubscribe %q: no such subscription", id)
	}
	if err := n.shh.Unsubscribe(id); err != nil {
		return fmt.Errorf("unsubscribe %q: %w", id, err)
	}
	// Only now: whisperv6 no longer opens envelopes with this key.
	n.subs.removeFromTopic(sub)
	return nil
}

// deliverLoop moves decrypted messages from the filters to Received. A
// full channel holds the loop (and leaves messages in the filters) rather
// than dropping them.
func (n *Node) deliverLoop() {
	defer n.wg.Done()
	defer n.catchPanic()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-n.quit:
			return
		case <-ticker.C:
		}
		for _, sub := range n.subs.all() {
			if !n.subs.active(sub) {
				continue // unsubscribed since the snapshot
			}
			for _, m := range sub.filter.Retrieve() {
				r := Received{
					Subscription: sub.id,
					Topic:        [4]byte(m.Topic),
					Payload:      append([]byte(nil), m.Payload...),
					Signer:       m.Src,
					EnvelopeHash: m.EnvelopeHash,
					Sent:         time.Unix(int64(m.Sent), 0),
					Direct:       n.direct.contains(m.EnvelopeHash),
				}
				select {
				case n.received <- r:
				case <-n.quit:
					return
				}
			}
		}
	}
}

// directMemory is how many code-127 envelope hashes are remembered to set
// Received.Direct: more than a few full history pages.
const directMemory = 16384

// hashRing is a bounded set of envelope hashes; the oldest are forgotten.
type hashRing struct {
	mu   sync.Mutex
	set  map[common.Hash]struct{}
	ring []common.Hash
	next int
}

func newHashRing(size int) *hashRing {
	return &hashRing{set: make(map[common.Hash]struct{}, size), ring: make([]common.Hash, 0, size)}
}

func (h *hashRing) add(hash common.Hash) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.set[hash]; ok {
		return
	}
	if len(h.ring) < cap(h.ring) {
		h.ring = append(h.ring, hash)
	} else {
		delete(h.set, h.ring[h.next])
		h.ring[h.next] = hash
		h.next = (h.next + 1) % len(h.ring)
	}
	h.set[hash] = struct{}{}
}

func (h *hashRing) contains(hash common.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.set[hash]
	return ok
}
