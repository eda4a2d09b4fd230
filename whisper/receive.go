package whisper

import (
	"sync"
	"sync/atomic"

	"hush/whisper/droplog"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// How an envelope becomes a Received.
//
// whisperv6 gets no key of ours: it installs no filter, so its parser,
// which a hostile plaintext crashes (guard.go), never runs on anything we
// can decrypt, whenever the envelope arrived and whatever we subscribed
// since. whisperv6 stays the relay: it checks, pools and gossips every
// envelope as before. hush opens envelopes itself (open.go) at two points:
//
//   - Gossip (code 1) and our own posts: when whisperv6 admits an envelope
//     to its pool. The only per-envelope hook whisperv6 offers is its
//     mailserver's Archive, called once per new pooled envelope, on the
//     goroutine that added it (the peer's, or Post's), after whisperv6's
//     own checks (expiry, future, size, PoW, bloom) and its dedup by hash.
//     So what we deliver from gossip is exactly what whisperv6 accepts, an
//     envelope relayed by several peers is delivered once, and below-PoW or
//     expired ones never are. The node registers itself as whisperv6's
//     mailserver and passes both calls on to a real one (hush serve).
//   - Before that, the interceptor screens each code-1 envelope that
//     whisperv6 would admit on one of our topics: it opens it, so that one
//     whose plaintext is malformed under our key is dropped from the batch
//     (never pooled, never forwarded). The result is kept here by hash and
//     taken by Archive, so gossip is decrypted once; peers sending the
//     same envelope at once wait for the first one's result.
//   - History (code 127) from the peer we asked: opened by the interceptor
//     and delivered right there, never handed to whisperv6 (which would
//     only have passed it to filters). That keeps Received() ahead of the
//     completion that follows on the same stream.
//
// Delivery blocks when Received() is full (the session is slow): the
// peer's stream waits, which holds the peer back instead of losing
// messages. Only Stop ends the wait.

// screenMemory is how many screened envelopes are remembered: results
// waiting for Archive, and poison, so that resent poison costs no
// decryption. More than several full batches.
const screenMemory = 8192

// receiver is the node's receive-side state.
type receiver struct {
	mailserver whisperv6.MailServer // a real mailserver behind the hook; nil on a client
	screened   *verdicts
	drops      *droplog.Log // drops with no peer to blame (found after admission)

	screenings atomic.Int64 // envelopes decrypted by the screen; read by tests
}

func (r *receiver) init(n *Node) {
	r.screened = newVerdicts(screenMemory)
	r.drops = droplog.New(n.log, droplog.DefaultWindow)
}

// poolHook is the whisperv6.MailServer every node registers.
type poolHook struct{ n *Node }

// Archive runs for each envelope whisperv6 adds to its pool.
func (h poolHook) Archive(env *whisperv6.Envelope) {
	n := h.n
	if ms := n.recv.mailserver; ms != nil {
		ms.Archive(env)
	}
	subs, version := n.subs.forTopic(env.Topic)
	if len(subs) == 0 {
		return
	}
	hash := env.Hash()
	got, ok := n.recv.screened.take(hash, version)
	if !ok {
		// Not screened (our own post, or subscribed since): open it now.
		o := n.openEnvelope(env, hash, false)
		if o.poison != "" {
			// It is pooled already and will be relayed; we only skip it.
			n.recv.drops.Drop("pooled envelope whose plaintext is malformed", "envelope", hash.Hex(), "reason", o.poison)
			return
		}
		if o.bad != "" {
			n.recv.drops.Drop("unreadable envelope", "envelope", hash.Hex(), "reason", o.bad)
		}
		got = o.got
	}
	n.deliver(got)
}

// DeliverMail passes a history request to the real mailserver, if any.
func (h poolHook) DeliverMail(p *whisperv6.Peer, request *whisperv6.Envelope) {
	if ms := h.n.recv.mailserver; ms != nil {
		ms.DeliverMail(p, request)
	}
}

// deliver puts got on Received(), waiting while it is full; false when
// the node stopped first.
func (n *Node) deliver(got []Received) bool {
	for _, r := range got {
		select {
		case n.received <- r:
		case <-n.quit:
			return false
		}
	}
	return true
}

// screen opens a gossiped envelope on its way to whisperv6 and keeps the
// result for Archive. It returns the envelope's verdict: poison (drop it
// from the batch) and why a plaintext was unreadable, for the caller to
// log against its peer.
func (n *Node) screen(env *whisperv6.Envelope, hash common.Hash, now uint32) (poison, bad string) {
	if subs, _ := n.subs.forTopic(env.Topic); len(subs) == 0 {
		return "", "" // no key of ours opens it
	}
	if n.shh.GetEnvelope(hash) != nil {
		return "", "" // pooled already: whisperv6 ignores this copy
	}
	if !n.admissible(env, now) {
		return "", "" // whisperv6 refuses it: never pooled, never opened
	}
	v, mine := n.recv.screened.claim(hash)
	if !mine {
		<-v.done // another peer is opening it: a matter of microseconds
		return v.poison, ""
	}
	n.recv.screenings.Add(1)
	// Finished even if opening panicked, so no other peer waits forever.
	o := opened{poison: "opening it failed"}
	defer func() { n.recv.screened.finish(v, o) }()
	o = n.openEnvelope(env, hash, false)
	return o.poison, o.bad
}

// admissible reports whether whisperv6 may add env to its pool (see its
// Whisper.add); it errs on the side of yes, which costs at most a
// decryption, since Archive opens what the screen let through unopened.
func (n *Node) admissible(env *whisperv6.Envelope, now uint32) bool {
	sent := env.Expiry - env.TTL
	if sent > now && sent-whisperv6.DefaultSyncAllowance > now+1 {
		return false // too far in the future
	}
	if env.Expiry < now {
		return false
	}
	if whisperv6.EnvelopeHeaderLength+len(env.Data) > int(n.shh.MaxMessageSize()) {
		return false
	}
	// For an envelope from the future whisperv6 lowers the PoW further.
	if env.PoW() < min(n.shh.MinPow(), n.shh.MinPowTolerance()) {
		return false
	}
	bloom := env.Bloom()
	return whisperv6.BloomFilterMatch(n.shh.BloomFilter(), bloom) ||
		whisperv6.BloomFilterMatch(n.shh.BloomFilterTolerance(), bloom)
}

// verdict is the screen's result for one envelope.
type verdict struct {
	hash common.Hash
	done chan struct{} // closed when the fields below are set
	opened
}

// verdicts remembers the screen's latest results by envelope hash; the
// oldest are forgotten.
type verdicts struct {
	mu   sync.Mutex
	m    map[common.Hash]*verdict
	ring []*verdict
	next int
}

func newVerdicts(size int) *verdicts {
	return &verdicts{m: make(map[common.Hash]*verdict, size), ring: make([]*verdict, size)}
}

// claim returns the verdict for hash and whether the caller made it (and
// must finish it); otherwise it may still be in the making.
func (vs *verdicts) claim(hash common.Hash) (*verdict, bool) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if v := vs.m[hash]; v != nil {
		return v, false
	}
	v := &verdict{hash: hash, done: make(chan struct{})}
	if old := vs.ring[vs.next]; old != nil && vs.m[old.hash] == old {
		delete(vs.m, old.hash)
	}
	vs.ring[vs.next] = v
	vs.next = (vs.next + 1) % len(vs.ring)
	vs.m[hash] = v
	return v, true
}

// finish records the result of a claimed verdict.
func (vs *verdicts) finish(v *verdict, o opened) {
	v.opened = o
	close(v.done)
}

// take hands Archive the deliveries screened for hash, if they are still
// valid for the subscription table's version.
func (vs *verdicts) take(hash common.Hash, version uint64) ([]Received, bool) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	v := vs.m[hash]
	if v == nil {
		return nil, false
	}
	select {
	case <-v.done:
	default:
		return nil, false // still being opened for another copy
	}
	if v.poison != "" {
		return nil, false
	}
	delete(vs.m, hash)
	return v.got, v.version == version
}
