package whisper

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

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

// subscription is one key envelopes on a topic are opened with.
type subscription struct {
	id     string
	topic  whisperv6.TopicType
	symKey []byte            // or
	key    *ecdsa.PrivateKey // exactly one is set
}

// sameKey reports whether s and o open the same envelopes.
func (s *subscription) sameKey(o *subscription) bool {
	if s.key != nil || o.key != nil {
		return s.key == o.key
	}
	return string(s.symKey) == string(o.symKey)
}

// subscriptions is the node's table of keys, by id and by topic. These
// keys are hush's alone: whisperv6 never gets them (receive.go).
type subscriptions struct {
	mu      sync.RWMutex
	byID    map[string]*subscription
	byTopic map[whisperv6.TopicType][]*subscription
	// version changes with every subscribe and unsubscribe, so that an
	// envelope opened earlier can tell its result is stale.
	version uint64
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

// forTopic returns the subscriptions on topic (a slice never modified
// afterwards) and the table's version.
func (s *subscriptions) forTopic(topic whisperv6.TopicType) ([]*subscription, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byTopic[topic], s.version
}

// SubscribeSym delivers messages on topic encrypted with symKey (32
// bytes), including those a mailserver sends directly.
func (n *Node) SubscribeSym(topic [4]byte, symKey []byte) (string, error) {
	if len(symKey) != 32 {
		return "", fmt.Errorf("subscribe %x: symmetric key is %d bytes, want 32", topic, len(symKey))
	}
	return n.subscribe(&subscription{topic: whisperv6.TopicType(topic), symKey: append([]byte(nil), symKey...)})
}

// SubscribeAsym delivers messages on topic encrypted to key's public key,
// including those a mailserver sends directly.
func (n *Node) SubscribeAsym(topic [4]byte, key *ecdsa.PrivateKey) (string, error) {
	if key == nil || key.D == nil || !whisperv6.ValidatePublicKey(&key.PublicKey) {
		return "", fmt.Errorf("subscribe %x: invalid private key", topic)
	}
	return n.subscribe(&subscription{topic: whisperv6.TopicType(topic), key: key})
}

func (n *Node) subscribe(sub *subscription) (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("subscribe %x: %w", sub.topic, err)
	}
	sub.id = hex.EncodeToString(id[:])

	s := &n.subs
	s.mu.Lock()
	defer s.mu.Unlock()
	// Copy on write: readers keep the slice they were given.
	list := s.byTopic[sub.topic]
	s.byTopic[sub.topic] = append(list[:len(list):len(list)], sub)
	s.byID[sub.id] = sub
	s.version++
	return sub.id, nil
}

// Unsubscribe removes a subscription. An envelope being opened with its
// key at that moment may still be delivered just after.
func (n *Node) Unsubscribe(id string) error {
	s := &n.subs
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.byID[id]
	if sub == nil {
		return fmt.Errorf("unsubscribe %q: no such subscription", id)
	}
	delete(s.byID, id)
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
	s.version++
	return nil
}
