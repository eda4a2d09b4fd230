package whisper

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"hush/codec"
	"hush/whisper/droplog"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// Defaults applied by New.
const (
	DefaultMaxPeers = 50
	DefaultMinPoW   = 0.002
	DefaultName     = "hush"
)

// Buffer sizes of the channels handed to callers.
const (
	receivedBuffer    = 4096
	peerChangesBuffer = 16
	acksBuffer        = 1024
)

// Config configures a Node.
type Config struct {
	ListenAddr string            // e.g. ":30303"; "" does not listen (outbound only)
	NodeKey    *ecdsa.PrivateKey // devp2p key (required); also signs history requests
	Peers      []*enode.Node     // static peers: dialed at start and redialed after a drop
	MaxPeers   int               // 0 → DefaultMaxPeers
	MinPoW     float64           // 0 → DefaultMinPoW; envelopes below it are refused
	// InboundOnly gives every peer slot to inbound connections: devp2p
	// itself dials nobody (it would otherwise hold a third of the slots
	// for its dials) and static peers are dialed by the node's redialer.
	// For a relay (hush serve), which peers dial.
	InboundOnly bool
	Name        string       // devp2p client name; "" → DefaultName
	Logger      *slog.Logger // nil discards
	// OnPanic receives a panic of one of the node's goroutines (with its
	// stack); nil lets the panic end the process.
	OnPanic func(value any, stack []byte)
	// OpenWorkers is how many goroutines read (recover the signers of) a
	// history page's envelopes, per mailserver peer; 0 → GOMAXPROCS. With
	// 1 the peer's stream reader opens them itself, one at a time, the
	// path a catch-up took before it used every core (kept for the
	// benchmark that compares the two).
	OpenWorkers int
	// StockTransport leaves accepting and dialing to p2p.Server, whose
	// rlpx connections make a system call per piece of each message, as
	// go-ethereum's nodes do; otherwise they are coalesced (coalesce.go).
	// Kept for the benchmark that runs geth's mailserver as it ships.
	StockTransport bool
}

// Node is a Whisper v6 node. Create it with New, then Start it once.
type Node struct {
	cfg Config
	log *slog.Logger
	shh *whisperv6.Whisper
	srv *p2p.Server

	mu      sync.Mutex
	started bool
	stopped bool
	static  map[enode.ID]*enode.Node
	links   map[enode.ID]*link

	subs subscriptions
	recv receiver // hush's receive side: opening, screening, delivery (receive.go)

	received    chan Received
	peerChanges chan int
	acks        chan Ack
	ackq        *ackQueue    // feeds acks (ack.go)
	own         ownEnvelopes // envelopes we posted, so acks name only those
	unsent      *droplog.Log // envelopes too large to send to any peer (split.go)

	// unsolicitedDirect counts code-127 envelopes dropped because we had
	// not asked the peer; read by tests.
	unsolicitedDirect atomic.Int64

	offlineInboxKey func() []byte
	redial          *redialer

	quit     chan struct{}
	wg       sync.WaitGroup
	listener net.Listener // nil: outbound only
	stopOnce sync.Once
}

// New builds a node; nothing touches the network until Start.
func New(cfg Config) (*Node, error) {
	if cfg.NodeKey == nil {
		return nil, errors.New("new whisper node: node key is required")
	}
	if cfg.MaxPeers == 0 {
		cfg.MaxPeers = DefaultMaxPeers
	}
	if cfg.MinPoW == 0 {
		cfg.MinPoW = DefaultMinPoW
	}
	if cfg.MinPoW < 0 {
		return nil, fmt.Errorf("new whisper node: negative minimum PoW %v", cfg.MinPoW)
	}
	if cfg.OpenWorkers < 0 {
		return nil, fmt.Errorf("new whisper node: negative open workers %d", cfg.OpenWorkers)
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	n := &Node{
		cfg:         cfg,
		log:         logger,
		static:      make(map[enode.ID]*enode.Node),
		links:       make(map[enode.ID]*link),
		received:    make(chan Received, receivedBuffer),
		peerChanges: make(chan int, peerChangesBuffer),
		acks:        make(chan Ack, acksBuffer),
		ackq:        newAckQueue(),
		unsent:      droplog.New(logger, droplog.DefaultWindow),
		quit:        make(chan struct{}),
	}
	n.subs.init()
	n.recv.init(n)
	n.offlineInboxKey = sync.OnceValue(func() []byte { return codec.SymKeyFromPassword(OfflineInboxPassword) })

	// The minimum PoW goes in through the config rather than
	// SetMinimumPoW, which would leave a goroutine sleeping for 10 s.
	n.shh = whisperv6.New(&whisperv6.Config{
		MaxMessageSize:     whisperv6.DefaultMaxMessageSize,
		MinimumAcceptedPOW: cfg.MinPoW,
	})
	// Every envelope whisperv6 pools passes the hook, which delivers it.
	n.shh.RegisterServer(poolHook{n})

	for _, p := range cfg.Peers {
		if p != nil {
			n.static[p.ID()] = p
		}
	}
	n.redial = newRedialer(n)
	return n, nil
}

// RegisterMailServer makes this node answer history requests (code 126)
// with ms. Call it before Start.
func (n *Node) RegisterMailServer(ms whisperv6.MailServer) {
	n.recv.mailserver = ms // behind the node's own hook (receive.go)
}

// Start starts whisperv6, the devp2p server and the node's loops. A node
// starts once; Start after Stop is an error.
func (n *Node) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started || n.stopped {
		return errors.New("start whisper node: already started or stopped")
	}

	proto := n.shh.Protocols()[0]
	runWhisper := proto.Run
	proto.Run = func(peer *p2p.Peer, rw p2p.MsgReadWriter) error {
		return n.runPeer(peer, rw, runWhisper)
	}

	statics := make([]*enode.Node, 0, len(n.static))
	for _, p := range n.static {
		statics = append(statics, p)
	}
	srv := &p2p.Server{Config: p2p.Config{
		PrivateKey:  n.cfg.NodeKey,
		MaxPeers:    n.cfg.MaxPeers,
		Name:        n.cfg.Name,
		Dialer:      n.dialer(),
		ListenAddr:  n.stockListenAddr(),
		NoDiscovery: true,
		NoDial:      n.cfg.InboundOnly,
		NAT:         nil, // never map ports: no packets to routers or the Internet
		StaticNodes: statics,
		Protocols:   []p2p.Protocol{proto},
	}}

	// A failed start leaves the node unusable: whisperv6 cannot restart.
	n.stopped = true
	if err := n.shh.Start(srv); err != nil {
		return fmt.Errorf("start whisper: %w", err)
	}
	var ln net.Listener
	if n.cfg.ListenAddr != "" && !n.cfg.StockTransport {
		var err error
		if ln, err = listen(n.cfg.ListenAddr); err != nil {
			n.stopWhisper()
			return fmt.Errorf("start devp2p listener: %w", err)
		}
	}
	if err := srv.Start(); err != nil {
		if ln != nil {
			ln.Close()
		}
		n.stopWhisper()
		return fmt.Errorf("start devp2p server: %w", err)
	}
	n.srv = srv
	n.listener = ln
	n.started, n.stopped = true, false

	if ln != nil {
		announcePort(srv, ln)
		n.wg.Add(1)
		go n.acceptLoop(ln)
	}
	n.wg.Add(2)
	go n.redial.loop()
	go n.ackLoop()
	n.log.Info("whisper node started", "enode", n.srv.Self().URLv4(), "static_peers", len(statics))
	return nil
}

