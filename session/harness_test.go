package session

import (
	"crypto/ecdsa"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/store"
	"hush/whisper"
)

// waitTimeout bounds every wait in these tests; conditions are polled. It
// is generous because a wait ends as soon as its condition holds: only a
// failing test pays for it, while a short bound fails good code on a busy
// machine under the race detector.
const waitTimeout = 60 * time.Second

// client is one hush instance: identity, node, store and session.
type client struct {
	t       *testing.T
	dir     string
	id      *ecdsa.PrivateKey
	nodeKey *ecdsa.PrivateKey
	node    *whisper.Node
	store   *store.Store
	mgr     *Manager
	events  *recorder
}

type clientOptions struct {
	peers       []*enode.Node
	mailservers []Mailserver
	now         func() time.Time
	logger      *slog.Logger
	identity    *ecdsa.PrivateKey // nil: a fresh key
	password    string            // mailserver password; "" means the default
	tune        func(*syncTuning) // shrinks history sync's limits for a test
	wrapStore   func(Store) Store // wraps the store the session uses (to inject faults)
	minPoW      float64           // the node's minimum PoW; 0 means whisper.DefaultMinPoW
	wrapNode    func(Node) Node   // wraps the node the session uses (to count posts)
	openWorkers int               // the node's history open workers; 0 means one per core
}

func newClient(t *testing.T, opts clientOptions) *client {
	t.Helper()
	id := opts.identity
	if id == nil {
		var err error
		if id, err = crypto.GenerateKey(); err != nil {
			t.Fatal(err)
		}
	}
	nodeKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, dir: t.TempDir(), id: id, nodeKey: nodeKey}
	c.start(opts)
	t.Cleanup(c.stop)
	return c
}

// start opens the store and starts node and session; restart calls it again
// on the same data dir.
func (c *client) start(opts clientOptions) {
	t := c.t
	t.Helper()
	st, err := store.Open(filepath.Join(c.dir, "hush.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: c.nodeKey, Peers: opts.peers, MinPoW: opts.minPoW,
		OpenWorkers: opts.openWorkers})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	var sessionStore Store = st
	if opts.wrapStore != nil {
		sessionStore = opts.wrapStore(st)
	}
	var sessionNode Node = node
	if opts.wrapNode != nil {
		sessionNode = opts.wrapNode(node)
	}
	mgr, err := New(Config{Identity: c.id, Node: sessionNode, Store: sessionStore, Mailservers: opts.mailservers, Now: opts.now, Logger: opts.logger,
		MailserverPassword: opts.password})
	if err != nil {
		t.Fatal(err)
	}
	if opts.tune != nil {
		opts.tune(&mgr.sync.tune)
	}
	c.node, c.store, c.mgr = node, st, mgr
	c.events = record(mgr.Events())
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
}

func (c *client) stop() {
	if c.mgr == nil {
		return
	}
	c.mgr.Stop()
	c.node.Stop()
	c.events.stop()
	if err := c.store.Close(); err != nil {
		c.t.Errorf("close store: %v", err)
	}
	c.mgr = nil
}

func (c *client) restart(opts clientOptions) {
	c.stop()
	c.start(opts)
}

func (c *client) key() string { return codec.PublicKeyHex(&c.id.PublicKey) }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitPeers waits until every client has at least n peers.
func waitPeers(t *testing.T, n int, cs ...*client) {
	t.Helper()
	for _, c := range cs {
		waitFor(t, "peers", func() bool { return c.node.PeerCount() >= n })
	}
}

// texts returns the texts of a chat's newest messages in display order.
func (c *client) texts(chatID string) []string {
	ms, err := c.mgr.Latest(chatID, 1000)
	if err != nil {
		c.t.Fatal(err)
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

// recorder keeps every event a session emitted.
type recorder struct {
	mu     sync.Mutex
	events []Event
	done   chan struct{}
	wg     sync.WaitGroup
}

func record(ch <-chan Event) *recorder {
	r := &recorder{done: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case ev := <-ch:
				r.mu.Lock()
				r.events = append(r.events, ev)
				r.mu.Unlock()
			case <-r.done:
				return
			}
		}
	}()
	return r
}

func (r *recorder) stop() {
	close(r.done)
	r.wg.Wait()
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// added returns every message announced for a chat, in arrival order.
func (r *recorder) added(chatID string) []Message {
	var out []Message
	for _, ev := range r.all() {
		if ma, ok := ev.(MessagesAdded); ok && ma.ChatID == chatID {
			out = append(out, ma.Messages...)
		}
	}
	return out
}
