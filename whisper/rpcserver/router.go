package rpcserver

import (
	"context"
	"crypto/ecdsa"
	"log/slog"
	"sync"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/whisper"
)

// subQueue bounds the deliveries waiting for one RPC subscriber. A
// subscriber that falls this far behind has its subscription ended (and
// logged) rather than stall the node for every peer and subscriber.
const subQueue = 8192

// passBuffer is the Passthrough channel's size, as the node's own.
const passBuffer = 4096

// rpcSub is one shh_subscribe("messages") of a caller.
type rpcSub struct {
	id       rpc.ID
	tag      string // the caller's name for it (hushTag), "" if none
	nodeSubs []string
	signer   *ecdsa.PublicKey // only messages signed by this key; nil: any
	allowP2P bool             // also messages a mailserver sent directly
	dst      []byte           // our public key, for asymmetric subscriptions
	queue    chan whisper.Received
	dead     chan struct{} // closed when the router gave up on it
	once     sync.Once

	// Guarded by the router's mu.
	queued, sent uint64
}

func (rs *rpcSub) kill() { rs.once.Do(func() { close(rs.dead) }) }

func (rs *rpcSub) isDead() bool {
	select {
	case <-rs.dead:
		return true
	default:
		return false
	}
}

// accepts applies the criteria the node's subscription does not.
func (rs *rpcSub) accepts(r whisper.Received) bool {
	if r.Direct && !rs.allowP2P {
		return false
	}
	if rs.signer != nil && (r.Signer == nil || !r.Signer.Equal(rs.signer)) {
		return false
	}
	return true
}

// Message is a notification of shh_subscribe("messages"): whisperv6's
// Message in the same JSON, plus hushDirect, true when a mailserver sent
// the envelope directly (history), which stock nodes do not say. hush does
// not keep an envelope's TTL, padding or PoW with a delivery; they are zero.
type Message struct {
	Sig       hexutil.Bytes       `json:"sig,omitempty"`
	TTL       uint32              `json:"ttl"`
	Timestamp uint32              `json:"timestamp"`
	Topic     whisperv6.TopicType `json:"topic"`
	Payload   hexutil.Bytes       `json:"payload"`
	Padding   hexutil.Bytes       `json:"padding"`
	PoW       float64             `json:"pow"`
	Hash      hexutil.Bytes       `json:"hash"`
	Dst       hexutil.Bytes       `json:"recipientPublicKey,omitempty"`
	Direct    bool                `json:"hushDirect,omitempty"`
}

func (rs *rpcSub) message(r whisper.Received) *Message {
	m := &Message{
		Timestamp: uint32(r.Sent.Unix()),
		Topic:     whisperv6.TopicType(r.Topic),
		Payload:   r.Payload,
		Hash:      append([]byte(nil), r.EnvelopeHash[:]...),
		Dst:       rs.dst,
		Direct:    r.Direct,
	}
	if r.Signer != nil {
		m.Sig = crypto.FromECDSAPub(r.Signer)
	}
	return m
}

// router reads the node's deliveries and queues each for the RPC
// subscription it belongs to. Every subscriber has its own goroutine and
// queue, so a slow connection holds back nobody else.
type router struct {
	node *whisper.Node
	log  *slog.Logger
	pass chan whisper.Received // nil without Passthrough

	mu      sync.Mutex
	byNode  map[string]*rpcSub // node subscription id → RPC subscription
	byTag   map[string]*rpcSub
	all     map[*rpcSub]bool
	changed chan struct{} // closed and replaced when a count moves

	barriers chan barrierReq
}

func newRouter(node *whisper.Node, passthrough bool, log *slog.Logger) *router {
	rt := &router{
		node:    node,
		log:     log,
		byNode:  make(map[string]*rpcSub),
		byTag:   make(map[string]*rpcSub),
		all:     make(map[*rpcSub]bool),
		changed: make(chan struct{}),
		// Buffered: a barrier asked while the router routes still
		// covers everything the node delivered before it.
		barriers: make(chan barrierReq, 4),
	}
	if passthrough {
		rt.pass = make(chan whisper.Received, passBuffer)
	}
	return rt
}

func (rt *router) run(quit <-chan struct{}) {
	for {
		select {
		case <-quit:
			return
		case r := <-rt.node.Received():
			rt.route(r, quit)
		case req := <-rt.barriers:
			rt.answer(req, quit)
		}
	}
}

