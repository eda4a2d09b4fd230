package whisper

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// maxBatchSize bounds the body of a code-1 message we write. whisperv6
// sends every envelope a peer lacks as one message, and a receiver drops
// the peer when a message exceeds its maximum (stock geth: 1 MiB), so a
// busy relay would cut off every client. The margin leaves room for
// receivers that count a few header bytes more than we do.
const maxBatchSize = int(whisperv6.DefaultMaxMessageSize) - 16*1024

// maxEnvelopeSize is the largest envelope that fits in one batch.
const maxEnvelopeSize = maxBatchSize - 8 // an RLP list header is at most 9 bytes

// writeMessages writes whisperv6's code-1 batch as one or more messages
// within maxBatchSize, each remembered for acknowledgements. An envelope
// too large for any batch is dropped; whisperv6 still marks it as sent to
// this peer, so it is not tried again.
func (ic *interceptor) writeMessages(msg p2p.Msg) error {
	body, err := io.ReadAll(io.LimitReader(msg.Payload, int64(msg.Size)))
	if err != nil {
		return fmt.Errorf("read outgoing envelopes: %w", err)
	}
	items, err := rlpItems(body)
	if err != nil {
		// whisperv6 always sends a list; pass anything else on as it is.
		return ic.rw.WriteMsg(p2p.Msg{Code: msg.Code, Size: uint32(len(body)), Payload: bytes.NewReader(body)})
	}
	var (
		chunk []rlp.RawValue
		size  int
	)
	for _, raw := range items {
		if len(raw) > maxEnvelopeSize {
			ic.node.unsent.Drop("envelope larger than a peer accepts", "peer", ic.link.id.TerminalString(),
				"envelope", fmt.Sprintf("%x", crypto.Keccak256(raw)), "bytes", len(raw))
			continue
		}
		if size+len(raw) > maxEnvelopeSize && len(chunk) > 0 {
			if err := ic.writeBatch(chunk); err != nil {
				return err
			}
			chunk, size = nil, 0
		}
		chunk = append(chunk, raw)
		size += len(raw)
	}
	if len(chunk) > 0 {
		return ic.writeBatch(chunk)
	}
	return nil
}

// writeBatch writes one code-1 message of envelopes. For a confirming
// peer the batch is remembered before it is written, since the peer's
// acknowledgement may arrive before WriteMsg returns; for a stock peer our
// own envelopes are acknowledged (unconfirmed) once written.
func (ic *interceptor) writeBatch(envelopes []rlp.RawValue) error {
	envelopes = dropExpired(envelopes, time.Now())
	if len(envelopes) == 0 {
		return nil
	}
	body, err := rlp.EncodeToBytes(envelopes)
	if err != nil {
		return fmt.Errorf("encode outgoing envelopes: %w", err)
	}
	own := ic.node.own.filter(envelopes)
	confirms := ic.link.confirms.Load()
	if confirms {
		ic.link.sent.add(crypto.Keccak256Hash(body), own, time.Now())
	}
	if err := ic.rw.WriteMsg(p2p.Msg{Code: codeMessages, Size: uint32(len(body)), Payload: bytes.NewReader(body)}); err != nil {
		return err
	}
	if !confirms && len(own) > 0 {
		ic.node.ackq.push(Ack{Peer: ic.link.id, Envelopes: own})
	}
	return nil
}

// dropExpired removes envelopes whose expiry has passed. whisperv6 picks a
// peer's batch from its pool once, but a large batch goes out in several
// writes, and on a slow link the later ones can leave after their envelopes
// expired; a receiver drops the sender of an envelope more than 20 s past
// expiry as invalid, so forwarding it would cut the link, and delivers
// nothing for one less than that. An item we cannot read is kept: the
// receiver judges it as before.
func dropExpired(envelopes []rlp.RawValue, now time.Time) []rlp.RawValue {
	kept := envelopes[:0:0]
	for _, raw := range envelopes {
		if expiry, ok := envelopeExpiry(raw); ok && int64(expiry) < now.Unix() {
			continue
		}
		kept = append(kept, raw)
	}
	return kept
}

// envelopeExpiry reads the first field of an RLP envelope.
func envelopeExpiry(raw rlp.RawValue) (uint32, bool) {
	content, _, err := rlp.SplitList(raw)
	if err != nil {
		return 0, false
	}
	first, _, err := rlp.SplitString(content)
	if err != nil || len(first) > 4 {
		return 0, false
	}
	var expiry uint32
	for _, b := range first {
		expiry = expiry<<8 | uint32(b)
	}
	return expiry, true
}
