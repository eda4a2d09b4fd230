package whisper

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"hush/whisper/droplog"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// maxPeerDrops is how many messages or envelopes a peer may have dropped
// in one droplog window before it is disconnected. An honest mailserver
// sends at most a page or two we no longer wait for (after a timeout);
// a peer flooding unasked history or poison passes it in a fraction of a
// second.
const maxPeerDrops = 10_000

// directQueue bounds the direct envelopes of one peer decrypted but not
// yet read; past it the peer's stream waits.
const directQueue = 256

// inbound is the interceptor's receive-side state for one peer.
type inbound struct {
	drops *droplog.Log // nil until the first drop
	opens *openPool    // nil until the first direct envelope, and with one open worker
}

// drop logs (rate-limited) that something from this peer was dropped, and
// returns an error, which disconnects the peer, once it has had too much
// dropped lately.
func (ic *interceptor) drop(reason string, args ...any) error {
	log := ic.dropLog()
	if log.Drop(reason, args...) > maxPeerDrops {
		log.Flush()
		return fmt.Errorf("peer %s: more than %d dropped messages in %s", ic.link.id.TerminalString(), maxPeerDrops, droplog.DefaultWindow)
	}
	return nil
}

// dropLog returns the peer's drop log, made on first use.
func (ic *interceptor) dropLog() *droplog.Log {
	if ic.in.drops == nil {
		ic.in.drops = droplog.New(ic.node.log.With("peer", ic.link.id.TerminalString()), droplog.DefaultWindow)
	}
	return ic.in.drops
}

// readDirect takes a code-127 message: envelopes we asked this peer for,
// one or a status-go batch (an RLP list of them). Each is decrypted and
// checked here, in stream order, then read and delivered in that order by
// the peer's open pool (openpool.go); a completion later on the stream
// waits for them
// (directsDelivered). whisperv6 never sees these envelopes. Envelopes from
// a peer we are not waiting for are dropped unopened.
func (ic *interceptor) readDirect(msg p2p.Msg) error {
	body, err := ic.readPayload(msg)
	if err != nil {
		return err
	}
	raws, err := splitDirect(body)
	if err != nil {
		return ic.drop("malformed direct message", "err", err)
	}
	if !ic.link.expectsDirect(time.Now()) {
		return ic.unasked(len(raws))
	}
	unasked := 0
	for _, raw := range raws {
		env := new(whisperv6.Envelope)
		if err := rlp.DecodeBytes(raw, env); err != nil {
			if err := ic.drop("malformed direct envelope", "err", err); err != nil {
				return err
			}
			continue
		}
		hash := env.Hash() // whisperv6's decoding hashed raw, the bytes as sent
		d := ic.node.decrypt(env, hash, true)
		if d.poison != "" {
			if err := ic.drop("direct envelope whose plaintext is malformed", "envelope", hash.Hex(), "reason", d.poison); err != nil {
				return err
			}
			continue
		}
		if !ic.link.acceptDirect(hash, time.Now()) {
			unasked++ // the request ended while we decrypted it
			continue
		}
		if len(d.plains) > 0 && !ic.handToReaders(d) {
			return errNotRunning
		}
	}
	return ic.unasked(unasked)
}

// handToReaders has d read and delivered: by the peer's open pool,
// started first if needed, or here, on the peer's stream, when the node
// has one open worker (the single-goroutine path). False when the node
// stopped.
func (ic *interceptor) handToReaders(d decrypted) bool {
	workers := ic.node.openWorkers()
	if workers == 1 {
		return ic.node.deliverRead(ic.link, d.read(recoverCgo), ic.dropLog())
	}
	if ic.in.opens == nil {
		ic.in.opens = ic.node.startOpenPool(ic.link, ic.dropLog(), workers)
	}
	return ic.in.opens.handOver(ic.node, d)
}

// progress tells the request in flight that its envelopes are still
// being delivered, so that a geth-format page, which ends after a quiet
// period, does not end while its last envelopes are being read.
func (l *link) progress() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.req; r != nil && r.endedAt.IsZero() {
		select {
		case r.activity <- struct{}{}:
		default:
		}
	}
}