func (rt *router) route(r whisper.Received, quit <-chan struct{}) {
	rt.mu.Lock()
	rs := rt.byNode[r.Subscription]
	if rs != nil && rs.accepts(r) {
		select {
		case rs.queue <- r:
			rs.queued++
		default:
			rt.log.Warn("rpc subscriber too slow; its subscription ended", "subscription", string(rs.id), "queued", subQueue)
			rs.kill()
		}
	}
	rt.mu.Unlock()
	if rs == nil && rt.pass != nil {
		select {
		case rt.pass <- r:
		case <-quit:
		}
	}
}

// signal wakes the waiters of barrier; callers hold mu.
func (rt *router) signal() {
	close(rt.changed)
	rt.changed = make(chan struct{})
}

func (rt *router) add(rs *rpcSub) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, id := range rs.nodeSubs {
		rt.byNode[id] = rs
	}
	if rs.tag != "" {
		rt.byTag[rs.tag] = rs
	}
	rt.all[rs] = true
}

// remove forgets rs and ends its node subscriptions.
func (rt *router) remove(rs *rpcSub) {
	rt.mu.Lock()
	if !rt.all[rs] {
		rt.mu.Unlock()
		return
	}
	delete(rt.all, rs)
	for _, id := range rs.nodeSubs {
		delete(rt.byNode, id)
	}
	if rt.byTag[rs.tag] == rs {
		delete(rt.byTag, rs.tag)
	}
	rs.kill()
	rt.signal()
	rt.mu.Unlock()
	for _, id := range rs.nodeSubs {
		if err := rt.node.Unsubscribe(id); err != nil {
			rt.log.Debug("rpc: end node subscription", "err", err)
		}
	}
}

func (rt *router) closeAll() {
	rt.mu.Lock()
	subs := make([]*rpcSub, 0, len(rt.all))
	for rs := range rt.all {
		subs = append(subs, rs)
	}
	rt.mu.Unlock()
	for _, rs := range subs {
		rt.remove(rs)
	}
}

// sent counts a notification written to the caller.
func (rt *router) sent(rs *rpcSub) {
	rt.mu.Lock()
	rs.sent++
	rt.signal()
	rt.mu.Unlock()
}

// barrierReq asks the router goroutine to route everything the node
// has delivered so far, then to report how many deliveries the tagged
// subscriptions have queued.
type barrierReq struct {
	tags  []string
	reply chan map[*rpcSub]uint64
}

// barrier waits until everything the node delivered before the call has
// been routed, and every delivery queued for the tagged subscriptions has
// been written to its caller. It returns, per tag, how many notifications
// that subscription has sent in all, so that a caller can tell when it has
// read every one of them (PROTOCOL.md §10).
func (rt *router) barrier(ctx context.Context, tags []string) (map[string]uint64, error) {
	req := barrierReq{tags: tags, reply: make(chan map[*rpcSub]uint64, 1)}
	var queued map[*rpcSub]uint64
	select {
	case rt.barriers <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case queued = <-req.reply:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := make(map[string]uint64, len(tags))
	for rs, n := range queued {
		if err := rt.wait(ctx, func() bool { return rs.sent >= n || rs.isDead() }); err != nil {
			return nil, err
		}
		rt.mu.Lock()
		out[rs.tag] = rs.sent
		rt.mu.Unlock()
	}
	return out, nil
}

// answer routes what the node has delivered up to now (the router is its
// only reader, so nothing is in flight) and snapshots the tagged
// subscriptions' queued counts.
func (rt *router) answer(req barrierReq, quit <-chan struct{}) {
	for range len(rt.node.Received()) {
		select {
		case r := <-rt.node.Received():
			rt.route(r, quit)
		case <-quit:
			return
		}
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make(map[*rpcSub]uint64, len(req.tags))
	for _, tag := range req.tags {
		if rs := rt.byTag[tag]; rs != nil {
			out[rs] = rs.queued
		}
	}
	req.reply <- out
}

// wait blocks until done (called with mu held) is true or ctx ends.
func (rt *router) wait(ctx context.Context, done func() bool) error {
	for {
		rt.mu.Lock()
		ok := done()
		ch := rt.changed
		rt.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
