package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/whisper"
	"hush/whisper/mailformat"
)

const (
	// maxGap is the history limit: how far back a catch-up reaches. A
	// mailserver keeps about this much and hush serve takes ranges no
	// wider; older history is there for /history.
	maxGap = 7 * 24 * time.Hour
	// defaultMaxRange is the widest range a request asks for until a
	// server refuses narrower: hush serve's default --max-range.
	defaultMaxRange = 7 * 24 * time.Hour
	// recentFirst is what a catch-up fetches first when away longer than
	// maxGap, so the newest messages show within seconds.
	recentFirst = time.Hour
	// driftSlack widens every range for TTL and clock drift between us and
	// the senders.
	driftSlack = 20 * time.Second
	// upperMargin pushes the upper bound past now: envelopes sent while the
	// request travels are still included.
	upperMargin = 60 * time.Second
	// pageLimit is how many envelopes we ask for per page.
	pageLimit = 1000
	// maxPages bounds the pages of one request: at pageLimit that is
	// half a million envelopes, far more than a week of a busy chat.
	maxPages = 500
	// requestDeadline bounds one request with all its pages, and
	// pageDeadline one page of a request that pages (a geth-format request
	// is one page and has only the request's deadline). A server that
	// trickles an envelope every few seconds keeps a page alive past any
	// silence timeout; these stop it.
	requestDeadline = 5 * time.Minute
	pageDeadline    = 45 * time.Second
	// pageRetries is how often a silent page is asked again.
	pageRetries = 3
	// connectWait is how long a request waits for a mailserver to connect
	// (at start, the request is queued before the dial completes).
	connectWait = 30 * time.Second
	// connectPoll is how often the wait looks again.
	connectPoll = 250 * time.Millisecond
	// rateLimitWait and rateLimitRetries: how a rate-limited page is asked
	// again (a peer regains one request per second on hush's server).
	rateLimitWait    = 1100 * time.Millisecond
	rateLimitRetries = 10
	// clockTick is how often the clock watch looks at the wall clock, and
	// clockJump how much more than a tick must pass between two looks for
	// the process to count as stopped or suspended, or the clock as
	// changed.
	clockTick = 5 * time.Second
	clockJump = 20 * time.Second
	// retryFirst and retryMax bound the back-off between failed catch-ups.
	retryFirst = 30 * time.Second
	retryMax   = 15 * time.Minute
)

// Mailserver is a history server we may ask.
type Mailserver struct {
	Node   *enode.Node
	Format mailformat.Format
}

// ParseMailserver reads an enode URL; "?format=geth" selects geth's
// request format instead of status-go's.
func ParseMailserver(raw string) (Mailserver, error) {
	raw = strings.TrimSpace(raw)
	// "enode://…?discport=0" as hush serve prints it, with "?format=geth"
	// pasted after it: read the second "?" as "&".
	if i := strings.Index(raw, "?"); i >= 0 {
		raw = raw[:i+1] + strings.ReplaceAll(raw[i+1:], "?", "&")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Mailserver{}, fmt.Errorf("mailserver %q: %w", raw, err)
	}
	ms := Mailserver{Format: mailformat.FormatStatus}
	q := u.Query()
	switch f := q.Get("format"); f {
	case "", "status":
	case "geth":
		ms.Format = mailformat.FormatGeth
	default:
		return Mailserver{}, fmt.Errorf("mailserver %q: format %q: want status or geth", raw, f)
	}
	q.Del("format")
	u.RawQuery = q.Encode()
	if ms.Node, err = enode.Parse(enode.ValidSchemes, u.String()); err != nil {
		return Mailserver{}, fmt.Errorf("mailserver %q: %w", raw, err)
	}
	return ms, nil
}

// syncTuning holds the syncer's limits. They are the constants above;
// tests shrink them.
type syncTuning struct {
	pageLimit       uint32
	maxPages        int
	requestDeadline time.Duration
	pageDeadline    time.Duration
	connectWait     time.Duration
	clockTick       time.Duration
	clockJump       time.Duration
	retryFirst      time.Duration
	maxRange        time.Duration
}

func defaultTuning() syncTuning {
	return syncTuning{
		pageLimit:       pageLimit,
		maxPages:        maxPages,
		requestDeadline: requestDeadline,
		pageDeadline:    pageDeadline,
		connectWait:     connectWait,
		clockTick:       clockTick,
		clockJump:       clockJump,
		retryFirst:      retryFirst,
		maxRange:        defaultMaxRange,
	}
}

// syncer asks mailservers for history, one request at a time. It owns the
// catch-up: whenever we may have missed something (a mailserver connects
// again, the node had no peers, the process was stopped or the clock
// jumped), it asks for everything since each chat's synced-to mark. A
// /join's or /history's request goes before a catch-up and between its
// pages, so a long catch-up cannot starve them.
type syncer struct {
	m      *Manager
	tune   syncTuning
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	urgent   chan *job       // /join and /history
	wake     chan struct{}   // cap 1: a catch-up is wanted; triggers coalesce here
	barriers chan barrierReq // to the receive loop, see askBarrier

	mu       sync.Mutex
	conns    map[enode.ID]whisper.Conn // the connection last seen of each mailserver
	hadPeers bool

	// maxRange is the widest range each mailserver takes, narrowed by its
	// refusals. Only the loop goroutine touches it.
	maxRange map[enode.ID]time.Duration
}

