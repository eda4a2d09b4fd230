package whisper

import (
	"runtime"
	"sync/atomic"

	"hush/whisper/droplog"
)

// A history catch-up is bound by reading its envelopes: recovering each
// signer (secp256k1) costs far more than the devp2p read and the
// decryption before it. A peer's direct envelopes are therefore read by a
// pool of workers, one per core (Config.OpenWorkers), and put back in
// stream order by one deliverer, so that Received() gets a page in the
// order the server sent it (key order: send time, then hash) whatever
// worker finished first. Workers recover signers with pure-Go code,
// which scales with the cores where cgo does not (recover.go).

// openPool reads one peer's direct envelopes on several goroutines and
// delivers them in the order they were handed over. It starts with the
// peer's first direct envelope and ends with the peer.
type openPool struct {
	jobs    chan openJob     // to the workers
	order   chan chan opened // each job's result slot, in stream order, to the deliverer
	pending atomic.Int64     // handed over, not yet delivered
	drained chan struct{}    // a token when pending reached zero
}

// openJob is one envelope to read and the slot its result goes to.
type openJob struct {
	d   decrypted
	out chan opened // cap 1
}

// openWorkers is how many goroutines read a peer's direct envelopes.
func (n *Node) openWorkers() int {
	if n.cfg.OpenWorkers > 0 {
		return n.cfg.OpenWorkers
	}
	return max(1, runtime.GOMAXPROCS(0))
}

// startOpenPool starts the workers and the deliverer of a pool for l.
func (n *Node) startOpenPool(l *link, drops *droplog.Log, workers int) *openPool {
	p := &openPool{
		jobs:    make(chan openJob, directQueue),
		order:   make(chan chan opened, directQueue),
		drained: make(chan struct{}, 1),
	}
	for range workers {
		n.wg.Add(1)
		go n.openWorker(l, p)
	}
	n.wg.Add(1)
	go n.deliverOpened(l, p, drops)
	return p
}

// handOver queues d: its slot first, so the deliverer waits for it in
// turn, then the job. False when the node stopped.
func (p *openPool) handOver(n *Node, d decrypted) bool {
	out := make(chan opened, 1)
	p.pending.Add(1)
	select {
	case p.order <- out:
	case <-n.quit:
		return false
	}
	select {
	case p.jobs <- openJob{d: d, out: out}:
		return true
	case <-n.quit:
		return false
	}
}

// openWorker reads envelopes until the peer or the node goes.
func (n *Node) openWorker(l *link, p *openPool) {
	defer n.wg.Done()
	defer n.catchPanic()
	for {
		select {
		case job := <-p.jobs:
			job.out <- job.d.read(recoverPureGo)
		case <-l.closed:
			return
		case <-n.quit:
			return
		}
	}
}

// deliverOpened hands the read envelopes to Received() in stream order.
func (n *Node) deliverOpened(l *link, p *openPool, drops *droplog.Log) {
	defer n.wg.Done()
	defer n.catchPanic()
	for {
		var out chan opened
		select {
		case out = <-p.order:
		case <-l.closed:
			return // what is left was for a page that failed with the peer
		case <-n.quit:
			return
		}
		var o opened
		select {
		case o = <-out:
		case <-l.closed:
			return
		case <-n.quit:
			return
		}
		if !n.deliverRead(l, o, drops) {
			return
		}
		if p.pending.Add(-1) == 0 {
			select {
			case p.drained <- struct{}{}:
			default:
			}
		}
	}
}

// deliverRead delivers one read envelope of l's and tells the request in
// flight it is still coming; false when the node stopped.
func (n *Node) deliverRead(l *link, o opened, drops *droplog.Log) bool {
	if o.bad != "" {
		drops.Drop("unreadable direct envelope", "envelope", o.hash.Hex(), "reason", o.bad)
	}
	if !n.deliver(o.got) {
		return false
	}
	l.progress()
	return true
}

// delivered waits until every envelope handed over is on Received();
// false when the node stopped first.
func (p *openPool) delivered(n *Node) bool {
	for p.pending.Load() > 0 {
		select {
		case <-p.drained:
		case <-n.quit:
			return false
		}
	}
	return true
}
