package mailserver

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// Defaults for the zero fields of Config.
const (
	DefaultMinPoW       = 0.002
	DefaultRateLimit    = time.Second
	DefaultRateBurst    = 10
	DefaultRetention    = 30 * 24 * time.Hour
	DefaultMaxRange     = 7 * 24 * time.Hour
	DefaultRequestLimit = 2000
)

// RangeTolerance is how much longer than MaxRange a request's time range
// may be and still be served. Clients widen week-long windows by a minute
// or two for clock drift and envelopes in flight; refusing those would
// cost them a round trip and a halved window for nothing. A refusal
// still states MaxRange as the limit to plan for (see mailformat.IsRangeTooLong).
const RangeTolerance = 5 * time.Minute

// Archive queue tuning: the queue absorbs bursts while the writer commits
// in batches, so one SQLite transaction covers many envelopes.
const (
	archiveQueueSize     = 4096
	archiveBatchSize     = 256
	archiveFlushInterval = 50 * time.Millisecond
)

// Archive is the envelope store. hush has two: its SQLite store (the
// embedded default) and a PostgreSQL archive several servers can share
// (PROTOCOL.md §11). Keys are Key(...) values, compared bytewise; an
// envelope's hash fixes its key, so a key already stored is the same
// envelope and two servers writing one archive store it once.
type Archive interface {
	// ArchivePut stores the pairs, ignoring keys already present.
	ArchivePut(keys, raws [][]byte) error
	// ArchiveRead returns, in ascending key order, at most limit stored
	// pairs with from <= key < to whose topic (the key's last 4 bytes) is
	// one of topics; nil topics means any topic. It reads no more rows
	// than it returns, give or take an index probe per topic.
	ArchiveRead(from, to []byte, topics [][]byte, limit int) (keys, raws [][]byte, err error)
	// ArchiveTopics returns the distinct topics stored, in any order; it
	// may include topics whose envelopes have all been pruned.
	ArchiveTopics() ([][]byte, error)
}

// Sender is the node's way to reach a peer (implemented by the parent whisper.Node).
type Sender interface {
	// SendArchived sends one envelope, given as its RLP encoding, with code 127.
	SendArchived(peerID []byte, raw []byte) error
	// SendCompletion sends code 125; the sender RLP-encodes payload as a byte string.
	SendCompletion(peerID []byte, payload []byte) error
}

// Config tunes a Server. Zero fields take the Default* values; a negative
// MinPoW, RateLimit, MaxRange or Retention turns that check off.
type Config struct {
	SymKey       []byte        // 32-byte key from --mailserver-password (PBKDF2 as whisperv6.AddSymKeyFromPassword)
	MinPoW       float64       // request envelopes below this are refused
	RateLimit    time.Duration // a peer regains one request per RateLimit; past its burst it gets ERROR= "rate limited"
	RateBurst    int           // requests a peer may make back to back (following a cursor through pages)
	MaxRange     time.Duration // Upper−Lower above this (plus RangeTolerance) gets an ERROR= reply
	DefaultLimit uint32        // envelopes per page when the request says 0; also the most a request may ask
	Retention    time.Duration // archived envelopes older than this are dropped (hourly), if the archive is a Pruner
	Logger       *slog.Logger
	PeerCount    func() int       // connected peers, for Stats; nil = unknown
	Now          func() time.Time // for tests; nil = time.Now
}

func (c Config) withDefaults() Config {
	if c.MinPoW == 0 {
		c.MinPoW = DefaultMinPoW
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.MaxRange == 0 {
		c.MaxRange = DefaultMaxRange
	}
	if c.DefaultLimit == 0 {
		c.DefaultLimit = DefaultRequestLimit
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.SymKey = append([]byte(nil), c.SymKey...)
	return c
}

// Server archives envelopes and answers history requests. It implements
// whisperv6.MailServer; both of its methods return at once and leave the
// work to goroutines owned by the Server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	archive Archive
	sender  Sender

	counters counters
	refusals *refusalLog

	queue chan archiveItem
	// queueMu orders Archive's sends before the writer's last drain: Stop
	// sets queueClosed under the write lock, then closes sealed, and the
	// writer drains one last time only after that.
	queueMu       sync.RWMutex
	queueClosed   bool
	sealed        chan struct{}
	waiting       atomic.Int64 // Archive calls waiting for room now
	waitsLogged   uint64       // counters.archiveWaits when the writer last logged it
	waitsLoggedAt time.Time    // and when
	failMu        sync.Mutex
	lastFailure   time.Time     // when the last failed archive write began
	stopping      chan struct{} // closed by Stop
	writerDone    chan struct{} // closed when the writer has flushed and exited

	sizeMu        sync.Mutex // guards the cached archive size
	sizeEnvelopes int64
	sizeBytes     int64
	sizeAt        time.Time

	mu       sync.Mutex
	started  bool
	stopped  bool
	inFlight map[string]bool   // peers with a request being served
	buckets  map[string]bucket // for the per-peer rate limit
	issued   map[string]issued // the cursor last handed to each peer, with its request
	serving  sync.WaitGroup
}

var _ whisperv6.MailServer = (*Server)(nil)

// New makes a Server; call Start before handing it to whisper.
func New(cfg Config, archive Archive, sender Sender) *Server {
	return newServer(cfg, archive, sender, archiveQueueSize)
}

func newServer(cfg Config, archive Archive, sender Sender, queueSize int) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		archive:    archive,
		sender:     sender,
		refusals:   newRefusalLog(cfg.Logger),
		queue:      make(chan archiveItem, queueSize),
		sealed:     make(chan struct{}),
		stopping:   make(chan struct{}),
		writerDone: make(chan struct{}),
		inFlight:   map[string]bool{},
		buckets:    map[string]bucket{},
		issued:     map[string]issued{},
	}
	if len(cfg.SymKey) != 32 {
		s.log.Error("mailserver key is not 32 bytes; every request will fail to decrypt", "len", len(cfg.SymKey))
	}
	return s
}

// Start launches the archive writer. Calling it again does nothing.
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	go s.writeArchive()
	s.serving.Add(1)
	go s.reportLoop()
	if p, ok := s.archive.(Pruner); ok && s.cfg.Retention > 0 {
		s.serving.Add(1)
		go s.pruneLoop(p)
	}
}

// Stop refuses new work, waits for requests being served to end (they stop
// early), and writes out the archive queue, including envelopes whose
// Archive call was waiting for room. Envelopes handed to Archive after Stop
// are not stored. Calling it again does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	started := s.started
	s.mu.Unlock()

	close(s.stopping)
	s.serving.Wait()
	s.queueMu.Lock()
	s.queueClosed = true
	s.queueMu.Unlock()
	close(s.sealed)
	if started {
		<-s.writerDone
	} else {
		s.flush(s.drainQueue(nil))
		s.report(&Stats{}, true)
	}
}

func (s *Server) isStopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}
