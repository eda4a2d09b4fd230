package rpcnode

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rpc"

	"hush/whisper"
)

// Defaults of Config's zero fields.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultCallTimeout = 30 * time.Second
	DefaultPeerPoll    = 2 * time.Second
	DefaultBackoffMin  = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
)

// Buffer sizes of the channels handed to the session, as the embedded
// node's.
const (
	receivedBuffer    = 4096
	peerChangesBuffer = 16
	acksBuffer        = 4096
	noticesBuffer     = 16
)

// ErrNoHistory is RequestHistory's answer on a node without shhext.
var ErrNoHistory = errors.New("this node has no mailserver history (vanilla geth)")

// Config configures a Node.
type Config struct {
	URL         string // ws://…, wss://… or the path of an IPC socket
	DialTimeout time.Duration
	CallTimeout time.Duration // bounds each call but history requests
	PeerPoll    time.Duration // how often the node's peers are counted
	BackoffMin  time.Duration // first wait before dialling again
	BackoffMax  time.Duration
	Logger      *slog.Logger
}

// Node is a remote Whisper node. Create it with New, Start it once, Stop it
// when done.
type Node struct {
	cfg Config
	log *slog.Logger

	received    chan whisper.Received
	peerChanges chan int
	acks        chan whisper.Ack
	notices     chan whisper.Notice
	lost        chan struct{} // cap 1: a subscription saw the connection end

	mu      sync.Mutex
	conn    *conn // nil while disconnected
	gen     uint64
	self    *enode.Node // the remote node, from admin_nodeInfo
	peers   int
	seen    map[enode.ID]uint64 // peer → connection number, from admin_peers
	seq     uint64
	static  map[enode.ID]*enode.Node
	subs    map[string]*spec
	topics  map[[4]byte]int // subscribed topics, for history requests
	started bool
	stopped bool

	quit chan struct{}
	wg   sync.WaitGroup
}

// conn is one connection to the node and what was registered on it.
type conn struct {
	client  *rpc.Client
	gen     uint64
	admin   bool              // admin_peers answers
	history bool              // shhext is offered
	keyIDs  map[string]string // private or symmetric key bytes → the node's id
	mu      sync.Mutex        // guards keyIDs
}

// New builds a node; nothing is dialled until Start.
func New(cfg Config) (*Node, error) {
	if cfg.URL == "" {
		return nil, errors.New("rpc node: no URL")
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.PeerPoll <= 0 {
		cfg.PeerPoll = DefaultPeerPoll
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Node{
		cfg:         cfg,
		log:         cfg.Logger,
		received:    make(chan whisper.Received, receivedBuffer),
		peerChanges: make(chan int, peerChangesBuffer),
		acks:        make(chan whisper.Ack, acksBuffer),
		notices:     make(chan whisper.Notice, noticesBuffer),
		lost:        make(chan struct{}, 1),
		seen:        make(map[enode.ID]uint64),
		static:      make(map[enode.ID]*enode.Node),
		subs:        make(map[string]*spec),
		topics:      make(map[[4]byte]int),
		quit:        make(chan struct{}),
	}, nil
}

// Start dials the node, waiting up to the dial timeout for a first
// connection, and keeps it connected from then on. A node that cannot be
// reached yet is no error: it is dialled again until Stop.
func (n *Node) Start() error {
	n.mu.Lock()
	if n.started || n.stopped {
		n.mu.Unlock()
		return errors.New("rpc node: already started or stopped")
	}
	n.started = true
	n.mu.Unlock()
	first := make(chan error, 1)
	n.wg.Add(1)
	go n.run(first)
	select {
	case err := <-first:
		if err != nil {
			n.log.Warn("node not reachable yet; dialling again", "url", redact(n.cfg.URL), "err", err)
		}
	case <-time.After(n.cfg.DialTimeout + n.cfg.CallTimeout):
	}
	return nil
}

// Stop closes the connection and ends the node's goroutines.
func (n *Node) Stop() {
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return
	}
	n.stopped = true
	started := n.started
	n.mu.Unlock()
	if !started {
		return
	}
	close(n.quit)
	n.wg.Wait()
}

// Connected reports whether the node is connected now.
func (n *Node) Connected() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conn != nil
}

// HasHistory reports whether the connected node answers history requests.
func (n *Node) HasHistory() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conn != nil && n.conn.history
}

// Enode is the remote node's record (admin_nodeInfo); nil when it was
// never learnt.
func (n *Node) Enode() *enode.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.self
}

// AddPeer asks the node to keep node as a static peer (admin_addPeer),
// now and after every reconnection.
func (n *Node) AddPeer(node *enode.Node) {
	if node == nil {
		return
	}
	n.mu.Lock()
	n.static[node.ID()] = node
	c := n.conn
	n.mu.Unlock()
	if c != nil {
		n.addPeer(c, node)
	}
}

func (n *Node) addPeer(c *conn, node *enode.Node) {
	if self := n.Enode(); self != nil && self.ID() == node.ID() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout)
	defer cancel()
	if err := c.client.CallContext(ctx, nil, "admin_addPeer", node.URLv4()); err != nil {
		n.log.Info("node did not add a peer (its admin API may be off)", "peer", node.ID().TerminalString(), "err", err)
	}
}

// PeerCount is the node's peer count (admin_peers); a node that does not
// answer admin_peers counts as one peer while connected, itself. 0 while
// disconnected.
func (n *Node) PeerCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.peers
}

// PeerChanges yields the new peer count after each change; older counts
// are dropped when the reader falls behind.
func (n *Node) PeerChanges() <-chan int { return n.peerChanges }

// Notices yields news for the user: the node went away or came back.
func (n *Node) Notices() <-chan whisper.Notice { return n.notices }

// Connection tells whether peer id is reachable through the node, and
// which connection that is: a new value after the node or the peer
// reconnected. The node itself counts as connected while the RPC
// connection is up; without admin_peers, so does any peer.
func (n *Node) Connection(id enode.ID) (whisper.Conn, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.conn
	if c == nil {
		return whisper.Conn{}, false
	}
	if (n.self != nil && n.self.ID() == id) || !c.admin {
		return whisper.RemoteConn(n.gen << 32), true
	}
	seq, ok := n.seen[id]
	if !ok {
		return whisper.Conn{}, false
	}
	return whisper.RemoteConn(n.gen<<32 | seq), true
}

// Acks yields an acknowledgement for each post the node took while it had
// peers (Confirmed false: the node relays; nobody confirmed storing it).
func (n *Node) Acks() <-chan whisper.Ack { return n.acks }

// Received yields decrypted messages of all subscriptions; the node waits
// while it is full.
func (n *Node) Received() <-chan whisper.Received { return n.received }

// setPeers publishes a new peer count; callers hold mu.
func (n *Node) setPeers(count int) {
	if count == n.peers {
		return
	}
	n.peers = count
	for range peerChangesBuffer + 1 {
		select {
		case n.peerChanges <- count:
			return
		default:
		}
		select {
		case <-n.peerChanges:
		default:
		}
	}
}

// notice publishes news for the user, dropping the oldest when nobody
// reads.
func (n *Node) notice(text string, isErr bool) {
	nt := whisper.Notice{Text: text, Err: isErr}
	for range noticesBuffer + 1 {
		select {
		case n.notices <- nt:
			return
		default:
		}
		select {
		case <-n.notices:
		default:
		}
	}
}

// redact hides a token in a URL's user part for logs and notices.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		return scheme + "://…@" + rest[at+1:]
	}
	return url
}
