package rpcnode

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/whisper"
)

// spec is one subscription of the session: what it asks for, and its
// shh_subscribe on the current connection.
type spec struct {
	id     string
	topic  [4]byte
	symKey []byte            // or
	key    *ecdsa.PrivateKey // exactly one is set

	mu   sync.Mutex
	live *liveSub // nil until made on a connection
}

// liveSub is a spec's subscription on one connection.
type liveSub struct {
	gen  uint64
	tag  string // hushTag: unique per connection, for history counts
	sub  *rpc.ClientSubscription
	msgs chan *message
	done chan struct{}

	mu       sync.Mutex
	received uint64 // notifications handed to the session
	changed  chan struct{}
}

// message is a notification of shh_subscribe("messages"): whisperv6's
// Message JSON, plus hushDirect from hush serve (history); stock nodes
// leave it out.
type message struct {
	Sig       hexutil.Bytes       `json:"sig"`
	Timestamp uint32              `json:"timestamp"`
	Topic     whisperv6.TopicType `json:"topic"`
	Payload   hexutil.Bytes       `json:"payload"`
	Hash      hexutil.Bytes       `json:"hash"`
	Direct    bool                `json:"hushDirect"`
	Ended     string              `json:"hushEnded"` // hush serve gave up on this subscription
}

// SubscribeSym delivers messages on topic encrypted with symKey (32 bytes).
// It succeeds while the node is away: the subscription is made when it is
// back.
func (n *Node) SubscribeSym(topic [4]byte, symKey []byte) (string, error) {
	if len(symKey) != 32 {
		return "", fmt.Errorf("subscribe %x: symmetric key is %d bytes, want 32", topic, len(symKey))
	}
	return n.subscribe(&spec{topic: topic, symKey: append([]byte(nil), symKey...)})
}

// SubscribeAsym delivers messages on topic encrypted to key's public key.
// The private key goes to the node (shh_addPrivateKey).
func (n *Node) SubscribeAsym(topic [4]byte, key *ecdsa.PrivateKey) (string, error) {
	if key == nil || key.D == nil {
		return "", fmt.Errorf("subscribe %x: invalid private key", topic)
	}
	return n.subscribe(&spec{topic: topic, key: key})
}

func (n *Node) subscribe(s *spec) (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("subscribe %x: %w", s.topic, err)
	}
	s.id = hex.EncodeToString(id[:])
	n.mu.Lock()
	n.subs[s.id] = s
	n.topics[s.topic]++
	c := n.conn
	n.mu.Unlock()
	if c != nil {
		if err := n.subscribeOn(c, s); err != nil {
			// The connection is failing: the watcher redials, and the
			// subscription is made then.
			n.log.Warn("subscribe on node failed; will subscribe after reconnecting", "topic", fmt.Sprintf("%x", s.topic), "err", err)
			n.connectionLost()
		}
	}
	return s.id, nil
}

// Unsubscribe ends a subscription.
func (n *Node) Unsubscribe(id string) error {
	n.mu.Lock()
	s := n.subs[id]
	if s != nil {
		delete(n.subs, id)
		if n.topics[s.topic]--; n.topics[s.topic] <= 0 {
			delete(n.topics, s.topic)
		}
	}
	n.mu.Unlock()
	if s == nil {
		return fmt.Errorf("unsubscribe %q: no such subscription", id)
	}
	s.mu.Lock()
	live := s.live
	s.live = nil
	s.mu.Unlock()
	if live != nil {
		live.sub.Unsubscribe()
	}
	return nil
}

// subscribeOn makes s's subscription on connection c, unless it has one
// there already.
func (n *Node) subscribeOn(c *conn, s *spec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live != nil && s.live.gen == c.gen {
		return nil
	}
	crit := map[string]any{
		"topics":   []hexutil.Bytes{s.topic[:]},
		"allowP2P": true, // history comes as direct (p2p) envelopes
		"hushTag":  fmt.Sprintf("%s-%d", s.id, c.gen),
	}
	if s.key != nil {
		id, err := n.keyPairID(c, s.key)
		if err != nil {
			return err
		}
		crit["privateKeyID"] = id
	} else {
		id, err := n.symKeyID(c, s.symKey)
		if err != nil {
			return err
		}
		crit["symKeyID"] = id
	}
	live := &liveSub{
		gen:     c.gen,
		tag:     crit["hushTag"].(string),
		msgs:    make(chan *message, 64),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout)
	defer cancel()
	sub, err := c.client.ShhSubscribe(ctx, live.msgs, "messages", crit)
	if err != nil {
		return fmt.Errorf("shh_subscribe %x: %w", s.topic, err)
	}
	live.sub = sub
	s.live = live
	n.wg.Add(1)
	go n.forward(s, live)
	return nil
}

