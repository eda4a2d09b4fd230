package whisper

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// Batch confirmations, as Status's Whisper nodes made them: the receiver
// of a code-1 batch answers with code 12, a versioned MessagesResponse
// [1, [batchHash, [[envelopeHash, code, description]...]]] naming the
// envelopes it did not accept, then with code 11 carrying batchHash alone;
// batchHash is keccak256 of the code-1 message body exactly as it came.
// A node says it sends them with a fifth handshake item, true. Stock
// whisperv6 reads only the first four items of a handshake and ignores
// codes it does not know, so all of this is invisible to it.
const (
	codeStatus           = 0
	codeBatchAck         = 11
	codeMessagesResponse = 12

	messagesResponseVersion = 1
	// envelopeNotAccepted is the code of every error we report (Status's
	// "other error"; 1000 meant a clock out of sync).
	envelopeNotAccepted = 1001
)

// messagesResponse is the body of a code-12 reply, inside its version.
type messagesResponse struct {
	Hash   common.Hash
	Errors []envelopeError
	Rest   []rlp.RawValue `rlp:"tail"` // later versions may add fields
}

type envelopeError struct {
	Hash        common.Hash
	Code        uint64
	Description string
	Rest        []rlp.RawValue `rlp:"tail"`
}

type versionedResponse struct {
	Version  uint64
	Response rlp.RawValue
	Rest     []rlp.RawValue `rlp:"tail"`
}

// receipt is a code-1 batch handed to whisperv6, not yet acknowledged.
type receipt struct {
	hash      common.Hash   // keccak256 of the body as received
	envelopes []common.Hash // hashes of its envelopes
	pooled    []bool        // whether whisperv6 held each already
	received  time.Time     // when the batch arrived
}

// writeStatus adds confirmationsEnabled = true to our handshake, so that
// hush and Status peers acknowledge what we send them.
func (ic *interceptor) writeStatus(msg p2p.Msg) error {
	body, err := io.ReadAll(io.LimitReader(msg.Payload, int64(msg.Size)))
	if err != nil {
		return fmt.Errorf("read own handshake: %w", err)
	}
	items, err := rlpItems(body)
	if err == nil && len(items) == 4 {
		items = append(items, rlp.RawValue{0x01}) // RLP true
		if enc, err := rlp.EncodeToBytes(items); err == nil {
			body = enc
		}
	}
	return ic.rw.WriteMsg(p2p.Msg{Code: msg.Code, Size: uint32(len(body)), Payload: bytes.NewReader(body)})
}

// readStatus learns from the peer's handshake whether it confirms
// batches, and passes the handshake on to whisperv6 unchanged.
func (ic *interceptor) readStatus(msg p2p.Msg) (p2p.Msg, error) {
	body, err := ic.readPayload(msg)
	if err != nil {
		return p2p.Msg{}, err
	}
	if !ic.handshaken {
		ic.handshaken = true
		confirms := false
		if items, err := rlpItems(body); err == nil && len(items) >= 5 {
			// Some Status versions put other things (a list) fifth; only
			// a boolean true means confirmations.
			var b bool
			confirms = rlp.DecodeBytes(items[4], &b) == nil && b
		}
		ic.link.confirms.Store(confirms)
		ic.node.log.Debug("whisper handshake", "peer", ic.link.id.TerminalString(), "confirms", confirms)
	}
	return p2p.Msg{Code: msg.Code, Size: uint32(len(body)), Payload: bytes.NewReader(body), ReceivedAt: msg.ReceivedAt}, nil
}

// noteBatch reads a code-1 body and remembers its hash and envelopes, to
// be acknowledged once whisperv6 has taken the batch (confirmBatch).
func (ic *interceptor) noteBatch(msg p2p.Msg) (p2p.Msg, error) {
	body, err := ic.readPayload(msg)
	if err != nil {
		return p2p.Msg{}, err
	}
	items, err := rlpItems(body)
	if err == nil {
		r := &receipt{hash: crypto.Keccak256Hash(body), received: time.Now(), envelopes: make([]common.Hash, len(items)), pooled: make([]bool, len(items))}
		for i, raw := range items {
			// Decoding is canonical, so this is the envelope's hash.
			r.envelopes[i] = crypto.Keccak256Hash(raw)
			r.pooled[i] = ic.node.shh.GetEnvelope(r.envelopes[i]) != nil
		}
		ic.receipt = r
	}
	// Not a list: whisperv6 refuses it and drops the peer.
	return p2p.Msg{Code: msg.Code, Size: uint32(len(body)), Payload: bytes.NewReader(body), ReceivedAt: msg.ReceivedAt}, nil
}

// confirmBatch runs when whisperv6 asks for the next message, so it has
// finished with the previous batch (whisperv6 handles a batch before
// reading on, and drops the peer instead when it refused it). Envelopes of
// the batch now in whisperv6's pool were accepted (a mailserver archived
// them as they went in); the others were dropped, by whisperv6 for their
// age or by our own checks. A confirming peer is told which is which.
func (ic *interceptor) confirmBatch() {
	r := ic.receipt
	if r == nil {
		return
	}
	ic.receipt = nil
	var (
		refused  []envelopeError
		accepted []common.Hash
	)
	fresh := 0
	for i, h := range r.envelopes {
		if ic.node.shh.GetEnvelope(h) != nil {
			if !r.pooled[i] {
				fresh++
			}
			accepted = append(accepted, h)
			continue
		}
		refused = append(refused, envelopeError{Hash: h, Code: envelopeNotAccepted, Description: "not accepted: expired or refused by the receiver's checks"})
	}
	// Only news counts as activity: replaying known envelopes costs a
	// peer nothing.
	if fresh > 0 {
		ic.link.touch(time.Now())
	}
	if !ic.link.confirms.Load() {
		return
	}
	select {
	case ic.link.confirmations <- confirmation{hash: r.hash, refused: refused, accepted: accepted, received: r.received}:
	default:
		// The peer has not read our last confirmationQueue replies.
		ic.node.log.Debug("batch confirmation not sent: the peer is not reading", "peer", ic.link.id.TerminalString())
	}
}

