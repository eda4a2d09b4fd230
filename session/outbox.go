package session

import (
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/store"
	"hush/whisper"
)

// Outbox tuning. A peer that takes an envelope acknowledges it within one
// gossip cycle (300 ms), so twice the envelope's lifetime without an
// acknowledgement means nobody took that copy.
const (
	ackWait     = 2 * whisper.DefaultTTL * time.Second // first wait for an ack; doubles with each post
	maxPosts    = 4                                    // posts of one message (each sealed afresh) before it fails
	postRetry   = 2 * time.Second                      // wait after a post error; doubles
	keepSettled = 10 * time.Minute                     // how long a sent or failed message waits for a late ack
	maxOutbox   = 4096                                 // messages waiting at once; Send refuses more
	sweepEvery  = 30 * time.Second
)

// outEntry is one message of ours that the outbox owns.
type outEntry struct {
	id     [32]byte
	chatID string
	// posts are the copies of the message: one for a chat, one per member
	// for a group. Each try posts them all.
	posts []whisper.Post
	// quiet marks a group membership update: it has no stored row, so
	// there is no state to write or show; a failure is still told.
	quiet      bool
	groupClock int64        // a quiet entry's change clock, marked sent once a peer takes it
	state      MessageState // Pending or Sending while queued; Sent or Failed once settled
	tries      int          // posts while a peer was connected that no ack answered yet
	errs       int          // post errors in a row
	err        error        // the last post error
	due        time.Time    // Pending: post at or after; Sending: post again (or fail) at
	// hashes are every envelope the message was sealed in: a re-seal gets
	// a new hash, and an ack of an older copy still counts.
	hashes  [][32]byte
	round   int       // index in hashes of the last try's first copy
	settled time.Time // when it left the queue as Sent or Failed
}

// outbox sends our messages and follows them until a peer has them. Its
// goroutine (postLoop) owns the queue and the envelope hashes; Send and
// Resend hand it messages through incoming.
//
// The database is the only durable copy: a message is stored (Pending)
// before the outbox sees it and every state change is written, so Stop
// drops nothing, and at Start every row still Pending or Sending is queued
// again. The retry counts live in memory only: after a restart a message
// gets a fresh set of tries.
//
// A message is posted only while at least one peer is connected; without
// one it stays Pending. Posted (Sending), it becomes Sent on any
// acknowledgement of one of its envelopes, and Stored on a confirmed one
// from a peer that is one of our mailservers. No ack within the deadline
// (while connected) seals it afresh and posts it again, with a longer
// deadline each time; after maxPosts it is Failed. A Failed message is not
// retried by itself: the user sees ✗ and decides with /resend, so a line
// that may no longer make sense is not delivered hours late.
type outbox struct {
	m           *Manager
	wake        chan struct{}
	mailservers map[enode.ID]bool

	// Tunables; tests shorten them before Start.
	ackWait, postRetry, keepSettled time.Duration
	maxPosts, max                   int

	mu       sync.Mutex
	incoming []*outEntry // handed over, not yet taken by the loop
	held     int         // len(queue), for Send's bound

	// Owned by postLoop.
	queue     []*outEntry // Pending and Sending, in send order
	byID      map[[32]byte]*outEntry
	byHash    map[[32]byte]*outEntry
	reported  OutboxChanged
	nextSweep time.Time
}

func newOutbox(m *Manager) *outbox {
	o := &outbox{
		m:           m,
		wake:        make(chan struct{}, 1),
		mailservers: make(map[enode.ID]bool),
		ackWait:     ackWait,
		postRetry:   postRetry,
		keepSettled: keepSettled,
		maxPosts:    maxPosts,
		max:         maxOutbox,
		byID:        make(map[[32]byte]*outEntry),
		byHash:      make(map[[32]byte]*outEntry),
	}
	for _, ms := range m.cfg.Mailservers {
		if ms.Node != nil {
			o.mailservers[ms.Node.ID()] = true
		}
	}
	return o
}

// poke wakes the loop: new messages, or the peer count changed.
func (o *outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// room reports whether another message fits.
func (o *outbox) room() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.held+len(o.incoming) < o.max
}

// add hands a stored message to the loop.
func (o *outbox) add(e *outEntry) {
	o.mu.Lock()
	o.incoming = append(o.incoming, e)
	o.mu.Unlock()
	o.poke()
}

// postLoop is the outbox's goroutine.
func (m *Manager) postLoop() {
	defer m.wg.Done()
	defer m.catchPanic()
	o := m.outbox
	o.load()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	acks := m.cfg.Node.Acks()
	for {
		timer.Reset(o.step())
		select {
		case <-m.quit:
			return
		case <-o.wake:
		case a := <-acks:
			o.ack(a)
		case <-timer.C:
		}
	}
}