func newSyncer(m *Manager) *syncer {
	ctx, cancel := context.WithCancel(context.Background())
	return &syncer{
		m:      m,
		tune:   defaultTuning(),
		ctx:    ctx,
		cancel: cancel,
		urgent: make(chan *job, 64),
		wake:   make(chan struct{}, 1),
		// Buffered: a barrier asked while the receive loop stores a batch
		// still covers everything before it (see receiveLoop).
		barriers: make(chan barrierReq, 4),
		conns:    make(map[enode.ID]whisper.Conn),
		maxRange: make(map[enode.ID]time.Duration),
	}
}

func (s *syncer) start() {
	if len(s.m.cfg.Mailservers) == 0 {
		return
	}
	for _, ms := range s.m.cfg.Mailservers {
		s.m.cfg.Node.AddPeer(ms.Node)
	}
	s.wg.Add(2)
	go s.loop()
	go s.watchClock()
	// A mailserver connected already is caught up with now; one that
	// connects later triggers it then.
	if s.noteConnections() {
		s.trigger("start")
	}
}

func (s *syncer) stop() {
	s.cancel()
	s.wg.Wait()
}

// trigger asks for a catch-up. While one runs, at most one more waits:
// triggers that come meanwhile are the same request.
func (s *syncer) trigger(why string) {
	select {
	case s.wake <- struct{}{}:
		s.m.log.Info("history catch-up wanted", "why", why)
	default:
		s.m.log.Debug("history catch-up already queued", "why", why)
	}
}

// peersChanged catches up when a mailserver connected (again) or the node
// has peers after it had none.
func (s *syncer) peersChanged() {
	if len(s.m.cfg.Mailservers) == 0 {
		return
	}
	count := s.m.cfg.Node.PeerCount()
	s.mu.Lock()
	wasAlone := !s.hadPeers
	s.hadPeers = count > 0
	s.mu.Unlock()
	// A reconnection counts even when the peer count went down and up
	// between two looks: the connection is a new one.
	reconnected := s.noteConnections()
	switch {
	case reconnected:
		s.trigger("mailserver connected")
	case wasAlone && count > 0:
		s.trigger("peers again after none")
	}
}

// noteConnections records each mailserver's connection and reports whether
// one of them is new.
func (s *syncer) noteConnections() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := false
	for _, ms := range s.m.cfg.Mailservers {
		id := ms.Node.ID()
		c, ok := s.m.cfg.Node.Connection(id)
		switch {
		case !ok:
			delete(s.conns, id)
		case s.conns[id] != c:
			s.conns[id] = c
			fresh = true
		}
	}
	if s.m.cfg.Node.PeerCount() > 0 {
		s.hadPeers = true
	}
	return fresh
}

// watchClock notices the process being stopped (SIGSTOP, a debugger), the
// machine suspended or the wall clock set: a look at the clock comes much
// later than its tick, by the wall clock or by the monotonic one, or the
// wall clock went back. Anything sent meanwhile was missed.
func (s *syncer) watchClock() {
	defer s.wg.Done()
	defer s.m.catchPanic()
	tick := time.NewTicker(s.tune.clockTick)
	defer tick.Stop()
	lastWall, lastMono := s.m.now().Round(0), time.Now()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		wall, mono := s.m.now().Round(0), time.Now()
		dWall, dMono := wall.Sub(lastWall), mono.Sub(lastMono)
		lastWall, lastMono = wall, mono
		if clockJumped(dWall, dMono, s.tune.clockTick, s.tune.clockJump) {
			s.m.log.Info("clock jumped or the process was stopped", "wall", dWall, "monotonic", dMono)
			s.trigger("clock jumped")
		}
	}
}

// clockJumped tells, from the wall and monotonic time between two ticks,
// whether the process may have missed something: it was stopped or the
// machine slept (the monotonic clock stops in suspend on Linux, the wall
// clock does not; both run on under SIGSTOP), or the wall clock was set
// either way.
func clockJumped(dWall, dMono, tick, jump time.Duration) bool {
	late := tick + jump
	return dWall > late || dMono > late || dWall < -jump
}

// loop runs jobs one at a time: /join and /history first, then catch-ups.
// A failed catch-up is tried again after a back-off that doubles up to
// retryMax; any trigger also tries it again.
func (s *syncer) loop() {
	defer s.wg.Done()
	defer s.m.catchPanic()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	var retryC <-chan time.Time
	backoff := s.tune.retryFirst
	for {
		select {
		case j := <-s.urgent:
			s.run(j)
			continue
		default:
		}
		select {
		case <-s.ctx.Done():
			return
		case j := <-s.urgent:
			s.run(j)
			continue
		case <-s.wake:
		case <-retryC:
		}
		err := s.catchUp()
		retry.Stop()
		retryC = nil
		switch {
		case err == nil || s.ctx.Err() != nil:
			backoff = s.tune.retryFirst
		case errors.Is(err, whisper.ErrNotConnected):
			// Its connection will trigger the next one.
		default:
			s.m.log.Info("history catch-up failed; trying again later", "in", backoff, "err", err)
			retry.Reset(backoff)
			retryC = retry.C
			backoff = min(2*backoff, retryMax)
		}
	}
}