// forward hands a subscription's notifications to the session until it
// ends; an end the session did not ask for means the connection failed.
func (n *Node) forward(s *spec, live *liveSub) {
	defer n.wg.Done()
	defer close(live.done)
	defer live.sub.Unsubscribe()
	for {
		select {
		case <-n.quit:
			return
		case err, ok := <-live.sub.Err():
			if ok && err != nil {
				n.log.Debug("subscription ended", "topic", fmt.Sprintf("%x", s.topic), "err", err)
				n.connectionLost()
			}
			return
		case m := <-live.msgs:
			if m != nil && m.Ended != "" {
				n.log.Warn("the node ended a subscription", "topic", fmt.Sprintf("%x", s.topic), "why", m.Ended)
				n.connectionLost()
				return
			}
			if r, ok := n.toReceived(s, m); ok {
				select {
				case n.received <- r:
				case <-n.quit:
					return
				}
			}
			live.mu.Lock()
			live.received++
			close(live.changed)
			live.changed = make(chan struct{})
			live.mu.Unlock()
		}
	}
}

// toReceived checks a notification's fields (the node is another process;
// its output is input) and makes it a delivery.
func (n *Node) toReceived(s *spec, m *message) (whisper.Received, bool) {
	if m == nil || len(m.Hash) != 32 || whisperv6.TopicType(s.topic) != m.Topic {
		n.log.Warn("node sent a malformed message; dropped", "topic", fmt.Sprintf("%x", s.topic))
		return whisper.Received{}, false
	}
	r := whisper.Received{
		Subscription: s.id,
		Topic:        s.topic,
		Payload:      m.Payload,
		EnvelopeHash: [32]byte(m.Hash),
		Sent:         time.Unix(int64(m.Timestamp), 0),
		Direct:       m.Direct,
	}
	if len(m.Sig) > 0 {
		pub, err := crypto.UnmarshalPubkey(m.Sig)
		if err != nil {
			n.log.Warn("node sent a message with a bad signer key; dropped", "err", err)
			return whisper.Received{}, false
		}
		r.Signer = pub
	}
	return r, true
}

// waitReceived waits until the subscription tagged tag has handed the
// session count notifications, or ctx ends.
func (n *Node) waitReceived(ctx context.Context, tag string, count uint64) error {
	n.mu.Lock()
	var live *liveSub
	for _, s := range n.subs {
		s.mu.Lock()
		if s.live != nil && s.live.tag == tag {
			live = s.live
		}
		s.mu.Unlock()
	}
	n.mu.Unlock()
	if live == nil {
		return nil // unsubscribed meanwhile
	}
	for {
		live.mu.Lock()
		got, ch := live.received, live.changed
		live.mu.Unlock()
		if got >= count {
			return nil
		}
		select {
		case <-ch:
		case <-live.done:
			return fmt.Errorf("subscription ended before its history arrived")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// keyPairID registers key with the node once per connection.
func (n *Node) keyPairID(c *conn, key *ecdsa.PrivateKey) (string, error) {
	return n.keyID(c, "k"+string(crypto.FromECDSA(key)), "shh_addPrivateKey", hexutil.Bytes(crypto.FromECDSA(key)))
}

// symKeyID registers a symmetric key with the node once per connection.
func (n *Node) symKeyID(c *conn, key []byte) (string, error) {
	return n.keyID(c, "s"+string(key), "shh_addSymKey", hexutil.Bytes(key))
}

func (n *Node) keyID(c *conn, cacheKey, method string, arg any) (string, error) {
	c.mu.Lock()
	id, ok := c.keyIDs[cacheKey]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout)
	defer cancel()
	if err := c.client.CallContext(ctx, &id, method, arg); err != nil {
		return "", fmt.Errorf("%s: %w", method, err)
	}
	c.mu.Lock()
	c.keyIDs[cacheKey] = id
	c.mu.Unlock()
	return id, nil
}