// load queues every row of ours still pending or sending, as they were
// when the last session stopped (or was killed).
func (o *outbox) load() {
	rows, err := o.m.cfg.Store.Outgoing([]store.MessageState{store.MessageState(Pending), store.MessageState(Sending)}, o.max)
	if err != nil {
		o.m.log.Error("outbox: read unsent messages", "err", err)
		o.m.notice("could not read unsent messages: "+err.Error(), true)
		return
	}
	if len(rows) > 0 {
		o.m.log.Info("outbox: queued unsent messages again", "count", len(rows))
	}
	for _, sm := range rows {
		posts, err := o.m.postsFor(sm.ChatID, sm.MessageType, sm.Payload)
		if err != nil {
			o.m.log.Error("outbox: unsendable stored message", "id", hexID(sm.ID), "err", err)
			o.m.setState(sm.ChatID, sm.ID, Failed)
			continue
		}
		o.take(&outEntry{id: sm.ID, chatID: sm.ChatID, posts: posts, state: MessageState(sm.State)})
	}
	for _, e := range o.m.unsentAnnouncements() {
		o.take(e)
	}
}

// take moves one handed-over message into the queue, as Pending.
func (o *outbox) take(e *outEntry) {
	if old := o.byID[e.id]; old != nil {
		if old.state.Unsent() {
			// Already queued (a /resend of a pending message): try now.
			old.errs, old.err, old.due = 0, nil, time.Time{}
			if old.state == Sending && old.tries >= o.maxPosts {
				old.tries = o.maxPosts - 1
			}
			return
		}
		// Settled as Failed (or Sent, if the ack raced /resend): keep
		// the envelopes it went out in, so a late ack still counts.
		e.hashes = old.hashes
		for _, h := range e.hashes {
			o.byHash[h] = e
		}
		if old.state == Sent {
			o.byID[e.id] = old
			return
		}
	}
	o.byID[e.id] = e
	o.queue = append(o.queue, e)
	if e.state != Pending {
		o.set(e, Pending)
	}
}

// step does what is due: takes new messages, posts or re-posts what waits,
// fails what ran out of tries, and reports the counts. It returns how long
// the loop may sleep.
func (o *outbox) step() time.Duration {
	o.mu.Lock()
	in := o.incoming
	o.incoming = nil
	o.mu.Unlock()
	for _, e := range in {
		o.take(e)
	}

	peers := o.m.cfg.Node.PeerCount()
	if peers == 0 {
		// Nobody can take what is in flight: show it as waiting, and post
		// it afresh (and count tries anew) when a peer connects.
		for _, e := range o.queue {
			if e.state == Sending {
				e.tries, e.due = 0, time.Time{}
				o.set(e, Pending)
			}
		}
	} else {
		o.postDue()
	}

	now := time.Now()
	if now.After(o.nextSweep) {
		o.sweep(now)
		o.nextSweep = now.Add(sweepEvery)
	}
	o.report(peers)

	o.mu.Lock()
	o.held = len(o.queue)
	o.mu.Unlock()

	wait := time.Until(o.nextSweep)
	if peers > 0 {
		for _, e := range o.queue {
			wait = min(wait, time.Until(e.due))
		}
	}
	return max(wait, time.Millisecond)
}

// postDue posts every queued message whose time has come, in send order.
func (o *outbox) postDue() {
	for _, e := range append([]*outEntry(nil), o.queue...) {
		select {
		case <-o.m.quit:
			return
		default:
		}
		if time.Now().Before(e.due) {
			continue
		}
		if e.state == Sending && e.tries >= o.maxPosts {
			o.fail(e, fmt.Sprintf("no peer acknowledged it after %d tries", e.tries))
			continue
		}
		round := len(e.hashes)
		var err error
		for _, p := range e.posts {
			if p.PublicKey != nil {
				// One-to-one: encrypted now, not when queued
				// (sealDirect), so each try takes a fresh key.
				if p, _, err = o.m.sealDirect(p); err != nil {
					break
				}
			}
			var hash [32]byte
			if hash, err = o.m.cfg.Node.Post(p); err != nil {
				break
			}
			e.hashes = append(e.hashes, hash)
			o.byHash[hash] = e
		}
		if err != nil {
			e.errs++
			e.err = err
			o.m.log.Warn("post failed", "chat", e.chatID, "id", hexID(e.id), "try", e.errs, "err", err)
			if e.errs >= o.maxPosts {
				o.fail(e, err.Error())
				continue
			}
			e.due = time.Now().Add(o.postRetry << (e.errs - 1))
			continue
		}
		e.errs, e.err = 0, nil
		e.tries++
		e.round = round
		hash := e.hashes[round]
		e.due = time.Now().Add(o.ackWait << (e.tries - 1))
		if !e.quiet {
			if err := o.m.cfg.Store.SetEnvelopeHash(e.id, hash); err != nil {
				o.m.log.Error("store envelope hash", "id", hexID(e.id), "err", err)
			}
		}
		o.m.log.Debug("posted", "chat", e.chatID, "id", hexID(e.id), "envelope", hexID(hash), "copies", len(e.posts), "try", e.tries)
		if e.state != Sending {
			o.set(e, Sending)
		}
	}
}

