package rpcnode

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rpc"
)

// run keeps the node connected until Stop: dial, register, watch, and
// after a drop dial again with a back-off that doubles up to BackoffMax.
// The first attempt's outcome goes to first.
func (n *Node) run(first chan<- error) {
	defer n.wg.Done()
	backoff := n.cfg.BackoffMin
	wasUp, toldDown := false, false
	var lastTold time.Time
	for {
		c, err := n.connect()
		if first != nil {
			first <- err
			first = nil
		}
		if err != nil {
			// Said when the outage begins, then again now and then (the
			// status line shows a notice for a few seconds only), not at
			// every try.
			if !toldDown || time.Since(lastTold) >= stillDownEvery {
				n.notice(fmt.Sprintf("node %s unreachable (%v%s); trying again", redact(n.cfg.URL), err, hint(err)), true)
				toldDown, lastTold = true, time.Now()
			}
			n.log.Debug("dial node failed", "err", err, "retry", backoff)
			select {
			case <-n.quit:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, n.cfg.BackoffMax)
			continue
		}
		backoff = n.cfg.BackoffMin
		if wasUp || toldDown {
			n.notice("node "+redact(n.cfg.URL)+" is back", false)
		}
		wasUp, toldDown = true, false
		err = n.watch(c)
		n.down(c)
		if err == nil { // Stop
			return
		}
		n.log.Warn("lost the node", "err", err)
		n.notice(fmt.Sprintf("lost node %s (%v); messages wait until it is back", redact(n.cfg.URL), err), true)
		toldDown, lastTold = true, time.Now()
	}
}

// stillDownEvery is how often the user hears again that the node is still
// unreachable.
const stillDownEvery = 30 * time.Second

// hint says what a refusal by the node's access check means.
func hint(err error) string {
	switch msg := err.Error(); {
	case strings.Contains(msg, "401"):
		return "; the node wants a token: ws://hush:TOKEN@host:port"
	case strings.Contains(msg, "403"):
		return "; the node takes callers from its own machine only"
	}
	return ""
}

// connect dials the node and sets the connection up: what it offers, who
// it is, its static peers and every subscription.
func (n *Node) connect() (*conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.DialTimeout)
	defer cancel()
	var (
		client *rpc.Client
		err    error
	)
	if strings.HasPrefix(n.cfg.URL, "ws://") || strings.HasPrefix(n.cfg.URL, "wss://") {
		client, err = rpc.DialWebsocket(ctx, n.cfg.URL, "")
	} else {
		client, err = rpc.DialIPC(ctx, strings.TrimPrefix(n.cfg.URL, "ipc://"))
	}
	if err != nil {
		return nil, err
	}
	c := &conn{client: client, keyIDs: make(map[string]string)}
	if err := n.probe(c); err != nil {
		client.Close()
		return nil, err
	}
	n.mu.Lock()
	n.gen++
	c.gen = n.gen
	n.conn = c
	statics := make([]*enode.Node, 0, len(n.static))
	for _, s := range n.static {
		statics = append(statics, s)
	}
	specs := make([]*spec, 0, len(n.subs))
	for _, s := range n.subs {
		specs = append(specs, s)
	}
	n.mu.Unlock()
	for _, s := range statics {
		n.addPeer(c, s)
	}
	for _, s := range specs {
		if err := n.subscribeOn(c, s); err != nil {
			n.mu.Lock()
			n.conn = nil
			n.mu.Unlock()
			client.Close()
			return nil, fmt.Errorf("subscribe again: %w", err)
		}
	}
	n.countPeers(c)
	n.log.Info("connected to node", "url", redact(n.cfg.URL), "connection", c.gen, "admin", c.admin, "history", c.history)
	return c, nil
}

// probe asks what the node offers: its modules (rpc_modules), and who it is
// (admin_nodeInfo, when its admin API is open).
func (n *Node) probe(c *conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout)
	defer cancel()
	var version string
	if err := c.client.CallContext(ctx, &version, "shh_version"); err != nil {
		return fmt.Errorf("no Whisper API (shh_version: %w)", err)
	}
	var modules map[string]string
	if err := c.client.CallContext(ctx, &modules, "rpc_modules"); err == nil {
		_, c.history = modules["shhext"]
		_, c.admin = modules["admin"]
	}
	var info p2p.NodeInfo
	if c.admin {
		if err := c.client.CallContext(ctx, &info, "admin_nodeInfo"); err != nil {
			c.admin = false
		} else if self, err := enode.Parse(enode.ValidSchemes, info.Enode); err == nil {
			n.mu.Lock()
			n.self = self
			n.mu.Unlock()
		}
	}
	return nil
}

// watch counts the node's peers every PeerPoll until a call fails or a
// subscription ends by itself (an error), or Stop (nil).
func (n *Node) watch(c *conn) error {
	tick := time.NewTicker(n.cfg.PeerPoll)
	defer tick.Stop()
	for {
		select {
		case <-n.quit:
			return nil
		case <-n.lost:
			// A subscription ended that nobody ended: the connection broke,
			// or the client dropped it for falling behind. Either way its
			// messages may be lost, so start afresh: a new connection
			// subscribes everything again, and the session catches up.
			if err := n.ping(c); err != nil {
				return err
			}
			return errors.New("a subscription ended")
		case <-tick.C:
			if err := n.countPeers(c); err != nil {
				return err
			}
		}
	}
}

// ping checks the connection with a cheap call.
func (n *Node) ping(c *conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout)
	defer cancel()
	var version string
	return c.client.CallContext(ctx, &version, "shh_version")
}

// countPeers updates the peer count and each peer's connection number from
// admin_peers; without it, the node counts as one peer.
func (n *Node) countPeers(c *conn) error {
	if !c.admin {
		if err := n.ping(c); err != nil {
			return err
		}
		n.mu.Lock()
		n.setPeers(1)
		n.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout)
	defer cancel()
	var peers []struct {
		ID string `json:"id"`
	}
	if err := c.client.CallContext(ctx, &peers, "admin_peers"); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	now := make(map[enode.ID]bool, len(peers))
	for _, p := range peers {
		id, err := enode.ParseID(p.ID)
		if err != nil {
			continue
		}
		now[id] = true
		if _, ok := n.seen[id]; !ok {
			// A peer seen again after a gap is a new connection to it.
			n.seen[id] = n.nextSeq()
		}
	}
	for id := range n.seen {
		if !now[id] {
			delete(n.seen, id)
		}
	}
	n.setPeers(len(now))
	return nil
}

// nextSeq numbers peer connections; callers hold mu.
func (n *Node) nextSeq() uint64 {
	n.seq++
	return n.seq
}

// down forgets a connection that ended: the peer count is zero, the
// subscriptions wait to be made again.
func (n *Node) down(c *conn) {
	c.client.Close()
	n.mu.Lock()
	if n.conn == c {
		n.conn = nil
	}
	clear(n.seen)
	n.setPeers(0)
	n.mu.Unlock()
	select {
	case <-n.lost:
	default:
	}
}

// connectionLost is a subscription's report that its connection ended.
func (n *Node) connectionLost() {
	select {
	case n.lost <- struct{}{}:
	default:
	}
}

// current is the live connection, or an error saying there is none.
func (n *Node) current() (*conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn == nil {
		return nil, errNotConnected
	}
	return n.conn, nil
}

var errNotConnected = errors.New("not connected to the node")
