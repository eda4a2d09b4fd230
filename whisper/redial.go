package whisper

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

// p2p's dialer redials static peers too, but never within 35 s of its last
// attempt (its dial history), which is long for a chat client whose relay
// or mailserver just restarted. The redialer dials dropped static peers
// itself with a short, growing backoff and hands the connection to the
// server's normal handshake (p2p.Server.SetupConn).
const (
	redialFirst      = 500 * time.Millisecond // first retry after a drop
	redialMax        = 30 * time.Second       // backoff ceiling
	redialStartDelay = 3 * time.Second        // p2p makes the first dial at start (unless InboundOnly)
	redialTick       = 250 * time.Millisecond
	redialTimeout    = 10 * time.Second // TCP connect
)

type redialer struct {
	n     *Node
	mu    sync.Mutex
	state map[enode.ID]*redialState
}

type redialState struct {
	next    time.Time
	backoff time.Duration
	dialing bool
}

func newRedialer(n *Node) *redialer {
	return &redialer{n: n, state: make(map[enode.ID]*redialState)}
}

// dropped schedules a quick redial of id, if it is a static peer.
func (r *redialer) dropped(id enode.ID) {
	if !r.n.isStatic(id) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state[id]
	if st == nil {
		st = &redialState{}
		r.state[id] = st
	}
	st.backoff = redialFirst
	st.next = time.Now().Add(redialFirst)
}

func (r *redialer) loop() {
	defer r.n.wg.Done()
	defer r.n.catchPanic()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ticker := time.NewTicker(redialTick)
	defer ticker.Stop()
	for {
		select {
		case <-r.n.quit:
			return
		case <-ticker.C:
		}
		now := time.Now()
		for _, node := range r.n.staticPeers() {
			if r.n.link(node.ID()) != nil {
				r.mu.Lock()
				if st := r.state[node.ID()]; st != nil && !st.dialing {
					delete(r.state, node.ID())
				}
				r.mu.Unlock()
				continue
			}
			if r.due(node.ID(), now) {
				r.n.wg.Add(1)
				go r.dial(ctx, node)
			}
		}
	}
}

// due reports whether id should be dialed now and marks it as dialing.
func (r *redialer) due(id enode.ID, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state[id]
	if st == nil {
		st = &redialState{backoff: redialFirst, next: now.Add(redialStartDelay)}
		if r.n.cfg.InboundOnly {
			st.next = now // devp2p does not dial: no first dial to wait for
		}
		r.state[id] = st
	}
	if st.dialing || now.Before(st.next) {
		return false
	}
	st.dialing = true
	return true
}

func (r *redialer) dial(ctx context.Context, node *enode.Node) {
	defer r.n.wg.Done()
	defer r.n.catchPanic()
	err := r.connect(ctx, node)

	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state[node.ID()]
	if st == nil {
		return
	}
	st.dialing = false
	if err != nil {
		r.n.log.Debug("redial failed", "peer", node.ID().TerminalString(), "retry_in", st.backoff, "err", err)
		st.next = time.Now().Add(st.backoff)
		st.backoff = min(2*st.backoff, redialMax)
	}
}

func (r *redialer) connect(ctx context.Context, node *enode.Node) error {
	if node.IP() == nil || node.TCP() == 0 {
		return errNoAddress
	}
	addr := net.JoinHostPort(node.IP().String(), strconv.Itoa(node.TCP()))
	d := net.Dialer{Timeout: redialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	// 0: no connection flags (not inbound, not from p2p's dialer).
	return r.n.srv.SetupConn(r.n.wrap(conn), 0, node)
}