// ack applies a peer's acknowledgement to the messages whose envelopes it
// names.
func (o *outbox) ack(a whisper.Ack) {
	for _, h := range a.Refused {
		// The peer will not pass this copy on (expired by its clock, or
		// refused by its checks): seal a fresh one now rather than wait
		// out the deadline; it counts as a try, so refusals end in Failed.
		if e := o.byHash[h]; e != nil && e.state == Sending && e.lastTry(h) {
			o.m.log.Info("peer refused our envelope", "id", hexID(e.id), "peer", a.Peer.TerminalString())
			e.due = time.Time{}
		}
	}
	stored := a.Confirmed && o.mailservers[a.Peer]
	for _, h := range a.Envelopes {
		e := o.byHash[h]
		if e == nil {
			continue
		}
		switch {
		case stored:
			o.m.log.Debug("stored by mailserver", "id", hexID(e.id), "peer", a.Peer.TerminalString())
			o.settle(e, Stored)
			o.forget(e)
		case e.state != Sent:
			o.m.log.Debug("taken by peer", "id", hexID(e.id), "peer", a.Peer.TerminalString(), "confirmed", a.Confirmed)
			o.settle(e, Sent)
		}
	}
}

// lastTry reports whether h is one of the copies of the last try.
func (e *outEntry) lastTry(h [32]byte) bool {
	for _, x := range e.hashes[e.round:] {
		if x == h {
			return true
		}
	}
	return false
}

// fail gives up on a message until the user says /resend.
func (o *outbox) fail(e *outEntry, why string) {
	o.m.log.Warn("message failed", "chat", e.chatID, "id", hexID(e.id), "why", why)
	o.settle(e, Failed)
	if e.quiet {
		o.m.notice("a group change could not be sent ("+why+"); the group's next message carries it", true)
		return
	}
	o.m.notice("a message could not be sent ("+why+"); /resend tries again", true)
}

// settle takes a message out of the queue in a final state. Its hashes stay
// (until sweep) so that a later ack still upgrades it.
func (o *outbox) settle(e *outEntry, st MessageState) {
	for i, q := range o.queue {
		if q == e {
			o.queue = append(o.queue[:i], o.queue[i+1:]...)
			break
		}
	}
	e.settled = time.Now()
	o.set(e, st)
}

// forget drops a message from memory.
func (o *outbox) forget(e *outEntry) {
	for _, h := range e.hashes {
		if o.byHash[h] == e {
			delete(o.byHash, h)
		}
	}
	if o.byID[e.id] == e {
		delete(o.byID, e.id)
	}
}

// sweep forgets settled messages no ack came for in keepSettled.
func (o *outbox) sweep(now time.Time) {
	for _, e := range o.byID {
		if !e.state.Unsent() && now.Sub(e.settled) > o.keepSettled {
			o.forget(e)
		}
	}
}

// report tells the UI how many messages wait, and why.
func (o *outbox) report(peers int) {
	var r OutboxChanged
	var lastErr error
	for _, e := range o.queue {
		switch e.state {
		case Pending:
			r.Pending++
			if e.err != nil {
				lastErr = e.err
			}
		case Sending:
			r.Sending++
		}
	}
	switch {
	case r.Pending == 0:
	case peers == 0:
		r.Reason = "no peers"
	case lastErr != nil:
		r.Reason = "post failed, retrying: " + lastErr.Error()
	}
	if r != o.reported {
		o.reported = r
		o.m.emit(r)
	}
}

// set records a state change and tells the UI.
func (o *outbox) set(e *outEntry, st MessageState) {
	e.state = st
	if !e.quiet {
		o.m.setState(e.chatID, e.id, st)
		return
	}
	if st == Sent || st == Stored {
		if err := o.m.cfg.Store.SetGroupSent(e.chatID, e.groupClock); err != nil {
			o.m.log.Error("store group change sent", "chat", e.chatID, "err", err)
		}
	}
}