// directsDelivered waits until every direct envelope handed to the
// readers is on Received(); false when the node stopped first. A
// completion is handed over only after it, so that RequestHistory returns
// a page whose envelopes are all delivered.
func (ic *interceptor) directsDelivered() bool {
	if ic.in.opens == nil {
		return true
	}
	return ic.in.opens.delivered(ic.node)
}

// unasked counts and logs count direct envelopes we did not ask for.
func (ic *interceptor) unasked(count int) error {
	if count == 0 {
		return nil
	}
	ic.node.unsolicitedDirect.Add(int64(count))
	for range count {
		if err := ic.drop("direct envelope from a peer we did not ask"); err != nil {
			return err
		}
	}
	return nil
}

// expectsDirect reports whether this peer may deliver code-127 envelopes
// now (a request of ours is in flight or just ended), without counting
// one as acceptDirect does.
func (l *link) expectsDirect(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.req
	return r != nil && (r.endedAt.IsZero() || now.Sub(r.endedAt) < directGrace)
}

// splitDirect returns the envelopes of a code-127 body: one envelope
// ([expiry, ttl, topic, data, nonce]) or a list of them.
func splitDirect(body []byte) ([]rlp.RawValue, error) {
	items, rest, err := rlp.SplitList(body)
	if err != nil {
		return nil, fmt.Errorf("not an RLP list: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing bytes after the RLP list")
	}
	if len(items) == 0 {
		return nil, nil
	}
	kind, _, _, err := rlp.Split(items)
	if err != nil {
		return nil, fmt.Errorf("bad first item: %w", err)
	}
	if kind != rlp.List {
		// The first field of an envelope is its expiry: a single envelope.
		return []rlp.RawValue{body}, nil
	}
	var out []rlp.RawValue
	for len(items) > 0 {
		kind, _, next, err := rlp.Split(items)
		if err != nil {
			return nil, fmt.Errorf("bad batch item: %w", err)
		}
		if kind != rlp.List {
			return nil, errors.New("batch item is not an envelope")
		}
		out = append(out, rlp.RawValue(items[:len(items)-len(next)]))
		items = next
	}
	return out, nil
}

// screenMessages screens each envelope of a code-1 batch on one of our
// topics before whisperv6 adds it (receive.go): those whose plaintext is
// malformed under one of our keys are taken out of the batch. The batch
// goes on untouched when nothing was taken out or it is not a list of
// envelopes (whisperv6 then rejects it and drops the peer, its usual
// rule).
func (ic *interceptor) screenMessages(msg p2p.Msg) (p2p.Msg, error) {
	if ic.node.subs.empty() {
		return msg, nil
	}
	body, err := ic.readPayload(msg)
	if err != nil {
		return p2p.Msg{}, err
	}
	out := p2p.Msg{Code: msg.Code, Size: msg.Size, Payload: bytes.NewReader(body), ReceivedAt: msg.ReceivedAt}

	items, rest, err := rlp.SplitList(body)
	if err != nil || len(rest) != 0 {
		return out, nil
	}
	now := uint32(time.Now().Unix())
	var kept []rlp.RawValue
	dropped := 0
	for len(items) > 0 {
		_, _, next, err := rlp.Split(items)
		if err != nil {
			return out, nil
		}
		raw := rlp.RawValue(items[:len(items)-len(next)])
		items = next
		env := new(whisperv6.Envelope)
		if err := rlp.DecodeBytes(raw, env); err != nil {
			return out, nil
		}
		hash := env.Hash() // whisperv6's decoding hashed raw, the bytes as sent
		poison, bad := ic.node.screen(env, hash, now)
		if bad != "" {
			if err := ic.drop("unreadable envelope", "envelope", hash.Hex(), "reason", bad); err != nil {
				return p2p.Msg{}, err
			}
		}
		if poison != "" {
			if err := ic.drop("envelope whose plaintext is malformed", "envelope", hash.Hex(), "reason", poison); err != nil {
				return p2p.Msg{}, err
			}
			dropped++
			continue
		}
		kept = append(kept, raw)
	}
	if dropped == 0 {
		return out, nil
	}
	screened, err := rlp.EncodeToBytes(kept)
	if err != nil {
		return p2p.Msg{}, fmt.Errorf("re-encode screened envelopes: %w", err)
	}
	out.Size = uint32(len(screened))
	out.Payload = bytes.NewReader(screened)
	return out, nil
}
