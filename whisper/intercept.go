package whisper

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"hush/whisper/mailserver"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// shh/6 message codes hush handles itself (whisperv6 keeps its own copies
// unexported).
const (
	codeMessages   = 1
	codeCompletion = 125 // mailserver → client: request done (status-go)
	codeRequest    = 126 // client → mailserver: history request
	codeDirect     = 127 // mailserver → client: archived envelope(s)
)

// interceptor is the message stream whisperv6 reads from one peer. It
// filters what comes in; writes go to the peer unchanged.
type interceptor struct {
	node    *Node
	link    *link
	rw      p2p.MsgReadWriter
	queue   []p2p.Msg // split code-127 envelopes not yet handed to whisperv6
	trusted bool

	handshaken bool     // the peer's handshake was read (confirm.go)
	receipt    *receipt // code-1 batch whisperv6 is taking, to acknowledge
}

// WriteMsg adds our confirmations flag to the handshake and splits
// envelope batches to fit the peer's limit (confirm.go, split.go).
func (ic *interceptor) WriteMsg(msg p2p.Msg) error {
	switch msg.Code {
	case codeStatus:
		return ic.writeStatus(msg)
	case codeMessages:
		return ic.writeMessages(msg)
	}
	return ic.rw.WriteMsg(msg)
}

// ReadMsg runs on whisperv6's peer goroutine.
func (ic *interceptor) ReadMsg() (p2p.Msg, error) {
	if !ic.trusted {
		ic.markTrusted()
	}
	if err := ic.confirmBatch(); err != nil {
		return p2p.Msg{}, err
	}
	for {
		if len(ic.queue) > 0 {
			msg := ic.queue[0]
			ic.queue = ic.queue[1:]
			return msg, nil
		}
		msg, err := ic.rw.ReadMsg()
		if err != nil {
			return msg, err
		}
		if msg.Code == codeRequest {
			ic.link.touch(time.Now())
		}
		switch msg.Code {
		case codeStatus:
			return ic.readStatus(msg)
		case codeBatchAck, codeMessagesResponse:
			if err := ic.readAck(msg); err != nil {
				return p2p.Msg{}, err
			}
		case codeCompletion:
			if err := ic.readCompletion(msg); err != nil {
				return p2p.Msg{}, err
			}
		case codeDirect:
			if err := ic.readDirect(msg); err != nil {
				return p2p.Msg{}, err
			}
		case codeMessages:
			if msg, err = ic.noteBatch(msg); err != nil {
				return p2p.Msg{}, err
			}
			return ic.screenMessages(msg)
		default:
			return msg, nil
		}
	}
}

// markTrusted lets whisperv6 accept code 127 from this peer at all; which
// direct envelopes reach it is decided here instead. It must run on the
// peer goroutine, the only one reading the flag (RequestHistoricMessages
// sets it from the caller's goroutine, a data race). The first ReadMsg
// comes from whisperv6's handshake, after it registered the peer.
func (ic *interceptor) markTrusted() {
	ic.trusted = true
	if err := ic.node.shh.AllowP2PMessagesFromPeer(ic.link.id[:]); err != nil {
		ic.node.log.Warn("cannot accept direct envelopes from peer", "peer", ic.link.id.TerminalString(), "err", err)
	}
}

// readPayload reads a whole message body, refusing what whisperv6 would
// refuse for size (the peer is then dropped, as whisperv6 does).
func (ic *interceptor) readPayload(msg p2p.Msg) ([]byte, error) {
	if msg.Size > ic.node.shh.MaxMessageSize() {
		return nil, fmt.Errorf("oversized message (code %d, %d bytes) from peer %s", msg.Code, msg.Size, ic.link.id.TerminalString())
	}
	body, err := io.ReadAll(io.LimitReader(msg.Payload, int64(msg.Size)))
	if err != nil {
		return nil, fmt.Errorf("read message (code %d) from peer %s: %w", msg.Code, ic.link.id.TerminalString(), err)
	}
	return body, nil
}

// readCompletion takes a code-125 reply (an RLP byte string) to the
// request in flight. Malformed or unexpected replies are dropped.
func (ic *interceptor) readCompletion(msg p2p.Msg) error {
	body, err := ic.readPayload(msg)
	if err != nil {
		return err
	}
	log := ic.node.log.With("peer", ic.link.id.TerminalString())
	var raw []byte
	if err := rlp.DecodeBytes(body, &raw); err != nil {
		log.Warn("dropped malformed mailserver completion", "err", err)
		return nil
	}
	c, err := mailserver.DecodeCompletion(raw)
	if err != nil {
		log.Warn("dropped malformed mailserver completion", "err", err)
		return nil
	}
	if !ic.link.deliverCompletion(c) {
		log.Warn("dropped mailserver completion for no request in flight", "request", fmt.Sprintf("%x", c.RequestID))
	}
	return nil
}

// readDirect admits code-127 envelopes only while we wait for this peer's
// history, splits a status-go batch (an RLP list of envelopes) into one
// message per envelope, and queues them for whisperv6.
func (ic *interceptor) readDirect(msg p2p.Msg) error {
	body, err := ic.readPayload(msg)
	if err != nil {
		return err
	}
	log := ic.node.log.With("peer", ic.link.id.TerminalString())
	raws, err := splitDirect(body)
	if err != nil {
		log.Warn("dropped malformed direct message", "err", err)
		return nil
	}
	unasked := 0
	for _, raw := range raws {
		env := new(whisperv6.Envelope)
		if err := rlp.DecodeBytes(raw, env); err != nil {
			log.Warn("dropped malformed direct envelope", "err", err)
			continue
		}
		hash := env.Hash()
		if reason := ic.node.subs.poisoned(env); reason != "" {
			log.Warn("dropped direct envelope whose plaintext would crash whisperv6", "envelope", hash.Hex(), "reason", reason)
			continue
		}
		if !ic.link.acceptDirect(hash, time.Now()) {
			unasked++
			continue
		}
		ic.node.direct.add(hash)
		ic.queue = append(ic.queue, p2p.Msg{
			Code:       codeDirect,
			Size:       uint32(len(raw)),
			Payload:    bytes.NewReader(raw),
			ReceivedAt: msg.ReceivedAt,
		})
	}
	if unasked > 0 {
		ic.node.unsolicitedDirect.Add(int64(unasked))
		log.Warn("dropped direct envelopes from a peer we did not ask", "envelopes", unasked)
	}
	return nil
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

// screenMessages drops envelopes of a code-1 batch that would crash
// whisperv6 when it opens them with one of our keys. The batch goes on
// untouched when nothing was dropped or it is not a list of envelopes
// (whisperv6 then rejects it and drops the peer, its usual rule).
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
		if reason := ic.node.subs.poisoned(env); reason != "" {
			ic.node.log.Warn("dropped envelope whose plaintext would crash whisperv6",
				"peer", ic.link.id.TerminalString(), "envelope", env.Hash().Hex(), "reason", reason)
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