// confirmation is our reply to one batch.
type confirmation struct {
	hash     common.Hash
	refused  []envelopeError
	accepted []common.Hash // pooled, so archived once the archive is synced
	received time.Time
}

// archiveSyncer is a mailserver whose archive writes in the background
// (hush's): Sync returns once everything archived before it is on disk.
type archiveSyncer interface {
	Sync(since time.Time) error
}

// durable makes a confirmation mean "stored" on a node that archives: the
// batch's envelopes are on disk before we confirm them, and a failed write
// turns them into refusals, so the sender posts them again.
func (n *Node) durable(c confirmation) confirmation {
	ms, ok := n.recv.mailserver.(archiveSyncer)
	if !ok || len(c.accepted) == 0 {
		return c
	}
	if err := ms.Sync(c.received); err != nil {
		n.log.Warn("batch not confirmed: archive write failed", "err", err)
		for _, h := range c.accepted {
			c.refused = append(c.refused, envelopeError{Hash: h, Code: envelopeNotAccepted, Description: "not stored: " + err.Error()})
		}
	}
	return c
}

// confirmationQueue bounds the replies waiting for a peer to read them.
const confirmationQueue = 256

// writeConfirmations writes l's queued confirmations until the peer goes.
// They are not written on the reading goroutine: devp2p stops reading a
// connection while its protocol's reader is busy, so two nodes each
// blocked writing a reply to the other could wait on each other.
func (n *Node) writeConfirmations(l *link) {
	defer n.wg.Done()
	defer n.catchPanic()
	for {
		select {
		case c := <-l.confirmations:
			if err := sendConfirmation(l.rw, n.durable(c)); err != nil {
				n.log.Debug("stop confirming batches", "peer", l.id.TerminalString(), "err", err)
				return
			}
		case <-l.closed:
			return
		}
	}
}

// sendConfirmation writes code 12, then code 11 for older peers, as
// Status's nodes did.
func sendConfirmation(w p2p.MsgWriter, c confirmation) error {
	inner, err := rlp.EncodeToBytes(messagesResponse{Hash: c.hash, Errors: c.refused})
	if err != nil {
		return fmt.Errorf("encode batch confirmation: %w", err)
	}
	if err := p2p.Send(w, codeMessagesResponse, versionedResponse{Version: messagesResponseVersion, Response: inner}); err != nil {
		return fmt.Errorf("send batch confirmation: %w", err)
	}
	if err := p2p.Send(w, codeBatchAck, c.hash); err != nil {
		return fmt.Errorf("send batch acknowledgement: %w", err)
	}
	return nil
}

// readAck takes a code-11 or code-12 reply naming a batch we sent. One
// naming no batch we are waiting for is ignored; a malformed one is
// dropped and counted against the peer.
func (ic *interceptor) readAck(msg p2p.Msg) error {
	body, err := ic.readPayload(msg)
	if err != nil {
		return err
	}
	var (
		hash    common.Hash
		refused map[common.Hash]bool
	)
	switch msg.Code {
	case codeBatchAck:
		if err := rlp.DecodeBytes(body, &hash); err != nil {
			return ic.drop("malformed batch acknowledgement", "err", err)
		}
	case codeMessagesResponse:
		resp, err := decodeMessagesResponse(body)
		if err != nil {
			return ic.drop("malformed batch acknowledgement", "err", err)
		}
		hash = resp.Hash
		refused = make(map[common.Hash]bool, len(resp.Errors))
		for _, e := range resp.Errors {
			refused[e.Hash] = true
		}
	}
	b := ic.link.sent.take(hash, time.Now())
	if b == nil {
		// Already taken from the code-12 reply, expired, or never sent.
		return nil
	}
	ic.link.touch(time.Now())
	if len(b.own) == 0 {
		return nil
	}
	a := Ack{Peer: ic.link.id, Confirmed: true}
	for _, h := range b.own {
		if refused[h] {
			a.Refused = append(a.Refused, h)
		} else {
			a.Envelopes = append(a.Envelopes, h)
		}
	}
	ic.node.ackq.push(a)
	return nil
}

func decodeMessagesResponse(body []byte) (messagesResponse, error) {
	var v versionedResponse
	if err := rlp.DecodeBytes(body, &v); err != nil {
		return messagesResponse{}, err
	}
	if v.Version != messagesResponseVersion {
		return messagesResponse{}, fmt.Errorf("messages response version %d, want %d", v.Version, messagesResponseVersion)
	}
	var resp messagesResponse
	if err := rlp.DecodeBytes(v.Response, &resp); err != nil {
		return messagesResponse{}, err
	}
	return resp, nil
}

// rlpItems splits an RLP list into its raw items.
func rlpItems(b []byte) ([]rlp.RawValue, error) {
	content, rest, err := rlp.SplitList(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing bytes after the RLP list")
	}
	var items []rlp.RawValue
	for len(content) > 0 {
		_, _, next, err := rlp.Split(content)
		if err != nil {
			return nil, err
		}
		items = append(items, rlp.RawValue(content[:len(content)-len(next)]))
		content = next
	}
	return items, nil
}