// Stop disconnects all peers and stops the node. It is idempotent.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		n.mu.Lock()
		n.stopped = true
		started := n.started
		n.mu.Unlock()
		if !started {
			return
		}
		close(n.quit)
		if n.listener != nil {
			n.listener.Close()
		}
		n.srv.Stop()
		n.wg.Wait()
		n.stopWhisper()
		n.log.Info("whisper node stopped")
	})
}

// stopWhisper stops whisperv6 without waiting: after a bloom filter change
// whisperv6 keeps a goroutine asleep for 10 s that its Stop waits for, and
// quitting hush must not hang on it. Its queue and expiry loops end at once.
func (n *Node) stopWhisper() {
	go func() {
		if err := n.shh.Stop(); err != nil {
			n.log.Warn("stop whisper", "err", err)
		}
	}()
}

// Enode is this node's record; after Start it carries the real TCP port.
func (n *Node) Enode() *enode.Node {
	n.mu.Lock()
	srv := n.srv
	n.mu.Unlock()
	if srv == nil {
		return enode.NewV4(&n.cfg.NodeKey.PublicKey, nil, 0, 0)
	}
	return srv.Self()
}

// AddPeer adds a static peer: it is dialed now (or at Start) and redialed
// after every drop.
func (n *Node) AddPeer(node *enode.Node) {
	if node == nil {
		return
	}
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return
	}
	n.static[node.ID()] = node
	srv := n.srv
	n.mu.Unlock()
	if srv != nil {
		srv.AddPeer(node)
	}
}

// PeerCount is the number of connected peers speaking shh/6.
func (n *Node) PeerCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.links)
}

// PeerChanges yields the new peer count after each connect and drop. When
// the reader falls behind, older counts are dropped; the latest is kept.
// The channel is never closed.
func (n *Node) PeerChanges() <-chan int {
	return n.peerChanges
}

// Received yields decrypted messages of all subscriptions. The channel is
// never closed; stop reading after Stop.
//
// Ordering: the envelopes of a history page are put on this channel
// before the completion that follows them on the peer's stream is read,
// so when RequestHistory returns a page (status format, which ends with a
// completion), every envelope it accepted for that page is already in the
// channel or taken from it. A geth-format page ends after a quiet period
// instead, which delivering its envelopes keeps from starting; they are in
// the channel too unless the reader left it full for longer than that
// period.
//
// The node waits while the channel is full: the peer whose envelopes are
// being delivered is held back (nothing is dropped), so a reader that
// stops reading stalls delivery until it reads again or the node stops.
func (n *Node) Received() <-chan Received {
	return n.received
}

// Whisper is the underlying whisperv6 instance, for tests and benchmarks.
func (n *Node) Whisper() *whisperv6.Whisper {
	return n.shh
}

// notePeerCount publishes count on peerChanges, replacing stale counts the
// reader has not taken yet. Callers hold n.mu, which keeps counts in order.
func (n *Node) notePeerCount(count int) {
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

// isStatic reports whether id is one of our static peers.
func (n *Node) isStatic(id enode.ID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.static[id]
	return ok
}

// staticPeers is a snapshot of the static peer set.
func (n *Node) staticPeers() []*enode.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*enode.Node, 0, len(n.static))
	for _, p := range n.static {
		out = append(out, p)
	}
	return out
}

// ErrNotConnected means the peer asked for is not connected (yet).
var ErrNotConnected = errors.New("mailserver not connected")

var (
	errNotRunning = errors.New("whisper node is not running")
	errNoAddress  = errors.New("static peer has no IP address or TCP port")
)
